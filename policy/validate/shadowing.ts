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
 * Whom a rule's matchers admit, indexed: whether one of them admits a given matcher is a few look-ups, not a
 * comparison with each (a rule naming a set of 15,000 matchers made the check 15,000² comparisons, 28 s).
 */
export interface Coverage {
  everyone: boolean;
  authenticated: boolean;
  /** Each matcher's canonical JSON: one admits what an equal one admits. */
  exact: Set<string>;
  trustDomains: Set<string>;
  emailDomains: Set<string>;
  /** spiffePrefix values, and their lengths (an ID is looked up by its first n characters for each). */
  prefixes: Set<string>;
  prefixLengths: Set<number>;
}

/** `canonical`: each matcher's canonicalJson, when the caller has them. */
export function coverageOf(
  matchers: readonly PrincipalMatcher[],
  canonical: readonly string[] = matchers.map((m) => canonicalJson(m)),
): Coverage {
  const c: Coverage = {
    everyone: false,
    authenticated: false,
    exact: new Set(canonical),
    trustDomains: new Set(),
    emailDomains: new Set(),
    prefixes: new Set(),
    prefixLengths: new Set(),
  };
  for (const m of matchers) {
    if ("public" in m) c.everyone = true;
    else if ("authenticated" in m) c.authenticated = true;
    else if ("trustDomain" in m) c.trustDomains.add(m.trustDomain);
    else if ("emailDomain" in m) c.emailDomains.add(m.emailDomain);
    else if ("spiffePrefix" in m) {
      c.prefixes.add(m.spiffePrefix);
      c.prefixLengths.add(m.spiffePrefix.length);
    }
  }
  return c;
}

/** `spiffe://td/...` -> td; undefined when no `/` ends the authority. */
function prefixTrustDomain(prefix: string): string | undefined {
  if (!prefix.startsWith("spiffe://")) return undefined;
  const end = prefix.indexOf("/", 9);
  return end < 0 ? undefined : prefix.slice(9, end);
}

/** What the look-ups need of a matcher, worked out once (its canonical JSON, its ID and their domains). */
export interface MatcherFacts {
  canonical: string;
  isPublic: boolean;
  /** A SPIFFE ID or prefix. */
  id: string | undefined;
  /** Its trust domain (a prefix's, when the prefix ends the authority). */
  domain: string | undefined;
  emailDomain: string | undefined;
}

export function factsOf(b: PrincipalMatcher): MatcherFacts {
  const facts: MatcherFacts = {
    canonical: canonicalJson(b),
    isPublic: "public" in b,
    id: undefined,
    domain: undefined,
    emailDomain: undefined,
  };
  if ("spiffe" in b) {
    facts.id = b.spiffe;
    facts.domain = trustDomainOf(b.spiffe);
  } else if ("spiffePrefix" in b) {
    facts.id = b.spiffePrefix;
    // A prefix that stops inside the authority (`spiffe://prod`) also matches other trust domains (`prod.evil`).
    facts.domain = prefixTrustDomain(b.spiffePrefix);
  } else if ("email" in b) facts.emailDomain = emailDomainOf(b.email);
  return facts;
}

/**
 * Does one of the matchers admit everyone `b` admits? Conservative: false when unsure. (`public` admits all;
 * `authenticated` all but the public; a trust domain every SPIFFE ID in it, and a prefix that stops after its
 * authority; a prefix every ID and prefix that starts with it; an e-mail domain its addresses.)
 */
export function admitsAll(c: Coverage, b: MatcherFacts): boolean {
  if (c.everyone) return true;
  if (c.authenticated && !b.isPublic) return true;
  if (c.exact.has(b.canonical)) return true;
  if (b.domain !== undefined && c.trustDomains.has(b.domain)) return true;
  const { id } = b;
  if (id !== undefined) for (const length of c.prefixLengths) if (c.prefixes.has(id.slice(0, length))) return true;
  return b.emailDomain !== undefined && c.emailDomains.has(b.emailDomain);
}

/** Does matcher `a` admit everyone matcher `b` admits? Conservative: false when unsure. */
export const covers = (a: PrincipalMatcher, b: PrincipalMatcher): boolean => admitsAll(coverageOf([a]), factsOf(b));

/**
 * Each rule is compared with at most this many rules either side of it: a route of 8,000 rules was 64 million
 * comparisons (10 s). A shadowed rule further from what shadows it goes unreported (the check is conservative).
 */
const COMPARED_EITHER_SIDE = 500;

/** Same effect, earlier, unconditional and admitting everyone the later rule admits: the later one never decides. */
export function checkShadowing(doc: PolicyDocument, rules: readonly Rule[], path: string, out: Collector): void {
  const expanded = rules.map((r) => (r.principals ? expandMatchers(r.principals, doc.principalSets) : undefined));
  const facts = expanded.map((matchers) => matchers?.map(factsOf));
  const coverage = expanded.map((matchers, i) =>
    matchers
      ? coverageOf(
          matchers,
          facts[i]!.map((f) => f.canonical),
        )
      : undefined,
  );
  rules.forEach((rule, j) => {
    const mine = facts[j];
    if (!mine || mine.length === 0) return;
    const last = Math.min(rules.length - 1, j + COMPARED_EITHER_SIDE);
    for (let i = Math.max(0, j - COMPARED_EITHER_SIDE); i <= last; i++) {
      const other = rules[i]!;
      const theirs = coverage[i];
      // A deny rule on trial (mode: audit) refuses nobody: it shadows nothing, and removing what it "shadows"
      // would remove an enforced rule.
      if (i === j || !theirs || other.when !== undefined || other.mode === "audit") continue;
      const earlierSame = i < j && other.effect === rule.effect;
      const denyOverAllow = other.effect === "deny" && rule.effect === "allow";
      if ((earlierSame || denyOverAllow) && mine.every((m) => admitsAll(theirs, m))) {
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
