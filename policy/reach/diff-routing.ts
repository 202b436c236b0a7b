// Requests that reach another route than before. The grants are compared per route (diff.ts), which says
// nothing about a request that OLD sent to one route (or to none) and NEW sends to another: a route added,
// removed, re-patterned or serving other methods moves requests between routes without changing any grant.
// So for each service whose routes changed, every class of requests (representativePaths, times each method)
// is routed in both policies, and where the route differs, NEW's grants there are compared with OLD's: a
// principal NEW grants and OLD did not, or grants on looser terms, may get in.
import { foldedSpellings } from "../folded-spellings.ts";
import { pathInfoSpellings, suffixlessSpellings } from "../format-suffix.ts";
import { folding } from "../folded-patterns.ts";
import { otherSlash } from "../path-pattern.ts";
import { METHODS } from "../schema.ts";
import type { ReachMethod } from "./methods.ts";
import { expandMethods } from "./methods.ts";
import { widerTerms } from "./deciding-terms.ts";
import { denyWho, looser } from "./looser.ts";
import type { DenyRule, Grant, Reach, RouteInfo, ServiceSettings } from "./model.ts";
import {
  chooseRoute,
  matching,
  patternMatches,
  representativePaths,
  routePattern,
  type RoutePattern,
} from "./route-match.ts";
import type { SettingChange } from "./setting-change.ts";
import { compare } from "./sort.ts";

/** One policy's routes, grants and deny rules in some services, indexed for routing many requests. */
export class Routing {
  readonly byService = new Map<string, RoutePattern[]>();
  private readonly grants = new Map<string, Map<ReachMethod, Grant[]>>();
  private readonly denies = new Map<string, DenyRule>();
  private readonly routes = new Map<string, RoutePattern>();

  constructor(reach: Reach, services: ReadonlySet<string>) {
    for (const info of reach.routes) {
      if (!services.has(info.service)) continue;
      const pattern = routePattern(info);
      this.routes.set(info.route, pattern);
      const list = this.byService.get(info.service);
      if (list) list.push(pattern);
      else this.byService.set(info.service, [pattern]);
    }
    for (const g of reach.grants) {
      if (!services.has(g.service)) continue;
      let byMethod = this.grants.get(g.route);
      if (!byMethod) this.grants.set(g.route, (byMethod = new Map()));
      for (const m of expandMethods(g.methods)) {
        const list = byMethod.get(m);
        if (list) list.push(g);
        else byMethod.set(m, [g]);
      }
    }
    for (const d of reach.denies) this.denies.set(d.rule, d);
  }

  /** The grants of the route for the method, by principal. */
  grantsOn(route: RouteInfo | undefined, method: ReachMethod): Map<string, Grant[]> {
    const by = new Map<string, Grant[]>();
    for (const g of (route && this.grants.get(route.route)?.get(method)) ?? []) {
      const list = by.get(g.principal);
      if (list) list.push(g);
      else by.set(g.principal, [g]);
    }
    return by;
  }

  /**
   * The deny rules that may override the grants and apply to this request: those whose route takes it as the
   * gateway reaches deny rules (policy/evaluate.ts): its method, or HEAD where the route takes GET, on its path
   * or, for an exact pattern, the path's other trailing-slash spelling, each also without a format suffix. By who and when, not by name or route:
   * at one request, that is all that decides.
   */
  deniesAt(
    grants: readonly Grant[],
    segments: readonly string[],
    method: ReachMethod,
    caseInsensitive: boolean,
  ): Set<string> {
    const keys = new Set<string>();
    // The path as origins that change letters read it too (`/café` as `/cafe`), as the gateway reaches denies.
    const spellings = [segments, ...foldedSpellings(caseInsensitive, folding(segments))];
    for (const g of grants) {
      for (const rule of g.overriddenBy) {
        const deny = this.denies.get(rule);
        const route = deny && this.routes.get(deny.route);
        // A deny of unknown route is kept: an unknown can never switch a deny off.
        if (route && !spellings.some((spelt) => denyReaches(route, spelt, method))) continue;
        keys.add(deny ? denyWho(deny) : rule);
      }
    }
    return keys;
  }
}

/** Whether the gateway applies the deny rules of `route` to this request (policy/evaluate.ts, denyReaches). */
function denyReaches(route: RoutePattern, segments: readonly string[], method: ReachMethod): boolean {
  if (!route.methods.has(method) && !(method === "HEAD" && route.methods.has("GET"))) return false;
  const slashed = otherSlash(route.tokens);
  // The path as sent, as a format suffix hides it (`/admin.json` as `/admin`), and the script PATH_INFO runs.
  return [segments, ...suffixlessSpellings(segments), ...pathInfoSpellings(segments)].some(
    (spelt) => patternMatches(route.tokens, spelt) || (slashed !== undefined && patternMatches(slashed, spelt)),
  );
}

