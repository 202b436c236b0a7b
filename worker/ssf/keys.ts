// Each transmitter's signing keys, once per isolate, as the Access key set is held (worker/identity/): a remote
// key set (its SSF configuration's jwks_uri) is fetched once and kept 10 minutes, an unknown `kid` refetches it
// at most every 30 seconds (a flood of made-up kids is not a flood of requests to the transmitter), redirects
// are never followed (jose fetches with redirect: "manual" and takes only a 200), and a fetch gives up after
// 5 seconds. An inline key set (policy `jwks`) is used as written: validation allows public keys only.
import {
  type CompactVerifyGetKey,
  compactVerify,
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type FetchImplementation,
  type JWTVerifyGetKey,
} from "jose";
import type { SsfTransmitter } from "../../policy/index.ts";
import { finishEvenIfAbandoned } from "../shared/finish-abandoned.ts";
import { joseCode } from "../shared/jose-code.ts";

const keySets = new Map<string, JWTVerifyGetKey>();
/** Between fetches that failed: jose's own cooldown starts only after a fetch that succeeds. */
const FAILED_FETCH_COOLDOWN_MS = 30_000;
/** What a verification throws, without a fetch, within that cooldown: the SET is asked for again (503). */
export const KEYS_RETRY_LATER = "WARD_KEYS_RETRY_LATER";
/** jose's codes for a fetch of the key set that gave none (failed, timed out, not a 200, not a key set). */
const FETCH_FAILED = new Set(["ERR_JWKS_TIMEOUT", "ERR_JOSE_GENERIC", "ERR_JWKS_INVALID"]);

/**
 * Whether a verification's error `code` says the key set could not be had (a fetch rejected by the network has
 * none), or not now: the SET may be good, so it is asked for again rather than refused.
 */
export function keySetUnavailable(code: string | undefined): boolean {
  return code === undefined || code === KEYS_RETRY_LATER || FETCH_FAILED.has(code);
}

type RemoteKeys = ReturnType<typeof createRemoteJWKSet>;

/**
 * How long after a fetch starts other SETs do not start one of their own: jose gives up on a fetch after 5 s,
 * and on Workers shares no fetch between requests, so without this a burst of forged SETs arriving while a slow
 * fetch runs would each fetch. (A fetch whose request went away never ends: after this, the next one may start.)
 */
const FETCH_IN_FLIGHT_MS = 6_000;

/** The set in hand as a local set: one per fetched set (jose hands out the same object until it fetches again). */
const inHandSets = new WeakMap<object, ReturnType<typeof createLocalJWKSet>>();
function inHandSet(remote: RemoteKeys): ReturnType<typeof createLocalJWKSet> | undefined {
  const jwks = remote.fresh ? remote.jwks() : undefined;
  if (!jwks) return undefined;
  let set = inHandSets.get(jwks);
  if (!set) inHandSets.set(jwks, (set = createLocalJWKSet(jwks)));
  return set;
}

/**
 * Whether jose would fetch the set to verify a SET with this header: none fresh in hand, or no key in it that
 * fits (jose fetches again for a kid it lacks and for one whose key does not fit the header alike: an
 * encryption key, another algorithm).
 */
async function mayFetch(remote: RemoteKeys, header: Parameters<RemoteKeys>[0], token: Parameters<RemoteKeys>[1]) {
  const inHand = inHandSet(remote);
  if (!inHand) return true;
  if (remote.coolingDown) return false;
  try {
    await inHand(header, token);
    return false;
  } catch (error) {
    return (error as { code?: string }).code === "ERR_JWKS_NO_MATCHING_KEY";
  }
}

/**
 * jose's remote set, with a cooldown after a failed fetch too, and one fetch at a time: while the transmitter's
 * key endpoint is down (for 30 s after the last failure), or while a fetch another SET started is still
 * running, a SET is verified against the set in hand only (when it is still fresh), and one it cannot verify is
 * answered without a fetch, so a flood of forged SETs is not a flood of fetches. Its `coolingDown` is jose's.
 */
