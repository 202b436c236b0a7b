// Builds the caller's Identity from verified facts only (mTLS facts Cloudflare set, a verified Access JWT). It never denies: a missing or invalid credential
// just leaves that part of the identity empty, and the policy decides.
import type { CompiledPolicy, CredentialSeen, Identity } from "../../policy/index.ts";
import { directoryFreshness } from "../denylist/cache.ts";
import { logEvent } from "../log/events.ts";
import { accessTokenOf } from "./access-token.ts";
import { accessDirectory, accessVerifier } from "./verifiers.ts";
import { workloadIdentity, type CertificateFacts } from "./mtls.ts";

export interface Identified {
  identity: Identity;
  /** The verified client certificate: its SHA-256 binds the assertion (`cnf`); the denylist matches both facts. */
  certificate?: CertificateFacts;
  /** Every credential verified on this request (a certificate, an Access token, or both). */
  credentials: CredentialSeen[];
  /** When each verified credential expires, ms since the epoch (the who-am-I page shows the time left). */
  expiresAt: Partial<Record<CredentialSeen["kind"], number>>;
}

/** `needs` overrides what to fetch beyond the token (the admin API may need groups when no rule does). */
export async function identify(
  request: Request,
  policy: CompiledPolicy,
  now: number,
  requestId: string,
  needs: CompiledPolicy["needs"] = policy.needs,
): Promise<Identified> {
  const identity: Identity = {};
  let certificate: CertificateFacts | undefined;
  const credentials: CredentialSeen[] = [];
  const expiresAt: Identified["expiresAt"] = {};
  const mtls = policy.document.identity.mtls;
  if (mtls) {
    // request.cf is set by Cloudflare's edge (undefined locally without a certificate): never from a header.
    const result = await workloadIdentity(request.cf?.tlsClientAuth, mtls, now, policy.document.metadata.trustDomains);
    if (result.ok) {
      identity.workload = result.workload;
      certificate = result.certificate;
      credentials.push({ kind: "client-certificate", lifetimeSeconds: result.lifetimeSeconds });
      expiresAt["client-certificate"] = result.expiresAt;
    } else if (result.problem !== "no-certificate")
      logEvent("warn", "client-certificate-rejected", { requestId, problem: result.problem });
  }
  const access = policy.access;
  const token = access ? accessTokenOf(request) : undefined;
  if (access && token) {
    const result = await accessVerifier(access).verify(token, now);
    if (result.ok) {
      Object.assign(identity, result.identity);
      credentials.push({ kind: "access-jwt", lifetimeSeconds: result.lifetimeSeconds });
      expiresAt["access-jwt"] = result.expiresAt;
      if (identity.user && (needs.groups || needs.devicePosture)) {
        // Security events (worker/ssf/): a person whose claims or device changed is asked for again, and a device
        // reported not compliant has unknown posture (posture conditions fail) while the hold lasts.
        const fresh = policy.document.sharedSignals ? directoryFreshness(identity.user, now) : undefined;
        const facts = await accessDirectory(access.teamDomain).lookup(
          token,
          result.directorySubject,
          result.expiresAt,
          now,
          fresh?.notBefore,
        );
        if (facts)
          identity.user = {
            ...identity.user,
            groups: facts.groups,
            devicePosture: fresh?.postureHeld ? undefined : facts.devicePosture,
          };
        else logEvent("warn", "access-directory-unavailable", { requestId });
      }
    } else logEvent("warn", "access-token-rejected", { requestId, problem: result.problem });
  }
  return certificate ? { identity, certificate, credentials, expiresAt } : { identity, credentials, expiresAt };
}
