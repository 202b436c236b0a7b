// Exact rate limits for the `rateLimit` obligations of an allow decision. Cloudflare's Rate Limiting binding
// is per location and approximate, so the counting happens in a Durable Object: one object per counted key
// (`<rule id> <obligation key>`), sharded by key so no object sees more than one caller's traffic. Isolates
// lease requests from the object 1% of the limit at a time (leaseSize; more for requests waiting on a call: ask),
// so a large limit does not cost an object call per request; a leased request counts whether or not it is
// used, so nothing is over-granted.
//
// Window: FIXED windows aligned to the epoch (`floor(now / period) * period`). Within one window the object
// never admits more than `limit` (a burst straddling a boundary can see up to 2 x limit in one period, the
// known trade-off of fixed windows). A sliding log would be exact over every interval but would keep up to
// `limit` (1,000,000) timestamps per key; a sliding counter would be approximate. Fixed is exact and O(1).
//
// Storage: SQLite-backed, one row, read and written with the synchronous `sql.exec` API and no `await`
// between the read and the write, so concurrent calls cannot interleave inside an admission (the object is
// single-threaded and the method yields only after the count is written). State lives in storage, not only
// in memory, because an idle object is evicted from memory after seconds while windows last up to hours:
// an in-memory counter would silently reset on eviction and admit more than `limit`. The output gate holds
// each answer until its write is durable. An alarm after the window (plus a grace) deletes everything, so
// idle keys keep no state.
import { DurableObject } from "cloudflare:workers";
import type { RateLimitObligation } from "../../policy/index.ts";
import type { Env } from "../env.ts";
import { logEvent } from "../log/events.ts";
import { setBounded, usedBounded } from "../shared/bounded-cache.ts";
import { finishEvenIfAbandoned } from "../shared/finish-abandoned.ts";
import { settledWithin } from "../shared/settled-within.ts";

/** Kept after a window ends before the state is deleted: callers' clocks may lag the object's slightly. */
const CLEANUP_GRACE_MS = 60_000;
/** A rate-limit store that does not answer within this is treated as unavailable. */
export const RATE_LIMIT_TIMEOUT_MS = 3_000;
/** How long a request waits for another request's call to the object before it calls for itself. */
const CALL_WAIT_MS = 1_000;

/** What the object granted: `granted` requests of the window, counted there whether or not they are used. */
export interface RateLimitLease {
  granted: number;
  limit: number;
  /** What the object has left in the current window after this lease. */
  remaining: number;
  /** When the current window ends (ms since the epoch, on the caller's clock). */
  resetAt: number;
}

export interface RateLimitAnswer {
  admitted: boolean;
  limit: number;
  /** What is left in the current window after this request, as far as this isolate knows (0 when refused). */
  remaining: number;
  resetAt: number;
}

export class RateLimiter extends DurableObject<Env> {
  /** False until the table exists, and again after the cleanup's deleteAll (the instance may live on). */
  private ready = false;

