// Which denials count towards quarantine (a workload walking the internal graph gets refused for a while):
// those of an identified caller the policy refused (403, or 404 for a hidden service), not those of a caller
// already listed, and not those a browser made for another origin's page (images, scripts, forms of a page the
// person only viewed): any page could otherwise get its viewers quarantined. Nor an upgrade refused on a route
// the caller may use (an app that retries its socket in a loop is misconfigured, not walking the graph).
import type { Decision } from "./decision.ts";
import { isListed } from "./denylist.ts";

/** `madeForAnotherOrigin` is asked last, only for a denial that would otherwise count (it reads request headers). */
export function countsTowardQuarantine(
  decision: Pick<Decision, "effect" | "principal" | "status" | "reasons">,
  madeForAnotherOrigin: () => boolean,
): boolean {
  return (
    decision.effect === "deny" &&
    decision.principal !== "anonymous" &&
    (decision.status === 403 || decision.status === 404) &&
    !isListed(decision) &&
    decision.reasons[0] !== "upgrade-not-allowed" &&
    !madeForAnotherOrigin()
  );
}
