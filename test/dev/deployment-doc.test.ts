// docs/deployment.md, checked offline: every `npx wrangler` command exists in the project's wrangler and takes
// every flag the page gives it (from wrangler's own --help), and every `ward` command runs. Only the
// cloudflared commands (run on the origin's host) are left unchecked, and the page says so.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../scripts/ward.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);
const page = readFileSync(join(ROOT, "docs/deployment.md"), "utf8");
const dir = mkdtempSync(join(tmpdir(), "ward-deploy-doc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Commands of the page's ```sh blocks, split at pipes. */
function commands(): string[] {
  const blocks = [...page.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks
    .flatMap((b) => b.split("\n"))
    .flatMap((line) => line.split(" | "))
    .map((c) => c.trim())
    .filter(Boolean);
}

const words = (command: string) => [...command.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);

describe("docs/deployment.md", () => {
  const all = commands();

  it("documents every var the Worker reads (worker/env.ts), with its default", () => {
    const env = readFileSync(join(ROOT, "worker/env.ts"), "utf8");
    const vars = [...env.matchAll(/^\s+([A-Z][A-Z0-9_]+)\?: string;/gm)]
      .map((m) => m[1]!)
      .filter((name) => name !== "ASSERTION_SIGNING_KEYS");
    expect(vars.length).toBeGreaterThanOrEqual(8);
    const rows = new Map(
      [...page.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, m[2]!.trim()]),
    );
    expect(vars.filter((name) => !rows.has(name))).toEqual([]);
  });

  it("has only commands this test checks, and cloudflared", () => {
    expect(all.length).toBeGreaterThanOrEqual(10);
    const unknown = all.filter((c) => !/^(npx wrangler|npm run (--silent )?ward --|cloudflared|export) /.test(c));
    expect(unknown).toEqual([]);
  });

  const wrangler = all.filter((c) => c.startsWith("npx wrangler "));
  it.each(wrangler)(
    "%s: exists, and takes every flag given",
    async (command) => {
      const args = words(command).slice(2);
      const { stdout } = await run(join(ROOT, "node_modules/.bin/wrangler"), [...args, "--help"], {
        cwd: ROOT,
        env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
      });
      // wrangler's help starts with the command's own usage line, e.g. "wrangler kv namespace create <namespace>":
      // each leading word of the page's command is that command's word or fills one of its positionals.
      const usage = stdout.trim().split("\n")[0]!.split(" ");
      expect(usage[0]).toBe("wrangler");
      const leading = args.slice(
        0,
        args.findIndex((a) => a.startsWith("-")) === -1 ? args.length : args.findIndex((a) => a.startsWith("-")),
      );
      leading.forEach((word, i) => {
        const expected = usage[i + 1];
        expect(expected, `${command}: "${word}"`).toBeDefined();
        if (!/^[<[]/.test(expected!)) expect(word).toBe(expected);
      });
      for (const flag of args.filter((a) => a.startsWith("--"))) expect(stdout, flag).toContain(flag.split("=")[0]);
    },
    30_000,
  );

  it("runs every ward command (with a policy made for the environment)", async () => {
    const demo = readFileSync(join(ROOT, "policy/examples/demo.yaml"), "utf8").replace(
      "environment: dev",
      "environment: production",
    );
    const policy = join(dir, "production.yaml");
    writeFileSync(policy, demo);
    const ward = all.filter((c) => c.startsWith("npm run"));
    expect(ward.length).toBeGreaterThanOrEqual(4);
    for (const command of ward) {
      const args = words(command)
        .slice(command.includes("--silent") ? 5 : 4)
        .map((w) => (w === "policy/production.yaml" ? policy : w));
      const lines: string[] = [];
      const env = { ...process.env };
      let status: number;
      if (args[0] === "push" && !args.includes("--bootstrap")) {
        // Needs a deployed gateway: check only that it gets as far as asking for one.
        delete process.env.WARD_URL;
        status = await main(args, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
        process.env = env;
        expect(lines.join("\n")).toContain("--env production: set WARD_URL (or --url)");
        continue;
      }
      status = await main(args, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
      expect(`${command} -> ${status}\n${lines.join("\n")}`).toMatch(/-> 0\n/);
    }
  }, 60_000);
});
