// Time-bounded grants (exceptions and break-glass, as the gateway's store holds them) as reach rows: one per
// route a grant covers, with the grant's window as conditions. A grant lifts only a `no-matching-rule`
// denial (policy/grants.ts), so the route's deny rules that may apply to its principal are listed as for any
// rule's grant.
import { namesOnePrincipal, type TimedGrant } from "../grants.ts";
import type { PolicyDocument } from "../schema.ts";
import { requiresCertificate, withCertificate } from "./certificate.ts";
import { expandMethods, normalizeMethods } from "./methods.ts";
import type { Grant, RouteInfo } from "./model.ts";
import { principalName } from "./principals.ts";

/** What a grant names that the policy lacks, one line each: a service, or a route of the service. */
export function unknownGrantTargets(doc: PolicyDocument, grants: readonly TimedGrant[]): string[] {
  return grants.flatMap((g) => {
    // Own properties only: a service called "constructor" is not one the policy has.
    if (!Object.hasOwn(doc.services, g.service)) return [`${g.kind} ${g.id}: no service ${g.service} in the policy`];
    if (g.routes === "*") return [];
    const known = doc.services[g.service]!.routes.map((r) => r.id);
    return g.routes
      .filter((r) => !known.includes(r))
      .map((r) => `${g.kind} ${g.id}: no route ${g.service}/${r} in the policy`);
  });
}

/**
 * The rows of one grant: each route it names that the policy has (every route of the service for `*`), with
 * the methods both the grant and the route take. A grant that names a pattern or a set is not honoured by
 * the gateway (policy/grants.ts), so it gives no rows.
 */
export function timedGrantRows(
  grant: TimedGrant,
  doc: PolicyDocument,
  routes: readonly RouteInfo[],
  overriding: (principal: string, route: string) => string[],
): Grant[] {
  if (!namesOnePrincipal(grant.principal)) return [];
  const principal = principalName(grant.principal);
  const notBefore = new Date(grant.notBefore).toISOString();
  const notAfter = new Date(grant.notAfter).toISOString();
  const conditions = withCertificate(
    [`not before ${notBefore}`, `not after ${notAfter}`],
    principal,
    requiresCertificate(doc, grant.service),
  );
  const covered = routes.filter(
    (r) =>
      r.service === grant.service &&
      (grant.routes === "*" || grant.routes.includes(r.route.slice(grant.service.length + 1))),
  );
  return covered.flatMap((info) => {
    const served = expandMethods(info.methods);
    const methods = grant.methods === "*" ? served : served.filter((m) => grant.methods.includes(m));
    if (methods.length === 0) return [];
    return [
      {
        principal,
        service: info.service,
        route: info.route,
        path: info.path,
        methods: normalizeMethods(methods),
        rule: `${grant.kind}:${grant.id}`,
        source: grant.kind,
        conditions,
        mode: info.mode,
        overriddenBy: overriding(principal, info.route),
        notBefore,
        notAfter,
      },
    ];
  });
}
