// The isolate holds at most 10,000 leases. A caller who touches many keys (one per address or per made-up
// principal) must push out the leases no request uses, not the one every request of a busy key draws on: that
// one, dropped, forfeits what it leased and costs its object a call (from a review: the oldest lease went first).
import { describe, expect, it } from "vitest";
import type { RateLimitObligation } from "../../../policy/index.ts";
import type { Env } from "../../../worker/env.ts";
import { checkRateLimits } from "../../../worker/rate-limit/limiter.ts";

/** How many leases the isolate holds (LEASED_LIMIT). */
const HELD = 10_000;

const obligation = (key: string, limit: number): RateLimitObligation => ({
  rule: "svc/route/rule",
  key,
  counter: key,
  limit,
  periodSeconds: 3600,
  failOpen: false,
});

/** Objects that answer at once and count exactly, with their calls counted per object. */
function objects(): { namespace: Env["RATE_LIMITER"]; calls: Map<string, number> } {
  const counts = new Map<string, number>();
  const calls = new Map<string, number>();
  // One window for the whole test, whatever the clock does meanwhile.
  const resetAt = Date.now() + 3_600_000;
  const namespace = {
    getByName: (name: string) => ({
      lease: async (want: number, limit: number) => {
        calls.set(name, (calls.get(name) ?? 0) + 1);
        const count = counts.get(name) ?? 0;
        const granted = Math.max(0, Math.min(want, limit - count));
        counts.set(name, count + granted);
        return { granted, limit, remaining: limit - count - granted, resetAt };
      },
    }),
  } as unknown as Env["RATE_LIMITER"];
  return { namespace, calls };
}

describe("the isolate's leases, when more keys come than it holds", () => {
  it("drop those used longest ago, not the busy key's lease set longest ago", async () => {
    const { namespace, calls } = objects();
    const env = { RATE_LIMITER: namespace };
    const now = Date.now();
    // A busy key: 100,000 an hour, leased 1,000 at a time, so one call serves its next 1,000 requests.
    const busy = obligation(`user:busy-${crypto.randomUUID()}`, 100_000);
    expect((await checkRateLimits(env, [busy], now)).ok).toBe(true);
    const busyCalls = () => [...calls].filter(([name]) => name.includes("busy")).reduce((n, [, c]) => n + c, 0);
    expect(busyCalls()).toBe(1);
    // Twice as many other keys as the isolate holds leases for, the busy key used between every 50 of them.
    for (let i = 0; i < 2 * HELD; i++) {
      expect((await checkRateLimits(env, [obligation(`ip:other-${i}-${crypto.randomUUID()}`, 10)], now)).ok).toBe(true);
      if (i % 50 === 0) expect((await checkRateLimits(env, [busy], now)).ok).toBe(true);
    }
    // 401 requests of the busy key: all off its first lease.
    expect(busyCalls()).toBe(1);
  });
});
