// The decision-log line is one contract: what the Worker's builders write, parseDecisionLine reads back
// whole; anything else (other events, broken JSON, a known field of the wrong type) is no decision line; and
// a newer Ward's line (fields, reasons, problems this Ward does not know) is still read.
import { describe, expect, it } from "vitest";
import {
  answerLine,
  decisionLine,
  isOwnPathReason,
  knownProblem,
  knownReasons,
  parseDecisionLine,
  type AnswerRecord,
  type Decision,
  type DecisionLine,
  type DecisionRecord,
} from "../../policy/index.ts";

const TIME = Date.parse("2026-11-23T10:00:00.000Z");
const VERSION = "ab".repeat(32);

const decision: Decision = {
  effect: "allow",
  status: 200,
  mode: "audit",
  reasons: ["allowed-by-exception"],
  service: "wiki",
  route: "wiki/edit",
  rule: "wiki/edit/editors",
  exception: {
    id: "exc-1",
    kind: "exception",
    notBefore: "2026-11-22T00:00:00.000Z",
    notAfter: "2026-11-24T00:00:00.000Z",
    maxUses: 5,
  },
  wouldDeny: { status: 403, reasons: ["no-matching-rule"], rule: "wiki/edit/deny-contractors" },
  principal: "user:ann@example.com",
  target: { method: "POST", host: "wiki.example.com", path: "/page", segments: ["page"] },
  obligations: { rateLimits: [], headers: {} },
  policyVersion: VERSION,
  trace: [{ rule: "wiki/edit/deny-contractors", effect: "deny", outcome: "applies", detail: [] }],
};

/** Every field the builder can write, set. */
const full: DecisionRecord = {
  requestId: "r-1",
  time: TIME,
  decision,
  request: { method: "POST", host: "wiki.example.com", path: "/page?x=1" },
  credential: { kind: "access-jwt", lifetimeSeconds: 86400 },
  shadow: {
    ...decision,
    effect: "deny",
    status: 403,
    reasons: ["no-matching-rule"],
    rule: undefined,
    policyVersion: "cd".repeat(32),
  },
  droppedHeaders: ["x-debug"],
  status: 200,
  latencyMs: 3,
};

const bad: Decision = {
  ...decision,
  effect: "deny",
  status: 400,
  reasons: ["bad-request"],
  problem: "path-dot-segment",
  service: undefined,
  route: undefined,
  rule: undefined,
  exception: undefined,
  wouldDeny: undefined,
  target: undefined,
  mode: "enforce",
};

const answers: AnswerRecord[] = [
  {
    requestId: "a-1",
    time: TIME,
    request: { method: "GET", host: "wiki.example.com", path: "/.ward/apps" },
    reason: "ward-portal",
    status: 200,
    latencyMs: 1,
    principal: "user:ann@example.com",
  },
  {
    requestId: "a-2",
    time: TIME,
    request: { method: "GET", host: "wiki.example.com", path: "/x" },
    reason: "internal-error",
    status: 500,
    latencyMs: 1,
    error: "Error: boom",
  },
  {
    requestId: "a-3",
    time: TIME,
    request: { method: "GET", host: "wiki.example.com", path: "/x" },
    reason: "policy-unavailable",
    status: 503,
    latencyMs: 0,
  },
];

/** As the Worker writes it: one JSON line (logEvent stringifies the line object). */
const written = (line: DecisionLine): string => JSON.stringify(line);

