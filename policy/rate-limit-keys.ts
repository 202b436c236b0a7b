// Whom a rate limit counts. Keyed on the whole principal (every credential joined), a caller could start a fresh
// bucket by sending one more credential with the same Access token: a certificate, or a workload token whose
// `sub` it can vary (a CI job's branch). So each credential the rule's principals match by itself is counted,
// each in its own bucket, and a request is admitted only if every one of them admits it.
import type { CompiledRule } from "./compile.ts";
import { credentialParts, principalKey, userPart, workloadIdsOf, workloadPart, type Identity } from "./identity.ts";
import { principalsMatch, type CompiledPrincipals } from "./principals.ts";

/** Which credentials a rule's principals can match at all: only workloads, only people, or any kind. */
type Kinds = "workloads" | "people" | "any";
const kindsOf = new WeakMap<CompiledPrincipals, Kinds>();

function kinds(p: CompiledPrincipals): Kinds {
  let kinds = kindsOf.get(p);
  if (kinds === undefined) {
    const workloads = p.spiffe.size > 0 || p.spiffePrefixes.length > 0 || p.trustDomains.size > 0;
    const people = p.emails.size > 0 || p.emailDomains.size > 0 || p.groups.size > 0;
    const others = p.public || p.authenticated || p.claims.length > 0 || p.serviceTokens.size > 0;
    kinds = others || (workloads && people) ? "any" : workloads ? "workloads" : "people";
    kindsOf.set(p, kinds);
  }
  return kinds;
}

/**
 * The rate-limit keys of a request the rule allowed (`principal`: its principal key, computed once already). The
 * rule matched the caller, so where it can match one kind of credential only and the caller has one of that
 * kind, that one is the key: the common cases cost no more than a look-up.
 */
export function countedAs(rule: CompiledRule, identity: Identity, principal: string): string[] {
  const principals = rule.principals;
  if (!principal.includes("+")) return [principal]; // one credential (or none): the principal is it
  if (principals) {
    const can = kinds(principals);
    if (can === "people" && identity.user) return [userPart(identity.user)];
    if (can === "workloads") {
      const ids = workloadIdsOf(identity);
      if (ids.length === 1) return [workloadPart(ids[0]!)];
    }
  }
  const parts = credentialParts(identity);
  if (parts.length <= 1) return [principal];
  // bothFactors alone: the certificate and the Access identity are the caller together; nothing else counts.
  if (!principals)
    return [principalKey({ workload: identity.workload, user: identity.user, serviceToken: identity.serviceToken })];
  const matched = parts.filter((p) => principalsMatch(principals, p.identity)).map((p) => p.part);
  return matched.length > 0 ? matched : [principal];
}
