// Did-you-mean hints: the edit distance is worked out only near the diagonal, as far as the best candidate so far
// allows (a review found 255-character names made each comparison 65,000 steps, and a cold isolate's load 12 s).
// It must pick what the full distance picks: here against the full one, on random names (seed printed;
// WARD_SUGGEST_SEED=<n> replays it).
import { describe, expect, it } from "vitest";
import { closest } from "../../policy/suggest.ts";
import { prng, seedFrom } from "../support/prng.ts";

const SEED = seedFrom("WARD_SUGGEST_SEED");

function fullDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function fullClosest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(input.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = fullDistance(input.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

describe(`closest (seed ${SEED}; replay: WARD_SUGGEST_SEED=${SEED})`, () => {
  it("picks what the full edit distance picks", () => {
    const random = prng(SEED);
    const word = (length: number) => Array.from({ length }, () => "abcAB-"[Math.floor(random() * 6)]).join("");
    const mutate = (w: string) => {
      const chars = [...w];
      for (let k = Math.floor(random() * 5); k > 0; k--) {
        const at = Math.floor(random() * (chars.length + 1));
        const op = random();
        if (op < 0.33) chars.splice(at, 1);
        else if (op < 0.66) chars.splice(at, 0, "abc"[Math.floor(random() * 3)]!);
        else chars[at] = "xyz"[Math.floor(random() * 3)]!;
      }
      return chars.join("");
    };
    for (let round = 0; round < 2_000; round++) {
      const candidates = Array.from({ length: 1 + Math.floor(random() * 6) }, () =>
        word(1 + Math.floor(random() * 14)),
      );
      const input =
        random() < 0.7
          ? mutate(candidates[Math.floor(random() * candidates.length)]!)
          : word(1 + Math.floor(random() * 14));
      expect(closest(input, candidates), `seed ${SEED} round ${round}: ${input} in ${candidates}`).toBe(
        fullClosest(input, candidates),
      );
    }
  });

  it("still finds a near name among long ones", () => {
    const long = (c: string) => `${c}${"x".repeat(250)}`;
    expect(closest(long("e"), [long("d"), `${long("q")}yy`])).toBe(long("d"));
  });
});
