// The shadowing index against the pairwise `covers` it replaced (a review's edge cases and random rules), and
// shapes that made it slow: they validate as they should (their time is in the notes of docs/performance.md).
import { describe, expect, it } from "vitest";
import { loadStoredDocument, validatePolicyText } from "../../policy/index.ts";
import type { PrincipalMatcher } from "../../policy/schema.ts";
import { demo, routesNamingSet } from "../support/demo-policy.ts";
import { pairwiseCovers } from "../support/pairwise-covers.ts";
import { admitsAll, coverageOf, covers, factsOf } from "../../policy/validate/shadowing.ts";

const TD = "spiffe://demo.ward.internal/";

const POOL: PrincipalMatcher[] = [
  { public: true },
  { authenticated: true },
  { trustDomain: "a" },
  { trustDomain: "a.b" },
  { trustDomain: "a_b" },
  { spiffePrefix: "spiffe://a" },
  { spiffePrefix: "spiffe://a/" },
  { spiffePrefix: "spiffe://a.b/" },
  { spiffePrefix: "spiffe://a/b" },
  { spiffePrefix: "spiffe://a/b/" },
  { spiffePrefix: "spiffe://ab/" },
  { spiffe: "spiffe://a" },
  { spiffe: "spiffe://a/b" },
  { spiffe: "spiffe://a/B" },
  { spiffe: "spiffe://a/bc" },
  { spiffe: "spiffe://a.b/c" },
  { spiffe: "spiffe://ab/c" },
  { email: "X@A.com" },
  { email: "x@a.com" },
  { email: "x@sub.a.com" },
  { emailDomain: "a.com" },
  { emailDomain: "sub.a.com" },
  { group: "g" },
  { group: "G" },
  { claims: { a: 1, b: ["x", "y"] } },
  { claims: { b: ["x", "y"], a: 1 } },
  { claims: { a: "1", b: ["x", "y"] } },
  { serviceToken: "t" },
];

describe("shadowing index against the pairwise covers (fddcee7^)", () => {
  it("agrees on every pair of edge-case matchers", () => {
    const differ: string[] = [];
    for (const a of POOL)
      for (const b of POOL)
        if (covers(a, b) !== pairwiseCovers(a, b)) differ.push(`${JSON.stringify(a)} ${JSON.stringify(b)}`);
    expect(differ).toEqual([]);
  });

  it("agrees on random rules of several matchers (coversAll)", () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const pick = (n: number) => Array.from({ length: 1 + rnd(n) }, () => POOL[rnd(POOL.length)]!);
    for (let k = 0; k < 20_000; k++) {
      const theirs = pick(4);
      const mine = pick(3);
      const old = mine.every((m) => theirs.some((t) => pairwiseCovers(t, m)));
      const c = coverageOf(theirs);
      expect(
        mine.every((m) => admitsAll(c, factsOf(m))),
        JSON.stringify({ theirs, mine }),
      ).toBe(old);
    }
  });
});

/** K spiffePrefix of K distinct lengths (set p), Q IDs each covered only by the longest (set q). */
function prefixLengthsPolicy(K: number, Q: number, pairs: number, routes: number): string {
  const doc = demo();
  doc.principalSets.p = Array.from({ length: K }, (_, k) => ({ spiffePrefix: `${TD}${"b".repeat(k + 1)}/` }));
  doc.principalSets.q = Array.from({ length: Q }, (_, m) => ({ spiffe: `${TD}${"b".repeat(K)}/x${m}` }));
  const rules: unknown[] = [];
  for (let i = 0; i < pairs; i++) {
    rules.push({ effect: "deny", principals: [{ set: "p" }, { spiffe: `${TD}u${i}` }] });
    rules.push({ effect: "allow", principals: [{ set: "q" }, { spiffe: `${TD}v${i}` }] });
  }
  doc.services.payments.routes = Array.from({ length: routes }, (_, r) => ({
    id: `r${r}`,
    methods: ["GET", "HEAD"],
    path: `/r${r}`,
    rules,
  }));
  return JSON.stringify(doc);
}

describe("shapes that made the index slow", () => {
  // admitsAll slices and hashes an ID once per distinct prefix length: sum of the prefix lengths per matcher.
  it("prefixes of 300 distinct lengths against 200 IDs, 40 rules (136 KB of JSON): validated (8.7 s before prefixes were looked up by binary search)", () => {
    const text = prefixLengthsPolicy(300, 200, 20, 1);
    expect(text.length).toBeLessThan(140_000);
    const result = validatePolicyText(text);
    expect(result.ok).toBe(true);
  }, 120_000);

  // checkShadowing runs where warnings are off too (loadStoredDocument, a cold isolate), and now serialises
  // every expanded matcher of every rule even for a route of one rule.
  it("a stored document, 2,000 routes naming a set of 3,000 groups: loaded (5.8 s when shadowing ran without warnings)", () => {
    const doc = demo();
    doc.principalSets.big = Array.from({ length: 3_000 }, (_, k) => ({ group: `g${k}` }));
    doc.services.payments.routes = routesNamingSet(2_000, "big");
    const stored = JSON.stringify(doc);
    const loaded = loadStoredDocument(stored, "0".repeat(64));
    expect(loaded.ok).toBe(true);
  }, 120_000);
});
