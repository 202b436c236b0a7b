// A small seeded PRNG (mulberry32) with the draws the policy generator needs, so that a seed replays a run.

export interface Rand {
  /** In [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Between min and max distinct items, in their original order. */
  some<T>(items: readonly T[], min?: number, max?: number): T[];
}

export function random(seed: number): Rand {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: (items) => items[int(items.length)]!,
    some: (items, min = 1, max = items.length) => {
      const count = min + int(Math.max(0, Math.min(max, items.length) - min) + 1);
      const chosen = new Set<number>();
      while (chosen.size < Math.min(count, items.length)) chosen.add(int(items.length));
      return items.filter((_, i) => chosen.has(i));
    },
  };
}

/** The seed of pair `index` of a run: pairs are independent, so one can be replayed alone. */
export function pairSeed(seed: number, index: number): number {
  return (Math.imul(index + 1, 0x9e3779b1) ^ seed) >>> 0;
}
