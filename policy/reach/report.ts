// Who reaches what: the grants of a reach by identity and by route, and the summary figures.
import type { DenyRule, Grant, Reach, RouteInfo } from "./model.ts";
import { compare, unique } from "./sort.ts";

export interface IdentityReach {
  principal: string;
  /** Distinct routes this principal may reach. */
  routes: number;
  services: string[];
  grants: Grant[];
}

export interface RouteReach extends RouteInfo {
  /** Distinct principals granted this route. */
  identities: number;
  public: boolean;
  anyAuthenticated: boolean;
  grants: Grant[];
  denies: DenyRule[];
}

export interface ReachSummary {
  identities: number;
  grants: number;
  routes: number;
  reachableRoutes: number;
  /** Distinct (identity, route) pairs per identity, rounded to 2 decimals. */
  averageRoutesPerIdentity: number;
  widestIdentities: { principal: string; routes: number }[];
  mostExposedRoutes: { route: string; identities: number; public: boolean; anyAuthenticated: boolean }[];
}

export interface ReachReport {
  byIdentity: IdentityReach[];
  byRoute: RouteReach[];
  summary: ReachSummary;
}

const TOP = 5;

export function reachReport(r: Reach): ReachReport {
  const byIdentity = identitiesOf(r.grants);
  const byRoute = routesOf(r);
  return { byIdentity, byRoute, summary: summaryOf(byIdentity, byRoute, r.grants.length) };
}

function identitiesOf(grants: readonly Grant[]): IdentityReach[] {
  const byPrincipal = new Map<string, Grant[]>();
  for (const g of grants) {
    const list = byPrincipal.get(g.principal);
    if (list) list.push(g);
    else byPrincipal.set(g.principal, [g]);
  }
  return [...byPrincipal.entries()]
    .map(([principal, grants]) => ({
      principal,
      routes: new Set(grants.map((g) => g.route)).size,
      services: unique(grants.map((g) => g.service)).sort(compare),
      grants,
    }))
    .sort((a, b) => compare(a.principal, b.principal));
}

function routeReach(info: RouteInfo, grants: Grant[], denies: DenyRule[]): RouteReach {
  const principals = new Set(grants.map((g) => g.principal));
  return {
    ...info,
    identities: principals.size,
    public: principals.has("public"),
    anyAuthenticated: principals.has("any-authenticated"),
    grants,
    denies,
  };
}

function routesOf(r: Reach): RouteReach[] {
  // Every grant is on one of r.routes: reach gives time-bounded grants rows only on routes the policy has.
  return r.routes
    .map((info) =>
      routeReach(
        info,
        r.grants.filter((g) => g.route === info.route),
        r.denies.filter((d) => d.route === info.route),
      ),
    )
    .sort((a, b) => compare(a.route, b.route));
}

function summaryOf(byIdentity: readonly IdentityReach[], byRoute: readonly RouteReach[], grants: number): ReachSummary {
  const pairs = byIdentity.reduce((n, i) => n + i.routes, 0);
  return {
    identities: byIdentity.length,
    grants,
    routes: byRoute.length,
    reachableRoutes: byRoute.filter((x) => x.identities > 0).length,
    averageRoutesPerIdentity: byIdentity.length === 0 ? 0 : Math.round((pairs / byIdentity.length) * 100) / 100,
    widestIdentities: [...byIdentity]
      .sort((a, b) => b.routes - a.routes || compare(a.principal, b.principal))
      .slice(0, TOP)
      .map(({ principal, routes }) => ({ principal, routes })),
    mostExposedRoutes: byRoute
      .filter((x) => x.identities > 0)
      .sort((a, b) => b.identities - a.identities || compare(a.route, b.route))
      .slice(0, TOP)
      .map(({ route, identities, public: isPublic, anyAuthenticated }) => ({
        route,
        identities,
        public: isPublic,
        anyAuthenticated,
      })),
  };
}
