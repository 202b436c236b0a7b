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
 * Whom a list of matchers admits, indexed: whether one of them admits a given matcher is a few look-ups, not a
 * comparison with each (a rule naming a set of 15,000 matchers made the check 15,000² comparisons, 28 s).
 */
export interface Coverage {
  everyone: boolean;
  authenticated: boolean;
  /** Each matcher's canonical JSON: one admits what an equal one admits. */
  exact: Set<string>;
  trustDomains: Set<string>;
  emailDomains: Set<string>;
  /**
   * spiffePrefix values, sorted, none a prefix of another (one that is adds nothing): the one an ID starts with,
   * if any, is the greatest not after it, found by binary search whatever the prefixes' lengths.
   */
  prefixes: string[];
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

// Matchers are the document's own objects (a set's are shared by every rule naming it): each is worked out once.
const factsCache = new WeakMap<PrincipalMatcher, MatcherFacts>();

export function factsOf(b: PrincipalMatcher): MatcherFacts {
  const cached = factsCache.get(b);
  if (cached) return cached;
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
  factsCache.set(b, facts);
  return facts;
}

export function coverageOf(matchers: readonly PrincipalMatcher[]): Coverage {
  const c: Coverage = {
    everyone: false,
    authenticated: false,
    exact: new Set(),
    trustDomains: new Set(),
    emailDomains: new Set(),
    prefixes: [],
  };
  const prefixes: string[] = [];
  for (const m of matchers) {
    c.exact.add(factsOf(m).canonical);
    if ("public" in m) c.everyone = true;
    else if ("authenticated" in m) c.authenticated = true;
    else if ("trustDomain" in m) c.trustDomains.add(m.trustDomain);
    else if ("emailDomain" in m) c.emailDomains.add(m.emailDomain);
    else if ("spiffePrefix" in m) prefixes.push(m.spiffePrefix);
  }
  prefixes.sort();
  // Sorted, a prefix comes right before everything that starts with it.
  for (const p of prefixes) {
    const last = c.prefixes.at(-1);
    if (last === undefined || !p.startsWith(last)) c.prefixes.push(p);
  }
  return c;
}

/** Whether `id` starts with one of the sorted, prefix-free `prefixes`. */
function startsWithOne(prefixes: readonly string[], id: string): boolean {
  let low = 0;
  let high = prefixes.length - 1;
  let candidate = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (prefixes[mid]! <= id) {
      candidate = mid;
      low = mid + 1;
    } else high = mid - 1;
  }
  return candidate >= 0 && id.startsWith(prefixes[candidate]!);
}

/** `spiffe://td/...` -> td; undefined when no `/` ends the authority. */
function prefixTrustDomain(prefix: string): string | undefined {
  if (!prefix.startsWith("spiffe://")) return undefined;
  const end = prefix.indexOf("/", 9);
  return end < 0 ? undefined : prefix.slice(9, end);
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
  if (b.id !== undefined && c.prefixes.length > 0 && startsWithOne(c.prefixes, b.id)) return true;
  return b.emailDomain !== undefined && c.emailDomains.has(b.emailDomain);
}

/** Does matcher `a` admit everyone matcher `b` admits? Conservative: false when unsure. */
export const covers = (a: PrincipalMatcher, b: PrincipalMatcher): boolean => admitsAll(coverageOf([a]), factsOf(b));

/**
 * The coverage of a rule's principals, shared by the rules that name the same ones (1,000 routes naming one set
 * of 3,000 matchers would hold 1,000 indexes of it).
 */
export class Coverages {
  readonly #coverages = new Map<string, Coverage>();
  readonly #facts = new Map<string, MatcherFacts[]>();
  readonly #sets: PolicyDocument["principalSets"];
  constructor(sets: PolicyDocument["principalSets"]) {
    this.#sets = sets;
  }
  /** What `principals` admit, indexed. */
  of(principals: readonly PrincipalMatcher[]): Coverage {
    const key = keyOf(principals);
    let coverage = this.#coverages.get(key);
    if (!coverage) {
      coverage = coverageOf(expandMatchers(principals, this.#sets));
      this.#coverages.set(key, coverage);
    }
    return coverage;
  }
  /** The facts of each matcher `principals` expand to. */
  factsOf(principals: readonly PrincipalMatcher[]): readonly MatcherFacts[] {
    const key = keyOf(principals);
    let facts = this.#facts.get(key);
    if (!facts) {
      facts = expandMatchers(principals, this.#sets).map(factsOf);
      this.#facts.set(key, facts);
    }
    return facts;
  }
}

/** Principals as written, as one string: a set by its name, any other matcher by its canonical JSON. */
const keyOf = (principals: readonly PrincipalMatcher[]): string =>
  principals.map((m) => ("set" in m ? `set ${m.set}` : factsOf(m).canonical)).join("\n");

/**
 * Each rule is compared with at most this many rules either side of it: a route of 8,000 rules was 64 million
 * comparisons (10 s). A shadowed rule further from what shadows it goes unreported (the check is conservative).
 */
const COMPARED_EITHER_SIDE = 500;

/** Same effect, earlier, unconditional and admitting everyone the later rule admits: the later one never decides. */
export function checkShadowing(rules: readonly Rule[], path: string, out: Collector, coverages: Coverages): void {
  // Only a warning, and only between two rules that name principals.
  if (!out.warnings || rules.filter((r) => r.principals).length < 2) return;
  const facts = rules.map((r) => (r.principals ? coverages.factsOf(r.principals) : undefined));
  const coverage = rules.map((r) => (r.principals ? coverages.of(r.principals) : undefined));
  for (let j = 0; j < rules.length; j++) {
    const rule = rules[j]!;
    const mine = facts[j];
    if (!mine || mine.length === 0) continue;
    const last = Math.min(rules.length - 1, j + COMPARED_EITHER_SIDE);
    for (let i = Math.max(0, j - COMPARED_EITHER_SIDE); i <= last; i++) {
      const other = rules[i]!;
      const theirs = coverage[i];
      // A deny rule on trial (mode: audit) refuses nobody: it shadows nothing, and removing what it "shadows"
      // would remove an enforced rule.
      if (i === j || !theirs || other.when !== undefined || other.mode === "audit") continue;
      const earlierSame = i < j && other.effect === rule.effect;
      const denyOverAllow = other.effect === "deny" && rule.effect === "allow";
      if (!earlierSame && !denyOverAllow) continue;
      if (!out.mayWork(mine.length)) return;
      if (mine.every((m) => admitsAll(theirs, m))) {
        const why = denyOverAllow ? "is always overridden by deny rule" : "can never decide: it is shadowed by";
        out.add(
          "warning",
          "shadowed-rule",
          `${path}[${j}]`,
          `rule "${ruleId(rule, j)}" ${why} "${ruleId(other, i)}"`,
          "remove it or narrow the earlier rule",
        );
        break;
      }
    }
  }
}