  private ensureTable(): void {
    if (this.ready) return;
    this.ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS counter (
      id INTEGER PRIMARY KEY CHECK (id = 1), start INTEGER NOT NULL, period INTEGER NOT NULL, count INTEGER NOT NULL)`);
    this.ready = true;
  }

  /**
   * Grants up to `want` requests of the window holding `now` (fewer when fewer are left, none when the
   * window is used up) and counts them. Windows only move forward: a caller whose clock is behind the
   * window the object already counts in is counted in that (later) window, never in a fresh past one.
   */
  async lease(want: number, limit: number, periodSeconds: number, now: number): Promise<RateLimitLease> {
    if (!(Number.isInteger(want) && want >= 1)) throw new RangeError(`rate limit: bad lease ${want}`);
    if (!(Number.isInteger(limit) && limit >= 1)) throw new RangeError(`rate limit: bad limit ${limit}`);
    if (!(periodSeconds > 0 && Number.isFinite(periodSeconds)) || !Number.isFinite(now))
      throw new RangeError("rate limit: bad period or time");
    const period = Math.round(periodSeconds * 1000);
    // Synchronous from here to the write: no other call can run in between.
    this.ensureTable();
    const row = this.ctx.storage.sql
      .exec<{ start: number; period: number; count: number }>("SELECT start, period, count FROM counter WHERE id = 1")
      .toArray()[0];
    const aligned = Math.floor(now / period) * period;
    let start = aligned;
    let count = 0;
    let windowPeriod = period;
    if (row && row.period === period && row.start >= aligned) {
      start = row.start;
      count = row.count;
    } else if (row && row.period !== period && row.start + row.period > now) {
      // The rule's period changed, and isolates on the old and the new policy call in turn while the push
      // spreads: what the current window admitted still counts, in whichever of the two windows ends later, so
      // switching periods (either way, any number of times) never resets the count before its window is over.
      count = row.count;
      if (row.start + row.period > aligned + period) {
        start = row.start;
        windowPeriod = row.period;
      }
    }
    const granted = Math.max(0, Math.min(want, limit - count));
    count += granted;
    this.ctx.storage.sql.exec(
      "INSERT INTO counter (id, start, period, count) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET start = excluded.start, period = excluded.period, count = excluded.count",
      start,
      windowPeriod,
      count,
    );
    const resetAt = start + windowPeriod;
    if (!row || row.start !== start || row.period !== windowPeriod)
      await this.ctx.storage.setAlarm(resetAt + CLEANUP_GRACE_MS);
    return { granted, limit, remaining: Math.max(0, limit - count), resetAt };
  }

  /** Lazy cleanup: once the window (and the grace) is over, the object forgets the key entirely. */
  override async alarm(): Promise<void> {
    this.ensureTable();
    const row = this.ctx.storage.sql
      .exec<{ start: number; period: number }>("SELECT start, period FROM counter WHERE id = 1")
      .toArray()[0];
    if (!row) return;
    const due = row.start + row.period + CLEANUP_GRACE_MS;
    if (Date.now() >= due) {
      this.ready = false;
      await this.ctx.storage.deleteAll();
    } else await this.ctx.storage.setAlarm(due);
  }
}

/** The object that counts one obligation (evaluate names it): per service or rule and key, never one global object. */
export function rateLimitName(obligation: RateLimitObligation): string {
  return obligation.counter;
}

/** An sf-string (RFC 9651) for the policy name in the RateLimit fields. */
function sfString(value: string): string {
  return `"${value.replace(/[^\x20-\x7e]/g, "?").replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Rule id -> its sf-string: the same on every request of a rule, so escaped once per isolate. Bounded. */
const fieldNames = new Map<string, string>();

function fieldName(rule: string): string {
  let name = fieldNames.get(rule);
  if (name === undefined) setBounded(fieldNames, rule, (name = sfString(rule)), LEASED_LIMIT);
  return name;
}

export type RateLimitResult =
  | { ok: true; headers: Record<string, string> }
  | { ok: false; reason: "rate-limited" | "rate-limit-unavailable"; headers: Record<string, string> };

type Namespace = Pick<DurableObjectNamespace<RateLimiter>, "getByName">;

/**
 * How many requests an isolate leases at once: 1% of the limit. A limit of 100 or less is counted at the
 * object request by request, as before; a large one costs one object call per 1% of it. Leased requests
 * count against the window whether or not they are used, so a window never admits more than `limit`; an
 * isolate that goes quiet with requests still leased makes the window admit fewer, at most 1% of the limit
 * per isolate.
 */
export const leaseSize = (limit: number): number => Math.max(1, Math.floor(limit / 100));

interface Leased {
  /** Requests leased and not yet used. */
  tokens: number;
  /** The object's own count of what is left after the last lease (other isolates may have taken some since). */
  storeRemaining: number;
  resetAt: number;
}

/**
 * Per isolate: what was leased, per object and terms. Bounded, the lease used longest ago dropped first (a busy
 * key's, dropped, would cost its object a call); dropping an entry only forfeits its tokens.
 */
const leased = new Map<string, Leased>();
const LEASED_LIMIT = 10_000;

/**
 * One request off this isolate's lease, if it holds one for the window of `now`; or its refusal, when the
 * lease is spent and the object said the window had nothing left.
 */
function takeLeased(key: string, limit: number, now: number): RateLimitAnswer | undefined {
  const lease = usedBounded(leased, key);
  if (!lease) return undefined;
  if (now >= lease.resetAt) {
    // The window is over: what is left of it was never used and never will be.
    leased.delete(key);
    return undefined;
  }
  // Not `=== 0`: whatever the tokens hold, a lease admits only while it has one (fail closed).
  if (!(lease.tokens > 0)) {
    // The object had nothing left in this window when it last answered, and a window's count only grows: it
    // would refuse again. Refused here, so a caller hammering past its limit does not drive its object.
    if (lease.storeRemaining === 0) return { admitted: false, limit, remaining: 0, resetAt: lease.resetAt };
    return undefined;
  }
  lease.tokens--;
  return { admitted: true, limit, remaining: lease.storeRemaining + lease.tokens, resetAt: lease.resetAt };
}

/**
 * A request taken off a lease and then not admitted (another of its buckets refused it, or its store did not
 * answer): back to the lease, so a refusal spends none of the caller's other buckets. The object counted it
 * as leased to this isolate, so returning it here grants nothing the window did not already hold.
 */
function giveBack(key: string, resetAt: number): void {
  const lease = leased.get(key);
  if (lease && lease.resetAt === resetAt) lease.tokens++;
}

/** The lease an obligation draws on: per object and terms, so a policy that changes the terms starts afresh. */
const leaseKey = (obligation: RateLimitObligation): string =>
  `${rateLimitName(obligation)} ${obligation.limit} ${obligation.periodSeconds}`;

/**
 * Per isolate: the object call in flight per lease key. Concurrent requests of the isolate wait for it and take
 * from what it leased, rather than each calling the object (from a review: a burst of one caller's requests at a
 * window's start made one call each, queued its object past the timeout, and with failOpen got them all in).
 */
interface InFlight {
  settled: Promise<unknown>;
  since: number;
  /** Requests waiting for it: the next call leases for them too, so a burst costs two round trips, not one each. */
  waiting: number;
}
const inFlight = new Map<string, InFlight>();

const count = (n: unknown): boolean => Number.isSafeInteger(n) && (n as number) >= 0;

/** A lease answer as RateLimiter.lease gives one: counts that are whole and not negative, a finite window end. */
function wellFormed(answer: RateLimitLease): boolean {
  return count(answer.granted) && count(answer.remaining) && count(answer.limit) && Number.isFinite(answer.resetAt);
}

/**
 * Leases from the object and pools the grant with what concurrent requests of this isolate leased for the same
 * window; the caller's own request is taken at once, before any waiting request can, unless the caller has
 * given up waiting (its request timed out): then the whole grant stays on the lease for the next requests.
 */
async function leaseFromObject(
  namespace: Namespace,
  obligation: RateLimitObligation,
  key: string,
  want: number,
  now: number,
  caller: { gaveUp: boolean },
): Promise<RateLimitAnswer> {
  const stub = namespace.getByName(rateLimitName(obligation));
  const answer = await stub.lease(want, obligation.limit, obligation.periodSeconds, now);
  // Another version's object, mid-deploy, or a fault: an answer of another shape leases nothing (a NaN count
  // would never reach 0, and admit every request to the window's end). Thrown: the limit's failure path.
  if (!wellFormed(answer)) throw new Error("the rate limiter's answer is malformed");
  // A request the object refused may still be served by a lease another request just brought back.
  let lease = leased.get(key);
  if (!lease || lease.resetAt !== answer.resetAt) {
    lease = { tokens: 0, storeRemaining: answer.remaining, resetAt: answer.resetAt };
    setBounded(leased, key, lease, LEASED_LIMIT);
  }
  lease.tokens += answer.granted;
  lease.storeRemaining = Math.min(lease.storeRemaining, answer.remaining);
  const admitted = !caller.gaveUp && lease.tokens > 0;
  if (admitted) lease.tokens--;
  return {
    admitted,
    limit: answer.limit,
    remaining: admitted ? lease.storeRemaining + lease.tokens : 0,
    resetAt: answer.resetAt,
  };
}

/**
 * One request off the lease; or, when this isolate holds none for the window, from the call in flight for it;
 * or a new lease from the object. All within RATE_LIMIT_TIMEOUT_MS.
 */
async function ask(namespace: Namespace, obligation: RateLimitObligation, now: number): Promise<RateLimitAnswer> {
  const key = leaseKey(obligation);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("rate-limit store timed out")), RATE_LIMIT_TIMEOUT_MS);
  });
  try {
    // The call this request last waited for: those still waiting for it are leased for by the next one.
    let waited: InFlight | undefined;
    for (;;) {
      const local = takeLeased(key, obligation.limit, now);
      if (local) return local;
      const pending = inFlight.get(key);
      // None, or one that has not answered within CALL_WAIT_MS (an object slow or stuck): this request calls,
      // so a call that hangs costs its waiters a second, not their requests (at most one call a second then).
      const waitFor = pending === undefined ? 0 : CALL_WAIT_MS - (Date.now() - pending.since);
      if (pending === undefined || waitFor <= 0) break;
      // Another request's call: its grant is pooled when it settles.
      waited = pending;
      pending.waiting++;
      try {
        await Promise.race([settledWithin(pending.settled, waitFor), timeout]);
      } finally {
        pending.waiting--;
      }
    }
    // Leased, they count whether or not they are used; at most the limit, and the object grants no more than
    // the window has left.
    const want = Math.min(obligation.limit, Math.max(leaseSize(obligation.limit), 1 + (waited?.waiting ?? 0)));
    const caller = { gaveUp: false };
    const call = leaseFromObject(namespace, obligation, key, want, now, caller);
    // Others wait for it: it must finish even if this request's client goes away (Workers cancel its I/O then).
    finishEvenIfAbandoned(call);
    const mine: InFlight = {
      settled: call.then(
        () => undefined,
        () => undefined,
      ),
      since: Date.now(),
      waiting: 0,
    };
    setBounded(inFlight, key, mine, LEASED_LIMIT);
    void mine.settled.then(() => {
      if (inFlight.get(key) === mine) inFlight.delete(key);
    });
    try {
      return await Promise.race([call, timeout]);
    } catch (error) {
      // Timed out: what the call still leases is the next requests', not spent on this one's behalf.
      caller.gaveUp = true;
      throw error;
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Per isolate: requests admitted uncounted under `failOpen` while a key's object did not answer, per window. At
 * most `limit` a window: an object the caller itself overloads must not lift the caller's limit altogether.
 */
const uncounted = new Map<string, { endsAt: number; admitted: number }>();
/**
 * Bounded, but never by dropping a window that is not over: a dropped allowance would start afresh, so a caller
 * who made enough other keys fail open could renew its own (from a review). Full, it admits no new key uncounted.
 */
const UNCOUNTED_LIMIT = 10_000;
/** No window in `uncounted` ends before this: until then, sweeping it would free nothing. */
let uncountedSweepAt = 0;
/** The latest time a sweep forgot the windows over by: a window ending by then has no allowance left to count. */
let uncountedSweptThrough = 0;

/** Whether `uncounted` has room for one more key, once the windows over at `now` are forgotten. */
function roomForUncounted(now: number): boolean {
  if (uncounted.size < UNCOUNTED_LIMIT) return true;
  if (now < uncountedSweepAt) return false;
  let earliest = Number.POSITIVE_INFINITY;
  for (const [key, held] of uncounted)
    if (held.endsAt <= now) uncounted.delete(key);
    else earliest = Math.min(earliest, held.endsAt);
  uncountedSweepAt = earliest;
  uncountedSweptThrough = Math.max(uncountedSweptThrough, now);
  return uncounted.size < UNCOUNTED_LIMIT;
}

/**
 * The isolate's uncounted requests of this obligation's window, if one more may go uncounted now. Counted by the
 * caller only once the request is let through: a request refused all the same (another bucket spent, another
 * store failing closed) went nowhere uncounted, and must not use up the window's allowance. None when the map
 * is full of windows not over (fail closed).
 */
function failOpenAllowance(obligation: RateLimitObligation, now: number): { admitted: number } | undefined {
  if (!obligation.failOpen) return undefined;
  const key = leaseKey(obligation);
  const period = obligation.periodSeconds * 1000;
  let held = uncounted.get(key);
  if (!held && !roomForUncounted(now)) return undefined;
  // A window a sweep forgot is over, its allowance perhaps spent: a request of it answered since counts against
  // the window of the sweep, not a fresh allowance of its own (from a review: one more `limit` in that window).
  const endsAt = (Math.floor(Math.max(now, uncountedSweptThrough) / period) + 1) * period;
  // A request of a window already left behind (it arrived before the end, its store failed after one that arrived
  // since) counts against the newer window: replacing that allowance with its own would renew it, again and again
  // while arrivals either side of the end are answered out of order (from a review).
  if (!held || held.endsAt < endsAt) {
    uncounted.set(key, (held = { endsAt, admitted: 0 }));
    uncountedSweepAt = Math.min(uncountedSweepAt, endsAt);
  }
  return held.admitted < obligation.limit ? held : undefined;
}

/** One obligation's answer, or why its store could not give one. */
type Counted =
  | { obligation: RateLimitObligation; answer: RateLimitAnswer }
  | { obligation: RateLimitObligation; error: unknown };

/** A rule's `RateLimit-Policy` and `RateLimit` members for one bucket's answer. */
interface RuleFields {
  policy: string;
  current: string;
  /** Seconds until the window resets (Retry-After on a refusal). */
  reset: number;
}

function ruleFields(name: string, obligation: RateLimitObligation, answer: RateLimitAnswer, now: number): RuleFields {
  const reset = Math.max(0, Math.ceil((answer.resetAt - now) / 1000));
  return {
    policy: `${name};q=${answer.limit};w=${obligation.periodSeconds}`,
    current: `${name};r=${answer.remaining};t=${reset}`,
    reset,
  };
}

/**
 * Counts this request against every rate-limit obligation of an allow decision. Headers follow
 * draft-ietf-httpapi-ratelimit-headers-11 (May 2026): `RateLimit-Policy: "<rule>";q=<limit>;w=<seconds>` and
 * `RateLimit: "<rule>";r=<remaining>;t=<seconds to reset>`, plus `Retry-After` on 429. A store that throws or
 * does not answer refuses the request with 503, unless the rule says `failOpen` (admitted, logged; at most
 * `limit` such requests per isolate a window: failOpenAllowance). A refused request spends nothing: what its
 * other buckets gave it goes back to their leases (giveBack), and no failOpen allowance is used.
 */
export async function checkRateLimits(
  env: Pick<Env, "RATE_LIMITER">,
  obligations: RateLimitObligation[],
  now: number,
): Promise<RateLimitResult> {
  // Nearly every request is served from this isolate's leases: then nothing waits, nothing is raced.
  const local = obligations.map((obligation) => takeLeased(leaseKey(obligation), obligation.limit, now));
  // Most of those count one bucket and are admitted: nothing to give back, nothing to choose between.
  const only = local.length === 1 ? local[0] : undefined;
  if (only?.admitted) {
    const fields = ruleFields(fieldName(obligations[0]!.rule), obligations[0]!, only, now);
    return { ok: true, headers: { "RateLimit-Policy": fields.policy, RateLimit: fields.current } };
  }
  const answers: Counted[] = local.every((answer) => answer !== undefined)
    ? obligations.map((obligation, i) => ({ obligation, answer: local[i]! }))
    : await Promise.all(
        obligations.map(async (obligation, i) => {
          try {
            return { obligation, answer: local[i] ?? (await ask(env.RATE_LIMITER, obligation, now)) };
          } catch (error) {
            return { obligation, error };
          }
        }),
      );
  // A store that did not answer: admitted uncounted where the rule says failOpen, up to its limit a window.
  const failedOpen = new Map<Counted, { admitted: number }>();
  for (const r of answers) {
    const allowance = "answer" in r ? undefined : failOpenAllowance(r.obligation, now);
    if (allowance) failedOpen.set(r, allowance);
  }
  // Refused (a bucket spent, or a store that must answer did not): what the other buckets gave goes back, and
  // the failOpen allowance is untouched. Let through: each bucket that failed open has one request fewer left.
  if (answers.some((r) => ("answer" in r ? !r.answer.admitted : !failedOpen.has(r)))) {
    for (const r of answers)
      if ("answer" in r && r.answer.admitted) {
        giveBack(leaseKey(r.obligation), r.answer.resetAt);
        r.answer = { ...r.answer, remaining: r.answer.remaining + 1 };
      }
  } else for (const allowance of failedOpen.values()) allowance.admitted++;
  // One field per rule: a rule that counts two of the caller's credentials (policy/rate-limit-keys.ts) reports
  // the bucket with the fewest requests left.
  const byRule = new Map<string, RuleFields & { remaining: number }>();
  let unavailable = false;
  let retryAfter = 0;
  for (const result of answers) {
    const { obligation } = result;
    if (!("answer" in result)) {
      const fields = {
        rule: obligation.rule,
        failOpen: obligation.failOpen,
        ...(obligation.failOpen && !failedOpen.has(result) ? { uncountedLimitReached: true } : {}),
        error: String(result.error),
      };
      if (failedOpen.has(result)) logEvent("warn", "rate-limit-unavailable", fields);
      else {
        logEvent("error", "rate-limit-unavailable", fields);
        unavailable = true;
      }
      continue;
    }
    const { answer } = result;
    const name = fieldName(obligation.rule);
    const fields = ruleFields(name, obligation, answer, now);
    const held = byRule.get(name);
    if (!held || answer.remaining < held.remaining) byRule.set(name, { ...fields, remaining: answer.remaining });
    if (!answer.admitted) retryAfter = Math.max(retryAfter, fields.reset, 1);
  }
  if (unavailable) return { ok: false, reason: "rate-limit-unavailable", headers: {} };
  const headers: Record<string, string> = {};
  if (byRule.size > 0) {
    headers["RateLimit-Policy"] = [...byRule.values()].map((f) => f.policy).join(", ");
    headers.RateLimit = [...byRule.values()].map((f) => f.current).join(", ");
  }
  if (retryAfter > 0)
    return { ok: false, reason: "rate-limited", headers: { ...headers, "Retry-After": String(retryAfter) } };
  return { ok: true, headers };
}
