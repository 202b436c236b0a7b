// Which denials count towards quarantine (a workload walking the internal graph gets refused for a while):
// those of an identified caller the policy refused (403, or 404 for a hidden service), not those of a caller
// already listed, and not those a person's browser made unasked (for another origin's page, or for the images,
// scripts and frames of a page the person only viewed): any page could otherwise get its viewers quarantined.
// Only a person's sign-in rides on such requests; a workload that sends a browser's headers is counted. Nor an
// upgrade refused on a route the caller may use, for the upgrade or its Origin (an app that retries its socket
// in a loop is misconfigured, not walking the graph).
import type { Decision } from "./decision.ts";
import { isListed } from "./denylist.ts";
import { credentialParts, type Identity } from "./identity.ts";

/** `madeUnaskedByABrowser` is asked last, only for a denial that would otherwise count (it reads request headers). */
export function countsTowardQuarantine(
  decision: Pick<Decision, "effect" | "principal" | "status" | "reasons">,
  madeUnaskedByABrowser: () => boolean,
): boolean {
  return (
    decision.effect === "deny" &&
    decision.principal !== "anonymous" &&
    (decision.status === 403 || decision.status === 404) &&
    !isListed(decision) &&
    decision.reasons[0] !== "upgrade-not-allowed" &&
    decision.reasons[0] !== "upgrade-cross-origin" &&
    !madeUnaskedByABrowser()
  );
}

/**
 * Whom a denial counts against. Counted on the whole principal key, a caller would start a fresh count by adding
 * one more credential to each request (a CI token whose `sub` it sets with the branch), and shed a quarantine by
 * dropping one. Counted on every credential, one person's denials through a shared frontend (its certificate and
 * their Access token) would quarantine the frontend for all its users. So: the person (Access user or service
 * token) when the request carries one, else each workload credential. A quarantine names that part, and refuses
 * every request that carries it (policy/denylist.ts).
 */
export function quarantineKeys(identity: Identity, principal: string): string[] {
  if (!principal.includes("+")) return [principal];
  const parts = credentialParts(identity);
  const people = parts.filter((p) => p.identity.user || p.identity.serviceToken);
  return (people.length > 0 ? people : parts).map((p) => p.part);
}
