// reach(): every grant a policy makes. Conditions are summarised and listed, never decided: a grant says
// "this principal may reach this route when these conditions hold, unless one of these denies applies".
import { ruleId, type CompiledPolicy } from "../compile.ts";
import type { TimedGrant } from "../grants.ts";
import type { PolicyDocument, Route, Rule } from "../schema.ts";
import { requiresCertificate, withCertificate } from "./certificate.ts";
import { foldedPatterns } from "../folded-patterns.ts";
import { pathInfoPattern, suffixlessPatterns } from "../format-suffix.ts";
import { otherSlash, parsePathPattern, type PatternToken } from "../path-pattern.ts";
import { PathTrie } from "../path-trie.ts";
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
    const found = service.routes.map((route) => {
      const info: RouteInfo = {
        service: serviceName,
        route: `${serviceName}/${route.id}`,
        path: route.path ?? `${route.pathPrefix} (prefix)`,
        pattern: patternKey(route),
        methods: normalizeMethods(route.methods),
        mode: service.mode,
      };
      routes.push(info);
      const own = routeDenies(doc, route, info);
      denies.push(...own);
      return { route, info, tokens: patternOf(route), enforced: own.filter((d) => !d.audit) };
    });
    // Its own deny rules and those of every other route whose requests it may share (policy/evaluate.ts): each
    // route with enforced denies adds them to the routes the trie finds overlapping it, in policy order.
    const trie = new PathTrie<number>();
    for (const [i, f] of found.entries()) trie.insert(f.tokens, i);
    // Each route's requests spelt without a format suffix (`/admin.json` as `/admin`), which deny rules reach too.
    const suffixless = new PathTrie<number>();
    for (const [i, f] of found.entries()) for (const cut of suffixlessPatterns(f.tokens)) suffixless.insert(cut, i);
    // And as an origin that changes letters reads them (`/x/café` as `/x/cafe`), which deny rules reach too.
    for (const [i, f] of found.entries())
      for (const folded of foldedPatterns(f.tokens, service.caseInsensitivePaths ?? false)) {
        trie.insert(folded, i);
        for (const cut of suffixlessPatterns(folded)) suffixless.insert(cut, i);
      }
    const applyingTo = found.map((): DenyRule[][] => []);
    found.forEach((denying, d) => {
      if (denying.enforced.length === 0) return;
      const reached: number[] = [];
      const slashed = otherSlash(denying.tokens);
      for (const t of [trie, suffixless]) {
        t.forEachOverlap(denying.tokens, (i) => reached.push(i));
        if (slashed) t.forEachOverlap(slashed, (i) => reached.push(i));
      }
      // The routes taking its path with PATH_INFO after it (`/admin.php/x` runs `/admin.php`).
      const scripted = pathInfoPattern(denying.tokens);
      if (scripted) trie.forEachOverlap(scripted, (i) => reached.push(i));
      for (const i of reached)
        if (i === d || denyMayReach(found[i]!.route, denying.route)) applyingTo[i]![d] = denying.enforced;
    });
    for (const [i, f] of found.entries()) {
      const applying = applyingTo[i]!.flat();
      denyIndex.set(f.info.route, applying);
      grants.push(...routeGrants(doc, f.route, f.info, requireCertificate, applying));
    }
  }
  const overridingOn = (principal: string, route: string) => overriding(principal, denyIndex.get(route) ?? []);
  for (const grant of options.grants ?? []) grants.push(...timedGrantRows(grant, doc, routes, overridingOn));
  grants.sort((a, b) => compare(a.route, b.route) || compare(a.principal, b.principal) || compare(a.rule, b.rule));
  denies.sort((a, b) => compare(a.rule, b.rule));
  routes.sort((a, b) => compare(a.route, b.route));
  return { grants, denies, routes, settings: settingsOf(doc) };
}

function conditionsOf(rule: Rule): string[] {
  return [...(rule.bothFactors ? [`binding ${rule.bothFactors.binding}`] : []), ...describeConditions(rule.when)];
}

/** The deny rules of one route, in the order of its rules. */
function routeDenies(doc: PolicyDocument, route: Route, info: RouteInfo): DenyRule[] {
  return route.rules.flatMap((rule, i) =>
    rule.effect !== "deny"
      ? []
      : [
          {
            rule: `${info.route}/${ruleId(rule, i)}`,
            route: info.route,
            principals: rulePrincipals(rule, doc),
            conditions: conditionsOf(rule),
            audit: rule.mode === "audit",
          },
        ],
  );
}

/** The grants of one route's allow rules, each with the deny rules (`applying`) that may override it. */
function routeGrants(
  doc: PolicyDocument,
  route: Route,
  info: RouteInfo,
  requireCertificate: boolean,
  applying: readonly DenyRule[],
): Grant[] {
  return route.rules.flatMap((rule, i) => {
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
      overriddenBy: overriding(principal, applying),
    }));
  });
}

/** Whether the two routes take a method in common. */
/** Whether `denying`'s deny rules may reach requests `route` takes: a method both take, or HEAD where it takes GET (policy/evaluate.ts). */
function denyMayReach(route: Route, denying: Route): boolean {
  if (route.methods.includes("*") || denying.methods.includes("*")) return true;
  const reached: readonly string[] = denying.methods.includes("GET") ? [...denying.methods, "HEAD"] : denying.methods;
  return route.methods.some((m) => reached.includes(m));
}

function patternOf(route: Route): PatternToken[] {
  const parsed = parsePathPattern(route.path ?? route.pathPrefix ?? "", route.path === undefined);
  return parsed.ok ? parsed.tokens : [];
}

/** The route's pattern as the gateway matches it; one that does not parse (never validated) as written, marked. */
function patternKey(route: Route): string {
  const parsed = parsePathPattern(route.path ?? route.pathPrefix ?? "", route.path === undefined);
  return parsed.ok ? parsed.key : `\u0000${JSON.stringify([route.path, route.pathPrefix])}`;
}

/** The deny rules that may apply to the principal: a grant never overrides a deny. */
function overriding(principal: string, denies: readonly DenyRule[]): string[] {
  return denies.filter((d) => d.principals.some((p) => principalsMayOverlap(principal, p))).map((d) => d.rule);
}
