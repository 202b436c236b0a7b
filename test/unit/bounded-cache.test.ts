// The isolate caches' one bound: at most `limit` entries, the one set longest ago dropped first.
import { describe, expect, it } from "vitest";
import { setBounded } from "../../worker/shared/bounded-cache.ts";

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
