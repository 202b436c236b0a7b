// "did you mean" for misspelt names: the closest candidate within a small edit distance.

/**
 * The edit distance of `a` and `b` when it is below `limit`, else `limit` or more. Only the cells within `limit`
 * of the diagonal can be below it, so the work is the length times the limit, not the lengths multiplied.
 */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  const FAR = limit + 1;
  const row = Array.from({ length: b.length + 1 }, (_, j) => (j < limit ? j : FAR));
  for (let i = 1; i <= a.length; i++) {
    const from = Math.max(1, i - limit + 1);
    const to = Math.min(b.length, i + limit - 1);
    let diagonal = from === 1 ? i - 1 : row[from - 1]!;
    row[from - 1] = from === 1 ? (i < limit ? i : FAR) : FAR;
    let best = row[from - 1]!;
    for (let j = from; j <= to; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
      if (row[j]! < best) best = row[j]!;
    }
    if (to < b.length) row[to + 1] = FAR;
    if (best >= limit) return limit;
  }
  return Math.min(row[b.length]!, limit);
}

/**
 * What the hints of one validation may cost, in cells of editDistance: a hint is a courtesy, and a document of
 * thousands of long misspelt names took minutes. Past it, no more hints in that run.
 */
export const HINT_WORK = 20_000_000;
const hintWork = { left: Number.POSITIVE_INFINITY };

/** `run`, its hints within HINT_WORK (validatePolicy; hints elsewhere are one at a time). */
export function withHintBudget<T>(run: () => T): T {
  hintWork.left = HINT_WORK;
  try {
    return run();
  } finally {
    hintWork.left = Number.POSITIVE_INFINITY;
  }
}

export function closest(input: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(input.length / 3)) + 1;
  const lower = input.toLowerCase();
  for (const candidate of candidates) {
    hintWork.left -= input.length * (2 * bestDistance - 1);
    if (hintWork.left < 0) return undefined;
    const d = editDistance(lower, candidate.toLowerCase(), bestDistance);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  const match = closest(input, candidates);
  return match === undefined ? undefined : `did you mean "${match}"?`;
}

/** The candidate `input` is, but for letter case: "get" is "GET". */
export function sameButCase(input: string, candidates: Iterable<string>): string | undefined {
  const lower = input.toLowerCase();
  for (const candidate of candidates) if (candidate !== input && candidate.toLowerCase() === lower) return candidate;
  return undefined;
}
