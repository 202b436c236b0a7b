// What the allow rule that decides a request does to it beyond letting it through: the headers it sets on what
// is forwarded, and whether its rate limit counts the request. The first allow rule that matches decides
// (policy/evaluate.ts), so this is read per route and principal, in rule order: every allow rule that may
// match the principal up to the first that surely does (names it, with no condition): the chain. Compared by
// content, a rule renamed or renumbered changes nothing; rules reordered, or one before narrowed, change which
// may decide. A chain says what each of its rules does, not for which callers: when it changed, whatever any of
// its rules sets that not every old one set may now reach some caller (a review's case: [admins -> admin,
// domain -> user] to [admins -> admin, domain -> admin] gives every employee admin).
import type { PolicyDocument, Route, Rule } from "../schema.ts";
import { describeConditions, OverlapIndex, rulePrincipals } from "./principals.ts";
import { compare } from "./sort.ts";

/** A rate limit's part in the decision: none, counted, or counted unless its store cannot answer. */
export type LimitTerm = "none" | "counted" | "fail-open";

export interface DecidingTerms {
  /** The content of the rules that may decide, in order (a hash of each): equal chains decide alike. */
  chain: string;
  /** `name: value` lines (names lower case) that some rule of the chain sets. */
  headers: readonly string[];
  /** The lines every rule of the chain sets: what the principal's requests got whichever decided. */
  always: readonly string[];
  limits: ReadonlySet<LimitTerm>;
  /** Each rule of the chain that counts nothing (who and when), with the limited rules ahead of it. */
  uncountedRules: ReadonlyMap<string, ReadonlySet<string>>;
}

function headerLines(rule: Rule): string[] {
  return Object.entries(rule.headers ?? {})
    .map(([name, value]) => `${name.toLowerCase()}: ${value}`)
    .sort(compare);
}

function limitOf(rule: Rule): LimitTerm {
  if (!rule.rateLimit) return "none";
  return rule.rateLimit.failOpen ? "fail-open" : "counted";
}

/** Two 32-bit FNV-1a lanes of a text: a rule's content, named in a chain without repeating it per principal. */
function contentHash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return (a >>> 0).toString(36) + (b >>> 0).toString(36);
}

/**
 * A rule's binding as it matches: its name and its pairs. By name alone, a pair taken out of the binding changed
 * nothing here, though that pair's requests then fall to the next rule (from a review: one with no limit).
 */
function bindingTerm(doc: PolicyDocument, name: string): string {
  const pairs = (doc.identityBindings[name] ?? []).map((p) => `${p.workload} & ${p.access}`).sort(compare);
  return `binding ${name} [${pairs.join(", ")}]`;
}

/** By principal, for one route's allow rules. Principals × rules, each step a look-up (OverlapIndex). */
export function decidingTerms(doc: PolicyDocument, route: Route): Map<string, DecidingTerms> {
  const allows = route.rules
    .filter((rule) => rule.effect === "allow")
    .map((rule) => {
      const principals = rulePrincipals(rule, doc);
      const conditions = [
        ...(rule.bothFactors ? [bindingTerm(doc, rule.bothFactors.binding)] : []),
        ...describeConditions(rule.when),
      ];
      const headers = headerLines(rule);
      const limit = limitOf(rule);
      return {
        principals,
        named: new Set(principals),
        overlap: new OverlapIndex(principals),
        conditional: conditions.length > 0,
        headers,
        limit,
        key: contentHash(JSON.stringify([[...principals].sort(compare), conditions, headers, limit])),
        matchKey: contentHash(JSON.stringify([[...principals].sort(compare), conditions])),
      };
    });
  const terms = new Map<string, DecidingTerms>();
  for (const principal of new Set(allows.flatMap((a) => a.principals))) {
    const chain: string[] = [];
    const headers = new Set<string>();
    let always: Set<string> | undefined;
    const limits = new Set<LimitTerm>();
    const uncountedRules = new Map<string, Set<string>>();
    const limitedAhead = new Set<string>();
    for (const allow of allows) {
      if (!allow.overlap.mayOverlap(principal)) continue;
      chain.push(allow.key);
      for (const line of allow.headers) headers.add(line);
      always = always ? new Set(allow.headers.filter((line) => always!.has(line))) : new Set(allow.headers);
      limits.add(allow.limit);
      // The first of two alike decides: a later copy (with more limited rules ahead) must not stand for it.
      if (allow.limit === "none") {
        if (!uncountedRules.has(allow.matchKey)) uncountedRules.set(allow.matchKey, new Set(limitedAhead));
      } else limitedAhead.add(allow.matchKey);
      if (!allow.conditional && allow.named.has(principal)) break;
    }
    terms.set(principal, {
      chain: chain.join(","),
      headers: [...headers].sort(compare),
      always: [...(always ?? [])].sort(compare),
      limits,
      uncountedRules,
    });
  }
  return terms;
}

/**
 * What `after` may do to a principal's request that `before` surely did not: nothing when the chains are equal;
 * else each header line some rule of `after` sets that not every rule of `before` set; failing open where a rule
 * of `before` always counted (where none counted, a limit that may fail open is narrower); and not counting at
 * all where a rule of `before` counted, always or but for failing open: a rule of `after` with no limit that
 * `before` did not have (by whom and when it matches), or one that lost a limited rule ahead of it (from a
 * review: a removed limit went unlisted; from a review of that: a chain that already held a rule with no limit
 * was listed for any change, a narrowing included).
 */
export function widerTerms(
  before: DecidingTerms,
  after: DecidingTerms,
): { headers: string[]; failOpen: boolean; uncounted: boolean } {
  if (before.chain === after.chain) return { headers: [], failOpen: false, uncounted: false };
  const counted = before.limits.has("counted");
  return {
    headers: after.headers.filter((line) => !before.always.includes(line)),
    failOpen: counted && after.limits.has("fail-open"),
    uncounted:
      (counted || before.limits.has("fail-open")) &&
      [...after.uncountedRules].some(([rule, ahead]) => {
        const was = before.uncountedRules.get(rule);
        return !was || [...was].some((limited) => !ahead.has(limited));
      }),
  };
}

/** Header lines no rule of `after`'s chain sets that one of `before`'s did: listed, not as widening. */
export function droppedHeaders(before: DecidingTerms, after: DecidingTerms): string[] {
  if (before.chain === after.chain) return [];
  return before.headers.filter((line) => !after.headers.includes(line));
}
