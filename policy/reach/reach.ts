// reach(): every grant a policy makes. Conditions are summarised and listed, never decided: a grant says
// "this principal may reach this route when these conditions hold, unless one of these denies applies".
import { ruleId, type CompiledPolicy } from "../compile.ts";
import type { PolicyDocument, Route, Rule } from "../schema.ts";
import { expandMethods, normalizeMethods } from "./methods.ts";
import type { DenyRule, ExceptionGrant, Grant, Reach, RouteInfo } from "./model.ts";
import { describeConditions, isWorkloadPrincipal, principalsMayOverlap, rulePrincipals } from "./principals.ts";
import { settingsOf } from "./settings.ts";
import { compare } from "./sort.ts";

export interface ReachOptions {
  /** Extra time-bounded grants; omitted or empty: the policy's own grants only. */
  exceptions?: readonly ExceptionGrant[];
}

export function documentOf(policy: CompiledPolicy | PolicyDocument): PolicyDocument {
  return "document" in policy && "hosts" in policy ? policy.document : (policy as PolicyDocument);
}

/** Every grant of the policy (plus any exceptions given), sorted by route, principal, rule. */
export function reach(policy: CompiledPolicy | PolicyDocument, options: ReachOptions = {}): Reach {
  const doc = documentOf(policy);
  const grants: Grant[] = [];
  const denies: DenyRule[] = [];
  const routes: RouteInfo[] = [];
  const denyIndex = new Map<string, DenyRule[]>();
  for (const [serviceName, service] of Object.entries(doc.services)) {
    const requireCertificate = service.requireCertificate ?? doc.identity.mtls?.required ?? false;
    for (const route of service.routes) {
      const info: RouteInfo = {
        service: serviceName,
        route: `${serviceName}/${route.id}`,
        path: route.path ?? `${route.pathPrefix} (prefix)`,
        methods: normalizeMethods(route.methods),
        mode: service.mode,
      };
      const found = routeReach(doc, route, info, requireCertificate);
      routes.push(info);
      denies.push(...found.denies);
      grants.push(...found.grants);
      denyIndex.set(info.route, found.denies);
    }
  }
  for (const exception of options.exceptions ?? []) {
    grants.push(exceptionGrant(exception, routes, denyIndex.get(`${exception.service}/${exception.route}`) ?? []));
  }
  grants.sort((a, b) => compare(a.route, b.route) || compare(a.principal, b.principal) || compare(a.rule, b.rule));
  denies.sort((a, b) => compare(a.rule, b.rule));
  routes.sort((a, b) => compare(a.route, b.route));
  return { grants, denies, routes, settings: settingsOf(doc) };
}

/** The grants and deny rules of one route, in the order of its rules. */
function routeReach(doc: PolicyDocument, route: Route, info: RouteInfo, requireCertificate: boolean): { grants: Grant[]; denies: DenyRule[] } {
  const conditionsOf = (rule: Rule) => [...(rule.bothFactors ? [`binding ${rule.bothFactors.binding}`] : []), ...describeConditions(rule.when)];
  const denies: DenyRule[] = route.rules.flatMap((rule, i) =>
    rule.effect !== "deny" ? [] : [{ rule: `${info.route}/${ruleId(rule, i)}`, route: info.route, principals: rulePrincipals(rule, doc), conditions: conditionsOf(rule) }],
  );
  const grants: Grant[] = route.rules.flatMap((rule, i) => {
    if (rule.effect !== "allow") return [];
    const conditions = conditionsOf(rule);
    return rulePrincipals(rule, doc).map((principal) => ({
      principal,
      service: info.service,
      route: info.route,
      path: info.path,
      methods: info.methods,
      rule: `${info.route}/${ruleId(rule, i)}`,
      source: "rule" as const,
      conditions: requireCertificate && !isWorkloadPrincipal(principal) ? [...conditions, "client certificate required"] : conditions,
      mode: info.mode,
      overriddenBy: overriding(principal, denies),
    }));
  });
  return { grants, denies };
}

function exceptionGrant(exception: ExceptionGrant, routes: readonly RouteInfo[], routeDenies: readonly DenyRule[]): Grant {
  const routeId = `${exception.service}/${exception.route}`;
  const info = routes.find((r) => r.route === routeId);
  return {
    principal: exception.principal,
    service: exception.service,
    route: routeId,
    path: info?.path ?? "(no such route)",
    methods: normalizeMethods(exception.methods),
    rule: `exception:${exception.id}`,
    source: "exception",
    conditions: [`not after ${exception.notAfter}`],
    mode: info?.mode ?? "enforce",
    overriddenBy: overriding(exception.principal, routeDenies),
    notAfter: exception.notAfter,
  };
}

/** The deny rules of the route that may apply to the principal: a grant never overrides a deny. */
function overriding(principal: string, denies: readonly DenyRule[]): string[] {
  return denies.filter((d) => d.principals.some((p) => principalsMayOverlap(principal, p))).map((d) => d.rule);
}

/** Problems with exception grants: a service or route the policy does not have, a method the route lacks. */
export function checkExceptions(policy: CompiledPolicy | PolicyDocument, exceptions: readonly ExceptionGrant[]): string[] {
  const doc = documentOf(policy);
  const problems: string[] = [];
  for (const e of exceptions) {
    const route = doc.services[e.service]?.routes.find((r) => r.id === e.route);
    if (!route) {
      problems.push(`exception ${e.id}: no route ${e.service}/${e.route} in the policy`);
      continue;
    }
    const allowed = new Set(expandMethods(route.methods));
    const extra = expandMethods(e.methods).filter((m) => !allowed.has(m));
    if (extra.length > 0) problems.push(`exception ${e.id}: route ${e.service}/${e.route} does not serve ${extra.join(", ")}`);
  }
  return problems;
}
