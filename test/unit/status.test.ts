// One table from reason to status (policy/status.ts): every reason has one, refusals follow `hide`, and what
// evaluate() answers is what the table says for the reason it gives.
import { describe, expect, it } from "vitest";
import { ANSWER_REASONS, DELIVERY_REASONS, evaluate, loadPolicy, REASONS, statusFor } from "../../policy/index.ts";
import { readFileSync } from "node:fs";

const demo = readFileSync(new URL("../../policy/examples/demo.yaml", import.meta.url), "utf8");

describe("statusFor", () => {
  it("gives every reason of the closed vocabulary an HTTP status", () => {
    for (const reason of [...REASONS, ...ANSWER_REASONS, ...DELIVERY_REASONS]) {
      const status = statusFor(reason);
      expect(status, reason).toBeGreaterThanOrEqual(200);
      expect(status, reason).toBeLessThan(600);
    }
  });

  it("a refusal is 403, or 404 on a hidden service; other statuses do not depend on hiding", () => {
    expect([statusFor("denied-by-rule"), statusFor("denied-by-rule", true)]).toEqual([403, 404]);
    expect([statusFor("no-matching-rule"), statusFor("no-matching-rule", true)]).toEqual([403, 404]);
    expect([statusFor("unauthenticated", true), statusFor("route-not-found"), statusFor("revoked", true)]).toEqual([
      401, 404, 403,
    ]);
    expect(DELIVERY_REASONS.map((r) => statusFor(r))).toEqual([429, 503, 503, 503, 502, 504]);
  });

  it("evaluate answers each request with the status the table gives its reason", async () => {
    const loaded = await loadPolicy(demo);
    if (!loaded.ok) throw new Error("demo policy invalid");
    const policy = loaded.policy;
    const now = Date.parse("2026-12-01T12:00:00Z");
    const identities = [
      {},
      { workload: { id: "spiffe://demo.ward.internal/ns/shop/sa/checkout" } },
      { user: { email: "ann@example.com", groups: [] } },
    ];
    const requests = [
      ["GET", "payments.localhost", "/healthz"],
      ["POST", "payments.localhost", "/v1/charge"],
      ["POST", "payments.localhost", "/v1/refund"],
      ["GET", "payments.localhost", "/nothing"],
      ["GET", "orders.localhost", "/admin/x"],
      ["GET", "wiki.localhost", "/a/../b"],
      ["GET", "nowhere.localhost", "/"],
    ] as const;
    let checked = 0;
    for (const identity of identities) {
      for (const [method, host, path] of requests) {
        const decision = evaluate(policy, { method, host, path, identity }, now);
        const hidden = decision.service ? policy.document.services[decision.service]!.hide : false;
        expect(decision.status, `${method} ${host}${path}`).toBe(statusFor(decision.reasons[0]!, hidden));
        checked++;
      }
    }
    expect(checked).toBe(21);
  });
});
