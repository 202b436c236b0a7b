// The signing keys of one workload-token issuer, per isolate: fetched from the URL the policy names (a JWKS or
// SPIFFE bundle endpoint, or OIDC discovery and then its jwks_uri), or pushed with the policy. Never from a URL
// or key a token names (its `jku`, `x5u`, `jwk` or `x5c` are refused before this is asked), and never through a
// redirect: the policy names where the keys are, and a 3xx from there (or from anyone who took over a path on
// that host) is no key set.
//
// Access's team key set is held the same way (access-jwt.ts). The rotation and storm rules: the set is kept 10 minutes; a token
// whose `kid` is not in it may make Ward fetch the set again, but at most once every 30 seconds, whether the
// fetch succeeds or not, so a flood of made-up kids (or an issuer that is down) is at most one fetch per
// 30 s, never one per request. A set older than 10 minutes that cannot be fetched again verifies nothing:
// a key the issuer has withdrawn must stop counting.
import { createLocalJWKSet, type JWK, type JWSHeaderParameters } from "jose";
import { type CompiledTokenIssuer, jwksUriOf, MAX_KEY_DOCUMENT_BYTES, usableKeys } from "../../policy/index.ts";
import { type BoundedText, readBounded } from "../../policy/read-bounded.ts";
import { finishEvenIfAbandoned } from "../shared/finish-abandoned.ts";
import { settledWithin } from "../shared/settled-within.ts";

export const KEYS_MAX_AGE_MS = 600_000;
export const REFETCH_COOLDOWN_MS = 30_000;
const FETCH_TIMEOUT_MS = 5_000;
/**
 * A key-set load (discovery, then the set: two fetches) still pending this long after it started was abandoned.
 * Workers tie I/O to the request that started it and cancel it when that request's client goes away; a load
 * keeps its request alive until it ends (finishEvenIfAbandoned), but only for as long as Workers allow (30 s
 * after the client left), so this stays the bound: other requests wait for a load at most this long, and one
 * started before is replaced, so no caller can leave an issuer's tokens waiting for good.
 */
export const ABANDONED_LOAD_MS = 2 * FETCH_TIMEOUT_MS + 2_000;

export type KeyFetch = (url: string, init: RequestInit) => Promise<Response>;

/**
 * Whether a verifier's problem is that the issuer's key set could not be had (KeySetError's codes: its fetch,
 * its discovery document): the token was not checked at all, which says nothing of the caller.
 */
export const keySetUnavailable = (problem: string): boolean =>
  problem.startsWith("keys-") || problem.startsWith("discovery-");

/** Thrown for a key set that could not be had; the verifier reports its `code` as the problem. */
export class KeySetError extends Error {
  readonly code: string;
  constructor(code: string) {
    super(code);
    this.code = code;
  }
}

/** A document from `url`: 200 only, no redirect followed, bounded in size and time, JSON. */
async function fetchJson(url: string, fetchImpl: KeyFetch): Promise<unknown> {
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: "GET",
      redirect: "manual",
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
  } catch {
    throw new KeySetError("keys-unreachable");
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new KeySetError(response.status >= 300 && response.status < 400 ? "keys-redirected" : "keys-status");
  }
  // Refused past MAX_KEY_DOCUMENT_BYTES whatever Content-Length said (or before reading, when it says so). A body
  // cut off or stalled past the timeout is the server unreachable, not a malformed document: what the log says
  // sends the operator to the network or to the issuer's document.
  let read: BoundedText;
  try {
    read = await readBounded(response, MAX_KEY_DOCUMENT_BYTES);
  } catch {
    throw new KeySetError("keys-unreachable");
  }
  if (!read.ok) throw new KeySetError(read.problem === "too-large" ? "keys-too-large" : "keys-malformed");
  try {
    return JSON.parse(read.text);
  } catch {
    throw new KeySetError("keys-malformed");
  }
}

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

/** A set fetched: its keys, and the same in one spelling (member and key order aside) to tell it from the last. */
interface LoadedKeySet {
  set: LocalKeySet;
  canonical: string;
}

/** The usable keys in one spelling: each key's members sorted by name, then the keys sorted. */
function canonicalKeys(keys: readonly object[]): string {
  const spelt = keys.map((key) =>
    JSON.stringify(Object.fromEntries(Object.entries(key).sort(([a], [b]) => (a < b ? -1 : 1)))),
  );
  return JSON.stringify(spelt.sort());
}

/** What IssuerKeys needs of an issuer: where its keys are, and which of them sign (Access's team is one too). */
export type KeyedIssuer = Pick<CompiledTokenIssuer, "issuer" | "keys" | "keyUse">;

export class IssuerKeys {
  private set?: LocalKeySet;
  /** When the set in use was fetched (ms). */
  private fetchedAt = Number.NEGATIVE_INFINITY;
  /**
   * Which set is in use: bumped whenever it is replaced or dropped. A verification remembered under another
   * (or under a set now stale) no longer counts, so a key the issuer withdraws stops counting for tokens
   * already seen as soon as it does for new ones.
   */
  private generation = 0;
  /**
   * The set in use, as canonicalKeys spells it (none once dropped): a refetch that brings the same keys keeps the
   * generation, so a flood of made-up kids (a refetch per cooldown) has no cached token verified again.
   */
  private canonical?: string;
  /** When a fetch was last started, whatever became of it (ms). */
  private attemptedAt = Number.NEGATIVE_INFINITY;
  /** The load in flight, shared by the requests that need it, and when it started (a request's `now`). */
  private pending?: { done: Promise<void>; startedAt: number };
  /** Why the last fetch gave no set (the gateway logs it with the refused token). */
  private problem = "keys-unavailable";
  /** Fetches started, for tests and the storm bound. */
  fetches = 0;

