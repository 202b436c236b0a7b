// `ward metrics` on hand-written decision logs (Logpush and Workers Logs wrappers, foreign events, text,
// broken JSON, old-format lines): exact figures, the baseline rules, the time filter and the errors.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { CliError } from "../../scripts/cli-error.ts";
import { metricsCommand } from "../../scripts/commands/metrics.ts";
import { computeMetrics } from "../../scripts/metrics/aggregate.ts";
import { columns } from "../../scripts/metrics/format.ts";
import type { DecisionLine } from "../../policy/index.ts";
import { decisionsInLine, parseDecisionLog } from "../../scripts/logs/parse.ts";

const LOGS = resolve(import.meta.dirname, "../fixtures/logs");
const LOG = `${LOGS}/decisions.jsonl`;
const WRAPPED = `${LOGS}/wrapped.jsonl`;
const BASELINE = `${LOGS}/baseline.jsonl`;

async function run(args: string[], stdin?: string): Promise<{ status: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
  const readStdin = async () => {
    if (stdin === undefined) throw new Error("this test gives no standard input");
    return stdin;
  };
  try {
    const status = await metricsCommand(args, io, readStdin);
    return { status, out: out.join("\n"), err: err.join("\n") };
  } catch (error) {
    if (error instanceof CliError) return { status: error.exitCode, out: out.join("\n"), err: error.message };
    throw error;
  }
}

interface Json {
  window: unknown;
  totals: unknown;
  denied: { unauthenticated: number; unavailable: number; byIdentity: unknown[]; byTarget: unknown[] };
  exceptions: unknown[];
  credentialLifetimes: unknown[];
  credentialLifetimesByIssuer: unknown[];
  credentialLifetimesByIdentity: unknown[];
  newCallPaths: {
    baseline: string;
    splitAt: string | null;
    baselineDecisions: number;
    paths: { key: string; count: number }[];
  };
}

const json = async (args: string[]): Promise<Json> => {
  const r = await run([...args, "--format", "json"]);
  expect(r.status).toBe(0);
  return JSON.parse(r.out) as Json;
};

