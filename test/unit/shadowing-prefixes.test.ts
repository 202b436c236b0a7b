// startsWithOne (sorted, prefix-free prefixes, binary search) against a plain some(startsWith): a review's random cases.
import { describe, expect, it } from "vitest";
import type { PrincipalMatcher } from "../../policy/schema.ts";
import { admitsAll, coverageOf, factsOf } from "../../policy/validate/shadowing.ts";

// Alphabet with prefix-sharing, equal, astral (surrogate pairs), lone surrogates, BMP chars above surrogates.
const UNITS = ["a", "b", "/", "\u00e9", "\ud83d\ude00", "\ud83d", "\ude00", "\uffff", "\ue000", "\ud800", ""];
function rand(seed: number) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

describe("startsWithOne vs some(startsWith)", () => {
  it("agrees on 200,000 random prefix lists and ids (incl. nested, equal, surrogate prefixes)", () => {
    const r = rand(5);
    const word = (max: number) =>
      Array.from({ length: Math.floor(r() * max) }, () => UNITS[Math.floor(r() * UNITS.length)]).join("");
    const mismatches: unknown[] = [];
    for (let t = 0; t < 200_000 && mismatches.length < 5; t++) {
      const base = word(4);
      const prefixes = Array.from({ length: 1 + Math.floor(r() * 6) }, () => (r() < 0.5 ? base + word(3) : word(4)));
      const id = r() < 0.7 ? prefixes[Math.floor(r() * prefixes.length)]! + word(3) : word(6);
      const cov = coverageOf(prefixes.map((p) => ({ spiffePrefix: p }) as PrincipalMatcher));
      const got = admitsAll(cov, factsOf({ spiffe: id } as PrincipalMatcher));
      const want = prefixes.some((p) => id.startsWith(p));
      if (got !== want) mismatches.push({ prefixes, id, got, want });
    }
    expect(mismatches).toEqual([]);
  });
});
