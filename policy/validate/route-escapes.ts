// A route narrowed to some callers can be reached another way: by HEAD where it takes GET but not HEAD
// (frameworks run the GET handler for a HEAD: its side effects, its headers, its timing), or by its exact path
// spelt with or without a trailing slash (Express, ASP.NET Core and older Spring serve both alike). Such a
// request is decided by whichever other route takes it, often a catch-all for everyone. Deny rules already reach
// both spellings (policy/evaluate.ts); allow rules do not, so `ward validate` points at the gap.
import { ruleId } from "../compile.ts";
import type { Method } from "../canonical-target.ts";
import { pathInfoPattern } from "../format-suffix.ts";
import { otherSlash, type PatternToken } from "../path-pattern.ts";
import { ANY_SEGMENT, overlapWitness } from "../path-overlap.ts";
import { METHODS, type Route, type Rule } from "../schema.ts";
import type { Collector } from "./collector.ts";
import { routeTrie, type ParsedRoute } from "./route-trie.ts";
import { admitsAll, type Coverage, type Coverages, type MatcherFacts } from "./shadowing.ts";

/** The paths looked at per route and way around it, and the trie nodes walked to find them. */
const MAX_WITNESSES = 64;
const MAX_NODES = 500;

interface Parsed extends ParsedRoute {
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
  decided: Coverage;
  /** Each allow rule's matchers; undefined for one that names none plainly (bothFactors). */
  allows: (readonly MatcherFacts[] | undefined)[];
}

function admitsOf(route: Route, coverages: Coverages): Admits {
  const plain = (rule: Rule) => (rule.principals && !rule.bothFactors ? rule.principals : undefined);
  return {
    decided: coverages.of(
      route.rules
        .filter((r) => r.when === undefined && r.rateLimit === undefined && r.mode !== "audit")
        .flatMap((r) => plain(r) ?? []),
    ),
    allows: allowsOf(route).map((rule) => {
      const principals = plain(rule);
      return principals && coverages.factsOf(principals);
    }),
  };
}

/**
 * Whether reaching `narrow`'s handler through `other` gives nobody anything new: everyone an allow rule of `other`
 * admits is admitted by an unconditional allow rule of `narrow` too, or refused by one of its unconditional,
 * enforced deny rules (which reach both requests: policy/evaluate.ts). Conservative: false when unsure.
 */
function addsNobody(narrow: Admits, other: Admits): boolean {
  return other.allows.every(
    (theirs) => theirs !== undefined && theirs.length > 0 && theirs.every((m) => admitsAll(narrow.decided, m)),
  );
}

/** The look-ups addsNobody may make: each allow rule's matchers. */
const lookUps = (other: Admits): number => other.allows.reduce((sum, theirs) => sum + (theirs?.length ?? 0), 0);

export function checkRouteEscapes(routes: readonly Route[], at: string, out: Collector, coverages: Coverages): void {
  const { parsed, trie } = routeTrie<Parsed>(routes);
  const takers = (method: Method) => (p: Parsed) => takes(p.route, method);
  // One segment longer than the longest exact pattern: a path that deep is matched by `{**}` patterns only.
  const exactDepth = Math.max(0, ...parsed.filter((p) => p.tokens.at(-1)?.kind !== "rest").map((p) => p.tokens.length));
  const beyondExact = (path: string[]) => [
    ...path,
    ...Array.from({ length: Math.max(1, exactDepth + 1 - path.length) }, () => ANY_SEGMENT),
  ];
  // Routes whose check hit a bound before it found a way around them: said once, so silence means checked.
  const unchecked: Parsed[] = [];
  for (const narrow of parsed) {
    if (allowsOf(narrow.route).length === 0) continue;
    const methods: readonly Method[] = narrow.route.methods.includes("*")
      ? METHODS
      : (narrow.route.methods as Method[]);
    // Requests another route may decide: HEAD where the route takes GET, and the other spelling of an exact path
    // by each method it takes. `spelt` is the pattern such requests match; `from` turns one into the request the
    // route itself decides (the same path, or the path spelt its way), by `decides` where it is asked `method`.
    type Pair = { method: Method; decides: Method };
    const escapes: { way: Way; spelt: PatternToken[]; from: (w: string[]) => string[]; pairs: Pair[] }[] = [];
    if (takes(narrow.route, "GET") && !takes(narrow.route, "HEAD"))
      escapes.push({ way: "head", spelt: narrow.tokens, from: (w) => w, pairs: [{ method: "HEAD", decides: "GET" }] });
    const same = methods.map((m) => ({ method: m, decides: m }));
    const slash = narrow.route.path !== undefined ? otherSlash(narrow.tokens) : undefined;
    if (slash) escapes.push({ way: "slash", spelt: slash, from: toggleSlash, pairs: same });
    // A script's path with PATH_INFO after it (`/admin.php/x` runs `/admin.php`), for a script named by a literal.
    const script = narrow.route.path !== undefined ? pathInfoPattern(narrow.tokens) : undefined;
    if (script && script.at(-2)?.kind === "literal") {
      const depth = script.length - 1;
      const spelt: PatternToken[] = [...script.slice(0, -1), { kind: "segment" }, { kind: "rest" }];
      // The route's own path: without its trailing slash, and with it where the route spells it so.
      const own = (w: string[]) => [...w.slice(0, depth), ...(narrow.tokens.length > depth ? [""] : [])];
      escapes.push({ way: "path-info", spelt, from: own, pairs: same });
    }
    if (escapes.length === 0) continue;
    narrow.admits ??= admitsOf(narrow.route, coverages);
    const mine = narrow.admits;
    // Another route whose allow rules admit someone this one does not: only such a route can be a way around it.
    // Past the checks' budget (policy/validate/collector.ts) no route widens, and this one is left unchecked:
    // unsure, the check says so rather than warn.
    let spent = false;
    const widens = (other: Parsed) => {
      if (other === narrow || allowsOf(other.route).length === 0) return false;
      other.admits ??= admitsOf(other.route, coverages);
      if (spent || !out.mayWork(lookUps(other.admits))) {
        spent = true;
        return false;
      }
      return !addsNobody(mine, other.admits);
    };
    let complete = true;
    escaping: for (const { way, spelt, from, pairs } of escapes) {
      // Where such a request could land: the pattern's own path, and one path it shares with each route that
      // takes one of the methods and widens (the trie finds those without comparing every pair), up to a bound:
      // where routes overlap pairwise by the thousand (`/{*}/aN` beside `/bN/{*}`), a warning is a hint, not
      // worth a minute of `ward validate` (or of the admin API's CPU on a push).
      const open = spelt.at(-1)?.kind === "rest";
      const witnesses: string[][] = [];
      // A path both `{**}` patterns share goes on as deep as one likes: with a trailing slash, one segment more,
      // and past every exact pattern, where the more specific routes that take the shallow one (`/{*}/a` for
      // `/a/a`) no longer do.
      const add = (path: string[], deeper: boolean) => {
        // No request has no segment: "/" is one empty segment.
        witnesses.push(path.length === 0 ? [""] : path);
        if (deeper)
          for (const longer of [[...path, ANY_SEGMENT], beyondExact(path)]) witnesses.push(longer, [...longer, ""]);
        if (deeper && path.length > 0) witnesses.push([...path, ""]);
      };
      add(witnessOf(spelt), open);
      const walked = trie.forEachOverlap(
        spelt,
        (other) => {
          if (!pairs.some((p) => takes(other.route, p.method)) || !widens(other)) return false;
          const shared = overlapWitness(spelt, other.tokens);
          if (shared) add(shared, open && other.tokens.at(-1)?.kind === "rest");
          return witnesses.length >= MAX_WITNESSES;
        },
        MAX_NODES,
      );
      if (!walked || witnesses.length >= MAX_WITNESSES) complete = false;
      for (const witness of witnesses)
        for (const { method, decides } of pairs) {
          if (trie.find(from(witness), takers(decides)) !== narrow) continue;
          const taker = trie.find(witness, takers(method));
          if (!taker || !widens(taker)) continue;
          report(narrow, taker, method, witness, way, at, out);
          complete = true;
          break escaping;
        }
    }
    if (!complete || spent) unchecked.push(narrow);
  }
  if (unchecked.length > 0) reportUnchecked(unchecked, at, out);
}

