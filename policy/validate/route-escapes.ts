// A route narrowed to some callers can be reached another way: by HEAD where it takes GET but not HEAD
// (frameworks run the GET handler for a HEAD: its side effects, its headers, its timing), or by its exact path
// spelt with or without a trailing slash (Express, ASP.NET Core and older Spring serve both alike). Such a
// request is decided by whichever other route takes it, often a catch-all for everyone. Deny rules already reach
// both spellings (policy/evaluate.ts); allow rules do not, so `ward validate` points at the gap.
import { ruleId } from "../compile.ts";
import type { Method } from "../canonical-target.ts";
import { expandMatchers } from "../principals.ts";
import { otherSlash, parsePathPattern, type PatternToken } from "../path-pattern.ts";
import { ANY_SEGMENT, overlapWitness } from "../path-overlap.ts";
import { PathTrie } from "../path-trie.ts";
import { METHODS, type PolicyDocument, type PrincipalMatcher, type Route, type Rule } from "../schema.ts";
import type { Collector } from "./collector.ts";
import { covers } from "./shadowing.ts";

/** The paths looked at per route and way around it, and the trie nodes walked to find them. */
const MAX_WITNESSES = 64;
const MAX_NODES = 500;

interface Parsed {
  index: number;
  route: Route;
  tokens: PatternToken[];
  /** Expanded on first use. */
  admits?: Admits;
}

/** One path the pattern matches: `{*}` as a segment no literal equals, `{**}` as nothing. */
function witnessOf(tokens: readonly PatternToken[]): string[] {
  return tokens.flatMap((t) => (t.kind === "literal" ? [t.value] : t.kind === "segment" ? [ANY_SEGMENT] : []));
}

const takes = (route: Route, method: Method): boolean => route.methods.includes("*") || route.methods.includes(method);
const allowsOf = (route: Route) => route.rules.filter((r) => r.effect === "allow");

/** What one route's rules admit and refuse, expanded once per route (a route is compared with many others). */
interface Admits {
  /** Matchers of its unconditional allow rules and of its unconditional, enforced deny rules. */
  decided: PrincipalMatcher[];
  /** Each allow rule's matchers; undefined for one that names none plainly (bothFactors). */
  allows: (PrincipalMatcher[] | undefined)[];
}

function admitsOf(doc: PolicyDocument, route: Route): Admits {
  const expand = (rule: Rule) =>
    rule.principals && !rule.bothFactors ? expandMatchers(rule.principals, doc.principalSets) : undefined;
  return {
    decided: route.rules
      .filter((r) => r.when === undefined && r.rateLimit === undefined && r.mode !== "audit")
      .flatMap((r) => expand(r) ?? []),
    allows: allowsOf(route).map(expand),
  };
}

/**
 * Whether reaching `narrow`'s handler through `other` gives nobody anything new: everyone an allow rule of `other`
 * admits is admitted by an unconditional allow rule of `narrow` too, or refused by one of its unconditional,
 * enforced deny rules (which reach both requests: policy/evaluate.ts). Conservative: false when unsure.
 */
function addsNobody(narrow: Admits, other: Admits): boolean {
  return other.allows.every(
    (theirs) =>
      theirs !== undefined && theirs.length > 0 && theirs.every((m) => narrow.decided.some((d) => covers(d, m))),
  );
}

