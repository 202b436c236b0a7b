// Whom a rate limit counts. Keyed on the whole principal (every credential joined), a caller could start a fresh
// bucket by sending one more credential with the same Access token: a certificate, or a workload token whose
// `sub` it can vary (a CI job's branch). So each credential the rule's principals match by itself is counted,
// each in its own bucket, and a request is admitted only if every one of them admits it.
import type { CompiledRule } from "./compile.ts";
import { credentialParts, principalKey, type Identity } from "./identity.ts";
import { principalsMatch } from "./principals.ts";

/** The rate-limit keys of an allowed request (`principal`: its principal key, computed once already). */
export function countedAs(rule: CompiledRule, identity: Identity, principal: string): string[] {
  const parts = credentialParts(identity);
  if (parts.length <= 1) return [principal]; // one credential (or none): the principal is it
  const principals = rule.principals;
  // bothFactors alone: the certificate and the Access identity are the caller together; nothing else counts.
  if (!principals)
    return [principalKey({ workload: identity.workload, user: identity.user, serviceToken: identity.serviceToken })];
  const matched = parts.filter((p) => principalsMatch(principals, p.identity)).map((p) => p.part);
  return matched.length > 0 ? matched : [principal];
}