/** The route ids named in the `route-escapes-unchecked` warning; the rest are counted. */
const NAMED_UNCHECKED = 5;

function reportUnchecked(unchecked: readonly Parsed[], at: string, out: Collector): void {
  const ids = unchecked.slice(0, NAMED_UNCHECKED).map((p) => `"${p.route.id}"`);
  const more = unchecked.length - ids.length;
  const one = unchecked.length === 1;
  out.add(
    "warning",
    "route-escapes-unchecked",
    `${at}.routes`,
    `${one ? "route" : "routes"} ${ids.join(", ")}${more > 0 ? ` and ${more} more` : ""} ${one ? "overlaps" : "overlap"} so many other routes that route-escapable compared ${one ? "its" : "their"} HEAD, trailing-slash and PATH_INFO spellings with only the first ${MAX_WITNESSES} paths or ${MAX_NODES} path-tree nodes: a way around ${one ? "it" : "them"} may go unreported`,
    "give such routes HEAD in their methods and deny rules for whom they must not admit, or split the overlapping patterns (`/{*}/a` beside `/b/{*}`) so fewer routes share paths",
  );
}

/** The same path with its trailing slash removed, or added. */
function toggleSlash(segments: string[]): string[] {
  return segments.at(-1) === "" ? segments.slice(0, -1) : [...segments, ""];
}

/** How a request reaches a route's handler by another route: HEAD for GET, the other slash, PATH_INFO. */
type Way = "head" | "slash" | "path-info";

const SPELT: Record<Way, string> = {
  head: "",
  slash: " (the other trailing-slash spelling)",
  "path-info": " (its path with PATH_INFO after it)",
};

function report(
  narrow: Parsed,
  taker: Parsed,
  method: Method,
  witness: string[],
  way: Way,
  at: string,
  out: Collector,
): void {
  const allows = allowsOf(taker.route).map((r) => ruleId(r, taker.route.rules.indexOf(r)));
  const path = `/${witness.join("/")}`;
  const fix: Record<Way, string> = {
    head: `add HEAD to the methods of "${narrow.route.id}", so its rules decide HEAD too`,
    slash: `add a route for ${path} with the rules of "${narrow.route.id}", or refuse the callers it must not admit with a deny rule, which reaches both spellings`,
    "path-info": `where a server runs ${narrow.route.path} as a script (PHP, CGI, ASP.NET), make "${narrow.route.id}" a pathPrefix so its rules decide the paths below it, or refuse the callers it must not admit with a deny rule, which reaches them`,
  };
  out.add(
    "warning",
    "route-escapable",
    `${at}.routes[${narrow.index}]`,
    `${method} ${path}${SPELT[way]} is decided by route "${taker.route.id}" (allow rules ${allows.join(", ")}), not by route "${narrow.route.id}": its origin most likely serves it with the same handler`,
    fix[way],
  );
}