/**
 * The services of both policies, enforcing in both, whose routes (id, pattern, methods) differ: in every other
 * service each request reaches the same route in both. A service added, or in audit mode before (which
 * forwarded everything) or after (a change of its own), is the service changes' part.
 */
function servicesRoutedAnew(before: Reach, after: Reach): Set<string> {
  const routesOf = (r: Reach) => {
    const by = new Map<string, Set<string>>();
    for (const x of r.routes) {
      const key = JSON.stringify([x.route, x.pattern, x.methods]);
      const set = by.get(x.service);
      if (set) set.add(key);
      else by.set(x.service, new Set([key]));
    }
    return by;
  };
  const [was, now] = [routesOf(before), routesOf(after)];
  const changed = new Set<string>();
  for (const [service, keys] of now) {
    const old = was.get(service);
    const [o, n] = [before.settings.services.get(service), after.settings.services.get(service)];
    if (!old || !o || !n || o.mode === "audit" || n.mode === "audit") continue;
    if (old.size !== keys.size || [...keys].some((k) => !old.has(k))) changed.add(service);
  }
  return changed;
}

function pathOf(segments: readonly string[]): string {
  return `/${segments.join("/")}`;
}

/**
 * What a request allowed on `to` as on `from` is now forwarded with that it was not: the client's headers `to`
 * forwards beyond `from`'s, an upgrade to a WebSocket, and, for a principal granted on both, what the rules that
 * may decide there set or leave uncounted (deciding-terms.ts). Undefined when nothing. A request that reached no
 * route was refused: who gets in through the new one is the gaining principals' part.
 */
export function forwardedMore(
  oldSettings: ServiceSettings,
  newSettings: ServiceSettings,
  from: RouteInfo,
  to: RouteInfo,
  method: ReachMethod,
  granted: ReadonlyMap<string, Grant[]>,
  oldGrants: ReadonlyMap<string, Grant[]>,
):
  | { headers: string[]; upgrades: boolean; ruleHeaders: Set<string>; failOpen: boolean; uncounted: boolean }
  | undefined {
  const left = oldSettings.forwardHeaders.get(from.route) ?? [];
  const headers = (newSettings.forwardHeaders.get(to.route) ?? []).filter((h) => !left.includes(h));
  const upgrades = method === "GET" && newSettings.websockets.has(to.route) && !oldSettings.websockets.has(from.route);
  const ruleHeaders = new Set<string>();
  let failOpen = false;
  let uncounted = false;
  const [leftTerms, newTerms] = [oldSettings.deciding.get(from.route), newSettings.deciding.get(to.route)];
  for (const principal of granted.keys()) {
    const [o, n] = [leftTerms?.get(principal), newTerms?.get(principal)];
    if (!o || !n || !oldGrants.has(principal)) continue;
    const wider = widerTerms(o, n);
    for (const line of wider.headers) ruleHeaders.add(line);
    failOpen ||= wider.failOpen;
    uncounted ||= wider.uncounted;
  }
  return headers.length > 0 || upgrades || ruleHeaders.size > 0 || failOpen || uncounted
    ? { headers, upgrades, ruleHeaders, failOpen, uncounted }
    : undefined;
}

/** What a request that reaches another route is forwarded with beyond before (forwardedMore), as `ward diff` lines. */
export function forwardedLines(
  moving: string,
  more: {
    headers: Iterable<string>;
    upgrades: boolean;
    ruleHeaders: Iterable<string>;
    failOpen: boolean;
    uncounted: boolean;
  },
): SettingChange[] {
  const lines: SettingChange[] = [];
  const headers = [...more.headers].sort(compare);
  const ruleHeaders = [...more.ruleHeaders].sort(compare);
  if (headers.length > 0)
    lines.push({
      kind: "forwarded headers",
      change: `${moving}, which forwards + ${headers.join(", ")}`,
      widens: true,
    });
  if (more.upgrades)
    lines.push({ kind: "websocket", change: `${moving}, which allows WebSocket upgrades`, widens: true });
  if (ruleHeaders.length > 0)
    lines.push({
      kind: "rule headers",
      change: `${moving}, whose rule sets + ${ruleHeaders.join(", ")}`,
      widens: true,
    });
  if (more.failOpen)
    lines.push({ kind: "rate limit", change: `${moving}, whose rate limit may fail open`, widens: true });
  if (more.uncounted)
    lines.push({ kind: "rate limit", change: `${moving}, where no rate limit may count them`, widens: true });
  return lines;
}

/**
 * Requests that NEW sends to another route than OLD did, where that route may let in someone OLD did not.
 * `reported`: whether the per-route comparison already lists (principal, route, method) as gained or loosened;
 * such principals are not listed again here.
 */
