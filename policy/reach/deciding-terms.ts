// What the allow rule that decides a request does to it beyond letting it through: the headers it sets on what
// is forwarded, and whether its rate limit counts the request. The first allow rule that matches decides
// (policy/evaluate.ts), so this is read per route and principal, in rule order: every allow rule that may
// match the principal up to the first that surely does (names it, with no condition). Keyed so, a rule renamed
// or renumbered changes nothing, and rules reordered change what may decide (from a review of the per-rule
// comparison this replaces).
import type { PolicyDocument, Route, Rule } from "../schema.ts";
import { describeConditions, principalsMayOverlap, rulePrincipals } from "./principals.ts";
import { compare } from "./sort.ts";

/** A rate limit's part in the decision: none, counted, or counted unless its store cannot answer. */
export type LimitTerm = "none" | "counted" | "fail-open";

export interface DecidingTerms {
  /** `name: value` lines (names lower case) that some rule that may decide sets. */
  headers: readonly string[];
  limits: ReadonlySet<LimitTerm>;
}

function headerLines(rule: Rule): string[] {
  return Object.entries(rule.headers ?? {}).map(([name, value]) => `${name.toLowerCase()}: ${value}`);
}

function limitOf(rule: Rule): LimitTerm {
  if (!rule.rateLimit) return "none";
  return rule.rateLimit.failOpen ? "fail-open" : "counted";
}

/** By principal, for one route's allow rules. */
export function decidingTerms(doc: PolicyDocument, route: Route): Map<string, DecidingTerms> {
  const allows = route.rules
    .filter((rule) => rule.effect === "allow")
    .map((rule) => ({
      principals: rulePrincipals(rule, doc),
      conditional: rule.bothFactors !== undefined || describeConditions(rule.when).length > 0,
      headers: headerLines(rule),
      limit: limitOf(rule),
    }));
  const terms = new Map<string, DecidingTerms>();
  for (const principal of new Set(allows.flatMap((a) => a.principals))) {
    const headers = new Set<string>();
    const limits = new Set<LimitTerm>();
    for (const allow of allows) {
      if (!allow.principals.some((p) => principalsMayOverlap(principal, p))) continue;
      for (const line of allow.headers) headers.add(line);
      limits.add(allow.limit);
      if (!allow.conditional && allow.principals.includes(principal)) break;
    }
    terms.set(principal, { headers: [...headers].sort(compare), limits });
  }
  return terms;
}

/** What `after` may do to a principal's request that `before` never did: headers it may set, a limit that may fail open. */
export function widerTerms(before: DecidingTerms, after: DecidingTerms): { headers: string[]; failOpen: boolean } {
  return {
    headers: after.headers.filter((line) => !before.headers.includes(line)),
    // Failing open is wider than a limit always counted, narrower than none at all.
    failOpen: after.limits.has("fail-open") && !before.limits.has("fail-open") && !before.limits.has("none"),
  };
}