function withFailureCooldown(remote: RemoteKeys): JWTVerifyGetKey {
  let failedAt = Number.NEGATIVE_INFINITY;
  let fetchStartedAt = Number.NEGATIVE_INFINITY;
  const retryLater = () => Object.assign(new Error("key set unavailable: retry later"), { code: KEYS_RETRY_LATER });
  const getKey = async (header: Parameters<RemoteKeys>[0], token: Parameters<RemoteKeys>[1]) => {
    const now = Date.now();
    const fetching = await mayFetch(remote, header, token);
    if (now - failedAt < FAILED_FETCH_COOLDOWN_MS || (fetching && now - fetchStartedAt < FETCH_IN_FLIGHT_MS)) {
      const inHand = inHandSet(remote);
      if (!inHand) throw retryLater();
      try {
        return await inHand(header, token);
      } catch (error) {
        // A kid it lacks, or a key that does not fit (another algorithm, an encryption key): not now.
        if ((error as { code?: string }).code === "ERR_JWKS_NO_MATCHING_KEY") throw retryLater();
        throw error;
      }
    }
    if (fetching) fetchStartedAt = now;
    const verifying = remote(header, token);
    // A fetch this SET starts refreshes the set for the SETs after it, whether or not this one's sender waits.
    if (fetching) finishEvenIfAbandoned(verifying);
    try {
      return await verifying;
    } catch (error) {
      // A fetch that failed, with jose's code or none (fetch rejected: the network).
      if (keySetUnavailable(joseCode(error))) failedAt = Date.now();
      throw error;
    }
  };
  return Object.defineProperty(getKey, "coolingDown", { get: () => remote.coolingDown }) as JWTVerifyGetKey;
}

/**
 * Verifies a SET's signature with the transmitter's keys. A SET without `kid` that more than one key could
 * verify (a rotation publishes the next key beside the current one) is tried with each, as jose documents:
 * RFC 7515 makes `kid` optional, and refusing such a SET (a 4xx, which transmitters do not send again) would
 * lose it.
 */
export async function verifySet(token: string, keys: JWTVerifyGetKey, algorithms: string[]): Promise<void> {
  try {
    await compactVerify(token, keys as CompactVerifyGetKey, { algorithms });
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_JWKS_MULTIPLE_MATCHING_KEYS") throw error;
    for await (const key of error as AsyncIterable<CryptoKey>) {
      try {
        await compactVerify(token, key, { algorithms });
        return;
      } catch (inner) {
        if ((inner as { code?: string }).code !== "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") throw inner;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}

/** At most this many key sets per isolate (policy versions with different transmitters come and go). */
const MAX_KEY_SETS = 64;

let fetchOverride: FetchImplementation | undefined;

export function transmitterKeys(transmitter: SsfTransmitter): JWTVerifyGetKey {
  const source = transmitter.jwksUri ?? JSON.stringify(transmitter.jwks);
  const key = `${transmitter.issuer} ${source}`;
  let keys = keySets.get(key);
  if (keys) return keys;
  keys = transmitter.jwksUri
    ? withFailureCooldown(
        createRemoteJWKSet(new URL(transmitter.jwksUri), {
          cooldownDuration: 30_000,
          cacheMaxAge: 600_000,
          timeoutDuration: 5_000,
          ...(fetchOverride ? { [customFetch]: fetchOverride } : {}),
        }),
      )
    : createLocalJWKSet(transmitter.jwks as Parameters<typeof createLocalJWKSet>[0]);
  if (keySets.size >= MAX_KEY_SETS) keySets.delete(keySets.keys().next().value!);
  keySets.set(key, keys);
  return keys;
}

/** Forgets every key set; `fetchImpl` replaces the key-set fetch (tests). */
export function resetTransmitterKeys(fetchImpl?: FetchImplementation): void {
  keySets.clear();
  fetchOverride = fetchImpl;
}
