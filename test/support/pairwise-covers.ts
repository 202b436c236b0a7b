// The shadowing check's rule as it was before its index (policy/validate/shadowing.ts), one pair of matchers at
// a time: the oracle the index is held to.
import { emailDomainOf } from "../../policy/email-address.ts";
import { canonicalJson } from "../../policy/hash.ts";
import { trustDomainOf } from "../../policy/identity.ts";
import type { PrincipalMatcher } from "../../policy/schema.ts";

/** Does `a` admit everyone `b` admits? */
export function pairwiseCovers(a: PrincipalMatcher, b: PrincipalMatcher): boolean {
  if ("public" in a) return true;
  if ("authenticated" in a) return !("public" in b);
  if (canonicalJson(a) === canonicalJson(b)) return true;
  if ("trustDomain" in a) {
    if ("spiffePrefix" in b) return b.spiffePrefix.startsWith(`spiffe://${a.trustDomain}/`);
    return "spiffe" in b && trustDomainOf(b.spiffe) === a.trustDomain;
  }
  if ("spiffePrefix" in a) {
    const id = "spiffe" in b ? b.spiffe : "spiffePrefix" in b ? b.spiffePrefix : undefined;
    return id?.startsWith(a.spiffePrefix) ?? false;
  }
  if ("emailDomain" in a && "email" in b) return emailDomainOf(b.email) === a.emailDomain;
  return false;
}
