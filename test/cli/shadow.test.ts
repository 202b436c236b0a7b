// `ward shadow report` on a hand-written decision log: exact output, the candidate chosen, wrapped and
// foreign lines, and the errors.
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { CliError } from "../../scripts/cli-error.ts";
import { shadowCommand } from "../../scripts/commands/shadow.ts";

const LOG = resolve(import.meta.dirname, "../fixtures/logs/shadow.jsonl");

async function run(...args: string[]): Promise<{ status: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  try {
    const status = await shadowCommand(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { status, out: out.join("\n"), err: err.join("\n") };
  } catch (error) {
    if (error instanceof CliError) return { status: error.exitCode, out: out.join("\n"), err: error.message };
    throw error;
  }
}

describe("ward shadow report", () => {
  it("counts what the named candidate would newly deny and allow, by identity, with examples", async () => {
    const r = await run("report", LOG, "--version", "b".repeat(64));
    expect(r.out).toBe(`shadow bbbbbbbbbbbb against active aaaaaaaaaaaa: 4 decisions compared, 1 unchanged
would newly deny: 2 requests from 1 identity
  user:ann@example.com  2  wiki/read
      e.g. GET wiki.example.com/a
      e.g. GET wiki.example.com/b
would newly allow: 1 request from 1 identity
  workload:spiffe://td/ns/shop/sa/checkout  1  payments/refund
      e.g. POST payments.example.com/v1/refund`);
    expect(r.status).toBe(0);
  });

  it("defaults to the candidate of the latest line that has one", async () => {
    const r = await run("report", LOG);
    expect(r.out.split("\n")[0]).toBe("shadow cccccccccccc against active aaaaaaaaaaaa: 1 decision compared, 0 unchanged");
    expect(r.out).toContain("  user:bob@example.com  1  wiki/read");
  });

  it("--format json gives the same figures as an object", async () => {
    const r = await run("report", LOG, "--version", "b".repeat(64), "--format", "json");
    const report = JSON.parse(r.out) as { compared: number; newlyDenied: { requests: number; identities: { principal: string }[] }; newlyAllowed: { requests: number } };
    expect(report.compared).toBe(4);
    expect(report.newlyDenied.requests).toBe(2);
    expect(report.newlyDenied.identities.map((i) => i.principal)).toEqual(["user:ann@example.com"]);
    expect(report.newlyAllowed.requests).toBe(1);
  });

  it("says so when no line carries a shadow decision", async () => {
    const r = await run("report", resolve(import.meta.dirname, "../fixtures/logs/shadow.jsonl"), "--version", "d".repeat(64));
    expect(r.out.split("\n")[0]).toBe("shadow dddddddddddd against active (none): 0 decisions compared, 0 unchanged");
  });

  it.each<[string, string[], number, string]>([
    ["a missing log", ["report", "/nonexistent/decisions.jsonl"], 1, "cannot read /nonexistent/decisions.jsonl: no such file (ENOENT)"],
    ["no log", ["report"], 2, "name at least one decision log"],
    ["an unknown format", ["report", LOG, "--format", "xml"], 2, "--format xml: expected text or json"],
    ["an unknown action", ["start"], 2, "expected set, clear, promote or report"],
  ])("%s: a clear message and its exit status", async (_name, args, status, message) => {
    const r = await run(...args);
    expect(r.err).toContain(message);
    expect(r.status).toBe(status);
  });
});
