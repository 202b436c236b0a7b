// Groups and device posture are not in the Access JWT: Access's get-identity endpoint has them. It is asked
// only when the policy has a rule that can use them, and the answer is cached by the token's identity_nonce
// (which changes when the user's identity is refreshed) together with its issuer, subject and e-mail: the
// nonce alone is just a claim, and two tokens carrying the same one (a signing bug, a replayed claim, a
// test key) must not hand one person the other's groups. A failed or malformed lookup yields nothing: the
// groups are then unknown, so allow rules on groups do not match and deny rules on groups hold (fail closed).
import { canonicalEmail, isCleanText, postureInstant, type PostureResult } from "../../policy/index.ts";
import { setBounded } from "../shared/bounded-cache.ts";
import type { DirectorySubject } from "./access-jwt.ts";

const CACHE_LIMIT = 1000;
/**
 * How long a lookup may take: past it the facts are unknown (group rules fail closed) rather than every request
 * that needs them waiting on Access until the runtime gives up on it.
 */
export const LOOKUP_TIMEOUT_MS = 5_000;
/** Upper bound on how long a lookup is reused, whatever the token's lifetime. */
const MAX_CACHE_MS = 5 * 60_000;
/**
 * How long a lookup that gave nothing is remembered for the same person: while Access fails (a 429, a 5xx, a
 * timeout), each of their requests would ask again, the load on Access highest when it can least take it.
 */
const FAILURE_MEMORY_MS = 2_000;
/** How often a request waiting on another request's lookup for the same person looks for its answer. */
const WAIT_STEP_MS = 10;
/**
 * A lookup still marked running this long past its timeout was abandoned with its request (one that ends ends by
 * itself at the timeout, when its fetch is aborted): only then does another request take over. At the timeout
 * exactly, a waiter would start a second call while the first was still being answered or aborted.
 */
const ABANDONED_AFTER_TIMEOUT_MS = 1_000;
/**
 * While a cached answer holds a stale posture result, Access is asked for a newer one at most this often: a device
 * that reports just after an ask counts within this, not when the answer's 5 minutes end; and asking on every
 * request would not make the device report sooner.
 */
const STALE_REASK_MS = 30_000;
const WAIT = Symbol("wait");

/**
 * A lookup's outcome. `answered` false: Access gave no answer (the fetch failed or timed out, a 5xx or 429, a
 * body that is not JSON), an outage that says nothing of the person. True, with no facts: Access answered about
 * this person, and the answer is not one Ward can use (a 4xx, a group name with control characters, no groups).
 */
export interface DirectoryLookup {
  facts: DirectoryFacts | undefined;
  answered: boolean;
}

export interface DirectoryFacts {
  groups: string[];
  /**
   * Undefined when the answer has no posture results: posture is then unknown, not "nothing passes". Each result
   * with when it was evaluated: whether it still counts is judged at each request's time (policy/posture-age.ts),
   * as the answer is reused.
   */
  devicePosture?: Record<string, PostureResult>;
}

const groupName = (g: unknown): string | undefined =>
  typeof g === "string"
    ? g
    : typeof (g as { name?: unknown } | null)?.name === "string"
      ? (g as { name: string }).name
      : undefined;

/**
 * An answer without a list of groups, or with an entry that names none, is no answer: read as "no groups"
 * it would keep a deny rule on a group from matching someone who may well be in it. So is one with a group
 * name holding control characters (policy/clean-text.ts): it would reach logs and the origin's assertion. So is
 * one whose `email` is not the token's (compared as e-mails are matched: ASCII letters without case): Access
 * answers for the cookie it is sent, and an answer about another person must never lend them their groups. So is
 * one naming no e-mail: Access's answer about a person always names them (test/fixtures/access-identity/), and
 * one that does not cannot be told to be about this person.
 */
