// Deny rules reach past their own route: every route of the service that matches a request adds its deny rules
// (policy/evaluate.ts). Where a route with deny rules overlaps another route that takes some of its requests,
// say so: until this Ward, only the most specific route's rules applied, so such a policy changed meaning.
import { ruleId } from "../compile.ts";
import type { Method } from "../canonical-target.ts";
import { pathInfoPattern, suffixlessPatterns } from "../format-suffix.ts";
import { otherSlash, type PatternToken } from "../path-pattern.ts";
import { overlapWitness } from "../path-overlap.ts";
import { PathTrie } from "../path-trie.ts";
import type { Route } from "../schema.ts";
import type { Collector } from "./collector.ts";
import { foldedPatterns } from "../folded-patterns.ts";
import { routeTrie, type ParsedRoute as Parsed } from "./route-trie.ts";

/**
 * The methods whose requests both routes match, for `denying`'s deny rules (HEAD too where it takes GET, as
 * policy/evaluate.ts's denyReaches), to ask the trie which route such a request would reach.
 */
function commonMethods(denying: Route, other: Route): Route["methods"] {
  if (denying.methods.includes("*")) return other.methods.includes("*") ? ["GET"] : other.methods;
  const reached: Route["methods"] = denying.methods.includes("GET")
    ? [...new Set([...denying.methods, "HEAD" as const])]
    : denying.methods;
  return other.methods.includes("*") ? reached : reached.filter((m) => other.methods.includes(m));
}

function enforcedDenies(route: Route): string[] {
  return route.rules.flatMap((rule, i) => (rule.effect === "deny" && rule.mode !== "audit" ? [ruleId(rule, i)] : []));
}

/**
 * Warns once per pair (route with deny rules, route that takes a request it also matches). Returns the indexes
 * of routes whose deny rules cover another route's requests, so that a deny-only route used as a cover is not
 * also reported as one that never allows.
 */
/** What comparing one pair of routes costs, in the units of the checks' budget (collector.ts). */
const PAIR_WORK = 50;

/**
 * A route's requests as deny rules also read them: without a format suffix (`/admin.json` as `/admin`), or as an
 * origin that changes letters reads them (`/x/café` as `/x/cafe`). `request` turns a path matching `pattern` back into
 * the request the route takes.
 */
interface Respelt {
  other: Parsed;
  pattern: PatternToken[];
  request: (witness: readonly string[]) => string[];
}

/**
 * A request of `other` whose suffixless spelling is `witness` (which matches `cut`): the cut segment spelt as the
 * route spells it, and the route's trailing slash back (its `{**}` matches nothing).
 */
function suffixedRequest(other: Parsed, cut: readonly PatternToken[], witness: readonly string[]): string[] {
  const at = cut.length - 1;
  const named = other.tokens[at];
  const trailing = other.tokens[at + 1];
  return [
    ...witness.slice(0, at),
    named?.kind === "literal" ? named.value : "",
    ...(trailing?.kind === "literal" && trailing.value === "" ? [""] : []),
  ];
}

/** A request of `other` whose folded spelling is `witness`: its literals as it spells them. */
function foldedRequest(other: Parsed, witness: readonly string[]): string[] {
  return witness.map((segment, i) => {
    const token = other.tokens[i];
    return token?.kind === "literal" ? token.value : segment;
  });
}

