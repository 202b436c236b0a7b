// The decision log: one JSON line per decision and a data point when Analytics Engine is bound; no token.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Decision } from "../../policy/index.ts";
import { logDecision } from "../../worker/decision-log.ts";

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
  trace: [{ rule: "wiki/edit/editors", effect: "allow", outcome: "principal-not-matched", detail: ["caller is none of: group wiki-editors"] }],
};

afterEach(() => vi.restoreAllMocks());

describe("logDecision", () => {
  it("writes one JSON line with who, what, the outcome and the policy version", () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    logDecision({ requestId: "r-1", decision, status: 403, latencyMs: 3 }, undefined);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      event: "decision",
      requestId: "r-1",
      principal: "user:ann@example.com",
      service: "wiki",
      route: "wiki/edit",
      rule: null,
      effect: "deny",
      reasons: ["no-matching-rule"],
      status: 403,
      policyVersion: "ab".repeat(32),
      latencyMs: 3,
    });
  });

  it("writes a data point when the dataset is bound", () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const points: AnalyticsEngineDataPoint[] = [];
    logDecision({ requestId: "r-2", decision, status: 403, latencyMs: 5 }, { writeDataPoint: (p) => void points.push(p!) });
    expect(points).toEqual([
      {
        indexes: ["user:ann@example.com"],
        blobs: ["user:ann@example.com", "wiki", "wiki/edit", "", "deny", "enforce", "no-matching-rule", "ab".repeat(32), "r-2"],
        doubles: [403, 5],
      },
    ]);
  });
});
