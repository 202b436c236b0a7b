import { describe, expect, it } from "vitest";
import { bootstrapMedian, halfWidth, median } from "../bench/bootstrap.ts";

describe("the bench's bootstrap interval", () => {
  it("takes the median of an even count as the mean of the middle two", () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([3, 1, 2])).toBe(2);
  });

  it("brackets the median, and is repeatable for a seed", () => {
    const rounds = [0.71, 0.74, 0.69, 0.8, 0.77, 0.73, 0.75, 0.7, 0.72, 0.76, 0.78, 0.74];
    const a = bootstrapMedian(rounds, 2000, 0.95, 7);
    expect(a).toEqual(bootstrapMedian(rounds, 2000, 0.95, 7));
    expect(a.low).toBeLessThanOrEqual(a.estimate);
    expect(a.high).toBeGreaterThanOrEqual(a.estimate);
    expect(a.low).toBeGreaterThanOrEqual(Math.min(...rounds));
    expect(a.high).toBeLessThanOrEqual(Math.max(...rounds));
  });

  it("narrows as the rounds agree and as there are more of them", () => {
    const noisy = Array.from({ length: 12 }, (_, i) => 0.75 + (i % 2 === 0 ? 0.2 : -0.2) * ((i % 5) / 4));
    const steady = noisy.map((x) => 0.75 + (x - 0.75) / 10);
    expect(halfWidth(bootstrapMedian(steady))).toBeLessThan(halfWidth(bootstrapMedian(noisy)));
    const more = [...noisy, ...noisy, ...noisy, ...noisy];
    expect(halfWidth(bootstrapMedian(more))).toBeLessThan(halfWidth(bootstrapMedian(noisy)));
  });

  it("has no interval for a single round", () => {
    expect(() => bootstrapMedian([0.8])).toThrow(/two samples/);
  });
});
