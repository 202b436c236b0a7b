// `ward shadow report` on a hand-written decision log: exact output, the candidate chosen, wrapped and
// foreign lines, and the errors.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
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
    expect(r.out.split("\n")[0]).toBe(
      "shadow cccccccccccc against active aaaaaaaaaaaa: 1 decision compared, 0 unchanged",
    );
    expect(r.out).toContain("  user:bob@example.com  1  wiki/read");
  });

  it("--format json gives the same figures as an object", async () => {
    const r = await run("report", LOG, "--version", "b".repeat(64), "--format", "json");
    const report = JSON.parse(r.out) as {
      compared: number;
      newlyDenied: { requests: number; identities: { principal: string }[] };
      newlyAllowed: { requests: number };
    };
    expect(report.compared).toBe(4);
    expect(report.newlyDenied.requests).toBe(2);
    expect(report.newlyDenied.identities.map((i) => i.principal)).toEqual(["user:ann@example.com"]);
    expect(report.newlyAllowed.requests).toBe(1);
  });

  it("fails when no line carries the candidate named (exit 1), rather than report no change", async () => {
    const r = await run("report", LOG, "--version", "d".repeat(64));
    expect(r.err).toBe(`no decision in these logs has the shadow candidate ${"d".repeat(64)}: nothing to report`);
    expect(r.status).toBe(1);
  });

  it("takes the candidate as the report prints it: its first 12 (or 8+) hex digits", async () => {
    const full = await run("report", LOG, "--version", "b".repeat(64));
    expect((await run("report", LOG, "--version", "bbbbbbbbbbbb")).out).toBe(full.out);
    expect((await run("report", LOG, "--version", "bbbb")).status).toBe(2);
  });

  describe("with decisions of its own making", () => {
    const dir = mkdtempSync(join(tmpdir(), "ward-shadow-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const line = (over: Record<string, unknown>) =>
      JSON.stringify({
        level: "info",
        event: "decision",
        time: "2026-11-23T10:00:00.000Z",
        requestId: `r-${Math.random()}`,
        principal: "user:ann@example.com",
        method: "POST",
        host: "pay.example.com",
        path: "/refund",
        service: "pay",
        route: "pay/refund",
        rule: null,
        effect: "allow",
        mode: "enforce",
        reasons: ["allowed-by-rule"],
        status: 200,
        policyVersion: "a".repeat(64),
        shadow: {
          version: "e".repeat(64),
          effect: "deny",
          status: 403,
          route: "pay/refund",
          rule: null,
          reasons: ["no-matching-rule"],
        },
        ...over,
      });
    const file = (name: string, lines: string[]) => {
      const path = join(dir, name);
      writeFileSync(path, `${lines.join("\n")}\n`);
      return path;
    };

    it("counts the requests each deny rule on trial (mode: audit) would have refused, with or without a candidate", async () => {
      const trial = (principal: string, path: string) =>
        line({
          principal,
          path,
          rule: "pay/refund/staff",
          reasons: ["allowed-by-rule", "audit-would-deny"],
          wouldDeny: { status: 403, reasons: ["denied-by-rule"], rule: "pay/all/no-eve" },
          shadow: undefined,
        });
      const log = file("trial.jsonl", [
        trial("user:eve@example.com", "/refund"),
        trial("user:eve@example.com", "/refund/2"),
        // A grant holder: a grant never overrides a deny rule, so enforced the rule refuses this request too.
        line({
          principal: "user:mal@example.com",
          path: "/refund",
          reasons: ["allowed-by-exception", "audit-would-deny"],
          exception: { id: "exc-1", kind: "exception" },
          wouldDeny: { status: 403, reasons: ["denied-by-rule"], rule: "pay/all/no-eve" },
          shadow: undefined,
        }),
        // A service in audit mode: what enforce mode would answer, not a rule on trial.
        line({
          reasons: ["audit-would-deny", "denied-by-rule"],
          wouldDeny: { status: 403, reasons: ["denied-by-rule"], rule: "pay/all/no-eve" },
          shadow: undefined,
        }),
        line({ shadow: undefined }),
      ]);
      const r = await run("report", log);
      expect(r.out).toBe(`no decisions with a shadow candidate in these logs (set one with ward shadow set)
deny rule pay/all/no-eve (mode: audit) would deny: 3 requests from 2 identities
  user:eve@example.com  2  pay/refund
      e.g. POST pay.example.com/refund
      e.g. POST pay.example.com/refund/2
  user:mal@example.com  1  pay/refund
      e.g. POST pay.example.com/refund`);
      const json = JSON.parse((await run("report", log, "--format", "json")).out) as {
        rulesOnTrial: { rule: string; requests: number }[];
      };
      expect(json.rulesOnTrial.map((t) => [t.rule, t.requests])).toEqual([["pay/all/no-eve", 3]]);
    });

    it("does not compare what a grant or the denylist decided: a promote would not change it", async () => {
      const log = file("outside.jsonl", [
        line({ reasons: ["allowed-by-exception"], exception: { id: "exc-1", kind: "exception" } }),
        line({
          effect: "deny",
          status: 403,
          reasons: ["quarantined"],
          shadow: {
            version: "e".repeat(64),
            effect: "allow",
            status: 200,
            route: "pay/refund",
            rule: "pay/refund/x",
            reasons: ["allowed-by-rule"],
          },
        }),
        line({}),
      ]);
      const r = await run("report", log);
      expect(r.out.split("\n")[0]).toBe(
        "shadow eeeeeeeeeeee against active aaaaaaaaaaaa: 1 decision compared, 0 unchanged (2 decided by a grant or the denylist, not compared)",
      );
      expect(r.out).toContain("would newly deny: 1 request from 1 identity");
      expect(r.out).toContain("would newly allow: 0 requests from 0 identities");
    });

    it("defaults to the candidate of the latest decision by time, whatever the order of the logs", async () => {
      const newer = file("newer.jsonl", [
        line({
          time: "2026-11-24T10:00:00.000Z",
          shadow: {
            version: "f".repeat(64),
            effect: "allow",
            status: 200,
            route: "pay/refund",
            rule: "r",
            reasons: [],
          },
        }),
      ]);
      const older = file("older.jsonl", [line({})]);
      expect((await run("report", newer, older)).out.split("\n")[0]).toMatch(/^shadow ffffffffffff /);
      expect((await run("report", older, newer)).out.split("\n")[0]).toMatch(/^shadow ffffffffffff /);
    });
  });

  it.each<[string, string[], number, string]>([
    [
      "a missing log",
      ["report", "/nonexistent/decisions.jsonl"],
      1,
      "cannot read /nonexistent/decisions.jsonl: no such file (ENOENT)",
    ],
    ["no log", ["report"], 2, "name at least one decision log"],
    ["an unknown format", ["report", LOG, "--format", "xml"], 2, "--format xml: expected text or json"],
    ["an unknown action", ["start"], 2, "expected set, clear, promote or report"],
    [
      "--candidate outside promote",
      ["clear", "--local", "--candidate", "deadbeef"],
      2,
      "--candidate is for ward shadow promote",
    ],
  ])("%s: a clear message and its exit status", async (_name, args, status, message) => {
    const r = await run(...args);
    expect(r.err).toContain(message);
    expect(r.status).toBe(status);
  });
});