describe("what the Worker writes is read back whole", () => {
  it.each<[string, DecisionLine]>([
    ["a decision with every field", decisionLine(full)],
    [
      "a bad request without service, route or target",
      decisionLine({
        requestId: "r-2",
        time: TIME,
        decision: bad,
        request: { method: "GET", host: "wiki.example.com", path: "/a/../b" },
        status: 400,
        latencyMs: 1,
      }),
    ],
    ...answers.map((a): [string, DecisionLine] => [`an answer (${a.reason})`, answerLine(a)]),
  ])("%s", (_name, line) => {
    const text = written(line);
    // Nothing the builder wrote is dropped or changed by the reader (undefined fields are not written).
    expect(parseDecisionLine(text)).toEqual(JSON.parse(text));
  });

  it("writes the fields a line has, in one order, and none it has not", () => {
    const keys = (line: DecisionLine) => Object.keys(JSON.parse(written(line)));
    const always = ["level", "event", "time", "requestId", "principal", "method", "host", "path", "service", "route"];
    const plain = decisionLine({
      requestId: "r-4",
      time: TIME,
      decision: { ...bad, effect: "allow", status: 200, reasons: ["allowed-by-rule"], problem: undefined, trace: [] },
      request: { method: "GET", host: "wiki.example.com", path: "/page" },
      status: 200,
      latencyMs: 1,
    });
    expect(keys(plain)).toEqual([
      ...always,
      ...["rule", "effect", "mode", "reasons", "wouldDeny", "status", "policyVersion", "latencyMs"],
      ...["credential", "exception"],
    ]);
    expect(keys(decisionLine(full))).toEqual([
      ...always,
      ...["rule", "effect", "mode", "reasons", "wouldDeny", "trace", "status", "policyVersion", "latencyMs"],
      ...["credential", "exception", "droppedHeaders", "shadow"],
    ]);
  });

  it("a decided request answered 500 or more is logged at level error, to alert on; below, info", () => {
    const at = (status: number, reasons: Decision["reasons"]) =>
      decisionLine({
        requestId: "r-3",
        time: TIME,
        decision: { ...bad, effect: "deny", status, reasons },
        request: { method: "GET", host: "wiki.example.com", path: "/page" },
        status,
        latencyMs: 1,
      }).level;
    expect(at(503, ["denylist-unavailable"])).toBe("error");
    expect(at(502, ["allowed-by-rule"])).toBe("error");
    expect(at(504, ["allowed-by-rule"])).toBe("error");
    expect(at(499, ["no-matching-rule"])).toBe("info");
    expect(at(403, ["no-matching-rule"])).toBe("info");
  });

  it("the decision line names the target, the outcome and the shadow's decision, never the query", () => {
    expect(decisionLine(full)).toEqual({
      level: "info",
      event: "decision",
      time: "2026-11-23T10:00:00.000Z",
      requestId: "r-1",
      principal: "user:ann@example.com",
      method: "POST",
      host: "wiki.example.com",
      path: "/page",
      service: "wiki",
      route: "wiki/edit",
      rule: "wiki/edit/editors",
      effect: "allow",
      mode: "audit",
      reasons: ["allowed-by-exception"],
      wouldDeny: { status: 403, reasons: ["no-matching-rule"], rule: "wiki/edit/deny-contractors" },
      trace: [{ rule: "wiki/edit/deny-contractors", effect: "deny", outcome: "applies", detail: [] }],
      status: 200,
      policyVersion: VERSION,
      latencyMs: 3,
      credential: { kind: "access-jwt", lifetimeSeconds: 86400 },
      exception: decision.exception,
      droppedHeaders: ["x-debug"],
      shadow: {
        version: "cd".repeat(32),
        effect: "deny",
        status: 403,
        route: "wiki/edit",
        rule: null,
        reasons: ["no-matching-rule"],
      },
    });
  });

  it("answers: no effect on Ward's own paths, a denial otherwise, logged at error from 500", () => {
    const [portal, failed, unavailable] = answers.map(answerLine);
    expect(portal).toMatchObject({
      level: "info",
      effect: null,
      principal: "user:ann@example.com",
      reasons: ["ward-portal"],
    });
    expect(failed).toMatchObject({ level: "error", effect: "deny", error: "Error: boom", reasons: ["internal-error"] });
    expect(unavailable).toMatchObject({ level: "error", effect: "deny", status: 503 });
    expect(unavailable).not.toHaveProperty("principal");
  });
});

describe("the rules' trace", () => {
  it("is logged with a refusal or an audited would-be refusal, bounded; never with a plain allow", () => {
    const long = "x".repeat(1000);
    const trace = Array.from({ length: 40 }, (_, i) => ({
      rule: `wiki/edit/r${i}`,
      effect: "allow" as const,
      outcome: "principal-not-matched" as const,
      detail: Array.from({ length: 12 }, () => long),
    }));
    const denied = decisionLine({
      ...full,
      decision: {
        ...decision,
        effect: "deny",
        status: 403,
        reasons: ["no-matching-rule"],
        wouldDeny: undefined,
        trace,
      },
    });
    expect(denied.trace).toHaveLength(32);
    expect(denied.trace![0]!.detail).toHaveLength(8);
    expect(denied.trace![0]!.detail[0]).toBe(`${"x".repeat(300)}…`);
    const allowed = decisionLine({
      ...full,
      decision: { ...decision, reasons: ["allowed-by-rule"], wouldDeny: undefined, trace },
    });
    expect(allowed.trace).toBeUndefined();
  });
});