describe("ward metrics: the report", () => {
  it("text: every figure of a log, with the first half of the window as the baseline", async () => {
    const r = await run([LOG, "--now", "2026-11-23T12:00:00Z"]);
    expect(r.out).toBe(`window      2026-11-23T10:00:00.000Z .. 2026-11-23T10:10:00.000Z
now         2026-11-23T12:00:00.000Z

totals:
  decisions  allowed  denied  audit would-deny  lines skipped  duplicates dropped
         11        6       5                 1              2                   0

denied attempts by identity (not listed: 1 unauthenticated request from anonymous callers):
  count  identity
      2  workload:spiffe://td/ns/shop/sa/checkout
      1  token:ci.access
      1  user:old@example.com

denied attempts by target:
  count  target
      2  orders/admin
      1  api.example.com/x (no route)
      1  wiki/read

exceptions used:
  id     uses   age  left  first use                 last use
  exc-7     2  1.1d   22h  2026-11-23T10:05:00.000Z  2026-11-23T10:10:00.000Z

credential lifetimes seen (as issued, over distinct credentials):
  kind                requests  credentials  median  max
  access-jwt                 7            4      8h   1d
  client-certificate         2            2     90d  90d

credential lifetimes by issuer:
  kind                issuer  requests  credentials  median  max
  access-jwt          -              7            4      8h   1d
  client-certificate  -              2            2     90d  90d

credential lifetimes by identity (the credential behind each decision):
  identity                                  requests  credentials  median  max
  user:ann@example.com                             4            1      8h   8h
  workload:spiffe://td/ns/shop/sa/checkout         2            2     90d  90d
  token:ci.access                                  1            1      1d   1d
  user:bob@example.com                             1            1      1h   1h
  user:eve@example.com                             1            1      8h   8h

new call paths (allowed identity -> route; baseline: the 5 decisions before the midpoint 2026-11-23T10:05:00.000Z):
  count  call path
      2  user:ann@example.com -> wiki/edit
      1  user:bob@example.com -> wiki/read
      1  user:eve@example.com -> grafana/ui`);
    expect(r.err).toBe("");
    expect(r.status).toBe(0);
  });

  it("json: the same figures as an object, keys in a stable order", async () => {
    const r = await run([WRAPPED, "--format", "json"]);
    expect(r.status).toBe(0);
    expect(r.out).toBe(
      JSON.stringify(
        {
          window: { from: "2026-11-24T08:00:00.000Z", to: "2026-11-24T08:30:00.000Z", now: "2026-11-24T08:30:00.000Z" },
          totals: { decisions: 9, allowed: 5, denied: 4, auditWouldDeny: 1, linesSkipped: 5, duplicatesDropped: 0 },
          denied: {
            unauthenticated: 1,
            unavailable: 0,
            byIdentity: [
              { key: "spiffe://td/ns/ci/sa/runner", count: 2 },
              { key: "user:dave@example.com", count: 1 },
            ],
            byTarget: [
              { key: "payments (no route)", count: 1 },
              { key: "payments.example.com/internal/keys (no route)", count: 1 },
              { key: "payments/refund", count: 1 },
            ],
          },
          exceptions: [
            // Age from notBefore (2026-11-20) to now (the latest time, 08:30); notAfter was 08:20.
            {
              id: "exc-3",
              uses: 2,
              firstUse: "2026-11-24T08:15:00.000Z",
              lastUse: "2026-11-24T08:30:00.000Z",
              ageSeconds: 4 * 86400 + 8.5 * 3600,
              secondsLeft: -600,
            },
          ],
          credentialLifetimes: [
            { kind: "access-jwt", count: 2, credentials: 2, medianSeconds: 5400, maxSeconds: 7200 },
            { kind: "client-certificate", count: 2, credentials: 2, medianSeconds: 86400, maxSeconds: 86400 },
          ],
          // Lines of a Ward before issuers were logged: every credential under its kind alone.
          credentialLifetimesByIssuer: [
            { kind: "access-jwt", issuer: null, count: 2, credentials: 2, medianSeconds: 5400, maxSeconds: 7200 },
            {
              kind: "client-certificate",
              issuer: null,
              count: 2,
              credentials: 2,
              medianSeconds: 86400,
              maxSeconds: 86400,
            },
          ],
          credentialLifetimesByIdentity: [
            {
              identity: "spiffe://td/ns/ci/sa/runner",
              count: 2,
              credentials: 2,
              medianSeconds: 86400,
              maxSeconds: 86400,
            },
            { identity: "user:carol@example.com", count: 2, credentials: 2, medianSeconds: 5400, maxSeconds: 7200 },
          ],
          newCallPaths: {
            baseline: "first half of the window",
            splitAt: "2026-11-24T08:15:00.000Z",
            baselineDecisions: 3,
            baselineDuplicatesDropped: 0,
            paths: [
              { key: "token:CLIENT42 -> orders/list", count: 2 },
              { key: "user:carol@example.com -> wiki/edit", count: 1 },
            ],
          },
        },
        null,
        2,
      ),
    );
  });

  it("text: an expired exception, a half-hour median, no new paths", async () => {
    const r = await run([WRAPPED, "--baseline", WRAPPED]);
    const lines = r.out.split("\n");
    expect(lines.slice(lines.indexOf("exceptions used:"))).toEqual([
      "exceptions used:",
      "  id     uses   age             left  first use                 last use",
      "  exc-3     2  4.4d  expired 10m ago  2026-11-24T08:15:00.000Z  2026-11-24T08:30:00.000Z",
      "",
      "credential lifetimes seen (as issued, over distinct credentials):",
      "  kind                requests  credentials  median  max",
      "  access-jwt                 2            2    1.5h   2h",
      "  client-certificate         2            2      1d   1d",
      "",
      "credential lifetimes by issuer:",
      "  kind                issuer  requests  credentials  median  max",
      "  access-jwt          -              2            2    1.5h   2h",
      "  client-certificate  -              2            2      1d   1d",
      "",
      "credential lifetimes by identity (the credential behind each decision):",
      "  identity                     requests  credentials  median  max",
      "  spiffe://td/ns/ci/sa/runner         2            2      1d   1d",
      "  user:carol@example.com              2            2    1.5h   2h",
      "",
      "new call paths (allowed identity -> route; baseline: the 9 decisions of the --baseline log):",
      "  (none)",
    ]);
  });

  it("text: a table of more rows than the stack holds arguments (a day of a scanner's distinct paths)", () => {
    // From a review: `ward metrics --top 1000000` over 150,000 denied targets threw RangeError and printed nothing.
    const rows = Array.from({ length: 250_000 }, (_, i) => [`scan.example.com/p${i} (no route)`, String(i)]);
    const lines = columns(["target", "denied"], ["left", "right"], rows);
    expect(lines).toHaveLength(250_001);
    expect(lines[250_000]).toBe("  scan.example.com/p249999 (no route)  249999");
  });

  it("--top limits every ranked list", async () => {
    const m = await json([LOG, "--top", "1"]);
    expect(m.denied.byIdentity).toEqual([{ key: "workload:spiffe://td/ns/shop/sa/checkout", count: 2 }]);
    expect(m.denied.byTarget).toEqual([{ key: "orders/admin", count: 2 }]);
    expect(m.newCallPaths.paths).toEqual([{ key: "user:ann@example.com -> wiki/edit", count: 2 }]);
  });
});

