// Random grants for the grants oracle (grants-oracle.property.test.ts): several per request, mostly aimed at the
// request's caller, service and route so that they often cover it, with windows in the past, present and future
// and at their edges, used up or not, and now and then a kind of principal only an earlier Ward stored.
import type { Identity } from "../../../policy/index.ts";
import type { GenGrant, GrantCase, Listing } from "./grants.ts";
import { ALL_METHODS, type GenPolicy, type Random, chance, int, pick } from "./random-policy.ts";
import { EMAILS, GROUPS, TOKENS, WORKLOADS, type GenRequest, genRequest } from "./random-request.ts";

const HOUR = 3_600_000;

/** Routes that take GET carry WebSocket upgrades now and then (a route with `websocket` must take GET). */
export function withWebSockets(r: Random, g: GenPolicy): GenPolicy {
  for (const service of g.services)
    for (const route of service.routes)
      if ((route.methods.includes("GET") || route.methods.includes("*")) && chance(r, 0.4)) route.websocket = true;
  return g;
}

/** The principals the caller has, as a grant would name them. */
function ownPrincipals(id: Identity): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  if (id.user) {
    const email = id.user.email;
    out.push({ email }, { email: email.toUpperCase() });
    for (const group of id.user.groups ?? GROUPS) out.push({ group });
  }
  if (id.serviceToken) out.push({ serviceToken: id.serviceToken.clientId });
  if (id.workload) out.push({ spiffe: id.workload.id });
  if (id.workloadToken?.spiffeId) out.push({ spiffe: id.workloadToken.spiffeId });
  return out;
}

/** Kinds the admin API refuses, as an earlier Ward may have stored them: never honoured. */
const UNNAMED: Record<string, unknown>[] = [
  { emailDomain: "example.com" },
  { authenticated: true },
  { public: true },
  { spiffePrefix: "spiffe://prod.example.com/ns/a/" },
  { trustDomain: "prod.example.com" },
  { set: "ops" },
  { claims: { owner: "acme" } },
];

function principal(r: Random, id: Identity): Record<string, unknown> {
  const own = ownPrincipals(id);
  if (own.length > 0 && chance(r, 0.65)) return pick(r, own);
  if (chance(r, 0.12)) return pick(r, UNNAMED);
  switch (int(r, 4)) {
    case 0:
      return { email: pick(r, EMAILS) };
    case 1:
      return { group: pick(r, GROUPS) };
    case 2:
      return { serviceToken: pick(r, TOKENS) };
    default:
      return { spiffe: pick(r, WORKLOADS) };
  }
}

/** The service the request's host is served by, roughly (a bias only: the oracle decides). */
function serviceOf(g: GenPolicy, host: string): string | undefined {
  const h = host.toLowerCase().replace(/\.?(:\d+)?$/, "");
  return g.services.find((s) => s.hosts.some((p) => p === h || (p.startsWith("*.") && h.endsWith(p.slice(1)))))?.name;
}

/** An instant at or near `now`: the window's edges are exact, so each side of them is tried. */
function instant(r: Random, now: number): number {
  return now + pick(r, [-2 * HOUR, -1000, -1, 0, 0, 1, 1000, 2 * HOUR]);
}

export function genGrant(r: Random, g: GenPolicy, request: GenRequest, now: number, n: number): GenGrant {
  const names = g.services.map((s) => s.name);
  const service = chance(r, 0.85) ? (serviceOf(g, request.host) ?? pick(r, names)) : pick(r, [...names, "gone"]);
  const routeIds = g.services.find((s) => s.name === service)?.routes.map((x) => x.id) ?? ["route0"];
  let routes: string[] | "*" = "*";
  if (chance(r, 0.6)) {
    routes = [...new Set(Array.from({ length: 1 + int(r, 3) }, () => pick(r, routeIds)))];
    if (chance(r, 0.08)) routes.push("gone");
  }
  let methods: string[] | "*" = "*";
  if (chance(r, 0.55)) {
    const wanted = request.method.toUpperCase();
    methods = [
      ...new Set([
        ...(chance(r, 0.6) ? [wanted] : []),
        ...Array.from({ length: int(r, 3) }, () => pick(r, ALL_METHODS)),
      ]),
    ].filter((m) => (ALL_METHODS as readonly string[]).includes(m));
    if (methods.length === 0) methods = [pick(r, ALL_METHODS)];
  }
  // Mostly in force; otherwise past, future or at an edge.
  let notBefore = chance(r, 0.6) ? now - HOUR : instant(r, now);
  let notAfter = chance(r, 0.6) ? now + HOUR : instant(r, now);
  if (notAfter <= notBefore) [notBefore, notAfter] = [notAfter - 1, notBefore + 1];
  const grant: GenGrant = {
    id: `${n}`,
    kind: chance(r, 0.75) ? "exception" : "break-glass",
    principal: principal(r, request.identity),
    service,
    routes,
    methods,
    notBefore,
    notAfter,
    uses: 0,
  };
  grant.id = `${grant.kind === "break-glass" ? "bg" : "exc"}-${n}`;
  if (chance(r, 0.45)) {
    grant.maxUses = 1 + int(r, 3);
    grant.uses = int(r, grant.maxUses + 1);
    // Other requests spent some of them since this isolate read its copy.
    if (grant.uses > 0 && chance(r, 0.5)) grant.copiedUses = int(r, grant.uses);
  }
  return grant;
}

export function genListing(r: Random): Listing {
  const k = r();
  return k < 0.88 ? "clear" : k < 0.92 ? "revoked" : k < 0.96 ? "quarantined" : "unknown";
}

export function genGrantCase(r: Random, g: GenPolicy, now: number): GrantCase {
  const request = genRequest(r, g);
  const count = pick(r, [0, 1, 1, 1, 2, 2, 3, 4]);
  const grants = Array.from({ length: count }, (_, n) => genGrant(r, g, request, now, n));
  const k = r();
  // Only a GET asks for a WebSocket upgrade (policy/websocket/upgrade.ts upgradeKind): any other is another one.
  const upgrade = k < 0.84 ? "none" : k < 0.96 && request.method === "GET" ? "websocket" : "other";
  const crossOrigin = upgrade === "websocket" && chance(r, 0.25);
  return { request, upgrade, crossOrigin, listing: genListing(r), grants, storeDown: chance(r, 0.04), now };
}
