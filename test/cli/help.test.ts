// `ward <command> --help` and `-h`: every command prints its own usage on stdout and exits 0, and nothing
// else runs (no gateway started, no prompt, no file read). In-process through main(), so the whole table
// costs milliseconds; one child process checks the real entry point.
import { describe, expect, it } from "vitest";
import { COMMAND_NAMES } from "../../scripts/ward.ts";
import { usage as validateUsage } from "../../scripts/commands/validate.ts";
import { wardProcess, wardText as run } from "../support/ward-cli.ts";

/** A subcommand each command with subcommands has, so `ward exceptions grant --help` is covered too. */
const SUBCOMMAND: Record<string, string> = {
  exceptions: "grant",
  breakglass: "list",
  revoke: "list",
  quarantine: "release",
  shadow: "promote",
};

describe("ward <command> --help / -h", () => {
  it("knows every command (the table below is not empty)", () => {
    expect(COMMAND_NAMES.length).toBeGreaterThanOrEqual(19);
    expect(COMMAND_NAMES).toEqual(expect.arrayContaining(["validate", "dev", "init", "push", "why"]));
  });

  for (const name of COMMAND_NAMES) {
    for (const flag of ["--help", "-h"]) {
      it(`ward ${name} ${flag}: its usage on stdout, exit 0`, async () => {
        const result = await run(name, flag);
        expect(result.err).toBe("");
        expect(result.status).toBe(0);
        expect(result.out.startsWith(`ward ${name} `)).toBe(true);
        expect(result.out).not.toContain("Unknown option");
      });
    }
    it(`ward ${name} with arguments then --help: the usage, nothing run`, async () => {
      const args = SUBCOMMAND[name] ? [SUBCOMMAND[name]!] : [];
      // A file that does not exist: had the command run, it would fail reading it.
      const result = await run(name, ...args, "/nonexistent/policy.yaml", "--help");
      expect(result).toMatchObject({ status: 0, err: "" });
      expect(result.out.startsWith(`ward ${name} `)).toBe(true);
    });
  }

  it("ward help COMMAND is that command's usage; ward help and ward --help list every command", async () => {
    expect(await run("help", "validate")).toEqual({ status: 0, out: validateUsage, err: "" });
    for (const argv of [["help"], ["--help"], ["-h"]]) {
      const result = await run(...argv);
      expect(result.status).toBe(0);
      expect(result.out).toContain("ward <command> --help");
      for (const name of COMMAND_NAMES) expect(result.out).toContain(`ward ${name} `);
    }
  });

  it("a help flag after -- is an argument, not a request for help", async () => {
    const result = await run("validate", "--", "--help");
    expect(result.status).toBe(1);
    expect(result.err).toContain("ward validate: cannot read --help");
  });

  it("unknown commands, Object's property names included, are refused with exit 2", async () => {
    for (const name of ["frobnicate", "constructor", "toString", "__proto__"]) {
      const result = await run(name, "--help");
      expect(result.status).toBe(2);
      expect(result.err).toContain(`ward: unknown command "${name}"`);
    }
    expect((await run("help", "constructor")).status).toBe(2);
  });

  it("the real entry point: node scripts/ward.ts dev -h prints the usage and exits 0 without starting anything", () => {
    const child = wardProcess("dev", "-h");
    expect(child.stderr).toBe("");
    expect(child.stdout).toMatch(/^ward dev \[--policy FILE\] \[--port N\]/);
    expect(child.status).toBe(0);
  }, 30_000);
});