describe("ward metrics: new call paths", () => {
  it("with --baseline, paths the baseline log has are not new and the whole window is compared", async () => {
    const m = await json([LOG, "--baseline", BASELINE]);
    expect(m.newCallPaths).toEqual({
      baseline: "file",
      splitAt: null,
      baselineDecisions: 2,
      baselineDuplicatesDropped: 0,
      // ann -> wiki/read and bob -> wiki/read are in the baseline; ann -> wiki/edit counts both uses,
      // including the one in the first half that the midpoint rule would have taken as baseline.
      paths: [
        { key: "user:ann@example.com -> wiki/edit", count: 2 },
        { key: "user:eve@example.com -> grafana/ui", count: 1 },
      ],
    });
  });

  it("without --baseline, the window splits at the midpoint of its time range; lines without a time are in neither half", async () => {
    const m = await json([WRAPPED]);
    // carol -> wiki/read (08:00) is before the 08:15 midpoint: baseline. dave -> wiki/read has no time.
    expect(m.newCallPaths.splitAt).toBe("2026-11-24T08:15:00.000Z");
    expect(m.newCallPaths.baselineDecisions).toBe(3);
    expect(m.newCallPaths.paths.map((p) => p.key)).toEqual([
      "token:CLIENT42 -> orders/list",
      "user:carol@example.com -> wiki/edit",
    ]);
  });

  it("the midpoint follows --since/--until: a later window has its own first half", async () => {
    const m = await json([WRAPPED, "--since", "2026-11-24T08:10:00Z"]);
    // Window 08:10 .. 08:30, midpoint 08:20: baseline is C (denied) and D (CLIENT42 -> orders/list).
    expect(m.newCallPaths).toEqual({
      baseline: "first half of the window",
      splitAt: "2026-11-24T08:20:00.000Z",
      baselineDecisions: 2,
      baselineDuplicatesDropped: 0,
      paths: [{ key: "user:carol@example.com -> wiki/edit", count: 1 }],
    });
  });
});

describe("ward metrics: no baseline", () => {
  const allowed = (requestId: string, time: string, principal: string) =>
    JSON.stringify({
      level: "info",
      event: "decision",
      time,
      requestId,
      principal,
      route: "wiki/read",
      effect: "allow",
      reasons: ["allowed-by-rule"],
      status: 200,
    });

  it.each([
    ["one line", allowed("a", "2026-11-24T08:00:00.000Z", "user:ann@example.com")],
    [
      "every line at one instant",
      [
        allowed("a", "2026-11-24T08:00:00.000Z", "user:ann@example.com"),
        allowed("b", "2026-11-24T08:00:00.000Z", "user:bob@example.com"),
      ].join("\n"),
    ],
  ])("%s: the first half is empty, so no path is called new", async (_name, log) => {
    const json = JSON.parse((await run(["-", "--format", "json"], log)).out) as Json;
    expect(json.newCallPaths).toEqual({
      baseline: "first half of the window",
      splitAt: "2026-11-24T08:00:00.000Z",
      baselineDecisions: 0,
      baselineDuplicatesDropped: 0,
      paths: null,
    });
    const text = (await run(["-"], log)).out.split("\n");
    expect(text.at(-1)).toBe(
      "new call paths (allowed identity -> route): no baseline: no decision before the midpoint 2026-11-24T08:00:00.000Z (one line, or all at one instant); pass an earlier log as --baseline",
    );
  });

  it("prints a logged field holding a line break as one line (an older Ward's, an edited log)", async () => {
    const log = JSON.stringify({
      level: "info",
      event: "decision",
      time: "2026-11-24T08:00:00.000Z",
      requestId: "a",
      principal: "user:ann@example.com\nexceptions used:",
      route: "wiki/read",
      effect: "deny",
      reasons: ["no-matching-rule"],
      status: 403,
    });
    const text = (await run(["-"], log)).out.split("\n");
    expect(text.filter((line) => line === "exceptions used:")).toHaveLength(1);
    expect(text).toContain("      1  user:ann@example.com\\u000aexceptions used:");
  });

  it("a --baseline log with no decision in it is no baseline either", async () => {
    const r = await run([LOG, "--baseline", "-"], "not a decision\n");
    expect(r.out.split("\n").at(-1)).toBe(
      "new call paths (allowed identity -> route): no baseline: the --baseline log holds no decisions",
    );
  });
});

