// The workload-token half of identify(): the Bearer token of an issuer the policy trusts, verified for the
// audience of the service the request is for. A token of any other issuer is not Ward's (an app with its own
// login may take it, where the policy forwards Authorization); one of a trusted issuer is Ward's, counted or
// not, and never forwarded.
import {
  tokenAudienceOf,
  type CredentialSeen,
  type TokenIssuers,
  type VerifiedWorkloadToken,
} from "../../policy/index.ts";
import type { EventLog } from "../log/events.ts";
import { bearerTokenOf, claimedIssuers, peekToken } from "./bearer.ts";
import { keySetUnavailable } from "./issuer-keys.ts";
import type { ServiceSource } from "./request-service.ts";
import { workloadTokenVerifier } from "./token-verifiers.ts";

export interface WorkloadTokenOutcome {
  /** The Authorization header was a token of a trusted issuer. */
  consumed: boolean;
  /** The token could not be checked: its issuer's key set could not be had (not the caller's doing). */
  unchecked?: true;
  /** `acceptedUntil`: exp plus the issuer's clock skew, ms since the epoch. */
  verified?: Pick<VerifiedWorkloadToken, "identity" | "scopes"> & { credential: CredentialSeen; acceptedUntil: number };
}

/**
 * An Authorization header that is not one Bearer token of a trusted issuer, as bearerTokenOf reads one: no
 * credential, but still Ward's, and never forwarded, when any token in it names an issuer Ward trusts.
 */
function notOneBearer(
  value: string | null,
  issuers: TokenIssuers,
  requestId: string,
  logEvent: EventLog,
): WorkloadTokenOutcome {
  if (value === null) return { consumed: false };
  // Base64-wrapped text is read decoded too (claimedIssuers): registry and git clients send an OIDC token as a Basic
  // credential's password (`x-access-token:<token>`), whose dots base64 hides.
  const claimed = claimedIssuers(value);
  if (claimed === undefined) {
    // More payloads than a value carries: not read (each costs a parse), and not forwarded either.
    logEvent("warn", "workload-token-rejected", { requestId, issuer: null, problem: "authorization-payloads" });
    return { consumed: true };
  }
  const issuer = claimed.find((iss) => issuers.has(iss));
  if (issuer === undefined) return { consumed: false };
  logEvent("warn", "workload-token-rejected", {
    requestId,
    issuer: issuers.get(issuer)!.name,
    problem: "authorization-form",
  });
  return { consumed: true };
}

export async function verifyWorkloadToken(
  request: Request,
  issuers: TokenIssuers,
  serviceOf: () => ServiceSource | undefined,
  now: number,
  requestId: string,
  logEvent: EventLog,
): Promise<WorkloadTokenOutcome> {
  // Read once: a request without the header (most) would otherwise read it again below (docs/performance.md).
  const authorization = request.headers.get("authorization");
  const token = bearerTokenOf(authorization);
  if (token === undefined) return notOneBearer(authorization, issuers, requestId, logEvent);
  const peeked = peekToken(token);
  // Over the size bound, no `iss` was read: the header is looked at as one that is not a Bearer token.
  if (!peeked.ok && peeked.problem === "token-size") return notOneBearer(authorization, issuers, requestId, logEvent);
  // An unknown `iss` is no credential: exactly the issuers the policy names, compared as strings.
  // No `iss` read at all (a header that is not a JSON object, a payload that is not one): looked at as a value that
  // is not one Bearer token, so that a trusted issuer's signed payload is not forwarded under a spoilt header.
  if (peeked.issuer === undefined) return notOneBearer(authorization, issuers, requestId, logEvent);
  const issuer = issuers.get(peeked.issuer);
  if (issuer === undefined) return { consumed: false };
  if (!peeked.ok) {
    logEvent("warn", "workload-token-rejected", { requestId, issuer: issuer.name, problem: peeked.problem });
    return { consumed: true };
  }
  const service = serviceOf();
  if (service === undefined) {
    // No service, no audience: nothing a workload token could be for (the decision is host-not-found).
    logEvent("warn", "workload-token-rejected", { requestId, issuer: issuer.name, problem: "no-service" });
    return { consumed: true };
  }
  const result = await workloadTokenVerifier(issuer).verify(token, peeked.header, tokenAudienceOf(service), now);
  if (!result.ok) {
    logEvent("warn", "workload-token-rejected", { requestId, issuer: issuer.name, problem: result.problem });
    return keySetUnavailable(result.problem) ? { consumed: true, unchecked: true } : { consumed: true };
  }
  // Negative past exp, within the clock skew allowed: exp itself is what `ward metrics` tells tokens apart by.
  // Before the literal, as in identify-access.ts: inside it, V8 deoptimised the function on every optimisation.
  const remainingSeconds = result.exp - Math.floor(now / 1000);
  const credential: CredentialSeen = {
    kind: "workload-token",
    lifetimeSeconds: result.exp - result.iat,
    remainingSeconds,
    issuer: issuer.issuer,
  };
  const verified: NonNullable<WorkloadTokenOutcome["verified"]> = {
    identity: result.identity,
    credential,
    acceptedUntil: (result.exp + issuer.clockSkewSeconds) * 1000,
  };
  if (result.scopes) verified.scopes = result.scopes;
  return { consumed: true, verified };
}
