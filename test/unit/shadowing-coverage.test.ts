// The shadowing and route-escape checks ask whether one rule's matchers admit everyone another matcher admits
// through an index (policy/validate/shadowing.ts), not by comparing each pair (a review found a set of 15,000
// matchers made that 15,000² comparisons, 28 s). The index must answer as the pairwise rules did: this is
// those rules, as they were written before, against it on random matchers.
// The seed is printed; WARD_COVERAGE_SEED=<n> replays it.
import { describe, expect, it } from "vitest";
import type { PrincipalMatcher } from "../../policy/schema.ts";
import { withBigSet } from "../support/demo-policy.ts";
import { pairwiseCovers } from "../support/pairwise-covers.ts";
import { admitsAll, coverageOf, factsOf } from "../../policy/validate/shadowing.ts";
import { validatePolicyText } from "../../policy/index.ts";
import { prng, seedFrom } from "../support/prng.ts";

const SEED = seedFrom("WARD_COVERAGE_SEED");

function randomMatcher(random: () => number): PrincipalMatcher {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const domain = pick(["prod", "prod.evil", "staging"]);
  const path = pick(["", "/ns", "/ns/a", "/ns/ab", "/ns/a/sa/x"]);
  const mail = pick(["example.com", "evil.example.com", "sub.example.com"]);
  return pick<() => PrincipalMatcher>([
    () => ({ public: true }),
    () => ({ authenticated: true }),
    () => ({ trustDomain: domain }),
    () => ({ spiffe: `spiffe://${domain}${path || "/w"}` }),
    () => ({ spiffePrefix: pick([`spiffe://${domain}${path}`, `spiffe://${domain}`, "spiffe://pro"]) }),
    () => ({ email: `${pick(["a", "b"])}@${mail}` }),
    () => ({ emailDomain: mail }),
    () => ({ group: pick(["sre", "ops"]) }),
    () => ({ claims: { level: pick([1, 2, "1"]) } }),
  ])();
}

describe(`matcher coverage by index (seed ${SEED}; replay: WARD_COVERAGE_SEED=${SEED})`, () => {
  it("answers as the pairwise rules, for random lists and matchers", () => {
    const random = prng(SEED);
    for (let round = 0; round < 3_000; round++) {
      const list = Array.from({ length: 1 + Math.floor(random() * 4) }, () => randomMatcher(random));
      const b = randomMatcher(random);
      const expected = list.some((a) => pairwiseCovers(a, b));
      const context = `seed ${SEED} round ${round}: ${JSON.stringify(list)} over ${JSON.stringify(b)}`;
      expect(admitsAll(coverageOf(list), factsOf(b)), context).toBe(expected);
    }
  });

  it("finds the rules a set of 15,000 matchers shadows, without comparing each pair (28 s before)", () => {
    const list = Array.from({ length: 15_000 }, (_, i) => `    - group: g${i.toString(36)}\n`).join("");
    const rules = Array.from(
      { length: 10 },
      (_, i) => `          - id: r${i}\n            effect: allow\n            principals: [{ set: big }]\n`,
    ).join("");
    const text = withBigSet(list, rules);
    const result = validatePolicyText(text);
    expect(result.issues.filter((i) => i.severity === "error")).toEqual([]);
    expect(result.issues.filter((i) => i.code === "shadowed-rule").map((i) => i.path)).toEqual(
      Array.from({ length: 9 }, (_, i) => `services.big.routes[0].rules[${i + 1}]`),
    );
  });
});
