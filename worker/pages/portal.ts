// The portal for people: the internal apps this person may open, computed from the same compiled policy the
// gateway enforces (never a separate list that could drift), with the gateway's own route look-ups. An app is
// listed at a GET route's path when the route the gateway decides `GET <path>` by (the most specific: perhaps
// another) has an allow rule naming the person (public routes, such as health checks, are not apps of theirs),
// no unconditional deny rule reaching that request names them (deny rules apply on every matching route, and
// on an exact path's other trailing-slash spelling), and the service takes callers without a client certificate
// or the person has one. A route without `websocket` is linked before one with it (a socket's endpoint is no
// page). Conditions (time, device posture, country...) are checked when the app is opened, as for any request.
import {
  canonicalTarget,
  decidingRoute,
  findService,
  forEachDenyingRoute,
  lettersAmbiguous,
  principalsMatch,
  type CompiledPrincipals,
  type CompiledPolicy,
  type CompiledRoute,
  type CompiledService,
  type Identity,
} from "../../policy/index.ts";
import { routeWebSocket } from "../../policy/websocket/upgrade.ts";

interface PortalRoute {
  allow: CompiledPrincipals[];
  unconditionalDeny: CompiledPrincipals[];
  /** Where to open the app at this route: a literal path, or the prefix. */
  path: string;
  /** The route deciding it takes WebSocket upgrades: perhaps a socket's endpoint, linked only when no other is. */
  websocket: boolean;
}

interface PortalApp {
  service: string;
  owner: string;
  host: string;
  /** The gateway refuses callers without a verified client certificate here (certificate-required). */
  requireCertificate: boolean;
  routes: PortalRoute[];
}

export interface ListedApp {
  service: string;
  owner: string;
  url: string;
}

// Built once per policy version; the portal is not on the hot path, but it should not recompile per visit.
const indexes = new WeakMap<CompiledPolicy, PortalApp[]>();

function portalIndex(policy: CompiledPolicy): PortalApp[] {
  const cached = indexes.get(policy);
  if (cached) return cached;
  const doc = policy.document;
  const apps: PortalApp[] = [];
  for (const [service, spec] of Object.entries(doc.services)) {
    const host = spec.hosts.find((h) => !h.startsWith("*."));
    if (!host) continue; // a wildcard-only service has no single address to link to
    const compiled = findService(policy, host);
    const routes: PortalRoute[] = [];
    for (const route of spec.routes) {
      if (!route.methods.includes("GET") && !route.methods.includes("*")) continue;
      const path = route.pathPrefix ?? route.path!;
      if (route.path?.includes("{")) continue; // needs a parameter: nothing to link
      // The route the gateway decides `GET path` by (the most specific one taking GET), whose allow rules count.
      const decidedBy = chosenRoute(compiled, host, path);
      if (!decidedBy) continue;
      routes.push({
        allow: decidedBy.rules.flatMap((r) => (r.effect === "allow" && r.principals ? [r.principals] : [])),
        unconditionalDeny: coveringDenies(compiled, host, path),
        path,
        websocket: routeWebSocket(policy, decidedBy.id) !== undefined,
      });
    }
    if (routes.length > 0)
      apps.push({
        service,
        owner: spec.owner,
        host,
        requireCertificate: compiled?.requireCertificate ?? false,
        routes,
      });
  }
  indexes.set(policy, apps);
  return apps;
}

/** The route the gateway decides `GET path` by on this service, as evaluate() finds it. */
function chosenRoute(service: CompiledService | undefined, host: string, path: string): CompiledRoute | undefined {
  const target = canonicalTarget("GET", host, path);
  // A path the gateway refuses for its letters (`/café` beside a route `/cafe`) opens nothing.
  if (!service || !target.ok || lettersAmbiguous(service, target.target)) return undefined;
  return decidingRoute(service, target.target.segments, "GET");
}

/** Who the enforced, unconditional deny rules reaching `GET path` name (as evaluate() applies them). */
function coveringDenies(service: CompiledService | undefined, host: string, path: string): CompiledPrincipals[] {
  const target = canonicalTarget("GET", host, path);
  if (!service || !target.ok) return [];
  const denies: CompiledPrincipals[] = [];
  forEachDenyingRoute(service, target.target, (route) => {
    for (const rule of route.denies)
      if (!rule.audit && !rule.conditions && rule.principals) denies.push(rule.principals);
  });
  return denies;
}

/** The apps `identity` may open, with a link on the scheme and port the portal was reached on. */
export function appsFor(policy: CompiledPolicy, identity: Identity, scheme: string, port: string): ListedApp[] {
  const listed: ListedApp[] = [];
  for (const app of portalIndex(policy)) {
    if (app.requireCertificate && !identity.workload) continue;
    const opens = (r: PortalRoute) =>
      r.allow.some((p) => !p.public && principalsMatch(p, identity)) &&
      !r.unconditionalDeny.some((p) => principalsMatch(p, identity, true));
    // A page before a socket's endpoint, whatever the policy's order: a browser opening `/ws` gets no page.
    const route = app.routes.find((r) => !r.websocket && opens(r)) ?? app.routes.find(opens);
    if (route)
      listed.push({
        service: app.service,
        owner: app.owner,
        url: `${scheme}//${app.host}${port ? `:${port}` : ""}${route.path}`,
      });
  }
  return listed.sort((a, b) => (a.service < b.service ? -1 : 1));
}
