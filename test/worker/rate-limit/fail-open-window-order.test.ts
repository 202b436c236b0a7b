// failOpen's allowance across a window's end (from a review): requests are judged at their arrival time, and a
// store that fails slowly answers one that arrived before the end after one that arrived after it. Each such
// request replaced the key's allowance with a fresh one for its own window, so requests arriving on either side
// of the end, answered out of order, were each admitted uncounted: more than `limit` in the newer window.
import { describe, expect, it } from "vitest";
import type { RateLimitObligation } from "../../../policy/index.ts";
import type { Env } from "../../../worker/env.ts";
import { checkRateLimits } from "../../../worker/rate-limit/limiter.ts";

const down = {
  getByName: () => ({ lease: () => Promise.reject(new Error("Durable Object reset because its code was updated.")) }),
} as unknown as Env["RATE_LIMITER"];

const obligation = (counter: string): RateLimitObligation => ({
  rule: "svc/route/rule",
  key: `user:${counter}@example.com svc/route`,
  counter,
  limit: 1,
  periodSeconds: 60,
  failOpen: true,
});

const check = (o: RateLimitObligation, now: number) => checkRateLimits({ RATE_LIMITER: down }, [o], now);

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
