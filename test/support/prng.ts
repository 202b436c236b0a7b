// mulberry32: a small seeded PRNG, so generated cases are the same for the same seed (and a failure replays).
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The seed of a generated test: `envName` when set (to replay a failure, or to try another), else `fallback` (a
 * run that is the same every time), else a fresh one.
 */
export function seedFrom(envName: string, fallback?: number): number {
  const given = process.env[envName];
  if (given !== undefined && /^\d+$/.test(given)) return Number(given);
  return fallback ?? Math.floor(Math.random() * 2 ** 32);
}