export function routingChanges(
  before: Reach,
  after: Reach,
  reported: (principal: string, route: string, method: ReachMethod) => boolean,
  /**
   * Filled with `route\0principal` for each principal listed as it may get in on a route requests moved to, and
   * `from\0to` (from `""` for none) for each pair of routes listed as the new one forwarding more.
   */
  listed?: Set<string>,
): SettingChange[] {
  const services = servicesRoutedAnew(before, after);
  if (services.size === 0) return [];
  const [was, now] = [new Routing(before, services), new Routing(after, services)];
  const changes: SettingChange[] = [];
  for (const service of [...services].sort(compare)) {
    const [oldRoutes, newRoutes] = [was.byService.get(service)!, now.byService.get(service)!];
    const [oldSettings, newSettings] = [before.settings.services.get(service)!, after.settings.services.get(service)!];
    /** By the pair of routes: an example request and the principals that may get in. */
    const moved = new Map<string, { from?: string; to: string; example: string; principals: Set<string> }>();
    /** By the pair of routes: what the route it moved to forwards that the one it left did not. */
    const carried = new Map<
      string,
      {
        from: string;
        to: string;
        example: string;
        headers: Set<string>;
        upgrades: boolean;
        ruleHeaders: Set<string>;
        failOpen: boolean;
        uncounted: boolean;
      }
    >();
    for (const segments of representativePaths([...oldRoutes, ...newRoutes].map((r) => r.tokens))) {
      const [oldMatching, newMatching] = [matching(oldRoutes, segments), matching(newRoutes, segments)];
      for (const method of METHODS) {
        const from = chooseRoute(oldMatching, method)?.info;
        const to = chooseRoute(newMatching, method)?.info;
        if (!to || from?.route === to.route) continue;
        const granted = now.grantsOn(to, method);
        const oldGrants = was.grantsOn(from, method);
        const more =
          from && granted.size > 0
            ? forwardedMore(oldSettings, newSettings, from, to, method, granted, oldGrants)
            : undefined;
        if (from && more) {
          listed?.add(`${from.route}\u0000${to.route}`);
          const key = `${from.route} ${to.route}`;
          let entry = carried.get(key);
          if (!entry)
            carried.set(
              key,
              (entry = {
                from: from.route,
                to: to.route,
                example: `${method} ${pathOf(segments)}`,
                headers: new Set(),
                upgrades: false,
                ruleHeaders: new Set(),
                failOpen: false,
                uncounted: false,
              }),
            );
          for (const h of more.headers) entry.headers.add(h);
          entry.upgrades ||= more.upgrades;
          for (const line of more.ruleHeaders) entry.ruleHeaders.add(line);
          entry.failOpen ||= more.failOpen;
          entry.uncounted ||= more.uncounted;
        }
        const gaining = [...now.grantsOn(to, method)].filter(([principal, grants]) => {
          if (reported(principal, to.route, method)) return false;
          const old = oldGrants.get(principal) ?? [];
          return (
            old.length === 0 ||
            looser(
              old,
              grants,
              was.deniesAt(old, segments, method, oldSettings.caseInsensitivePaths),
              now.deniesAt(grants, segments, method, newSettings.caseInsensitivePaths),
            )
          );
        });
        if (gaining.length === 0) continue;
        const key = `${from?.route ?? ""} ${to.route}`;
        let entry = moved.get(key);
        if (!entry)
          moved.set(
            key,
            (entry = {
              from: from?.route,
              to: to.route,
              example: `${method} ${pathOf(segments)}`,
              principals: new Set(),
            }),
          );
        for (const [principal] of gaining) {
          entry.principals.add(principal);
          listed?.add(`${to.route}\u0000${principal}`);
        }
      }
    }
    for (const c of [...carried.values()].sort((a, b) => compare(a.to, b.to) || compare(a.from, b.from))) {
      changes.push(...forwardedLines(`${c.example} (and the like) now reaches ${c.to} (was ${c.from})`, c));
    }
    for (const m of [...moved.values()].sort((a, b) => compare(a.to, b.to) || compare(a.from ?? "", b.from ?? ""))) {
      const was = m.from ? `was ${m.from}` : "reached no route";
      changes.push({
        kind: "route",
        change: `${m.example} (and the like) now reaches ${m.to} (${was}): may let in ${[...m.principals].sort(compare).join(", ")}`,
        widens: true,
      });
    }
  }
  return changes;
}

/** Routes whose pattern changed: listed for the reviewer; what they widen, routingChanges says. */
export function patternChanges(before: Reach, after: Reach): SettingChange[] {
  const old = new Map(before.routes.map((r) => [r.route, r]));
  return after.routes.flatMap((r) => {
    const o = old.get(r.route);
    if (!o || o.pattern === r.pattern) return [];
    // As written, unless that reads the same (an exact path ending in " (prefix)"): then as matched, `/a/{**}`.
    const [was, now] = o.path === r.path ? [o.pattern, r.pattern] : [o.path, r.path];
    return [{ kind: "route" as const, change: `${r.route}: path ${was} -> ${now}`, widens: false }];
  });
}