describe("what is no decision line", () => {
  const line = (over: Record<string, unknown>) => JSON.stringify({ ...decisionLine(full), ...over });

  it.each<[string, string]>([
    ["another event", '{"level":"warn","event":"access-token-rejected","requestId":"x","problem":"ERR_JWT_EXPIRED"}'],
    ["truncated JSON", line({}).slice(0, 80)],
    ["text", "2026-11-24 08:00:00 ward: worker started"],
    ["an empty line", ""],
    ["a JSON list", `[${line({})}]`],
    ["a JSON string", JSON.stringify(line({}))],
    ["null", "null"],
    ["a status in quotes", line({ status: "403" })],
    ["a fractional status", line({ status: 403.5 })],
    ["reasons that are no list", line({ reasons: "no-matching-rule" })],
    ["a reason that is no text", line({ reasons: [403] })],
    ["an effect of neither kind", line({ effect: "maybe" })],
    ["a numeric request id", line({ requestId: 7 })],
    ["no request id", line({ requestId: undefined })],
    ["no status", line({ status: undefined })],
    ["no reasons", line({ reasons: undefined })],
    ["no effect at all", line({ effect: undefined })],
    ["an unknown level", line({ level: "debug" })],
    ["a time that is a number", line({ time: TIME })],
    ["a lifetime that is no number", line({ credential: { kind: "access-jwt", lifetimeSeconds: "long" } })],
    ["an exception without an id", line({ exception: { kind: "exception" } })],
    [
      "a shadow without its version",
      line({ shadow: { effect: "deny", status: 403, route: null, rule: null, reasons: [] } }),
    ],
    ["a mode this Ward never had", line({ mode: "lenient" })],
  ])("%s", (_name, text) => {
    expect(parseDecisionLine(text)).toBeUndefined();
  });
});

describe("a newer Ward's line is still read", () => {
  it("unknown fields are dropped, the known ones read", () => {
    const text = JSON.stringify({ ...decisionLine(full), region: "weur", timings: { identityMs: 1 } });
    const read = parseDecisionLine(text);
    expect(read).toEqual(decisionLine(full));
    expect(read).not.toHaveProperty("region");
  });

  it("reasons, problems and kinds it does not know are read as written", () => {
    const text = JSON.stringify({
      ...decisionLine({
        requestId: "r-3",
        time: TIME,
        decision: bad,
        request: { method: "GET", host: "h", path: "/" },
        status: 400,
        latencyMs: 1,
      }),
      reasons: ["bad-request", "some-future-reason"],
      problem: "path-some-future-problem",
      credential: { kind: "some-future-credential", lifetimeSeconds: 60 },
    });
    expect(parseDecisionLine(text)).toMatchObject({
      reasons: ["bad-request", "some-future-reason"],
      problem: "path-some-future-problem",
      credential: { kind: "some-future-credential" },
    });
  });

  it("an older Ward's line (no time, target, credential or exception) is read", () => {
    const old =
      '{"level":"info","event":"decision","requestId":"old","principal":"user:old@example.com","service":"wiki","route":"wiki/read","rule":null,"effect":"deny","mode":"enforce","reasons":["no-matching-rule"],"status":403,"policyVersion":"aa","latencyMs":1}';
    expect(parseDecisionLine(old)).toEqual(JSON.parse(old));
  });
});

describe("what this Ward knows of a line's vocabulary", () => {
  it("keeps the reasons and problems it knows, so advice never rests on a word it cannot read", () => {
    expect(knownReasons(["audit-would-deny", "policy-unavailable", "some-future-reason", "no-matching-rule"])).toEqual([
      "audit-would-deny",
      "no-matching-rule",
    ]);
    expect(knownProblem("query-method-override")).toBe("query-method-override");
    expect(knownProblem("path-some-future-problem")).toBeUndefined();
    expect(knownProblem("constructor")).toBeUndefined();
    expect(knownProblem(undefined)).toBeUndefined();
  });

  it("tells Ward's own paths from other answers", () => {
    expect(["ward-key-set", "ward-portal", "ward-admin"].every(isOwnPathReason)).toBe(true);
    expect(["internal-error", "policy-unavailable", "allowed-by-rule"].some(isOwnPathReason)).toBe(false);
  });
});