export function checkCrossRouteDenies(
  routes: readonly Route[],
  at: string,
  out: Collector,
  caseInsensitivePaths = false,
): Set<number> {
  const covering = new Set<number>();
  const { parsed, trie } = routeTrie(routes);
  // Each route's requests with a format suffix, spelt without it (format-suffix.ts), and its literals as origins that
  // change letters read them (only routes with letters beyond ASCII): deny rules reach those too.
  const respelt = new PathTrie<Respelt>();
  for (const other of parsed) {
    for (const cut of suffixlessPatterns(other.tokens))
      respelt.insert(cut, { other, pattern: cut, request: (w) => suffixedRequest(other, cut, w) });
    for (const folded of foldedPatterns(other.tokens, caseInsensitivePaths))
      respelt.insert(folded, { other, pattern: folded, request: (w) => foldedRequest(other, w) });
  }
  for (const denying of parsed) {
    const denies = enforcedDenies(denying.route);
    if (denies.length === 0) continue;
    const reported = new Set<number>();
    // Only the routes whose patterns overlap (the trie finds them without comparing every pair), in policy order.
    // Its pattern, and the other trailing-slash spelling of an exact one, which its deny rules reach too.
    const spellings = [denying.tokens, ...[otherSlash(denying.tokens) ?? []].filter((t) => t.length > 0)];
    // And the routes whose requests it reaches only through a format suffix; each pair yields a request of both.
    const overlapping: { other: Parsed; request: () => string[] | undefined }[] = [];
    // Each node the respelt walk looks at is a unit of the checks' budget: a walk that finds nothing still
    // costs (deny routes `/{*}/aN` beside takers `/bN/c.json` doubled the check's time: from a review). The routes'
    // own walk is not charged, as before: charged, a large service's walks used up the budget of every check
    // after it (another review), and only routes with a dotted last literal or letters beyond ASCII are in that trie.
    const nodes = { left: out.workLeft };
    const before = nodes.left;
    for (const tokens of spellings) {
      trie.forEachOverlap(tokens, (other) => {
        overlapping.push({ other, request: () => overlapWitness(tokens, other.tokens) });
        return !out.mayWork(2);
      });
      respelt.forEachOverlap(
        tokens,
        (entry) => {
          const request = () => {
            const witness = overlapWitness(tokens, entry.pattern);
            return witness && entry.request(witness);
          };
          overlapping.push({ other: entry.other, request });
          return !out.mayWork(2);
        },
        undefined,
        nodes,
      );
    }
    // And the routes taking a request below an exact script path (`/admin.php/x` runs `/admin.php`: PATH_INFO),
    // for a script named by a literal: a `{*}` there would name every route below it, dotted segment or not.
    const below = pathInfoPattern(denying.tokens);
    if (below && below.at(-2)?.kind === "literal") {
      const deeper: PatternToken[] = [...below.slice(0, -1), { kind: "segment" }, { kind: "rest" }];
      trie.forEachOverlap(deeper, (other) => {
        overlapping.push({ other, request: () => overlapWitness(deeper, other.tokens) });
        return !out.mayWork(2);
      });
    }
    if (!out.mayWork(Math.min(before, before - nodes.left))) return covering;
    // Stable: a route's own overlap comes before its suffix's, and a pair is reported once.
    overlapping.sort((a, b) => a.other.index - b.other.index);
    for (const { other, request } of overlapping) {
      if (other === denying) continue;
      // Pairs by the million (1,000 deny routes `/{*}/aN` beside 1,000 takers `/bN/{*}`) would take seconds: a
      // pair (a witness, a look-up per method) costs about fifty look-ups of the shadowing check.
      if (!out.mayWork(PAIR_WORK)) return covering;
      const witness = request();
      if (!witness) continue;
      let method: Method | "*" | undefined;
      let taker: Parsed | undefined;
      for (const m of commonMethods(denying.route, other.route)) {
        const takes = (p: Parsed) => p.route.methods.includes("*") || p.route.methods.includes(m);
        const found = trie.find(witness, takes);
        if (found && found !== denying) {
          method = m;
          taker = found;
          break;
        }
      }
      if (!taker || reported.has(taker.index)) continue;
      reported.add(taker.index);
      covering.add(denying.index);
      out.add(
        "warning",
        "deny-covers-route",
        `${at}.routes[${denying.index}]`,
        `deny rules ${denies.join(", ")} of route "${denying.route.id}" also apply to requests route "${taker.route.id}" takes (such as ${method} /${witness.join("/")})`,
        "intended: nothing to do (before this Ward, only the most specific route's rules applied); otherwise narrow the pattern or the deny rules",
      );
    }
  }
  return covering;
}
