// Why a relayed WebSocket connection ended, and what each side is told. Access that ends (revocation,
// quarantine, a pushed policy, a grant or credential that runs out) closes both sides with one code and one
// reason, whichever it was: a client learns that its access ended, never which check ended it.
import { exceptionClaim, wouldDenyClaim } from "../assertion-claims.ts";
import type { Decision, GrantRef } from "../decision.ts";
import type { TimedGrant } from "../grants.ts";

/** The closed vocabulary of the close line's `cause`. */
export const CLOSE_CAUSES = [
  // access ended
  "revoked",
  "quarantined",
  "denylist-unavailable",
  "policy",
  "grant-expired",
  "grant-revoked",
  "credential-expired",
  "check-failed",
  // limits
  "idle",
  "message-too-large",
  "rate-exceeded",
  // either end
  "client-closed",
  "origin-closed",
] as const;
export type CloseCause = (typeof CLOSE_CAUSES)[number];

export type AccessEnded = Exclude<
  CloseCause,
  "idle" | "message-too-large" | "rate-exceeded" | "client-closed" | "origin-closed"
>;

/**
 * 4403, in the range RFC 6455 §7.4.2 leaves to applications: the HTTP 403 an upgrade would now get, and what
 * graphql-ws and others already send for "forbidden". Not 1008 (policy violation), which an application sends
 * about a message it received: a client can tell Ward ending its access apart from the app's own refusals.
 */
export const ACCESS_ENDED_CODE = 4403;
export const ACCESS_ENDED_REASON = "access ended";

/** What Ward sends both sides when it closes a connection itself. */
export function closeFrame(cause: Exclude<CloseCause, "client-closed" | "origin-closed">): {
  code: number;
  reason: string;
} {
  // 1001 "going away" is what proxies (API gateways, load balancers) send on an idle timeout; 1009 is RFC 6455's
  // "message too big"; 1008 its "policy violation", for one side sending faster than Ward relays (the other side
  // is told the same: it learns the connection ended for its peer's pace, not its access).
  if (cause === "idle") return { code: 1001, reason: "idle timeout" };
  if (cause === "message-too-large") return { code: 1009, reason: "message too large" };
  if (cause === "rate-exceeded") return { code: 1008, reason: "message rate too high" };
  return { code: ACCESS_ENDED_CODE, reason: ACCESS_ENDED_REASON };
}

/** What the upgrade was allowed with, to judge later whether that access still holds. */
export interface OpenedAccess {
  /** When the earliest of the verified credentials stops being accepted (ms since the epoch); none: never. */
  credentialExpiresAt?: number;
  /** The grant that allowed the upgrade, when a grant did, and the route it allowed it on. */
  grant?: GrantRef;
  route?: string;
  /**
   * The upgrade assertion's `ward_would_deny` (wouldDenyClaim), when it carried one: the origin accepted the
   * connection knowing that; a re-decision that carries another, or one where it carried none, ends it.
   */
  wouldDeny?: string | true;
  /**
   * The service whose origin the connection was opened to. A decision now for another service (the host moved
   * to it in a newer policy) is no access to this one: a new upgrade would reach that service's origin.
   */
  service?: string;
}

/**
 * Whether access ended, given the same request decided again now (newest policy, the isolate's denylist and
 * grants, the upgrade check): the cause, or undefined while it still holds. The credential is checked first: it
 * ends at a known instant whatever the copies say. `grants`: the service's grants as the isolate holds them now,
 * or "unreadable" when they could not be read (then a connection a grant let through cannot be cleared).
 */
export function accessEnded(
  redecided: Decision,
  opened: OpenedAccess,
  now: number,
  grants: readonly TimedGrant[] | "unreadable" = [],
): AccessEnded | undefined {
  if (opened.credentialExpiresAt !== undefined && now >= opened.credentialExpiresAt) return "credential-expired";
  // An allow, audit mode's included: the same request would be forwarded now, to the same service, and told
  // nothing the upgrade's assertion did not say.
  if (redecided.effect === "allow") {
    if (opened.service !== undefined && redecided.service !== opened.service) return "policy";
    return toldOtherwise(redecided, opened, now, grants);
  }
  const reason = redecided.reasons[0];
  if (reason === "revoked" || reason === "quarantined" || reason === "denylist-unavailable") return reason;
  // Only the absence of an allow rule is a grant's to lift: anything else is the policy's doing.
  if (opened.grant && reason === "no-matching-rule") return grantEnded(opened.grant, opened, redecided, now, grants);
  return "policy";
}

