// An open WebSocket's caller, as the newest policy still verifies it. The identity was built at the upgrade, under
// the policy then active; a later policy may stop trusting a credential (an Access audience removed, a CA
// unpinned, a token issuer dropped or its limits tightened). Each check after a policy change identifies the
// upgrade's request again (worker/websocket/watch.ts); unless that names everyone the upgrade did, with the same
// scopes, the connection ends. The origin was told, in the upgrade's assertion, whose connection it is and with
// which scopes: it must not go on as someone less (a route that admits the rest, say anyone, would keep it open,
// and a later revocation of the dropped person would no longer reach it), nor believe scopes no credential grants
// now (a token naming the certificate's own workload is no part of the principal key, yet its scopes were asserted).

import type { Identity } from "../identity.ts";

/**
 * Whether `fresh` (the upgrade's credentials, identified now, without asking Access for groups or posture) names
 * every credential `opened` (the upgrade's identity) did, as the same caller, with the same scopes.
 */
export function stillNamesAll(opened: Identity, fresh: Identity): boolean {
  if (opened.workload && fresh.workload?.id !== opened.workload.id) return false;
  if (opened.user && (fresh.user?.email !== opened.user.email || fresh.user.sub !== opened.user.sub)) return false;
  if (opened.serviceToken && fresh.serviceToken?.clientId !== opened.serviceToken.clientId) return false;
  const token = opened.workloadToken;
  const current = fresh.workloadToken;
  if (
    token &&
    !(
      current &&
      current.issuer === token.issuer &&
      current.kind === token.kind &&
      current.subject === token.subject &&
      current.spiffeId === token.spiffeId
    )
  )
    return false;
  const scopes = (identity: Identity) => [...(identity.scopes ?? [])].sort().join(" ");
  return scopes(opened) === scopes(fresh);
}
