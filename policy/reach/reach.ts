// reach(): every grant a policy makes. Conditions are summarised and listed, never decided: a grant says
// "this principal may reach this route when these conditions hold, unless one of these denies applies".
import { ruleId, type CompiledPolicy } from "../compile.ts";
import type { TimedGrant } from "../grants.ts";
import type { PolicyDocument, Route, Rule } from "../schema.ts";
import { requiresCertificate, withCertificate } from "./certificate.ts";
import { normalizeMethods } from "./methods.ts";
import type { DenyRule, Grant, Reach, RouteInfo } from "./model.ts";
import { describeConditions, principalsMayOverlap, rulePrincipals } from "./principals.ts";
import { settingsOf } from "./settings.ts";
import { compare } from "./sort.ts";
import { timedGrantRows } from "./timed-grants.ts";

export interface ReachOptions {
  /**
   * Time-bounded grants (exceptions, break-glass) in force, as the gateway's store holds them; omitted or
   * empty: the policy's own grants only. Routes they name that the policy lacks give no rows (the CLI
   * refuses them first: unknownGrantTargets).
   */
  grants?: readonly TimedGrant[];
}

export function documentOf(policy: CompiledPolicy | PolicyDocument): PolicyDocument {
  return "document" in policy && "hosts" in policy ? policy.document : (policy as PolicyDocument);
}

/** Every grant of the policy (plus the time-bounded grants given), sorted by route, principal, rule. */
export function reach(policy: CompiledPolicy | PolicyDocument, options: ReachOptions = {}): Reach {
  const doc = documentOf(policy);
  const grants: Grant[] = [];
  const denies: DenyRule[] = [];
  const routes: RouteInfo[] = [];
  const denyIndex = new Map<string, DenyRule[]>();
  for (const [serviceName, service] of Object.entries(doc.services)) {
    const requireCertificate = requiresCertificate(doc, serviceName);
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
  const overridingOn = (principal: string, route: string) => overriding(principal, denyIndex.get(route) ?? []);
  for (const grant of options.grants ?? []) grants.push(...timedGrantRows(grant, doc, routes, overridingOn));
  grants.sort((a, b) => compare(a.route, b.route) || compare(a.principal, b.principal) || compare(a.rule, b.rule));
  denies.sort((a, b) => compare(a.rule, b.rule));
  routes.sort((a, b) => compare(a.route, b.route));
  return { grants, denies, routes, settings: settingsOf(doc) };
}

/** The grants and deny rules of one route, in the order of its rules. */
function routeReach(
  doc: PolicyDocument,
  route: Route,
  info: RouteInfo,
  requireCertificate: boolean,
): { grants: Grant[]; denies: DenyRule[] } {
  const conditionsOf = (rule: Rule) => [
    ...(rule.bothFactors ? [`binding ${rule.bothFactors.binding}`] : []),
    ...describeConditions(rule.when),
  ];
  const denies: DenyRule[] = route.rules.flatMap((rule, i) =>
    rule.effect !== "deny"
      ? []
      : [
          {
            rule: `${info.route}/${ruleId(rule, i)}`,
            route: info.route,
            principals: rulePrincipals(rule, doc),
            conditions: conditionsOf(rule),
          },
        ],
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
      conditions: withCertificate(conditions, principal, requireCertificate),
      mode: info.mode,
      overriddenBy: overriding(principal, denies),
    }));
  });
  return { grants, denies };
}

/** The deny rules of the route that may apply to the principal: a grant never overrides a deny. */
function overriding(principal: string, denies: readonly DenyRule[]): string[] {
  return denies.filter((d) => d.principals.some((p) => principalsMayOverlap(principal, p))).map((d) => d.rule);
}
