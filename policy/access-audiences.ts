// Which Access applications' tokens count where. A service that names its applications (accessAudiences) takes
// no other's; on a host no service answers (the admin API's, Ward's own pages there), only an application no
// service names as its own counts, or a token issued for the wiki's application would open the admin API.
import type { PolicyDocument } from "./schema.ts";

const claimedByDoc = new WeakMap<PolicyDocument, ReadonlySet<string>>();

/** The audiences some service names in accessAudiences, once per (immutable) policy document. */
export function claimedAudiences(doc: PolicyDocument): ReadonlySet<string> {
  let claimed = claimedByDoc.get(doc);
  if (claimed === undefined) {
    claimed = new Set(Object.values(doc.services).flatMap((s) => s.accessAudiences ?? []));
    claimedByDoc.set(doc, claimed);
  }
  return claimed;
}

/** The configured audiences no service claims: the applications of a host no service answers. */
export function unclaimedAudiences(doc: PolicyDocument): string[] {
  const claimed = claimedAudiences(doc);
  return (doc.identity.access?.audiences ?? []).filter((aud) => !claimed.has(aud));
}
