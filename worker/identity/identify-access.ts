// The Access half of identify(): a verified Access token, counted only at a service that takes its
// application (services.<name>.accessAudiences), with directory facts fetched when a rule needs them.
import {
  claimedAudiences,
  currentPosture,
  type CompiledAccess,
  type CompiledPolicy,
  type CredentialSeen,
} from "../../policy/index.ts";
import type { EventLog } from "../log/events.ts";
import type { AccessIdentity } from "./access-jwt.ts";
import type { ServiceSource } from "./request-service.ts";
import { directoryFreshness } from "../denylist/cache.ts";
import { keySetUnavailable } from "./issuer-keys.ts";
import { accessDirectory, accessVerifier } from "./verifiers.ts";

export interface VerifiedAccess {
  identity: AccessIdentity;
  credential: CredentialSeen;
  /** Until when the token is accepted (exp plus the clock skew), ms since the epoch. */
  acceptedUntil: number;
  /** The directory facts asked for could not be had (Access did not answer): the person's groups are unknown. */
  unchecked: boolean;
}

/** The token could not be checked: Access's key set could not be had (not the caller's doing). */
export const ACCESS_UNCHECKED = "unchecked";

/**
 * Each Access application has its own AUD tag. A service that names the applications whose tokens count
 * for it takes no other's: a token issued for the wiki's application does not open payments.
 */
function countsAt(
  claimed: ReadonlySet<string>,
  audiences: readonly string[],
  service: ServiceSource | undefined,
): boolean {
  // A host no service answers (the admin API's, Ward's own pages there): an application a service has claimed
  // as its own is not one whose tokens sign anyone in here, or the wiki's token would open the admin API.
  if (service === undefined) return audiences.some((aud) => !claimed.has(aud));
  const wanted = service.accessAudiences;
  return wanted === undefined || audiences.some((aud) => wanted.includes(aud));
}

export async function verifyAccessToken(
  policy: CompiledPolicy,
  access: CompiledAccess,
  token: string,
  serviceOf: () => ServiceSource | undefined,
  now: number,
  requestId: string,
  needs: CompiledPolicy["needs"],
  logEvent: EventLog,
): Promise<VerifiedAccess | typeof ACCESS_UNCHECKED | undefined> {
  const result = await accessVerifier(access).verify(token, now);
  if (!result.ok) {
    logEvent("warn", "access-token-rejected", { requestId, problem: result.problem });
    return keySetUnavailable(result.problem) ? ACCESS_UNCHECKED : undefined;
  }
  // Most policies name none (no audience claimed): then the request's service need not even be looked up.
  const claimed = claimedAudiences(policy.document);
  if (claimed.size > 0 && !countsAt(claimed, result.audiences, serviceOf())) {
    logEvent("warn", "access-token-rejected", { requestId, problem: "audience-not-for-service" });
    return undefined;
  }
  // Negative past exp, within the clock skew allowed: exp itself is what `ward metrics` tells tokens apart by.
  // Computed before the literal: written inside it, V8 deoptimised this function again each time it optimised it
  // (Maglev, "reason: Smi"), so it ran unoptimised on every request (docs/performance.md).
  const remainingSeconds = result.exp - Math.floor(now / 1000);
  const credential: CredentialSeen = {
    kind: "access-jwt",
    lifetimeSeconds: result.lifetimeSeconds,
    remainingSeconds,
    issuer: access.teamDomain,
  };
  let identity = result.identity;
  let unchecked = false;
  if (identity.user && (needs.groups || needs.devicePosture)) {
    // Security events (worker/ssf/): a person whose claims or device changed is asked for again, and a device
    // reported not compliant has unknown posture (posture conditions fail) while the hold lasts.
    const fresh = policy.document.sharedSignals ? directoryFreshness(identity.user, now) : undefined;
    const { facts, answered } = await accessDirectory(access.teamDomain).lookup(
      token,
      identity.user.email,
      result.directorySubject,
      result.expiresAt,
      now,
      fresh?.notBefore,
      needs.devicePosture ? access.maxPostureAgeMs : undefined,
    );
    if (facts) {
      // Only results evaluated recently enough, as of this request (the answer may be minutes old): an older one is
      // unknown, as a check the answer leaves out (policy/posture-age.ts).
      const posture =
        facts.devicePosture && !fresh?.postureHeld
          ? currentPosture(facts.devicePosture, now, access.maxPostureAgeMs)
          : undefined;
      identity = {
        ...identity,
        user: { ...identity.user, groups: facts.groups, ...posture },
      };
    } else {
      logEvent("warn", "access-directory-unavailable", { requestId });
      // Only an outage: an answer about this person that Ward cannot use (a group name of theirs with control
      // characters) is theirs, and their refusals count (from a review).
      unchecked = !answered;
    }
  }
  return { identity, credential, acceptedUntil: result.expiresAt, unchecked };
}