describe("ward metrics: time window", () => {
  it("keeps only decisions inside [--since, --until); lines without a time drop out; ages run to the latest kept time", async () => {
    const m = await json([LOG, "--since", "2026-11-23T10:02:00Z", "--until", "2026-11-23T10:06:00Z"]);
    expect(m.window).toEqual({
      from: "2026-11-23T10:02:00.000Z",
      to: "2026-11-23T10:05:00.000Z",
      now: "2026-11-23T10:05:00.000Z",
    });
    // 10:02, 10:03, 10:04 (denied) and 10:05 (allowed); 10:06 is the excluded bound; the old line has no time.
    expect(m.totals).toEqual({
      decisions: 4,
      allowed: 1,
      denied: 3,
      auditWouldDeny: 0,
      linesSkipped: 2,
      duplicatesDropped: 0,
    });
    expect(m.exceptions).toEqual([
      {
        id: "exc-7",
        uses: 1,
        firstUse: "2026-11-23T10:05:00.000Z",
        lastUse: "2026-11-23T10:05:00.000Z",
        ageSeconds: 24 * 3600 + 300,
        secondsLeft: 24 * 3600 - 300,
      },
    ]);
    expect(m.denied.byIdentity).toEqual([
      { key: "workload:spiffe://td/ns/shop/sa/checkout", count: 2 },
      { key: "token:ci.access", count: 1 },
    ]);
  });

  it("--now sets the clock for exception ages", async () => {
    const m = await json([WRAPPED, "--now", "2026-11-24T08:19:00Z"]);
    expect(m.window).toMatchObject({ now: "2026-11-24T08:19:00.000Z" });
    expect(m.exceptions).toMatchObject([{ id: "exc-3", ageSeconds: 4 * 86400 + 8 * 3600 + 19 * 60, secondsLeft: 60 }]);
  });
});

