// Conditions on facts no configured credential can supply: device posture comes from Access's get-identity, claims
// from Access tokens or token issuers. Without the source an allow rule reading them admits nobody. A deny rule
// reading posture refuses every caller it names (an unknown result holds for a deny: conditions.ts), and one reading
// claims refuses nobody (no caller holds a claim). Said, as scopes-not-carried says it of scopes (tokens.ts), since
// each reads as a rule that does something else.
import type { PolicyDocument } from "../schema.ts";
import type { Collector } from "./collector.ts";

export function checkConditionSources(doc: PolicyDocument, out: Collector): void {
  const access = doc.identity.access !== undefined;
  const claims = access || (doc.identity.tokenIssuers ?? []).length > 0;
  if (access && claims) return;
  for (const [name, service] of Object.entries(doc.services))
    service.routes.forEach((route, r) => {
      route.rules.forEach((rule, i) => {
        const at = `services.${name}.routes[${r}].rules[${i}].when`;
        const allow = rule.effect === "allow";
        if (rule.when?.devicePosture && !access)
          out.add(
            "warning",
            "condition-source-missing",
            `${at}.devicePosture`,
            `device posture comes from Access (get-identity), and identity.access is not set: no caller's posture is known, so ${allow ? "it admits nobody" : "it refuses every caller it names"}`,
            "set identity.access, or drop the condition",
          );
        if (rule.when?.claims && !claims)
          out.add(
            "warning",
            "condition-source-missing",
            `${at}.claims`,
            `claims come from Access tokens or identity.tokenIssuers, and neither is configured: no caller has a claim, so ${allow ? "it admits nobody" : "it refuses nobody"}`,
            "set identity.access or a token issuer, or drop the condition",
          );
      });
    });
}
