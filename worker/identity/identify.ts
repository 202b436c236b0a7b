// Builds the caller's Identity from verified facts only (mTLS facts Cloudflare set, a verified Access JWT, a
// verified workload token). It never denies: a missing or invalid credential just leaves that part of the
// identity empty, and the policy decides.
import { tokenIssuersOf, type CompiledPolicy, type CredentialSeen, type Identity } from "../../policy/index.ts";
import { logEvent as logEveryEvent, type EventLog } from "../log/events.ts";
import { accessTokenOf } from "./access-token.ts";
import { ACCESS_UNCHECKED, verifyAccessToken } from "./identify-access.ts";
import { workloadIdentity, type CertificateFacts } from "./mtls.ts";
import { requestService, type ServiceSource } from "./request-service.ts";
import { verifyWorkloadToken } from "./identify-workload-token.ts";

export interface Identified {
  identity: Identity;
  /** The verified client certificate: its SHA-256 binds the assertion (`cnf`); the denylist matches both facts. */
  certificate?: CertificateFacts;
  /** Every credential verified on this request (a certificate, an Access token, a workload token). */
  credentials: CredentialSeen[];
  /**
   * The Authorization header held a token of an issuer Ward trusts (verified or not): it was for Ward, and is
   * never forwarded, even where the policy forwards Authorization to an app with its own login.
   */
  consumedAuthorization?: true;
  /** When each verified credential expires, ms since the epoch (an open WebSocket closes then; /.ward/me). */
  expiresAt: Partial<Record<CredentialSeen["kind"], number>>;
  /**
   * A credential or directory fact could not be checked for want of what Ward reads (an issuer's or Access's key
   * set, Access's directory): a refusal then says nothing of the caller, and is not counted toward quarantine.
   */
  unchecked?: true;
}

/**
 * For a request identified a second time, with more of the directory asked for: its credentials' events were
 * logged by the first pass, and only a lookup that pass did not make can add one.
 */
const logOnlyTheDirectory: EventLog = (level, event, fields) => {
  if (event === "access-directory-unavailable") logEveryEvent(level, event, fields);
};

/** For a request identified as a shadow candidate would: nothing it finds happened to the live request. */
const logNothing: EventLog = () => {};

/**
 * `needs` overrides what to fetch beyond the token (the admin API may need groups when no rule does).
 * `again`: the request was identified before, with less of the directory (its events are not logged twice);
 * "silent": identified for a shadow candidate (worker/shadow/), whose events are none of the live request's.
 */
export async function identify(
  request: Request,
  policy: CompiledPolicy,
  now: number,
  requestId: string,
  needs: CompiledPolicy["needs"] = policy.needs,
  again: boolean | "silent" = false,
): Promise<Identified> {
  const logEvent = again === "silent" ? logNothing : again ? logOnlyTheDirectory : logEveryEvent;
  const identity: Identity = {};
  let certificate: CertificateFacts | undefined;
  const credentials: CredentialSeen[] = [];
  // Until when each credential is accepted (an open WebSocket is closed then; /.ward/me shows the time left).
  const expiresAt: Identified["expiresAt"] = {};
  let consumed = false;
  let unchecked = false;
  // Read once, and only when a credential needs it: the service the request is for.
  let service: ServiceSource | undefined | null = null;
  const serviceOf = () => (service === null ? (service = requestService(request, policy)) : service);

  const mtls = policy.document.identity.mtls;
  if (mtls) {
    // request.cf is set by Cloudflare's edge (undefined locally without a certificate): never from a header.
    const result = await workloadIdentity(request.cf?.tlsClientAuth, mtls, now, policy.document.metadata.trustDomains);
    if (result.ok) {
      identity.workload = result.workload;
      certificate = result.certificate;
      credentials.push({
        kind: "client-certificate",
        lifetimeSeconds: result.lifetimeSeconds,
        // The certificate's own, as its lifetime is: `ward metrics` tells one certificate from another by it.
        remainingSeconds: result.ownRemainingSeconds,
      });
      // notAfter to the second below: never later than the certificate allows.
      expiresAt["client-certificate"] = (Math.floor(now / 1000) + result.remainingSeconds) * 1000;
    } else if (result.problem !== "no-certificate")
      logEvent("warn", "client-certificate-rejected", { requestId, problem: result.problem });
  }

  const access = policy.access;
  const token = access ? accessTokenOf(request) : undefined;
  if (access && token) {
    const verified = await verifyAccessToken(policy, access, token, serviceOf, now, requestId, needs, logEvent);
    if (verified === ACCESS_UNCHECKED) unchecked = true;
    else if (verified) {
      Object.assign(identity, verified.identity);
      credentials.push(verified.credential);
      expiresAt["access-jwt"] = verified.acceptedUntil;
      unchecked = verified.unchecked;
    }
  }

  if (policy.document.identity.tokenIssuers) {
    const workload = await verifyWorkloadToken(
      request,
      tokenIssuersOf(policy.document),
      serviceOf,
      now,
      requestId,
      logEvent,
    );
    consumed = workload.consumed;
    if (workload.unchecked) unchecked = true;
    if (workload.verified) {
      identity.workloadToken = workload.verified.identity;
      if (workload.verified.scopes) identity.scopes = workload.verified.scopes;
      credentials.push(workload.verified.credential);
      expiresAt["workload-token"] = workload.verified.acceptedUntil;
    }
  }

  // A certificate and a workload token that name two different workloads: one of them was not made for this
  // caller (a token replayed by another workload, or a certificate used with someone else's token). Neither
  // counts, rather than either one, so a caller can never pick which workload it is.
  const tokenId = identity.workloadToken?.spiffeId;
  if (identity.workload && tokenId !== undefined && tokenId !== identity.workload.id) {
    logEvent("warn", "workload-credentials-disagree", {
      requestId,
      certificate: identity.workload.id,
      token: tokenId,
    });
    delete identity.workload;
    delete identity.workloadToken;
    delete identity.scopes;
    certificate = undefined;
    const kept = credentials.filter((c) => c.kind === "access-jwt");
    credentials.length = 0;
    credentials.push(...kept);
    delete expiresAt["client-certificate"];
    delete expiresAt["workload-token"];
  }

  const identified: Identified = certificate
    ? { identity, certificate, credentials, expiresAt }
    : { identity, credentials, expiresAt };
  if (consumed) identified.consumedAuthorization = true;
  if (unchecked) identified.unchecked = true;
  return identified;
}
