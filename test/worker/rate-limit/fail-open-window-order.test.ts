// failOpen's allowance across a window's end (from a review): requests are judged at their arrival time, and a
// store that fails slowly answers one that arrived before the end after one that arrived after it. Each such
// request replaced the key's allowance with a fresh one for its own window, so requests arriving on either side
// of the end, answered out of order, were each admitted uncounted: more than `limit` in the newer window.
import { describe, expect, it } from "vitest";
import { checkWithStoreDown as check, failOpenObligation } from "./store-down.ts";

const obligation = (counter: string) => failOpenObligation(counter);

describe("failOpen's allowance across a window's end", () => {
  it("admits at most `limit` uncounted in the newer window, whatever order the requests are answered in", async () => {
    const end = (Math.floor(Date.now() / 60_000) + 1) * 60_000;
    const mine = obligation(`mine-${crypto.randomUUID()}`);
    const before = end - 500;
    const after = end + 500;
    expect((await check(mine, before)).ok).toBe(true); // the old window's one
    expect((await check(mine, after)).ok).toBe(true); // the new window's one
    let admitted = 0;
    // Arrivals either side of the end, answered alternately (the old ones' store failing more slowly).
    for (let i = 0; i < 10; i++) {
      if ((await check(mine, before)).ok) admitted++;
      if ((await check(mine, after)).ok) admitted++;
    }
    expect(admitted).toBe(0);
  });
});
