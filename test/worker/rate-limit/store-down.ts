// A rate-limit store that never answers, and a failOpen rule's obligation on one key of its own: what the tests of
// failOpen's per-isolate allowance check requests against.
import type { RateLimitObligation } from "../../../policy/index.ts";
import type { Env } from "../../../worker/env.ts";
import { checkRateLimits } from "../../../worker/rate-limit/limiter.ts";

const down = {
  getByName: () => ({ lease: () => Promise.reject(new Error("Durable Object reset because its code was updated.")) }),
} as unknown as Env["RATE_LIMITER"];

/** A failOpen rule's obligation (limit 1) on the key named by `counter`. */
export const failOpenObligation = (counter: string, periodSeconds = 60): RateLimitObligation => ({
  rule: "svc/route/rule",
  key: `user:${counter}@example.com svc/route`,
  counter,
  limit: 1,
  periodSeconds,
  failOpen: true,
});

/** The request judged at `now`, its store down. */
export const checkWithStoreDown = (o: RateLimitObligation, now: number) =>
  checkRateLimits({ RATE_LIMITER: down }, [o], now);
