// What the gateway used to decide by hand, now in the pure core: the denylist overlay, which denials count
// towards quarantine, the credential a decision is logged with, and the country fact.
import { describe, expect, it } from "vitest";
import {
  applyDenylist,
  countryOf,
  countsTowardQuarantine,
  credentialBehind,
  isListed,
  type Decision,
  type DenyEntry,
} from "../../policy/index.ts";

const allow: Decision = {
  effect: "allow",
  status: 200,
  mode: "audit",
  reasons: ["allowed-by-rule"],
  service: "orders",
  route: "orders/read",
  rule: "orders/read/shop",
  wouldDeny: { status: 403, reasons: ["no-matching-rule"] },
  principal: "workload:spiffe://prod.example.com/ns/shop/sa/web",
  obligations: {
    rateLimits: [
      { rule: "orders/read/shop", key: "k", counter: "orders k", limit: 1, periodSeconds: 1, failOpen: false },
    ],
    headers: { "x-team": "shop" },
  },
  policyVersion: "v",
  trace: [],
};
const entry = (kind: DenyEntry["kind"]): DenyEntry => ({
  id: "e-1",
  kind,
  match: "spiffe",
  value: "x",
  reason: "r",
  createdAt: 0,
  createdBy: "a",
  expiresAt: null,
  releasedAt: null,
  releasedBy: null,
});

describe("applyDenylist", () => {
  it("leaves a clear caller's decision as it is", () => {
    expect(applyDenylist(allow, { state: "clear" })).toBe(allow);
  });

  it("refuses a revoked or quarantined caller with 403, dropping the rule, grant, audit and obligations", () => {
    for (const [kind, reason] of [
      ["revocation", "revoked"],
      ["quarantine", "quarantined"],
    ] as const) {
      const refused = applyDenylist(allow, { state: "denied", entry: entry(kind) });
      expect(refused).toMatchObject({
        effect: "deny",
        status: 403,
        reasons: [reason],
        obligations: { rateLimits: [], headers: {} },
      });
      expect(refused).not.toHaveProperty("rule");
      expect(refused).not.toHaveProperty("wouldDeny");
      expect(isListed(refused)).toBe(true);
    }
  });

  it("refuses with 503 when the list cannot be known", () => {
    expect(applyDenylist(allow, { state: "unknown" })).toMatchObject({
      effect: "deny",
      status: 503,
      reasons: ["denylist-unavailable"],
    });
  });
});

describe("countsTowardQuarantine", () => {
  const deny = {
    effect: "deny" as const,
    principal: "user:ann@example.com",
    status: 403,
    reasons: ["no-matching-rule" as const],
  };
  it("counts an identified caller's 403 or 404", () => {
    expect(countsTowardQuarantine(deny, () => false)).toBe(true);
    expect(countsTowardQuarantine({ ...deny, status: 404 }, () => false)).toBe(true);
  });
  it("not an allow, an anonymous caller, a 401/400/503, a listed caller, or a browser request made for another origin's page", () => {
    expect(countsTowardQuarantine({ ...deny, effect: "allow" }, () => false)).toBe(false);
    expect(countsTowardQuarantine({ ...deny, principal: "anonymous" }, () => false)).toBe(false);
    for (const status of [400, 401, 503]) expect(countsTowardQuarantine({ ...deny, status }, () => false)).toBe(false);
    expect(countsTowardQuarantine({ ...deny, reasons: ["quarantined"] }, () => false)).toBe(false);
    expect(countsTowardQuarantine(deny, () => true)).toBe(false);
  });
  it("nor an upgrade refused on a route the caller may use, for the upgrade or for its Origin", () => {
    for (const reason of ["upgrade-not-allowed", "upgrade-cross-origin"] as const)
      expect(countsTowardQuarantine({ ...deny, reasons: [reason] }, () => false)).toBe(false);
  });
});

describe("credentialBehind and countryOf", () => {
  const seen = [
    { kind: "access-jwt" as const, lifetimeSeconds: 3600 },
    { kind: "client-certificate" as const, lifetimeSeconds: 86400 },
  ];
  it("a workload's decision is logged with its certificate, anyone else's with the Access token", () => {
    expect(credentialBehind({ principal: "workload:spiffe://a/b" }, seen)).toEqual(seen[1]);
    expect(credentialBehind({ principal: "user:ann@example.com" }, seen)).toEqual(seen[0]);
    expect(credentialBehind({ principal: "anonymous" }, [])).toBeUndefined();
  });
  it("Cloudflare's XX, an empty or a non-string country is unknown", () => {
    expect(countryOf("DE")).toBe("DE");
    for (const value of ["XX", "", undefined, 49]) expect(countryOf(value)).toBeUndefined();
  });
});
