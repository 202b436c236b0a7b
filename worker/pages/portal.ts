// The portal for people: the internal apps this person may open, computed from the same compiled policy the
// gateway enforces (never a separate list that could drift). An app is listed when one of its GET routes has
// an allow rule naming the person (public routes, such as health checks, are not apps of theirs) and no
// unconditional deny rule names them on that route or on any route covering its link (deny rules apply on
// every matching route). Conditions (time, device posture, country...) are checked when the app is opened, as
// for any request.
import {
  canonicalTarget,
  compilePrincipals,
  findService,
  matchedSegments,
  principalsMatch,
  type CompiledPrincipals,
  type CompiledPolicy,
  type CompiledService,
  type Identity,
} from "../../policy/index.ts";

interface PortalRoute {
  allow: CompiledPrincipals[];
  unconditionalDeny: CompiledPrincipals[];
  /** Where to open the app at this route: a literal path, or the prefix. */
  path: string;
}

interface PortalApp {
  service: string;
  owner: string;
  host: string;
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
      const compile = (rules: typeof route.rules) =>
        rules.flatMap((r) => (r.principals ? [compilePrincipals(r.principals, doc.principalSets)] : []));
      routes.push({
        allow: compile(route.rules.filter((r) => r.effect === "allow")),
        unconditionalDeny: coveringDenies(compiled, host, path),
        path,
      });
    }
    if (routes.length > 0) apps.push({ service, owner: spec.owner, host, routes });
  }
  indexes.set(policy, apps);
  return apps;
}

/** Who the enforced, unconditional deny rules of every route matching `GET path` name (this route's included). */
function coveringDenies(service: CompiledService | undefined, host: string, path: string): CompiledPrincipals[] {
  const target = canonicalTarget("GET", host, path);
  if (!service || !target.ok) return [];
  const denies: CompiledPrincipals[] = [];
  service.denyRoutes.forEachMatch(matchedSegments(service, target.target.segments), (route) => {
    if (route.methods !== "any" && !route.methods.has("GET")) return;
    for (const rule of route.denies)
      if (!rule.audit && !rule.conditions && rule.principals) denies.push(rule.principals);
  });
  return denies;
}

/** The apps `identity` may open, with a link on the scheme and port the portal was reached on. */
export function appsFor(policy: CompiledPolicy, identity: Identity, scheme: string, port: string): ListedApp[] {
  const listed: ListedApp[] = [];
  for (const app of portalIndex(policy)) {
    const route = app.routes.find(
      (r) =>
        r.allow.some((p) => !p.public && principalsMatch(p, identity)) &&
        !r.unconditionalDeny.some((p) => principalsMatch(p, identity, true)),
    );
    if (route)
      listed.push({
        service: app.service,
        owner: app.owner,
        url: `${scheme}//${app.host}${port ? `:${port}` : ""}${route.path}`,
      });
  }
  return listed.sort((a, b) => (a.service < b.service ? -1 : 1));
}
