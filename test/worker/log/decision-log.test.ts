// The decision log: one JSON line per decision and a data point when Analytics Engine is bound; no token.
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseDecisionLine, type Decision } from "../../../policy/index.ts";
import { logDecision } from "../../../worker/log/decisions.ts";
import { utf8Length, utf8Prefix } from "../../../worker/shared/utf8.ts";

const decision: Decision = {
  effect: "deny",
  status: 403,
  mode: "enforce",
  reasons: ["no-matching-rule"],
  service: "wiki",
  route: "wiki/edit",
  principal: "user:ann@example.com",
  obligations: { rateLimits: [], headers: {} },
  policyVersion: "ab".repeat(32),
  trace: [
    {
      rule: "wiki/edit/editors",
      effect: "allow",
      outcome: "principal-not-matched",
      detail: ["caller is none of: group wiki-editors"],
    },
  ],
};

afterEach(() => vi.restoreAllMocks());

const TIME = Date.parse("2026-11-23T10:00:00.000Z");
const request = { method: "POST", host: "wiki.example.com", path: "/raw" };

describe("logDecision", () => {
  it("writes one JSON line with who, what, the outcome and the policy version", () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    logDecision(
      {
        requestId: "r-1",
        time: TIME,
        decision,
        request,
        credential: { kind: "access-jwt", lifetimeSeconds: 86400 },
        status: 403,
        latencyMs: 3,
      },
      undefined,
    );
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      level: "info",
      event: "decision",
      time: "2026-11-23T10:00:00.000Z",
      requestId: "r-1",
      principal: "user:ann@example.com",
      method: "POST",
      host: "wiki.example.com",
      path: "/raw",
      mode: "enforce",
      wouldDeny: null,
      // The failing facts of a refusal, for ward why.
      trace: [
        {
          rule: "wiki/edit/editors",
          effect: "allow",
          outcome: "principal-not-matched",
          detail: ["caller is none of: group wiki-editors"],
        },
      ],
      credential: { kind: "access-jwt", lifetimeSeconds: 86400 },
      exception: null,
      service: "wiki",
      route: "wiki/edit",
      rule: null,
      effect: "deny",
      reasons: ["no-matching-rule"],
      status: 403,
      policyVersion: "ab".repeat(32),
      latencyMs: 3,
    });
    // What the CLI reads (policy/decision-log.ts) is the line as written, nothing lost.
    expect(parseDecisionLine(lines[0]!)).toEqual(JSON.parse(lines[0]!));
  });

  it("names the problem of a bad request (and only then)", () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const bad: Decision = {
      ...decision,
      status: 400,
      reasons: ["bad-request"],
      problem: "query-method-override",
      service: undefined,
      route: undefined,
      trace: [],
    };
    logDecision({ requestId: "r-3", time: TIME, decision: bad, request, status: 400, latencyMs: 1 }, undefined);
    logDecision({ requestId: "r-4", time: TIME, decision, request, status: 403, latencyMs: 1 }, undefined);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      reasons: ["bad-request"],
      problem: "query-method-override",
      status: 400,
    });
    expect(JSON.parse(lines[1]!)).not.toHaveProperty("problem");
  });

  it("writes a data point when the dataset is bound", () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const points: AnalyticsEngineDataPoint[] = [];
    logDecision(
      { requestId: "r-2", time: TIME, decision, request, status: 403, latencyMs: 5 },
      { writeDataPoint: (p) => void points.push(p!) },
    );
    expect(points).toEqual([
      {
        indexes: ["user:ann@example.com"],
        blobs: [
          "user:ann@example.com",
          "wiki",
          "wiki/edit",
          "",
          "deny",
          "enforce",
          "no-matching-rule",
          "ab".repeat(32),
          "r-2",
        ],
        doubles: [403, 5],
      },
    ]);
  });

  it("cuts the data point's index to Analytics Engine's 96 bytes of UTF-8, between characters", () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const points: AnalyticsEngineDataPoint[] = [];
    // 30 ASCII bytes, then 30 characters of 3 bytes (90), then one of 4 (a pair): 96 bytes end inside the third.
    const principal = `user:${"a".repeat(25)}${"€".repeat(30)}😀`;
    logDecision(
      { requestId: "r-5", time: TIME, decision: { ...decision, principal }, request, status: 403, latencyMs: 5 },
      { writeDataPoint: (p) => void points.push(p!) },
    );
    const index = points[0]!.indexes![0] as string;
    expect(new TextEncoder().encode(index).length).toBeLessThanOrEqual(96);
    expect(index).toBe(`user:${"a".repeat(25)}${"€".repeat(22)}`);
    expect(utf8Prefix("a😀b", 5)).toBe("a😀");
    expect(utf8Prefix("a😀b", 4)).toBe("a");
    expect(utf8Prefix("short", 96)).toBe("short");
    // The relay's message weight reads the same rule: as TextEncoder counts, for valid text.
    for (const text of ["", "abc", "é€😀", `user:${"€".repeat(30)}😀`])
      expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length);
  });

  it("cuts ASCII and mixed text alike: the longest whole-character prefix TextEncoder weighs within the bound", () => {
    const seed = Date.now() % 100_000;
    const units = ["a", "~", "\u007f", "\u0080", "é", "\u07ff", "\u0800", "€", "\uffff", "😀"];
    let state = seed;
    const next = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31);
    const encoder = new TextEncoder();
    for (let round = 0; round < 500; round++) {
      const pool = round % 2 === 0 ? units.slice(0, 3) : units;
      const text = Array.from({ length: next() % 60 }, () => pool[next() % pool.length]).join("");
      const max = next() % 100;
      const cut = utf8Prefix(text, max);
      // The reference: the longest prefix ending between characters whose UTF-8 fits.
      const chars = [...text];
      let reference = "";
      for (const char of chars) {
        if (encoder.encode(reference + char).length > max) break;
        reference += char;
      }
      expect(cut, `seed ${seed}, round ${round}: ${JSON.stringify(text)} within ${max}`).toBe(reference);
    }
    // A bound that is no byte count: ASCII text is cut as any other (nothing within -1; NaN bounds nothing).
    expect([utf8Prefix("abc", -1), utf8Prefix("é", -1), utf8Prefix("abc", Number.NaN)]).toEqual(["", "", "abc"]);
  });
});
