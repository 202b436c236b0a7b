// failOpen's allowance when the isolate's 10,000 allowances are full: the sweep forgets windows that are over, and
// a request that arrived before its window's end, answered after the sweep, found none and started its window's
// allowance afresh (from a review): more than `limit` uncounted in that window.
import { describe, expect, it } from "vitest";
import { checkWithStoreDown as check, failOpenObligation } from "./store-down.ts";

const obligation = (counter: string) => failOpenObligation(counter);

describe("failOpen's allowance and the sweep of a full map", () => {
  it("a request of a window swept away counts against the next: `limit` uncounted a window, no more", async () => {
    const end = (Math.floor(Date.now() / 60_000) + 10) * 60_000;
    const mine = obligation(`mine-${crypto.randomUUID()}`);
    expect((await check(mine, end - 500)).ok).toBe(true); // the window's one
    // Others fill the isolate's allowances in the same window; one of the next window sweeps them all out.
    for (let i = 0; i < 10_000; i++) await check(obligation(`other-${i}-${crypto.randomUUID()}`), end - 500);
    await check(obligation(`next-${crypto.randomUUID()}`), end + 500);
    // A request that arrived before the end, its store failing slowly, answered now, and one of the next window:
    // one of the two at most (the first counts against the next window), not one more in the swept window.
    const late = (await check(mine, end - 400)).ok;
    const next = (await check(mine, end + 600)).ok;
    expect([late, next].filter(Boolean)).toHaveLength(1);
  });
});