function factsFrom(body: unknown, email: string): DirectoryFacts | undefined {
  if (body === null || typeof body !== "object") return undefined;
  const record = body as { email?: unknown; groups?: unknown; devicePosture?: unknown };
  // An answer naming someone else, or no one, is not this person's. As e-mails are matched
  // (policy/email-address.ts): `\u212Aate@` is no spelling of `kate@`.
  const named = typeof record.email === "string" ? canonicalEmail(record.email) : undefined;
  if (named === undefined || named !== canonicalEmail(email)) return undefined;
  if (!Array.isArray(record.groups)) return undefined;
  const groups = record.groups.map(groupName);
  if (!groups.every((g): g is string => g !== undefined && isCleanText(g))) return undefined;
  if (!record.devicePosture || typeof record.devicePosture !== "object") return { groups };
  // No prototype: a check named `__proto__` is a name like any other, not a way to set one.
  const devicePosture: Record<string, PostureResult> = Object.create(null);
  for (const [id, check] of Object.entries(record.devicePosture as Record<string, unknown>)) {
    // A check's name holding control or bidirectional characters is left out (its result unknown): no policy can
    // name it, and on the person's page (/.ward/me) `\u202Edessap` would show a failed check as passed. So is a
    // check without a boolean result (`"success": "true"`, none): unknown, not failed, or a deny rule on it
    // would not hold (policy/conditions.ts). So is one whose `timestamp` is no instant (missing, a number, a date
    // without a time): how old it is cannot be told, and an old result must not count as current.
    const result = check as { success?: unknown; timestamp?: unknown } | null;
    const success = result?.success;
    const at = postureInstant(result?.timestamp);
    if (isCleanText(id) && typeof success === "boolean" && !Number.isNaN(at)) devicePosture[id] = { success, at };
  }
  return { groups, devicePosture };
}

/** A cached answer: reused until `until`; `askedAt`, when Access was last asked for it (or asked again). */
interface CachedAnswer {
  facts: DirectoryFacts;
  until: number;
  fetchedAt: number;
  askedAt: number;
}

/**
 * Whether a cached answer should be asked for again at `now` for a posture result gone stale: Access may have a
 * newer one by now (the device reports on its schedule). Asked once as soon as the result goes stale, then at most
 * every STALE_REASK_MS while it stays so, whatever came of each ask (Access had nothing newer, or did not answer).
 */
function wentStale(cached: CachedAnswer, now: number, maxAgeMs: number): boolean {
  const posture = cached.facts.devicePosture;
  if (!posture) return false;
  for (const id in posture) {
    const staleFrom = posture[id]!.at + maxAgeMs;
    if (staleFrom < now && (staleFrom >= cached.askedAt || now - cached.askedAt >= STALE_REASK_MS)) return true;
  }
  return false;
}

export class AccessDirectory {
  private readonly url: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly cache = new Map<string, CachedAnswer>();
  /**
   * Lookups in flight, by key: when each began (Date.now()). An object per claim, so a lookup that ends removes its
   * own mark and never the one of a lookup that took over from it.
   */
  private readonly running = new Map<string, { since: number }>();
  /**
   * Lookups that gave nothing, by key: when each ended (Date.now()), and whether Access answered. The memory is of
   * Access's state, so it is kept on the clock, not on a request's: stamped with its request's start (or that
   * start plus the lookup), a timeout ending 5 s later, one that waited 6 s for an abandoned lookup first, or a
   * shadow candidate's lookup made after the origin answered was forgotten before it was remembered.
   */
  private readonly failed = new Map<string, { at: number; answered: boolean }>();
  private readonly failureMemoryMs: number;

  constructor(
    teamDomain: string,
    fetchImpl: typeof fetch = (input, init) => fetch(input, init),
    timeoutMs = LOOKUP_TIMEOUT_MS,
    failureMemoryMs = FAILURE_MEMORY_MS,
  ) {
    this.url = `${teamDomain}/cdn-cgi/access/get-identity`;
    this.fetchImpl = fetchImpl;
    this.timeoutMs = timeoutMs;
    this.failureMemoryMs = failureMemoryMs;
  }