  private readonly issuer: KeyedIssuer;
  private readonly fetchImpl: KeyFetch;

  constructor(issuer: KeyedIssuer, fetchImpl: KeyFetch = (url, init) => fetch(url, init)) {
    this.issuer = issuer;
    this.fetchImpl = fetchImpl;
    if (issuer.keys.kind === "inline") {
      this.set = createLocalJWKSet({ keys: (usableKeys(issuer.keys.jwks, issuer.keyUse) ?? []) as JWK[] });
      this.fetchedAt = Number.POSITIVE_INFINITY;
    }
  }

  /**
   * The key that verifies a token with this header; throws when there is none (jose's codes, or KeySetError's).
   * `from`, when given, is told the generation of the set the key came from (for vouches()).
   */
  async keyFor(header: JWSHeaderParameters, now: number, from?: { generation: number }): Promise<CryptoKey> {
    if (this.issuer.keys.kind !== "inline" && now - this.fetchedAt > KEYS_MAX_AGE_MS) {
      // Stale: it no longer counts, fetched again or not.
      this.drop();
      await this.refresh(now);
    } else if (!this.set && this.pending) {
      // Dropped by a request of a later instant, which is loading it again: a request that began just before
      // the set went stale, and reaches it only now, waits for that load too rather than be refused at once.
      await this.refresh(now);
    }
    if (!this.set) throw new KeySetError(this.problem);
    try {
      return await this.fromSet(header, from);
    } catch (error) {
      // An unknown kid: perhaps a key published since the set was fetched (rotation), once per cooldown.
      if ((error as { code?: string }).code !== "ERR_JWKS_NO_MATCHING_KEY" || this.issuer.keys.kind === "inline")
        throw error;
      if (!(await this.refresh(now)) || !this.set) throw error;
      return await this.fromSet(header, from);
    }
  }

  /** Whether a token verified with a key of set `generation` still counts at `now`: that set, and not stale. */
  vouches(generation: number, now: number): boolean {
    return generation === this.generation && now - this.fetchedAt <= KEYS_MAX_AGE_MS;
  }

  private async fromSet(header: JWSHeaderParameters, from: { generation: number } | undefined): Promise<CryptoKey> {
    const set = this.set!;
    const generation = this.generation;
    const key = (await set(header)) as CryptoKey;
    if (from) from.generation = generation;
    return key;
  }

  private drop(): void {
    this.set = undefined;
    this.canonical = undefined;
    this.generation++;
  }

  /**
   * Fetches the set again unless one was fetched (or tried) within the cooldown; true when it did, or waited for
   * a load another request started. A load still pending ABANDONED_LOAD_MS after it started was abandoned by the
   * request that started it (its client went away, and Workers stopped its I/O): the first live request to find
   * it so, on arriving or at the end of its wait, starts the load again itself, cooldown or not, and the others
   * wait for that one. So a caller who starts a load and goes away each time can make Ward fetch once per
   * ABANDONED_LOAD_MS (12 s) rather than per cooldown (30 s), and makes the requests that came meanwhile wait
   * for the rest of those 12 s, but never refuses them for want of a set it kept from being fetched.
   */
  private async refresh(now: number): Promise<boolean> {
    let startAt = now;
    const pending = this.pending;
    if (pending && now - pending.startedAt < ABANDONED_LOAD_MS) {
      await settledWithin(pending.done, ABANDONED_LOAD_MS - (now - pending.startedAt));
      const current = this.pending;
      // Settled (the set, or the problem, is in place), or another waiter has already started it again.
      if (current !== pending) {
        if (current) await settledWithin(current.done, ABANDONED_LOAD_MS);
        return true;
      }
      // Still pending after all that time: abandoned. On the same clock as the requests' `now`.
      startAt = pending.startedAt + ABANDONED_LOAD_MS;
    } else if (!pending && now - this.attemptedAt < REFETCH_COOLDOWN_MS) return false;
    this.attemptedAt = startAt;
    this.fetches++;
    const done: Promise<void> = this.load()
      .then((loaded) => {
        // A load taken for abandoned may still finish, after the one that replaced it: the newer set stays.
        if (startAt < this.fetchedAt) return;
        if (!this.set || loaded.canonical !== this.canonical) {
          this.set = loaded.set;
          this.canonical = loaded.canonical;
          this.generation++;
        }
        this.fetchedAt = startAt;
      })
      .catch((error: unknown) => {
        // Keeps a set that is still fresh; a stale one was already dropped.
        this.problem = error instanceof KeySetError ? error.code : "keys-malformed";
      })
      .finally(() => {
        if (this.pending?.done === done) this.pending = undefined;
      });
    this.pending = { done, startedAt: startAt };
    finishEvenIfAbandoned(done);
    await settledWithin(done, ABANDONED_LOAD_MS);
    return true;
  }

  private async load(): Promise<LoadedKeySet> {
    const source = this.issuer.keys;
    if (source.kind === "inline") throw new KeySetError("keys-inline");
    let url = source.url;
    if (source.kind === "discovery") {
      const found = jwksUriOf(await fetchJson(source.url, this.fetchImpl), this.issuer.issuer);
      if (!found.ok) throw new KeySetError(found.problem);
      url = found.url;
    }
    const keys = usableKeys(await fetchJson(url, this.fetchImpl), this.issuer.keyUse);
    if (!keys) throw new KeySetError("keys-malformed");
    return { set: createLocalJWKSet({ keys: keys as JWK[] }), canonical: canonicalKeys(keys) };
  }
}
