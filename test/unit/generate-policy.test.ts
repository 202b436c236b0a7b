// The benchmark's policy generator must produce what it claims: a valid policy with exactly N routes.
import { describe, expect, it } from "vitest";
import { compilePolicy, validatePolicy } from "../../policy/index.ts";
import { ROUTES_PER_SERVICE, countRoutes, generatePolicy } from "../bench/generate-policy.ts";
import { checkMix, requestMix } from "../bench/policy-bench.ts";

describe("generatePolicy", () => {
  it.each([10, 1000])("%i routes: validates with no errors and has exactly that many routes", (n) => {
    const doc = generatePolicy(n);
    const result = validatePolicy(doc);
    expect(result.issues.filter((i) => i.severity === "error")).toEqual([]);
    expect(result.ok).toBe(true);
    expect(countRoutes(doc)).toBe(n);
    expect(Object.keys(doc.services)).toHaveLength(Math.ceil(n / ROUTES_PER_SERVICE));
  });

  // npm run bench refuses to time a mix whose requests are not decided as their categories say: kept true here.
  it.each([10, 1000])("%i routes: the benchmark's requests get the decisions their categories name", async (n) => {
    const validated = validatePolicy(generatePolicy(n));
    if (!validated.ok) throw new Error("invalid generated policy");
    const policy = await compilePolicy(validated.policy);
    expect(() => checkMix(policy, requestMix(Math.ceil(n / ROUTES_PER_SERVICE)), n)).not.toThrow();
  });

  it("is realistic: no warnings, path params, prefixes, scopes and deny rules", () => {
    const doc = generatePolicy(1000);
    // Only the upgrade notice that a `{id}` route's deny also covers the literal route beside it
    // (`/v1/orders/export`): as in a real API, that is what the deny is for.
    const issues = validatePolicy(doc).issues;
    expect(issues.filter((i) => i.code !== "deny-covers-route")).toEqual([]);
    expect(issues.length).toBeGreaterThan(0);
    const routes = Object.values(doc.services).flatMap((s) => s.routes);
    const rules = routes.flatMap((r) => r.rules);
    expect(routes.some((r) => r.path?.includes("{"))).toBe(true);
    expect(routes.some((r) => r.pathPrefix !== undefined)).toBe(true);
    expect(rules.some((r) => r.effect === "deny")).toBe(true);
    expect(rules.some((r) => r.when?.scopes)).toBe(true);
    expect(rules.some((r) => r.principals?.some((p) => "set" in p))).toBe(true);
  });

  it("is deterministic and handles a last, partial service", () => {
    expect(generatePolicy(37)).toEqual(generatePolicy(37));
    expect(countRoutes(generatePolicy(37))).toBe(37);
    expect(validatePolicy(generatePolicy(37)).ok).toBe(true);
  });
});