  /**
   * `email`: the token's, which the answer must name. `subject` undefined (no identity_nonce): asked every time,
   * never cached. `notBefore`: an answer cached before then is not reused (a security event said the person's claims
   * or device changed, worker/ssf/). `maxPostureAgeMs`, when the request reads posture: a cached answer with a
   * result that has gone stale is asked for again (once, then every STALE_REASK_MS), since Access may hold a newer one. The
   * person's other requests meanwhile are given the cached answer, not made to wait: it decides them as a failed ask
   * would leave it (its stale result counts for nothing either way). When Access gives no answer, the cached one
   * stands; when it answers that it has nothing for the person (a 403, an answer Ward cannot use), the cached one
   * is dropped, as a lookup with no cache would have nothing. Requests for one person while a lookup of theirs runs
   * wait for it, and one that gave nothing is remembered for FAILURE_MEMORY_MS.
   */
  async lookup(
    token: string,
    email: string,
    subject: DirectorySubject | undefined,
    expiresAt: number,
    now: number,
    notBefore?: number,
    maxPostureAgeMs?: number,
  ): Promise<DirectoryLookup> {
    // Unambiguous whatever the parts hold (a JSON array, not a join on some separator a part may contain).
    const key = subject ? JSON.stringify([subject.issuer, subject.subject, subject.email, subject.nonce]) : undefined;
    if (key === undefined) return this.ask(token, email);
    // The cached answer this request may use at all, and whether it may use it without asking again.
    const cachedAnswer = (): DirectoryLookup | undefined => {
      const cached = this.cache.get(key);
      return cached && now < cached.until && (notBefore === undefined || cached.fetchedAt > notBefore)
        ? { facts: cached.facts, answered: true }
        : undefined;
    };
    const usable = (): DirectoryLookup | undefined => {
      const cached = this.cache.get(key);
      return cached && maxPostureAgeMs !== undefined && wentStale(cached, now, maxPostureAgeMs)
        ? undefined
        : cachedAnswer();
    };
    // Checked and claimed in one turn: requests arriving together must not each find no lookup running.
    for (let known = this.known(key, usable); known !== undefined; known = this.known(key, usable)) {
      if (known !== WAIT) return known.facts || known.answered ? known : (cachedAnswer() ?? known);
      await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
    }
    // Asking again for a result gone stale: marked in the same turn, so the person's other requests take the
    // cached answer meanwhile, and it is asked for once, whatever comes of it.
    const held = this.cache.get(key);
    if (held && maxPostureAgeMs !== undefined && wentStale(held, now, maxPostureAgeMs)) held.askedAt = now;
    const mine = { since: Date.now() };
    this.running.set(key, mine);
    const result = await this.ask(token, email).finally(() => {
      if (this.running.get(key) === mine) this.running.delete(key);
    });
    if (result.facts) {
      this.failed.delete(key);
      setBounded(
        this.cache,
        key,
        { facts: result.facts, until: Math.min(expiresAt, now + MAX_CACHE_MS), fetchedAt: now, askedAt: now },
        CACHE_LIMIT,
      );
      return result;
    }
    setBounded(this.failed, key, { at: Date.now(), answered: result.answered }, CACHE_LIMIT);
    if (!result.answered) return cachedAnswer() ?? result;
    this.cache.delete(key);
    return result;
  }

  /**
   * What this request may use without asking: an answer (cached, or another request's for the same person, waited
   * for while it runs: by polling, since a request never awaits another's promise, which the runtime ties to that
   * request), a failure remembered, WAIT while another request's lookup runs, or undefined when it must ask.
   */
  private known(key: string, usable: () => DirectoryLookup | undefined): DirectoryLookup | typeof WAIT | undefined {
    const answer = usable();
    if (answer) return answer;
    const failure = this.failed.get(key);
    if (failure && Date.now() - failure.at < this.failureMemoryMs)
      return { facts: undefined, answered: failure.answered };
    const running = this.running.get(key);
    // One left running well past the timeout was abandoned with its request: not waited for.
    return running !== undefined && Date.now() - running.since < this.timeoutMs + ABANDONED_AFTER_TIMEOUT_MS
      ? WAIT
      : undefined;
  }

  /** One get-identity call for the token's person. */
  private async ask(token: string, email: string): Promise<DirectoryLookup> {
    let facts: DirectoryFacts | undefined;
    let answered = false;
    try {
      // Never followed: a redirect would carry the person's token, as a cookie, to wherever it points.
      // A 3xx is no answer (groups unknown), as jose's key-set fetch treats one.
      const response = await this.fetchImpl(this.url, {
        headers: { cookie: `CF_Authorization=${token}` },
        redirect: "manual",
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      // An answer about this person (a redirect to sign in, a 4xx) or an outage (5xx, 429: Access's, not theirs).
      answered = response.status < 500 && response.status !== 429;
      if (response.ok) {
        const body: unknown = await response.json();
        facts = factsFrom(body, email);
      } else await response.body?.cancel();
    } catch {
      // The fetch failed or timed out, or the body was not JSON (an error page): no answer.
      answered = false;
      facts = undefined;
    }
    return { facts, answered };
  }
}
