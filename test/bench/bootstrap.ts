// A ratio's spread as a confidence interval: the bench reports the median of per-round ratios, and resampling
// the rounds with replacement (a percentile bootstrap) shows how far that median could move on another run of
// the same rounds. Seeded, so a run's interval can be recomputed from the rounds kept in bench-results.
import { prng } from "../support/prng.ts";

export const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export interface Interval {
  /** The statistic on the rounds themselves. */
  estimate: number;
  low: number;
  high: number;
}

/**
 * The median of `samples` with its percentile bootstrap interval (`level`, 0.95 by default) over
 * `resamples` resamplings. Needs at least two samples: one round has no spread to show.
 */
export function bootstrapMedian(samples: readonly number[], resamples = 4000, level = 0.95, seed = 1): Interval {
  if (samples.length < 2) throw new Error("a bootstrap needs at least two samples");
  const next = prng(seed);
  const medians = new Float64Array(resamples);
  const draw = new Array<number>(samples.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < samples.length; i++) draw[i] = samples[Math.floor(next() * samples.length)]!;
    medians[r] = median(draw);
  }
  medians.sort();
  const tail = (1 - level) / 2;
  const at = (q: number) => medians[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))]!;
  return { estimate: median(samples), low: at(tail), high: at(1 - tail) };
}

/** Half the interval's width: "±0.03" reads as the interval being 0.06 wide. */
export const halfWidth = (i: Interval): number => (i.high - i.low) / 2;