describe("ward metrics: reading logs", () => {
  it("finds decisions in every wrapper and counts every other non-empty line as skipped", async () => {
    const text = await readFile(WRAPPED, "utf8");
    const perLine = text.split("\n").map((line) => decisionsInLine(line).map((r) => r.requestId));
    expect(perLine).toEqual([
      ["a", "b"], // Logpush workers_trace_events: Logs[].Message[0], two console lines in one invocation
      ["c"], // Workers Logs: `source` and `$metadata.message` hold the same decision: counted once
      ["d"], // message: "<json>"
      ["e"], // Message: "<json>"
      ["f"], // message: ["<json>"] (one argument: a call of several is no line of Ward's)
      ["g"], // logs[].message[0]
      [], // another event, wrapped
      [], // text
      [], // a message that is not JSON
      [], // a truncated line
      [], // blank: not counted as skipped
      ["old-1"], // old format: no time, host, path, credential, exception
      ["old-2"],
      [], // JSON that is no object
      [], // the final newline
    ]);
    expect(parseDecisionLog(text)).toMatchObject({ skipped: 5 });
  });

  it("reads standard input for -, and adds up several logs", async () => {
    const stdin = await readFile(WRAPPED, "utf8");
    const m = await run(["-", LOG, "--format", "json"], stdin);
    expect(JSON.parse(m.out).totals).toEqual({
      decisions: 20,
      allowed: 11,
      denied: 9,
      auditWouldDeny: 2,
      linesSkipped: 7,
      duplicatesDropped: 0,
    });
  });

  it("old-format lines count in totals and denials but never crash a figure that needs a missing field", () => {
    // Only what every line has carried: no time, target, credential, nor the exception's bounds.
    const old: DecisionLine = {
      level: "info",
      event: "decision",
      requestId: "old-1",
      principal: "user:x",
      effect: "deny",
      reasons: [],
      status: 403,
      exception: { id: "exc-1" },
    };
    const bare: DecisionLine = {
      level: "info",
      event: "decision",
      requestId: "old-2",
      effect: null,
      reasons: [],
      status: 200,
    };
    const m = computeMetrics([old, bare], { top: 10, linesSkipped: 0 });
    expect(m).toEqual({
      window: { from: null, to: null, now: null },
      totals: { decisions: 2, allowed: 0, denied: 1, auditWouldDeny: 0, linesSkipped: 0, duplicatesDropped: 0 },
      denied: {
        unauthenticated: 0,
        unavailable: 0,
        byIdentity: [{ key: "user:x", count: 1 }],
        byTarget: [{ key: "(unknown target)", count: 1 }],
      },
      exceptions: [{ id: "exc-1", uses: 1, firstUse: null, lastUse: null, ageSeconds: null, secondsLeft: null }],
      credentialLifetimes: [],
      credentialLifetimesByIssuer: [],
      credentialLifetimesByIdentity: [],
      newCallPaths: {
        baseline: "first half of the window",
        splitAt: null,
        baselineDecisions: 0,
        baselineDuplicatesDropped: 0,
        paths: null,
      },
    });
  });

  it("counts a deny rule on trial (mode: audit on the rule, service enforced) as an audit would-deny", () => {
    const line = (over: Partial<DecisionLine>): DecisionLine => ({
      level: "info",
      event: "decision",
      requestId: `r-${over.principal}`,
      principal: "user:eve@example.com",
      effect: "allow",
      mode: "enforce",
      reasons: ["allowed-by-rule"],
      status: 200,
      ...over,
    });
    const m = computeMetrics(
      [
        line({
          reasons: ["allowed-by-rule", "audit-would-deny"],
          wouldDeny: { status: 403, reasons: ["denied-by-rule"], rule: "pay/all/no-eve" },
        }),
        line({ principal: "user:ann@example.com" }),
      ],
      { top: 10, linesSkipped: 0 },
    );
    expect(m.totals).toEqual({
      decisions: 2,
      allowed: 2,
      denied: 0,
      auditWouldDeny: 1,
      linesSkipped: 0,
      duplicatesDropped: 0,
    });
  });

  it("reads a `credentials` list beside `credential`, and never counts a lifetime that is not a number", () => {
    const r = (credential: unknown, credentials?: unknown) =>
      JSON.stringify({
        level: "info",
        event: "decision",
        requestId: `r-${Math.random()}`,
        effect: "allow",
        reasons: [],
        status: 200,
        credential,
        credentials,
      });
    const { records, skipped } = parseDecisionLog(
      [
        r({ kind: "access-jwt", lifetimeSeconds: 600 }),
        r(null, [
          { kind: "client-certificate", lifetimeSeconds: 3600 },
          { kind: "access-jwt", lifetimeSeconds: 1200 },
        ]),
        // Not the shape Ward writes: the line is no decision, skipped rather than half read.
        r({ kind: "access-jwt", lifetimeSeconds: "long" }),
        r(null, "not a list"),
      ].join("\n"),
    );
    expect(skipped).toBe(2);
    const m = computeMetrics(records, { top: 10, linesSkipped: skipped });
    expect(m.credentialLifetimes).toEqual([
      // No time or remainingSeconds logged: each decision's credential counts as one of its own.
      { kind: "access-jwt", count: 2, credentials: 2, medianSeconds: 900, maxSeconds: 1200 },
      { kind: "client-certificate", count: 1, credentials: 1, medianSeconds: 3600, maxSeconds: 3600 },
    ]);
  });

  it("a day of traffic: more decisions than a function takes arguments", () => {
    const records = Array.from(
      { length: 300_000 },
      (_, i): DecisionLine => ({
        level: "info",
        event: "decision",
        time: new Date(Date.UTC(2026, 10, 23) + i * 250).toISOString(),
        requestId: `r-${i}`,
        principal: `user:u${i % 7}@example.com`,
        route: "wiki/read",
        effect: "allow",
        reasons: ["allowed-by-rule"],
        status: 200,
        // Each user's token of each lifetime lasts until the next hour: one credential per hour of each.
        credential: {
          kind: "access-jwt",
          lifetimeSeconds: 3600 + (i % 3),
          remainingSeconds: 3600 - (Math.floor((Date.UTC(2026, 10, 23) + i * 250) / 1000) % 3600),
        },
      }),
    );
    const m = computeMetrics(records, { top: 10, linesSkipped: 0 });
    expect(m.window).toEqual({
      from: "2026-11-23T00:00:00.000Z",
      to: "2026-11-23T20:49:59.750Z",
      now: "2026-11-23T20:49:59.750Z",
    });
    expect(m.credentialLifetimes).toEqual([
      // 21 users-and-lifetimes (i mod 21) in each of 21 hours: 441 tokens.
      { kind: "access-jwt", count: 300_000, credentials: 441, medianSeconds: 3601, maxSeconds: 3602 },
    ]);
    expect(m.newCallPaths.paths).toEqual([]);
  });
});

