// Who reaches what: the grants of a reach by identity and by route, and the summary figures.
import type { DenyRule, Grant, Reach, RouteInfo } from "./model.ts";
import { Holders } from "./holders.ts";
import { splitPair } from "./principals.ts";
import { compare, unique } from "./sort.ts";

export interface IdentityReach {
  principal: string;
  /** Distinct routes this principal may reach: by its own grants and by those it inherits. */
  routes: number;
  /** The services of those routes. */
  services: string[];
  /** The grants that name this principal. */
  grants: Grant[];
  /**
   * The wider principals with grants that name every caller this one names (principalContains), whose grants it
   * reaches too (listed under their own names): a SPIFFE ID's trust domain or a prefix it falls under, an
   * address's e-mail domain, any authenticated caller, the public; for a bothFactors pair, also each of its
   * sides and the pairs holding both. No one else inherits a group's or claims' grants: who holds them is
   * Access's to say.
   */
  inheritedFrom: string[];
}

export interface RouteReach extends RouteInfo {
  /** Distinct principals granted this route. */
  identities: number;
  /**
   * The identities of the policy (principals with grants of their own) not granted this route under their own
   * name that reach it through a wider principal's grant (IdentityReach.inheritedFrom), sorted: a route granted
   * to `trust-domain:prod` is reached by every `spiffe://prod/...` the policy names. Not counted in `identities`.
   * Not through `public` or `any-authenticated`, which every identity falls under (`public`, `anyAuthenticated`
   * say so): listed, every such route would name the whole policy.
   */
  inheritedBy: string[];
  /** The widest of them (principalWidth), "" when none. */
  widest: string;
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
  /**
   * The widest matcher first (public, any authenticated caller, a whole trust domain or e-mail domain, a SPIFFE
   * prefix, a group or claims, then one principal), then the most identities: one `trust-domain:` grant lets in
   * more callers than two named workloads.
   */
  mostExposedRoutes: {
    route: string;
    identities: number;
    public: boolean;
    anyAuthenticated: boolean;
    /** The widest principal granted the route, as reach names it. */
    widest: string;
  }[];
}

export interface ReachReport {
  byIdentity: IdentityReach[];
  byRoute: RouteReach[];
  summary: ReachSummary;
}

const TOP = 5;

export function reachReport(r: Reach): ReachReport {
  const byIdentity = identitiesOf(r.grants);
  const byRoute = routesOf(r, inheritorsOf(byIdentity));
  return { byIdentity, byRoute, summary: summaryOf(byIdentity, byRoute, r.grants.length) };
}

/** Who holds everyone: their inheritors are every identity, said by a route's `public` and `anyAuthenticated`. */
const EVERYONE: ReadonlySet<string> = new Set(["public", "any-authenticated"]);

/**
 * Each principal with grants, and the identities that inherit what it is granted (inheritedFrom turned around),
 * but for the principals that hold everyone.
 */
function inheritorsOf(byIdentity: readonly IdentityReach[]): Map<string, string[]> {
  const inheritors = new Map<string, string[]>();
  for (const identity of byIdentity)
    for (const holder of identity.inheritedFrom) {
      if (EVERYONE.has(holder)) continue;
      const list = inheritors.get(holder);
      if (list) list.push(identity.principal);
      else inheritors.set(holder, [identity.principal]);
    }
  return inheritors;
}

function identitiesOf(grants: readonly Grant[]): IdentityReach[] {
  const byPrincipal = new Map<string, Grant[]>();
  for (const g of grants) {
    const list = byPrincipal.get(g.principal);
    if (list) list.push(g);
    else byPrincipal.set(g.principal, [g]);
  }
  const holders = new Holders(byPrincipal.keys());
  return [...byPrincipal.entries()]
    .map(([principal, own]) => {
      const inheritedFrom = holders.of(principal);
      const all = [own, ...inheritedFrom.map((holder) => byPrincipal.get(holder)!)].flat();
      return {
        principal,
        routes: new Set(all.map((g) => g.route)).size,
        services: unique(all.map((g) => g.service)).sort(compare),
        grants: own,
        inheritedFrom,
      };
    })
    .sort((a, b) => compare(a.principal, b.principal));
}

/**
 * How many callers a principal may stand for, as a rank: 5 anyone, 4 any authenticated caller, 3 a whole trust
 * domain or e-mail domain, 2 a SPIFFE prefix, a group or claims, 1 one workload, person or service token. Both
 * factors (`W + A`) are as narrow as the narrower (freeText quotes a name holding " + ", principals.ts).
 */
export function principalWidth(principal: string): number {
  if (principal === "public") return 5;
  if (principal === "any-authenticated") return 4;
  // Only a bothFactors pair: a group or claims holding " + " is one principal (splitPair knows the sides).
  const pair = splitPair(principal);
  if (pair) return Math.min(principalWidth(pair[0]), principalWidth(pair[1]));
  if (principal.startsWith("trust-domain:") || principal.startsWith("email-domain:")) return 3;
  // A prefix at a trust domain's root (`spiffe://td/*`) is the whole trust domain.
  if (principal.startsWith("spiffe://") && principal.endsWith("*"))
    return /^spiffe:\/\/[^/]+\/\*$/.test(principal) ? 3 : 2;
  if (principal.startsWith("group:") || principal.startsWith("claims:")) return 2;
  return 1;
}

function widestOf(principals: Iterable<string>): string {
  let widest = "";
  for (const p of principals)
    if (
      widest === "" ||
      principalWidth(p) > principalWidth(widest) ||
      (principalWidth(p) === principalWidth(widest) && compare(p, widest) < 0)
    )
      widest = p;
  return widest;
}

function routeReach(
  info: RouteInfo,
  grants: Grant[],
  denies: DenyRule[],
  inheritors: ReadonlyMap<string, readonly string[]>,
): RouteReach {
  const principals = new Set(grants.map((g) => g.principal));
  const inheritedBy = new Set<string>();
  for (const holder of principals)
    for (const identity of inheritors.get(holder) ?? []) if (!principals.has(identity)) inheritedBy.add(identity);
  return {
    ...info,
    identities: principals.size,
    inheritedBy: [...inheritedBy].sort(compare),
    widest: widestOf(principals),
    public: principals.has("public"),
    anyAuthenticated: principals.has("any-authenticated"),
    grants,
    denies,
  };
}

function routesOf(r: Reach, inheritors: ReadonlyMap<string, readonly string[]>): RouteReach[] {
  // Every grant is on one of r.routes: reach gives time-bounded grants rows only on routes the policy has.
  return r.routes
    .map((info) =>
      routeReach(
        info,
        r.grants.filter((g) => g.route === info.route),
        r.denies.filter((d) => d.route === info.route),
        inheritors,
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
      .sort(
        (a, b) =>
          principalWidth(b.widest) - principalWidth(a.widest) ||
          b.identities - a.identities ||
          compare(a.route, b.route),
      )
      .slice(0, TOP)
      .map(({ route, identities, public: isPublic, anyAuthenticated, widest }) => ({
        route,
        identities,
        public: isPublic,
        anyAuthenticated,
        widest,
      })),
  };
}
