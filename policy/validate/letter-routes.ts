// Routes whose own path no request reaches: a literal holding letters an origin may change, where another route's
// pattern is that path as such an origin reads it (`/café` beside `/cafe`). Such requests are refused
// (path-letters-ambiguous: docs/policy.md, "Letters an origin may fold"), so the route decides only what its
// placeholders take, if anything.
import { escapedBeyondAscii } from "../escaped.ts";
import { foldedSpellings } from "../folded-spellings.ts";
import { foldLetters, NOT_ASCII } from "../letter-fold.ts";
import { parsePathPattern } from "../path-pattern.ts";
import type { PathTrie } from "../path-trie.ts";
import { METHODS, type Route } from "../schema.ts";
import type { Collector } from "./collector.ts";
import { type ParsedRoute, routeTrie } from "./route-trie.ts";

export function checkLetterRoutes(
  routes: readonly Route[],
  at: string,
  out: Collector,
  caseInsensitivePaths: boolean,
): void {
  const patternOf = (route: Route) => route.path ?? route.pathPrefix;
  if (!routes.some((route) => NOT_ASCII.test(patternOf(route) ?? ""))) return;
  // The routes in a trie, built once, and only for a service with a route whose letters may fold.
  let built: PathTrie<ParsedRoute> | undefined;
  const trie = () => (built ??= routeTrie(routes).trie);
  const byKey = new Map<string, number>();
  routes.forEach((route, r) => {
    const parsed = parsePathPattern(patternOf(route) ?? "", route.path === undefined);
    if (parsed.ok && !byKey.has(parsed.key)) byKey.set(parsed.key, r);
  });
  routes.forEach((route, r) => {
    const pattern = patternOf(route);
    if (pattern === undefined || !NOT_ASCII.test(pattern)) return;
    // `cafe` + U+0301 shows as `café`, but a request for `/café` as browsers send it (composed) is not it: it is
    // refused, or decided by another route (from a closing review, where it looked like an admin route's path).
    const composed = pattern.normalize("NFC");
    if (composed !== pattern)
      out.add(
        "warning",
        "route-letters-decomposed",
        `${at}.routes[${r}].${route.path !== undefined ? "path" : "pathPrefix"}`,
        `${escapedBeyondAscii(JSON.stringify(pattern))} is not in NFC: it shows as ${composed}, which a request written so (as browsers send it) does not reach`,
        `write it composed: ${composed}`,
      );
    // Placeholders are ASCII: every reading leaves them as they are.
    const segments = pattern.slice(1).split("/");
    const folded = segments.map(foldLetters);
    const target = { segments, folded: folded.some((s, i) => s !== segments[i]) ? folded : undefined };
    const spellings = foldedSpellings(caseInsensitivePaths, target);
    const refused = (read: string, other: number, how: string) =>
      out.add(
        "warning",
        "route-letters-refused",
        `${at}.routes[${r}].${route.path !== undefined ? "path" : "pathPrefix"}`,
        `requests to ${pattern} are refused (path-letters-ambiguous): an origin that changes letters reads it as ${read}, ${how} routes[${other}]`,
        "rename one of the two paths, or merge their rules into one route",
      );
    for (const spelling of spellings) {
      const read = `/${spelling.join("/")}`;
      const parsed = parsePathPattern(read, route.path === undefined);
      const other = parsed.ok ? byKey.get(parsed.key) : undefined;
      if (other === undefined || other === r) continue;
      refused(read, other, "the path of");
      return;
    }
    // Another route's pattern may decide a reading too (`/{*}/cafe` beside `/x/café`: a docs review). Read as the
    // gateway reads the route's own path (lettersAmbiguous in evaluate.ts), for a path with no placeholder.
    const decided = caseInsensitivePaths ? undefined : decidedElsewhere(trie(), r, segments, spellings);
    if (decided) refused(`/${decided.spelling.join("/")}`, decided.other, "which is decided by");
  });
}

/**
 * For a route whose pattern is literals only (a `pathPrefix` then matching its own path too): a reading of its path
 * that, for one of its methods, a route not matching the path as written decides, as evaluate refuses it.
 */
function decidedElsewhere(
  trie: PathTrie<ParsedRoute>,
  r: number,
  segments: readonly string[],
  spellings: readonly (readonly string[])[],
): { spelling: readonly string[]; other: number } | undefined {
  const own = [...routesMatching(trie, segments)];
  const self = own.find((p) => p.index === r);
  if (!self || self.tokens.some((t) => t.kind === "segment")) return undefined;
  const methods = self.route.methods.includes("*") ? METHODS : (self.route.methods as readonly string[]);
  for (const spelling of spellings)
    for (const method of methods) {
      const other = trie.find(spelling, (p) => takes(p.route, method));
      if (other && !own.includes(other)) return { spelling, other: other.index };
    }
  return undefined;
}

function routesMatching(trie: PathTrie<ParsedRoute>, segments: readonly string[]): Set<ParsedRoute> {
  const matched = new Set<ParsedRoute>();
  trie.forEachMatch(segments, (p) => matched.add(p));
  return matched;
}

const takes = (route: Route, method: string) =>
  route.methods.includes("*") || (route.methods as readonly string[]).includes(method);