describe("ward metrics: a request read twice counts once", () => {
  it("the same log named twice: every figure as read once, and the duplicates dropped said", async () => {
    const once = await json([LOG]);
    const twice = await json([LOG, LOG]);
    expect(twice).toEqual({ ...once, totals: { ...(once.totals as object), linesSkipped: 4, duplicatesDropped: 11 } });
  });

  it("a bare line and the same line in a Workers Logs record: one decision, the first kept", async () => {
    const decision = {
      level: "info",
      event: "decision",
      time: "2026-11-24T08:00:00.000Z",
      requestId: "same",
      principal: "user:ann@example.com",
      route: "wiki/read",
      effect: "deny",
      reasons: ["no-matching-rule"],
      status: 403,
    };
    const wrapped = {
      source: { ...decision, principal: "user:copy@example.com" },
      $metadata: { message: JSON.stringify({ ...decision, principal: "user:copy@example.com" }) },
    };
    const r = await run(["-", "--format", "json"], `${JSON.stringify(decision)}\n${JSON.stringify(wrapped)}\n`);
    const m = JSON.parse(r.out) as Json;
    expect(m.totals).toMatchObject({ decisions: 1, denied: 1, linesSkipped: 0, duplicatesDropped: 1 });
    expect(m.denied.byIdentity).toEqual([{ key: "user:ann@example.com", count: 1 }]);
    const text = await run(["-"], `${JSON.stringify(decision)}\n${JSON.stringify(wrapped)}\n`);
    expect(text.out).toContain(
      [
        "  decisions  allowed  denied  audit would-deny  lines skipped  duplicates dropped",
        "          1        0       1                 0              0                   1",
      ].join("\n"),
    );
  });

  it("--baseline: its decisions once each, and its duplicates said beside it", async () => {
    const baseline = await readFile(BASELINE, "utf8");
    const r = await run([LOG, "--baseline", "-", "--format", "json"], `${baseline}${baseline}`);
    expect((JSON.parse(r.out) as Json).newCallPaths).toMatchObject({
      baselineDecisions: 2,
      baselineDuplicatesDropped: 2,
    });
    const text = await run([LOG, "--baseline", "-"], `${baseline}${baseline}`);
    expect(text.out).toContain(
      "new call paths (allowed identity -> route; baseline: the 2 decisions of the --baseline log (2 duplicates dropped)):",
    );
  });
});

