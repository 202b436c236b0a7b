// Claims are compared by type and value, exactly. A number past 2^53 is not the one written: YAML and JSON
// readers round it to a double (the token's reader too), so `org_id: 12345678901234567890` would match
// 12345678901234567000 and every other number that rounds alike (from a black-box review). Refused as written;
// a version stored before this check loads as it did.
import type { PolicyDocument, PrincipalMatcher } from "../schema.ts";
import type { Collector } from "./collector.ts";

type Claims = Readonly<Record<string, unknown>>;

export function checkClaimNumbers(doc: PolicyDocument, out: Collector): void {
  if (out.stored) return;
  const matchers = (list: readonly PrincipalMatcher[] | undefined, at: string) =>
    list?.forEach((m, i) => {
      if ("claims" in m) claims(m.claims, `${at}[${i}].claims`, out);
    });
  for (const [name, list] of Object.entries(doc.principalSets)) matchers(list, `principalSets.${name}`);
  matchers(doc.admin?.principals, "admin.principals");
  doc.identity.tokenIssuers?.forEach((issuer, i) => {
    claims(issuer.requireClaims, `identity.tokenIssuers[${i}].requireClaims`, out);
  });
  for (const [service, spec] of Object.entries(doc.services))
    spec.routes.forEach((route, r) => {
      route.rules.forEach((rule, i) => {
        const at = `services.${service}.routes[${r}].rules[${i}]`;
        matchers(rule.principals, `${at}.principals`);
        matchers(rule.bothFactors?.workload, `${at}.bothFactors.workload`);
        matchers(rule.bothFactors?.access, `${at}.bothFactors.access`);
        claims(rule.when?.claims, `${at}.when.claims`, out);
      });
    });
}

function claims(required: Claims | undefined, at: string, out: Collector): void {
  if (!required) return;
  for (const [name, value] of Object.entries(required)) {
    const values = Array.isArray(value) ? value : [value];
    values.forEach((v, i) => {
      if (typeof v !== "number" || Number.isSafeInteger(v) || !Number.isInteger(v)) return;
      out.add(
        "error",
        "invalid-value",
        `${at}.${name}${Array.isArray(value) ? `[${i}]` : ""}`,
        `a whole number past 2^53 (read as ${v}): no token's number can be compared with it exactly, as readers round such numbers`,
        "write it as a string if the token carries a string; a number this large cannot be matched",
      );
    });
  }
}
