// Each transmitter's signing keys, once per isolate, as the Access key set is held (worker/identity/): a remote
// key set (its SSF configuration's jwks_uri) is fetched once and kept 10 minutes, an unknown `kid` refetches it
// at most every 30 seconds (a flood of made-up kids is not a flood of requests to the transmitter), redirects
// are never followed (jose fetches with redirect: "manual" and takes only a 200), and a fetch gives up after
// 5 seconds. An inline key set (policy `jwks`) is used as written: validation allows public keys only.
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  type FetchImplementation,
  type JWTVerifyGetKey,
} from "jose";
import type { SsfTransmitter } from "../../policy/index.ts";

const keySets = new Map<string, JWTVerifyGetKey>();
/** At most this many key sets per isolate (policy versions with different transmitters come and go). */
const MAX_KEY_SETS = 64;

let fetchOverride: FetchImplementation | undefined;

export function transmitterKeys(transmitter: SsfTransmitter): JWTVerifyGetKey {
  const source = transmitter.jwksUri ?? JSON.stringify(transmitter.jwks);
  const key = `${transmitter.issuer} ${source}`;
  let keys = keySets.get(key);
  if (keys) return keys;
  keys = transmitter.jwksUri
    ? createRemoteJWKSet(new URL(transmitter.jwksUri), {
        cooldownDuration: 30_000,
        cacheMaxAge: 600_000,
        timeoutDuration: 5_000,
        ...(fetchOverride ? { [customFetch]: fetchOverride } : {}),
      })
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
