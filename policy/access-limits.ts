// How long an Access token may have been issued for, and how long ago: the limits the gateway holds every
// token to, however validly signed. A token the team's key signed with a lifetime Access cannot be
// configured to issue (a stolen signing key, a bug, a test key left in a key set) would otherwise be good
// for as long as its `exp` says.
//
// Access issues an application token for the policy's session duration, which defaults to the
// application's session duration (24 hours unless changed), and can be set from "immediate timeout" to one
// month; a service token is exchanged for an application token of its Service Auth policy's session
// duration the same way. Hence the defaults (24h for people and for service tokens alike), and the cap: no
// limit may be configured above one month (730h, the longest session Access offers), since a longer one
// could only admit tokens Access never issues.
import { durationSeconds } from "./duration.ts";
import { DEFAULT_MAX_POSTURE_AGE } from "./posture-age.ts";
import type { PolicyDocument } from "./schema.ts";

export const DEFAULT_TOKEN_LIFETIME = "24h";
export const DEFAULT_SERVICE_TOKEN_LIFETIME = "24h";
export const MAX_CONFIGURABLE_TOKEN_DURATION = "730h";
export const MAX_CONFIGURABLE_TOKEN_SECONDS = durationSeconds(MAX_CONFIGURABLE_TOKEN_DURATION);

/** identity.access as the verifier uses it: durations in seconds. One object per compiled policy version. */
export interface CompiledAccess {
  teamDomain: string;
  audiences: readonly string[];
  /** Longest `exp - iat` of a person's token. */
  maxLifetimeSeconds: number;
  /** Longest `exp - iat` of a service token's token. */
  serviceTokenMaxLifetimeSeconds: number;
  /** Oldest `iat` accepted, as an age; undefined: a token is good until its `exp`. */
  maxAgeSeconds?: number;
  /** Oldest device-posture result that counts, as an age at the request's time (posture-age.ts). */
  maxPostureAgeMs: number;
}

type AccessSource = NonNullable<PolicyDocument["identity"]["access"]>;

export function compileAccess(access: AccessSource): CompiledAccess {
  const compiled: CompiledAccess = {
    teamDomain: access.teamDomain,
    audiences: access.audiences,
    maxLifetimeSeconds: durationSeconds(access.maxTokenLifetime),
    serviceTokenMaxLifetimeSeconds: durationSeconds(access.serviceTokenMaxLifetime),
    maxPostureAgeMs: durationSeconds(access.maxPostureAge ?? DEFAULT_MAX_POSTURE_AGE) * 1000,
  };
  if (access.maxTokenAge !== undefined) compiled.maxAgeSeconds = durationSeconds(access.maxTokenAge);
  return compiled;
}