/**
 * An allow whose assertion would tell the origin what the upgrade's did not: `ward_would_deny` (a deny rule on
 * trial that now matches, a service switched to audit, or another would-deny than the upgrade's), or
 * `ward_exception` (only a grant allows it now, or another grant than the upgrade's). The origin judged the
 * upgrade's assertion once and is never asked again (docs/origin-assertion.md): one that refuses every such
 * assertion would be serving, on this connection, a request it refuses. A new upgrade carries the new claims,
 * for the origin to judge.
 */
function toldOtherwise(
  redecided: Decision,
  opened: OpenedAccess,
  now: number,
  grants: readonly TimedGrant[] | "unreadable",
): AccessEnded | undefined {
  const wouldDeny = wouldDenyClaim(redecided);
  if (wouldDeny !== undefined && wouldDeny !== opened.wouldDeny) {
    // Audit mode's form of a grant no longer lifting the refusal (used up, revoked, unread): the grant's own end
    // decides, as it does for the deny enforcement gives (from a review: a socket that spent a grant's last use
    // was ended at the first check in audit mode, where enforce mode keeps it to notAfter).
    if (opened.grant && wouldDeny === "no-matching-rule" && redecided.exception === undefined)
      return grantEnded(opened.grant, opened, redecided, now, grants);
    return "policy";
  }
  const exception = exceptionClaim(redecided.exception);
  if (exception === undefined || exception === exceptionClaim(opened.grant)) return undefined;
  // Allowed by a rule at the upgrade, by a grant alone now: the policy no longer allows it as it did.
  if (!opened.grant) return "policy";
  // The upgrade's grant no longer allows it (the checks offer it first: watch.ts), another grant does.
  return grantEnded(opened.grant, opened, redecided, now, grants);
}

/**
 * The grant that allowed the upgrade no longer allows the request now: why, or undefined while it still holds for
 * this connection. A grant with a use limit: this connection spent a use, and a grant used up is honoured no
 * more, but lasts for it until its notAfter (or a revocation of the caller, or a policy that refuses the
 * request). One revoked is gone from the list.
 */
function grantEnded(
  grant: GrantRef,
  opened: OpenedAccess,
  redecided: Decision,
  now: number,
  grants: readonly TimedGrant[] | "unreadable",
): AccessEnded | undefined {
  if (now >= Date.parse(grant.notAfter)) return "grant-expired";
  // Unknown is not revoked: the grants could not be read, so the connection ends as unchecked.
  if (grants === "unreadable") return "check-failed";
  if (redecided.route === opened.route && grants.some((g) => g.id === grant.id && g.usedUp)) return undefined;
  return "grant-revoked";
}

/** What each cause means, for an operator (`ward why`): the client was only ever told "access ended". */
const CAUSE_TEXT: Record<CloseCause, string> = {
  revoked: "the caller's credential was revoked (ward revoke list names the entry)",
  quarantined: "the caller was quarantined after repeated denials",
  "denylist-unavailable": "the denylist could not be read, so the caller could not be cleared",
  policy:
    "a pushed policy no longer allows the upgrade as it was let through: it refuses it, gives its host to another service, would refuse it were it enforced (ward_would_deny), or allows it by a grant alone (ward_exception)",
  "grant-expired": "the grant that allowed it expired",
  "grant-revoked": "the grant that allowed it was revoked",
  "credential-expired": "the credential that opened it expired",
  "check-failed": "its access could not be checked again, so Ward ended it",
  idle: "no message passed either way for the route's idle timeout (websocket.idleTimeout)",
  "message-too-large": "a message was larger than the route's websocket.maxMessageBytes",
  "rate-exceeded": "one side sent more bytes in a second than the route's websocket.maxBytesPerSecond",
  "client-closed": "the client closed it",
  "origin-closed": "the origin closed it",
};

/** The words for a close line's cause; a cause this Ward does not know (a newer one's) as it was written. */
export function closeCauseText(cause: string): string {
  return (CAUSE_TEXT as Record<string, string | undefined>)[cause] ?? cause;
}
