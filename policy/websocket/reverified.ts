// An open WebSocket's caller, as the newest policy still verifies it. The identity was built at the upgrade, under
// the policy then active; a later policy may stop trusting a credential (an Access audience removed, a CA
// unpinned, a token issuer dropped or its limits tightened). Each check after a policy change identifies the
// upgrade's request again (worker/websocket/watch.ts), and only the parts that still verify, naming the same
// caller, stay: the next decision then refuses a connection that a new request with that credential could not
// open. What the upgrade asked Access for (groups, posture) is kept with the person it belongs to.
import type { Identity } from "../identity.ts";

/** The parts of `opened` (the upgrade's identity) that `fresh` (the same credentials, identified now) still names. */
export function reverified(opened: Identity, fresh: Identity): Identity {
  const kept: Identity = {};
  if (opened.workload && fresh.workload?.id === opened.workload.id) kept.workload = opened.workload;
  if (opened.user && fresh.user?.email === opened.user.email && fresh.user.sub === opened.user.sub)
    kept.user = opened.user;
  if (opened.serviceToken && fresh.serviceToken?.clientId === opened.serviceToken.clientId)
    kept.serviceToken = opened.serviceToken;
  if ((kept.user || kept.serviceToken) && fresh.claims) kept.claims = fresh.claims;
  const token = opened.workloadToken;
  const current = fresh.workloadToken;
  if (
    token &&
    current &&
    current.issuer === token.issuer &&
    current.kind === token.kind &&
    current.subject === token.subject &&
    current.spiffeId === token.spiffeId
  ) {
    kept.workloadToken = current;
    if (fresh.scopes) kept.scopes = fresh.scopes;
  }
  return kept;
}

/**
 * Whether `kept` (what reverified() kept) is all of `opened`: every credential still counts and grants the same
 * scopes. Where not, the connection ends: the origin was told, in the upgrade's assertion, whose it is and with
 * which scopes, so it must not go on as someone less (a token that named the certificate's own workload is no
 * part of the principal key, yet its scopes were asserted).
 */
export function keepsAll(opened: Identity, kept: Identity): boolean {
  const parts = ["workload", "user", "serviceToken", "workloadToken"] as const;
  if (parts.some((part) => opened[part] !== undefined && kept[part] === undefined)) return false;
  const scopes = (identity: Identity) => [...(identity.scopes ?? [])].sort().join(" ");
  return scopes(opened) === scopes(kept);
}