describe("ward metrics: errors", () => {
  it.each<[string, string[], number, string]>([
    ["a missing log", [`${LOGS}/missing.jsonl`], 1, `cannot read ${LOGS}/missing.jsonl: no such file (ENOENT)`],
    [
      "a missing baseline",
      [LOG, "--baseline", `${LOGS}/missing.jsonl`],
      1,
      `cannot read ${LOGS}/missing.jsonl: no such file (ENOENT)`,
    ],
    ["a directory", [LOGS], 1, `cannot read ${LOGS}: is a directory (EISDIR)`],
    ["no log", [], 2, "name at least one decision log"],
    ["a bad time", [LOG, "--since", "yesterday"], 2, "--since yesterday: expected an ISO 8601 instant"],
    [
      "an empty window",
      [LOG, "--since", "2026-11-23T11:00:00Z", "--until", "2026-11-23T10:00:00Z"],
      2,
      "--since 2026-11-23T11:00:00Z is not before --until 2026-11-23T10:00:00Z",
    ],
    ["a bad --top", [LOG, "--top", "0"], 2, "--top 0: expected a positive whole number"],
    ["a fractional --top", [LOG, "--top", "2.5"], 2, "--top 2.5: expected a positive whole number"],
    ["a bad --format", [LOG, "--format", "csv"], 2, "--format csv: expected text or json"],
    ["stdin twice", ["-", "--baseline", "-"], 2, "standard input (-) can be read once only"],
  ])("%s: a clear message and its exit status", async (_name, args, status, message) => {
    const r = await run(args);
    expect(r.err).toContain(message);
    expect(r.out).toBe("");
    expect(r.status).toBe(status);
  });

  it("an unknown option is a usage error (parseArgs), which ward.ts turns into exit 2", async () => {
    await expect(run([LOG, "--frobnicate"])).rejects.toMatchObject({ code: "ERR_PARSE_ARGS_UNKNOWN_OPTION" });
  });
});

