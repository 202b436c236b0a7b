// Requests the gateway refused for their letters in OLD and takes in NEW. A path that an origin which changes
// letters reads as another route's path (`/x/café` as `/x/cafe`) is refused in every mode (path-letters-ambiguous:
// policy/evaluate.ts, lettersAmbiguous). Removing or renaming the other route lifts the refusal without changing a
// grant, so the per-route comparison sees nothing (a black-box review found such a diff exiting 0).
import { foldedSpellings, MAX_SPELLINGS } from "../folded-spellings.ts";
import { NOT_ASCII } from "../letter-fold.ts";
import { METHODS } from "../schema.ts";
import { folding } from "../folded-patterns.ts";
import { expandMethods, type ReachMethod } from "./methods.ts";
import type { Reach } from "./model.ts";
import { chooseRoute, matching, representativePaths, routePattern, type RoutePattern } from "./route-match.ts";
import type { SettingChange } from "./setting-change.ts";
import { compare } from "./sort.ts";

/** Whether the gateway refuses the request for its letters: a spelling of it decided by a route it does not match. */
function lettersRefused(
  routes: readonly RoutePattern[],
  segments: readonly string[],
  method: ReachMethod,
  caseInsensitive: boolean,
): boolean {
  const spellings = foldedSpellings(caseInsensitive, folding(segments));
  if (spellings.length === 0) return false;
  if (spellings.length > MAX_SPELLINGS) return true;
  const matched = new Set(matching(routes, segments));
  return spellings.some((spelling) => {
    const other = chooseRoute(matching(routes, spelling), method);
    return other !== undefined && !matched.has(other);
  });
}

/**
 * A segment an origin that changes letters reads as this ASCII one: its first character in fullwidth form (`ａ` for
 * `a`), which NFKC and best-fit both read back. Undefined for a segment it cannot stand for.
 */
function twin(segment: string): string | undefined {
  const first = segment.charCodeAt(0);
  if (!(first > 0x20 && first < 0x7f) || NOT_ASCII.test(segment)) return undefined;
  return String.fromCharCode(first + 0xfee0) + segment.slice(1);
}

/**
 * The path as written, then with each ASCII segment (one at a time, then all) written as its twin: the requests
 * whose letters an origin folds onto the patterns' literals (`/c/ａ` onto `/{*}/a`), which the patterns' own
 * literals do not stand for.
 */
function withTwins(segments: readonly string[]): (readonly string[])[] {
  const twins = segments.map(twin);
  const paths: (readonly string[])[] = [segments];
  twins.forEach((t, i) => {
    if (t !== undefined) paths.push(segments.map((s, j) => (j === i ? t : s)));
  });
  if (twins.filter((t) => t !== undefined).length > 1) paths.push(segments.map((s, i) => twins[i] ?? s));
  return paths;
}

function sameRouting(a: readonly RoutePattern[], b: readonly RoutePattern[]): boolean {
  const key = (routes: readonly RoutePattern[]) =>
    routes
      .map((r) => JSON.stringify([r.info.pattern, r.info.methods]))
      .sort(compare)
      .join("\n");
  return key(a) === key(b);
}

function routesOf(reach: Reach, service: string): RoutePattern[] {
  return reach.routes.filter((r) => r.service === service).map(routePattern);
}

/**
 * The requests of each service that OLD refused for their letters and NEW routes, with who may get in now; `listed`:
 * a principal already named on the route by the requests that moved to it (diff-routing.ts), not named again.
 */
export function lettersLifted(
  before: Reach,
  after: Reach,
  listed: (route: string, principal: string) => boolean = () => false,
): SettingChange[] {
  const changes: SettingChange[] = [];
  for (const [service, newSettings] of [...after.settings.services].sort(([a], [b]) => compare(a, b))) {
    const oldSettings = before.settings.services.get(service);
    if (!oldSettings) continue; // a service added: the service changes' part
    const [oldRoutes, newRoutes] = [routesOf(before, service), routesOf(after, service)];
    // Which requests are refused for their letters depends on the routes' patterns and methods and on the case
    // setting alone: a service that kept them refuses the same ones.
    if (oldSettings.caseInsensitivePaths === newSettings.caseInsensitivePaths && sameRouting(oldRoutes, newRoutes))
      continue;
    const found = new Map<string, { example: string; principals: Set<string> }>();
    for (const written of representativePaths([...oldRoutes, ...newRoutes].map((r) => r.tokens)))
      for (const segments of withTwins(written))
        for (const method of METHODS) {
          if (!lettersRefused(oldRoutes, segments, method, oldSettings.caseInsensitivePaths)) continue;
          if (lettersRefused(newRoutes, segments, method, newSettings.caseInsensitivePaths)) continue;
          const to = chooseRoute(matching(newRoutes, segments), method)?.info;
          // A service in audit mode forwards whatever its rules say, routed or not; otherwise the grants of the
          // route it now reaches may let in (none: refused still).
          const principals =
            newSettings.mode === "audit"
              ? ["every caller (audit mode)"]
              : to
                ? after.grants
                    .filter((g) => g.route === to.route && expandMethods(g.methods).includes(method))
                    .map((g) => g.principal)
                    .filter((p) => !listed(to.route, p))
                : [];
          if (principals.length === 0) continue;
          const reached = to ? `reaches ${to.route}` : `reaches no route of ${service}`;
          let entry = found.get(reached);
          if (!entry)
            found.set(reached, (entry = { example: `${method} /${segments.join("/")}`, principals: new Set() }));
          for (const p of principals) entry.principals.add(p);
        }
    for (const [reached, { example, principals }] of [...found].sort(([a], [b]) => compare(a, b)))
      changes.push({
        kind: "route",
        change: `${example} (and the like) was refused for its letters (path-letters-ambiguous: an origin that changes letters reads it as another route's path) and now ${reached}: may let in ${[...principals].sort(compare).join(", ")}`,
        widens: true,
      });
  }
  return changes;
}
