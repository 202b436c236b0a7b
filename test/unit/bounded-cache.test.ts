// The isolate caches' bounds: at most `limit` entries (and, for SizedCache, characters), the one set longest ago
// dropped first, or the one used longest ago where reads go through usedBounded.
import { describe, expect, it } from "vitest";
import { SizedCache, setBounded, usedBounded } from "../../worker/shared/bounded-cache.ts";

describe("setBounded", () => {
  it("drops the oldest entry once the limit is reached", () => {
    const map = new Map<string, number>();
    for (const [i, key] of ["a", "b", "c", "d"].entries()) setBounded(map, key, i, 3);
    expect([...map]).toEqual([
      ["b", 1],
      ["c", 2],
      ["d", 3],
    ]);
  });

  it("setting a key again makes it the newest and drops nothing", () => {
    const map = new Map([
      ["a", 0],
      ["b", 1],
      ["c", 2],
    ]);
    setBounded(map, "a", 9, 3);
    expect([...map]).toEqual([
      ["b", 1],
      ["c", 2],
      ["a", 9],
    ]);
    setBounded(map, "d", 3, 3);
    expect([...map.keys()]).toEqual(["c", "a", "d"]);
  });
});

describe("usedBounded", () => {
  it("makes the entry read the newest, so setBounded drops the one used longest ago", () => {
    const map = new Map<string, number>();
    for (const [i, key] of ["a", "b", "c"].entries()) setBounded(map, key, i, 3);
    expect(usedBounded(map, "a")).toBe(0);
    expect([...map.keys()]).toEqual(["b", "c", "a"]);
    setBounded(map, "d", 3, 3);
    expect([...map]).toEqual([
      ["c", 2],
      ["a", 0],
      ["d", 3],
    ]);
  });

  it("leaves the map as it was for a key it does not hold", () => {
    const map = new Map([
      ["a", 0],
      ["b", 1],
    ]);
    expect(usedBounded(map, "z")).toBeUndefined();
    expect([...map.keys()]).toEqual(["a", "b"]);
  });
});

describe("SizedCache", () => {
  it("drops the oldest entries until the characters of keys and values fit", () => {
    const cache = new SizedCache<string>(100, 10);
    cache.set("a", "x", 3); // 4
    cache.set("b", "y", 3); // 8
    cache.set("c", "z", 3); // 12: a goes
    expect([cache.get("a"), cache.get("b"), cache.get("c")]).toEqual([undefined, "y", "z"]);
    expect(cache.held).toEqual({ entries: 2, characters: 8 });
    cache.set("ddddddd", "w", 3); // 10 on its own: b and c go
    expect(cache.held).toEqual({ entries: 1, characters: 10 });
  });

  it("drops the oldest past the count, keeps nothing larger than the whole budget, and counts deletions", () => {
    const cache = new SizedCache<number>(2, 1_000);
    for (const [i, key] of ["a", "b", "c"].entries()) cache.set(key, i);
    expect([cache.get("a"), cache.get("b"), cache.get("c")]).toEqual([undefined, 1, 2]);
    cache.set("b", 9); // again: the newest, nothing dropped
    cache.set("d", 3);
    expect([cache.get("b"), cache.get("c"), cache.get("d")]).toEqual([9, undefined, 3]);
    cache.set("e".repeat(1_001), 4);
    expect(cache.get("e".repeat(1_001))).toBeUndefined();
    cache.delete("b");
    expect(cache.held).toEqual({ entries: 1, characters: 1 });
  });
});