describe("ward metrics: what is not anyone's attempt", () => {
  const decision = (over: Record<string, unknown>) =>
    JSON.stringify({
      level: "info",
      event: "decision",
      time: "2026-11-24T08:00:00.000Z",
      requestId: `r-${Math.random()}`,
      principal: "anonymous",
      method: "GET",
      host: "wiki.example.com",
      path: "/x",
      service: "wiki",
      route: "wiki/read",
      rule: null,
      effect: "deny",
      mode: "enforce",
      reasons: ["unauthenticated"],
      status: 401,
      policyVersion: "a".repeat(64),
      ...over,
    });
  const json = async (lines: string[], ...args: string[]) =>
    JSON.parse((await run(["-", "--format", "json", ...args], `${lines.join("\n")}\n`)).out) as Json;

  it("sets aside a browser's sign-in redirect (302) like a 401, and refusals while a store was unavailable", async () => {
    const m = await json([
      decision({ status: 302 }),
      decision({ reasons: ["policy-unavailable"], status: 503, service: null, route: null }),
      decision({ principal: "workload:spiffe://td/ns/ci/sa/runner", reasons: ["denylist-unavailable"], status: 503 }),
      decision({ principal: undefined, reasons: ["internal-error"], status: 500, service: null, route: null }),
      decision({ principal: "workload:spiffe://td/ns/ci/sa/runner", reasons: ["no-matching-rule"], status: 403 }),
    ]);
    expect(m.denied).toMatchObject({
      unauthenticated: 1,
      unavailable: 3,
      byIdentity: [{ key: "workload:spiffe://td/ns/ci/sa/runner", count: 1 }],
    });
  });

  it("counts the answers of Ward's own paths (no effect) as requests, neither allowed nor denied", async () => {
    const m = await json([
      decision({ effect: null, reasons: ["ward-key-set"], status: 200, service: undefined, route: undefined }),
      decision({ effect: null, reasons: ["ward-portal"], status: 401, service: undefined, route: undefined }),
    ]);
    expect(m.totals).toMatchObject({ decisions: 2, allowed: 0, denied: 0 });
    expect(m.denied).toMatchObject({ unauthenticated: 0, unavailable: 0, byIdentity: [], byTarget: [] });
  });

  it("reads a gzipped log (as Logpush writes them), and says so when a .gz file is not gzip", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ward-metrics-"));
    try {
      const gz = join(dir, "decisions.log.gz");
      writeFileSync(
        gz,
        gzipSync(`${decision({ principal: "user:ann@example.com", reasons: ["no-matching-rule"], status: 403 })}\n`),
      );
      const m = JSON.parse((await run([gz, "--format", "json"])).out) as Json;
      expect(m.denied.byIdentity).toEqual([{ key: "user:ann@example.com", count: 1 }]);
      const fake = join(dir, "plain.log.gz");
      writeFileSync(fake, "not gzip\n");
      const refused = await run([fake]);
      expect(refused.err).toBe(`cannot read ${fake}: not gzip data, or cut short`);
      expect(refused.status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a --since or --until date-time without an offset, which would be read in local time", async () => {
    const r = await run(["-", "--since", "2026-11-24T08:00:01"], `${decision({})}\n`);
    expect(r.err).toBe("--since 2026-11-24T08:00:01: give the offset (Z for UTC, or +01:00)");
    expect(r.status).toBe(2);
    expect((await run(["-", "--since", "2026-11-24T08:00:01Z"], `${decision({})}\n`)).status).toBe(0);
    expect((await run(["-", "--until", "2026-11-25"], `${decision({})}\n`)).status).toBe(0);
  });
});

describe("ward metrics: credential lifetimes by issuer and identity", () => {
  const line = (principal: string, credential: DecisionLine["credential"]): DecisionLine => ({
    level: "info",
    event: "decision",
    requestId: `r-${principal}`,
    principal,
    effect: "allow",
    mode: "enforce",
    reasons: ["allowed-by-rule"],
    status: 200,
    credential,
  });
  const SPIRE = "https://spire.prod.example.com";
  const GITHUB = "https://token.actions.githubusercontent.com";

  it("counts a token once however often used, past its exp within the skew too", () => {
    const exp = Date.UTC(2026, 10, 24, 9) / 1000;
    // The same token at 10 s before its exp and 5, 12 and 29 s after (the Worker logs exp minus the second).
    const uses = [-10, 5, 12, 29].map(
      (offset, i): DecisionLine => ({
        ...line("user:ann@example.com", { kind: "access-jwt", lifetimeSeconds: 3600, remainingSeconds: -offset }),
        requestId: `r-${i}`,
        time: new Date((exp + offset) * 1000 + 250).toISOString(),
      }),
    );
    // Another token of hers, the hour before.
    const earlier: DecisionLine = {
      ...line("user:ann@example.com", { kind: "access-jwt", lifetimeSeconds: 3600, remainingSeconds: 3000 }),
      requestId: "r-earlier",
      time: new Date((exp - 3600 - 3000) * 1000).toISOString(),
    };
    const m = computeMetrics([...uses, earlier], { top: 5, linesSkipped: 0 });
    expect(m.credentialLifetimes).toEqual([
      { kind: "access-jwt", count: 5, credentials: 2, medianSeconds: 3600, maxSeconds: 3600 },
    ]);
  });

  it("gives the median TTL per issuer (certificates under their kind) and per identity", () => {
    const m = computeMetrics(
      [
        line("workload:spiffe://td/a", { kind: "workload-token", lifetimeSeconds: 300, issuer: SPIRE }),
        line("workload:spiffe://td/a", {
          kind: "workload-token",
          lifetimeSeconds: 300,
          remainingSeconds: 10,
          issuer: SPIRE,
        }),
        line("workload:spiffe://td/b", { kind: "workload-token", lifetimeSeconds: 120, issuer: SPIRE }),
        line("subject:github-actions/repo:acme/x:ref:refs/heads/main", {
          kind: "workload-token",
          lifetimeSeconds: 300,
          issuer: GITHUB,
        }),
        line("workload:spiffe://td/b", { kind: "client-certificate", lifetimeSeconds: 86400 }),
      ],
      { top: 2, linesSkipped: 0 },
    );
    expect(m.credentialLifetimesByIssuer).toEqual([
      { kind: "client-certificate", issuer: null, count: 1, credentials: 1, medianSeconds: 86400, maxSeconds: 86400 },
      { kind: "workload-token", issuer: SPIRE, count: 3, credentials: 3, medianSeconds: 300, maxSeconds: 300 },
      { kind: "workload-token", issuer: GITHUB, count: 1, credentials: 1, medianSeconds: 300, maxSeconds: 300 },
    ]);
    // Top 2 identities by decisions; b's median mixes its token and its certificate, as its decisions did.
    expect(m.credentialLifetimesByIdentity).toEqual([
      { identity: "workload:spiffe://td/a", count: 2, credentials: 2, medianSeconds: 300, maxSeconds: 300 },
      { identity: "workload:spiffe://td/b", count: 2, credentials: 2, medianSeconds: 43260, maxSeconds: 86400 },
    ]);
  });
});
