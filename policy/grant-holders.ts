// Whose grants an allow rule's conditions read. Scopes and claims are what one credential's issuer granted that
// credential's subject, so "A, holding scope X" is met only by a credential that is A and holds X. Read from the
// whole caller, a workload's certificate (A) and another subject's token (holding X), or a person's Access token
// and someone else's scoped token, would make a caller neither credential is.
import type { CompiledRule } from "./compile.ts";
import type { CompiledConditions } from "./conditions.ts";
import type { Identity } from "./identity.ts";
import { principalsMatch } from "./principals.ts";

/** Whether the conditions read grants (scopes or claims) at all: the others read the whole caller. */
export const readsGrants = (c: CompiledConditions): boolean => c.scopes !== undefined || c.claims !== undefined;

/**
 * The caller as each credential that carries grants would have it: the same facts, with only that credential's
 * scopes and claims, for each such credential the rule's principals match by itself (the workload token, with
 * the certificate it is bound to; the Access token). A rule without principals (bothFactors alone) takes the
 * Access token's claims, and the workload token's grants only when the token names the certificate's workload.
 * With no such credential: the caller with no grants at all.
 */
export function grantHolders(rule: CompiledRule, identity: Identity): Identity[] {
  const holders: Identity[] = [];
  const token = identity.workloadToken;
  if (token) {
    const bound = identity.workload !== undefined && identity.workload.id === token.spiffeId;
    const itself: Identity = bound ? { workloadToken: token, workload: identity.workload } : { workloadToken: token };
    if (rule.principals ? principalsMatch(rule.principals, itself) : bound)
      holders.push({ ...identity, claims: undefined });
  }
  if (identity.user || identity.serviceToken) {
    const itself: Identity = { user: identity.user, serviceToken: identity.serviceToken, claims: identity.claims };
    if (!rule.principals || principalsMatch(rule.principals, itself))
      holders.push({ ...identity, workloadToken: undefined, scopes: undefined });
  }
  return holders.length > 0
    ? holders
    : [{ ...identity, claims: undefined, workloadToken: undefined, scopes: undefined }];
}