export function checkRouteEscapes(doc: PolicyDocument, routes: readonly Route[], at: string, out: Collector): void {
  const parsed: Parsed[] = [];
  const trie = new PathTrie<Parsed>();
  routes.forEach((route, index) => {
    const result = parsePathPattern(route.path ?? route.pathPrefix ?? "", route.path === undefined);
    if (!result.ok) return;
    const entry = { index, route, tokens: result.tokens };
    parsed.push(entry);
    trie.insert(result.tokens, entry);
  });
  const takers = (method: Method) => (p: Parsed) => takes(p.route, method);
  // One segment longer than the longest exact pattern: a path that deep is matched by `{**}` patterns only.
  const exactDepth = Math.max(0, ...parsed.filter((p) => p.tokens.at(-1)?.kind !== "rest").map((p) => p.tokens.length));
  const beyondExact = (path: string[]) => [
    ...path,
    ...Array.from({ length: Math.max(1, exactDepth + 1 - path.length) }, () => ANY_SEGMENT),
  ];
  for (const narrow of parsed) {
    if (allowsOf(narrow.route).length === 0) continue;
    const methods: readonly Method[] = narrow.route.methods.includes("*")
      ? METHODS
      : (narrow.route.methods as Method[]);
    // Requests another route may decide: HEAD where the route takes GET, and the other spelling of an exact path
    // by each method it takes. `spelt` is the pattern such requests match; `from` turns one into the request the
    // route itself decides (the same path by GET, or the path spelt its way).
    const escapes: { method: Method; decides: Method; spelt: PatternToken[]; from: (w: string[]) => string[] }[] = [];
    if (takes(narrow.route, "GET") && !takes(narrow.route, "HEAD"))
      escapes.push({ method: "HEAD", decides: "GET", spelt: narrow.tokens, from: (w) => w });
    const slash = narrow.route.path !== undefined ? otherSlash(narrow.tokens) : undefined;
    if (slash) for (const method of methods) escapes.push({ method, decides: method, spelt: slash, from: toggleSlash });
    let reported = false;
    for (const { method, decides, spelt, from } of escapes) {
      if (reported) break;
      // Where such a request could land: the pattern's own path, and one path it shares with each other route
      // that takes the method (the trie finds those without comparing every pair), up to a bound: where routes
      // overlap pairwise by the thousand (`/{*}/aN` beside `/bN/{*}`), a warning is a hint, not worth a minute of
      // `ward validate` (or of the admin API's CPU on a push).
      const open = spelt.at(-1)?.kind === "rest";
      const witnesses: string[][] = [];
      // A path both `{**}` patterns share goes on as deep as one likes: also past every exact pattern, where the
      // more specific routes that take the shallow one (`/{*}/a` for `/a/a`) no longer do.
      const add = (path: string[], deeper: boolean) => {
        // No request has no segment: "/" is one empty segment.
        witnesses.push(path.length === 0 ? [""] : path);
        if (deeper) witnesses.push([...path, ANY_SEGMENT], beyondExact(path));
      };
      add(witnessOf(spelt), open);
      trie.forEachOverlap(
        spelt,
        (other) => {
          const shared = other !== narrow && takes(other.route, method) && overlapWitness(spelt, other.tokens);
          if (shared) add(shared, open && other.tokens.at(-1)?.kind === "rest");
          return witnesses.length >= MAX_WITNESSES;
        },
        MAX_NODES,
      );
      for (const witness of witnesses) {
        if (trie.find(from(witness), takers(decides)) !== narrow) continue;
        const taker = trie.find(witness, takers(method));
        if (!taker || taker === narrow || allowsOf(taker.route).length === 0) continue;
        narrow.admits ??= admitsOf(doc, narrow.route);
        taker.admits ??= admitsOf(doc, taker.route);
        if (addsNobody(narrow.admits, taker.admits)) continue;
        reported = true;
        report(narrow, taker, method, witness, spelt !== narrow.tokens, at, out);
        break;
      }
    }
  }
}

/** The same path with its trailing slash removed, or added. */
function toggleSlash(segments: string[]): string[] {
  return segments.at(-1) === "" ? segments.slice(0, -1) : [...segments, ""];
}

function report(
  narrow: Parsed,
  taker: Parsed,
  method: Method,
  witness: string[],
  slash: boolean,
  at: string,
  out: Collector,
): void {
  const allows = allowsOf(taker.route).map((r) => ruleId(r, taker.route.rules.indexOf(r)));
  const path = `/${witness.join("/")}`;
  out.add(
    "warning",
    "route-escapable",
    `${at}.routes[${narrow.index}]`,
    `${method} ${path}${slash ? " (the other trailing-slash spelling)" : ""} is decided by route "${taker.route.id}" (allow rules ${allows.join(", ")}), not by route "${narrow.route.id}": its origin most likely serves it with the same handler`,
    slash
      ? `add a route for ${path} with the rules of "${narrow.route.id}", or refuse the callers it must not admit with a deny rule, which reaches both spellings`
      : `add HEAD to the methods of "${narrow.route.id}", so its rules decide HEAD too`,
  );
}
