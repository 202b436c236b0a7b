// One AccessVerifier (and AccessDirectory) per isolate and Access configuration: its key set and verified-token cache live as
// long as the isolate, never per request.
import { AccessDirectory } from "./access-directory.ts";
import { AccessVerifier, type AccessConfig } from "./access-jwt.ts";
import { setBounded } from "../shared/bounded-cache.ts";

/**
 * Configurations whose verifier is kept for versions to share: each holds up to a whole verified-token cache, so
 * pushes that change the Access settings must not pile them up. An active version's stays reachable through
 * `byConfig` (its compiled config holds it) even once it has left this map.
 */
export const KEPT_CONFIGURATIONS = 8;

const verifiers = new Map<string, AccessVerifier>();
/** The verifier of each (compiled, immutable) config object, so a request does not even build the key. */
const byConfig = new WeakMap<AccessConfig, AccessVerifier>();

export function accessVerifier(config: AccessConfig): AccessVerifier {
  let verifier = byConfig.get(config);
  if (verifier) return verifier;
  // Policy versions with the same team, audiences and token limits share one verifier (its key set and
  // verified tokens). The limits belong in the key: a token verified under a longer lifetime or age must not
  // be served from the cache of a version that allows less.
  const limits = [config.maxLifetimeSeconds, config.serviceTokenMaxLifetimeSeconds, config.maxAgeSeconds ?? "-"].join(
    ",",
  );
  const key = `${config.teamDomain} ${config.audiences.join(",")} ${limits}`;
  verifier = verifiers.get(key);
  if (!verifier) setBounded(verifiers, key, (verifier = new AccessVerifier(config)), KEPT_CONFIGURATIONS);
  byConfig.set(config, verifier);
  return verifier;
}

const directories = new Map<string, AccessDirectory>();

export function accessDirectory(teamDomain: string): AccessDirectory {
  let directory = directories.get(teamDomain);
  if (!directory) directories.set(teamDomain, (directory = new AccessDirectory(teamDomain)));
  return directory;
}

/** Forgets every verifier and directory: their key sets and caches (tests start from an empty isolate). */
export function resetAccessVerifiers(): void {
  verifiers.clear();
  directories.clear();
}
