// What the origin is told of how a request was let through besides the rule: `ward_exception` (a grant allowed
// it) and `ward_would_deny` (enforcement would refuse it). One definition for the assertion that carries them
// (worker/origin/assertion.ts) and for an open WebSocket's checks, which end a connection whose access now
// carries one the upgrade's assertion did not (policy/websocket/close.ts): the origin judged that assertion,
// once, and docs/origin-assertion.md tells it that one that must never serve such requests refuses them.
import type { Decision, GrantRef } from "./decision.ts";

/** `ward_exception`: the grant that allowed the request, as `<kind>:<id>`; undefined when a rule did. */
export function exceptionClaim(grant: GrantRef | undefined): string | undefined {
  return grant ? `${grant.kind}:${grant.id}` : undefined;
}

/** `ward_would_deny`: the deny rule, or the reason, enforcement would refuse the request with; else undefined. */
export function wouldDenyClaim(decision: Pick<Decision, "wouldDeny">): string | true | undefined {
  const wouldDeny = decision.wouldDeny;
  return wouldDeny ? (wouldDeny.rule ?? wouldDeny.reasons[0] ?? true) : undefined;
}
