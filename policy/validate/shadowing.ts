// Shadowed rules: a rule that can never decide, because an earlier unconditional rule of the same effect, or
// an unconditional deny, admits everyone it admits. Conservative: reported only when that is certain.
import { ruleId } from "../compile.ts";
import { emailDomainOf } from "../email-address.ts";
import { canonicalJson } from "../hash.ts";
import { trustDomainOf } from "../identity.ts";
import { expandMatchers } from "../principals.ts";
import type { PolicyDocument, PrincipalMatcher, Rule } from "../schema.ts";
import type { Collector } from "./collector.ts";

/**
 * canonicalJson(a) === canonicalJson(b), without serialising in the common cases (checkShadowing compares
 * every pair of matchers of a route): one-key matchers of different kinds never serialise alike, and of
 * one kind with a string or boolean value they do exactly when the values are equal.
 */
function sameMatcher(a: PrincipalMatcher, b: PrincipalMatcher): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length === 1 && kb.length === 1) {
    const va = (a as Record<string, unknown>)[ka[0]!];
    const vb = (b as Record<string, unknown>)[kb[0]!];
    if (va !== undefined && vb !== undefined) {
      if (ka[0] !== kb[0]) return false;
      if (typeof va === "string" || typeof va === "boolean") return va === vb;
    }
  }
  return canonicalJson(a) === canonicalJson(b);
}

/** Does matcher `a` admit everyone matcher `b` admits? Conservative: false when unsure. */
export function covers(a: PrincipalMatcher, b: PrincipalMatcher): boolean {
  if ("public" in a) return true;
  if ("authenticated" in a) return !("public" in b);
  if (sameMatcher(a, b)) return true;
  if ("trustDomain" in a) {
    // A prefix that stops inside the authority (`spiffe://prod`) also matches other trust domains (`prod.evil`).
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

function coversAll(a: readonly PrincipalMatcher[], b: readonly PrincipalMatcher[]): boolean {
  return b.length > 0 && b.every((mb) => a.some((ma) => covers(ma, mb)));
}

/** Same effect, earlier, unconditional and admitting everyone the later rule admits: the later one never decides. */
export function checkShadowing(doc: PolicyDocument, rules: readonly Rule[], path: string, out: Collector): void {
  const expanded = rules.map((r) => (r.principals ? expandMatchers(r.principals, doc.principalSets) : undefined));
  rules.forEach((rule, j) => {
    const mine = expanded[j];
    if (!mine) return;
    for (let i = 0; i < rules.length; i++) {
      const other = rules[i]!;
      const theirs = expanded[i];
      // A deny rule on trial (mode: audit) refuses nobody: it shadows nothing, and removing what it "shadows"
      // would remove an enforced rule.
      if (i === j || !theirs || other.when !== undefined || other.mode === "audit") continue;
      const earlierSame = i < j && other.effect === rule.effect;
      const denyOverAllow = other.effect === "deny" && rule.effect === "allow";
      if ((earlierSame || denyOverAllow) && coversAll(theirs, mine)) {
        const why = denyOverAllow ? "is always overridden by deny rule" : "can never decide: it is shadowed by";
        out.add(
          "warning",
          "shadowed-rule",
          `${path}[${j}]`,
          `rule "${ruleId(rule, j)}" ${why} "${ruleId(other, i)}"`,
          "remove it or narrow the earlier rule",
        );
        return;
      }
    }
  });
}
