// Reachability: every grant a policy makes, as (principal, route, methods, rule), who can reach what, and
// the semantic diff of two policies' grants. Conditions are summarised and listed, never decided: a grant
// says "this principal may reach this route when these conditions hold, unless one of these denies applies".
import { emailDomainOf } from "./email-address.ts";
import { canonicalJson } from "./hash.ts";
import { normaliseHex, trustDomainOf } from "./identity.ts";
import { parsePathPattern, type PatternToken } from "./path-pattern.ts";
import { expandMatchers } from "./principals.ts";
import { ruleId, type CompiledPolicy } from "./compile.ts";
import { METHODS, type Conditions, type PolicyDocument, type PrincipalMatcher, type Rule } from "./schema.ts";

export type ReachMethod = (typeof METHODS)[number];

/** A time-bounded extra grant (exceptions are not in the policy yet; callers pass them in). */
export interface ExceptionGrant {
  id: string;
  /** A principal string as reach names them: `spiffe://...`, `email:a@b.c`, `group:sre`, `token:ID`, ... */
  principal: string;
  service: string;
  /** The route id within the service. */
  route: string;
  methods: readonly (ReachMethod | "*")[];
  /** ISO 8601 instant after which the exception no longer grants. */
  notAfter: string;
}

export interface Grant {
  principal: string;
  service: string;
  /** service/route */
  route: string;
  /** The route's pattern: `/v1/charge`, or `/admin (prefix)`. */
  path: string;
  /** In METHODS order; `["*"]` for every method. */
  methods: readonly string[];
  /** service/route/rule, or `exception:<id>`. */
  rule: string;
  source: "rule" | "exception";
  /** Conditions that must hold too, in words; empty: none. */
  conditions: readonly string[];
  mode: "enforce" | "audit";
  /** Deny rules of the same route that may apply to this principal (conditions not decided). */
  overriddenBy: readonly string[];
  notAfter?: string;
}

export interface DenyRule {
  /** service/route/rule */
  rule: string;
  route: string;
  principals: readonly string[];
  conditions: readonly string[];
}

export interface RouteInfo {
  service: string;
  /** service/route */
  route: string;
  path: string;
  methods: readonly string[];
  mode: "enforce" | "audit";
}

export interface Reach {
  grants: Grant[];
  denies: DenyRule[];
  /** Every route of the policy, reachable or not. */
  routes: RouteInfo[];
  /** What decides access besides the routes' rules: compared by `diffReach`, not part of the grants. */
  settings: ReachSettings;
}

/** Each entry a line that names one thing: adding any of them may let someone in who was not before. */
export interface ReachSettings {
  /** Who may use the admin API: `admin.principals`, sets expanded. */
  admins: string[];
  /** Where identities come from: pinned issuers and their trust domains, the registry's mappings, SPIFFE IDs from certificates, Access team, audiences and token limits. */
  identitySources: string[];
  /** Every workload and person pair of every identity binding: `binding NAME: WORKLOAD & PERSON`. */
  bindingPairs: string[];
}

function settingsOf(doc: PolicyDocument): ReachSettings {
  const mtls = doc.identity.mtls;
  const access = doc.identity.access;
  const readsSpiffe = mtls !== undefined && mtls.spiffe !== false;
  const sources = [
    ...(mtls?.issuers ?? []).flatMap((pin) => {
      const issuer = "ski" in pin ? `mTLS issuer SKI ${normaliseHex(pin.ski)}` : `mTLS issuer DN ${pin.dn}`;
      // A trust domain bound to an issuer is one more set of identities that CA may mint (while SPIFFE IDs are
      // read); a pin that names none may mint the policy's metadata.trustDomains (worker/identity/mtls.ts).
      const domains = readsSpiffe ? (pin.trustDomains ?? doc.metadata.trustDomains).map((domain) => `${issuer} for trust domain ${domain}`) : [];
      return [issuer, ...domains];
    }),
    ...(mtls?.registry ?? []).map((e) => `mTLS registry ${normaliseHex(e.fingerprintSha256)} -> ${e.id}`),
    ...(readsSpiffe ? ["mTLS SPIFFE IDs from certificates"] : []),
    ...(access
      ? [
          `Access team ${access.teamDomain}`,
          ...access.audiences.map((a) => `Access audience ${a}`),
          // A longer lifetime or age admits tokens that were refused before: a change a diff must show.
          `Access token lifetime up to ${access.maxTokenLifetime} (people), ${access.serviceTokenMaxLifetime} (service tokens)`,
          `Access token age up to ${access.maxTokenAge ?? "its lifetime"}`,
        ]
      : []),
  ];
  const pairs = Object.entries(doc.identityBindings).flatMap(([name, list]) => list.map((p) => `binding ${name}: ${p.workload} & ${p.access.includes("@") ? p.access.toLowerCase() : p.access}`));
  const admins = doc.admin ? unique(expandMatchers(doc.admin.principals, doc.principalSets).map(principalName)) : [];
  return { admins: admins.sort(compare), identitySources: unique(sources).sort(compare), bindingPairs: unique(pairs).sort(compare) };
}

export interface ReachOptions {
  /** Extra time-bounded grants; omitted or empty: the policy's own grants only. */
  exceptions?: readonly ExceptionGrant[];
}

const ALL = "*";

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function documentOf(policy: CompiledPolicy | PolicyDocument): PolicyDocument {
  return "document" in policy && "hosts" in policy ? policy.document : (policy as PolicyDocument);
}

/** The stable name of the identity a matcher names (after set expansion). */
export function principalName(m: PrincipalMatcher): string {
  if ("spiffe" in m) return m.spiffe;
  if ("spiffePrefix" in m) return `${m.spiffePrefix}*`;
  if ("trustDomain" in m) return `trust-domain:${m.trustDomain}`;
  if ("email" in m) return `email:${m.email.toLowerCase()}`;
  if ("emailDomain" in m) return `email-domain:${m.emailDomain}`;
  if ("group" in m) return `group:${m.group}`;
  if ("claims" in m) return `claims:${canonicalJson(m.claims)}`;
  if ("serviceToken" in m) return `token:${m.serviceToken}`;
  if ("authenticated" in m) return "any-authenticated";
  if ("public" in m) return "public";
  return `set:${m.set}`;
}

/** The conditions of a rule in words, in a fixed order. */
export function describeConditions(when: Conditions | undefined): string[] {
  const out: string[] = [];
  if (!when) return out;
  if (when.scopes) out.push(`scopes ${when.scopes.join(", ")}`);
  if (when.claims) out.push(`claims ${canonicalJson(when.claims)}`);
  if (when.time?.days) out.push(`days ${when.time.days.join("/")}`);
  if (when.time?.hours) out.push(`hours ${when.time.hours.from}-${when.time.hours.to} UTC`);
  if (when.time?.notBefore) out.push(`not before ${when.time.notBefore}`);
  if (when.time?.notAfter) out.push(`not after ${when.time.notAfter}`);
  if (when.country) out.push(`country ${when.country.join(", ")}`);
  if (when.devicePosture) out.push(`device posture ${when.devicePosture.join(", ")}`);
  return out;
}

/** Methods in METHODS order; every method is `*`. */
export function normalizeMethods(methods: Iterable<string>): string[] {
  const set = new Set(methods);
  if (set.has(ALL) || METHODS.every((m) => set.has(m))) return [ALL];
  return METHODS.filter((m) => set.has(m));
}

function expandMethods(methods: readonly string[]): ReachMethod[] {
  return methods.includes(ALL) ? [...METHODS] : METHODS.filter((m) => methods.includes(m));
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** The principals a rule names: its matchers with sets expanded, or bothFactors as `workload + access` pairs. */
export function rulePrincipals(rule: Rule, doc: PolicyDocument): string[] {
  const names = (ms: readonly PrincipalMatcher[]) => unique(expandMatchers(ms, doc.principalSets).map(principalName));
  if (rule.principals) return names(rule.principals);
  if (rule.bothFactors) {
    const access = names(rule.bothFactors.access);
    return names(rule.bothFactors.workload).flatMap((w) => access.map((a) => `${w} + ${a}`));
  }
  return [];
}

// ---- may two principals name the same caller? -------------------------------------------------

type Workload = { exact: string } | { prefix: string } | { domain: string };

function workloadOf(p: string): Workload | undefined {
  if (p.startsWith("trust-domain:")) return { domain: p.slice("trust-domain:".length) };
  if (!p.startsWith("spiffe://")) return undefined;
  return p.endsWith("*") ? { prefix: p.slice(0, -1) } : { exact: p };
}

function workloadsOverlap(a: Workload, b: Workload): boolean {
  if ("exact" in a) {
    if ("exact" in b) return a.exact === b.exact;
    if ("prefix" in b) return a.exact.startsWith(b.prefix);
    return trustDomainOf(a.exact) === b.domain;
  }
  if ("prefix" in a) {
    if ("exact" in b || "domain" in b) return workloadsOverlap(b, a);
    return a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix);
  }
  if ("domain" in b) return a.domain === b.domain;
  if ("exact" in b) return workloadsOverlap(b, a);
  const root = `spiffe://${a.domain}/`;
  return root.startsWith(b.prefix) || b.prefix.startsWith(root);
}

function accessKind(p: string): "email" | "email-domain" | "group" | "token" | "claims" | undefined {
  const kind = p.slice(0, p.indexOf(":"));
  return kind === "email" || kind === "email-domain" || kind === "group" || kind === "token" || kind === "claims" ? kind : undefined;
}

function splitPair(p: string): [string, string] | undefined {
  const plus = p.indexOf(" + ");
  return plus === -1 ? undefined : [p.slice(0, plus), p.slice(plus + 3)];
}

/**
 * Conservative: false only when no caller can be both. A request may carry a workload and an Access
 * identity at once, so a workload principal and an Access principal always may overlap.
 */
export function principalsMayOverlap(a: string, b: string): boolean {
  // A bothFactors pair is a caller with exactly that workload and that Access identity.
  const pa = splitPair(a);
  const pb = splitPair(b);
  if (pa && pb) return principalsMayOverlap(pa[0], pb[0]) && principalsMayOverlap(pa[1], pb[1]);
  for (const [pair, other] of [[pa, b], [pb, a]] as const) {
    if (!pair) continue;
    if (other === "public" || other === "any-authenticated") return true;
    return principalsMayOverlap(workloadOf(other) ? pair[0] : pair[1], other);
  }
  if (a === "public" || b === "public" || a === "any-authenticated" || b === "any-authenticated") return true;
  const wa = workloadOf(a);
  const wb = workloadOf(b);
  if (wa && wb) return workloadsOverlap(wa, wb);
  if (wa || wb) return true;
  const ka = accessKind(a);
  const kb = accessKind(b);
  if (ka === "claims" || kb === "claims") return true;
  // One Access token is a person or a service token, never both; tokens have no e-mail or groups.
  if (ka === "token" || kb === "token") return a === b;
  if (ka === "group" || kb === "group") return true;
  const email = (p: string) => p.slice(p.indexOf(":") + 1);
  if (ka === "email" && kb === "email") return a === b;
  if (ka === "email-domain" && kb === "email-domain") return a === b;
  const [address, domain] = ka === "email" ? [email(a), email(b)] : [email(b), email(a)];
  return emailDomainOf(address) === domain;
}

// ---- grants -----------------------------------------------------------------------------------

function isWorkloadPrincipal(p: string): boolean {
  return workloadOf(p) !== undefined || p.includes(" + ");
}

/** Every grant of the policy (plus any exceptions given), sorted by route, principal, rule. */
export function reach(policy: CompiledPolicy | PolicyDocument, options: ReachOptions = {}): Reach {
  const doc = documentOf(policy);
  const grants: Grant[] = [];
  const denies: DenyRule[] = [];
  const routes: RouteInfo[] = [];
  const certificateByDefault = doc.identity.mtls?.required ?? false;
  const denyIndex = new Map<string, DenyRule[]>();

  for (const [serviceName, service] of Object.entries(doc.services)) {
    const requireCertificate = service.requireCertificate ?? certificateByDefault;
    for (const route of service.routes) {
      const routeId = `${serviceName}/${route.id}`;
      const info: RouteInfo = {
        service: serviceName,
        route: routeId,
        path: route.path ?? `${route.pathPrefix} (prefix)`,
        methods: normalizeMethods(route.methods),
        mode: service.mode,
      };
      routes.push(info);
      const routeDenies: DenyRule[] = [];
      route.rules.forEach((rule, i) => {
        if (rule.effect !== "deny") return;
        const deny: DenyRule = {
          rule: `${routeId}/${ruleId(rule, i)}`,
          route: routeId,
          principals: rulePrincipals(rule, doc),
          conditions: [...(rule.bothFactors ? [`binding ${rule.bothFactors.binding}`] : []), ...describeConditions(rule.when)],
        };
        routeDenies.push(deny);
      });
      denies.push(...routeDenies);
      denyIndex.set(routeId, routeDenies);
      route.rules.forEach((rule, i) => {
        if (rule.effect !== "allow") return;
        const conditions = [...(rule.bothFactors ? [`binding ${rule.bothFactors.binding}`] : []), ...describeConditions(rule.when)];
        for (const principal of rulePrincipals(rule, doc)) {
          grants.push({
            principal,
            service: serviceName,
            route: routeId,
            path: info.path,
            methods: info.methods,
            rule: `${routeId}/${ruleId(rule, i)}`,
            source: "rule",
            conditions: requireCertificate && !isWorkloadPrincipal(principal) ? [...conditions, "client certificate required"] : conditions,
            mode: service.mode,
            overriddenBy: overriding(principal, routeDenies),
          });
        }
      });
    }
  }

  for (const exception of options.exceptions ?? []) {
    const routeId = `${exception.service}/${exception.route}`;
    const info = routes.find((r) => r.route === routeId);
    grants.push({
      principal: exception.principal,
      service: exception.service,
      route: routeId,
      path: info?.path ?? "(no such route)",
      methods: normalizeMethods(exception.methods),
      rule: `exception:${exception.id}`,
      source: "exception",
      conditions: [`not after ${exception.notAfter}`],
      mode: info?.mode ?? "enforce",
      overriddenBy: overriding(exception.principal, denyIndex.get(routeId) ?? []),
      notAfter: exception.notAfter,
    });
  }

  grants.sort((a, b) => compare(a.route, b.route) || compare(a.principal, b.principal) || compare(a.rule, b.rule));
  denies.sort((a, b) => compare(a.rule, b.rule));
  routes.sort((a, b) => compare(a.route, b.route));
  return { grants, denies, routes, settings: settingsOf(doc) };
}

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

// ---- who reaches what -------------------------------------------------------------------------

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
  const byPrincipal = new Map<string, Grant[]>();
  for (const g of r.grants) {
    const list = byPrincipal.get(g.principal);
    if (list) list.push(g);
    else byPrincipal.set(g.principal, [g]);
  }
  const byIdentity: IdentityReach[] = [...byPrincipal.entries()]
    .map(([principal, grants]) => ({
      principal,
      routes: new Set(grants.map((g) => g.route)).size,
      services: unique(grants.map((g) => g.service)).sort(compare),
      grants,
    }))
    .sort((a, b) => compare(a.principal, b.principal));

  const byRoute: RouteReach[] = r.routes.map((info) => {
    const grants = r.grants.filter((g) => g.route === info.route);
    const principals = new Set(grants.map((g) => g.principal));
    return {
      ...info,
      identities: principals.size,
      public: principals.has("public"),
      anyAuthenticated: principals.has("any-authenticated"),
      grants,
      denies: r.denies.filter((d) => d.route === info.route),
    };
  });
  // Exceptions may name a route the policy lacks; they are still listed.
  for (const g of r.grants) {
    if (byRoute.some((x) => x.route === g.route)) continue;
    const grants = r.grants.filter((x) => x.route === g.route);
    const principals = new Set(grants.map((x) => x.principal));
    byRoute.push({
      service: g.service, route: g.route, path: g.path, methods: g.methods, mode: g.mode,
      identities: principals.size, public: principals.has("public"), anyAuthenticated: principals.has("any-authenticated"),
      grants, denies: [],
    });
  }
  byRoute.sort((a, b) => compare(a.route, b.route));

  const pairs = byIdentity.reduce((n, i) => n + i.routes, 0);
  const summary: ReachSummary = {
    identities: byIdentity.length,
    grants: r.grants.length,
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
      .map(({ route, identities, public: isPublic, anyAuthenticated }) => ({ route, identities, public: isPublic, anyAuthenticated })),
  };
  return { byIdentity, byRoute, summary };
}

// ---- semantic diff ----------------------------------------------------------------------------

export interface GrantDelta {
  principal: string;
  service: string;
  route: string;
  /** The methods gained or lost, in METHODS order (`["*"]`: all). */
  methods: string[];
  /** The rules responsible: in the new policy for a gain, in the old one for a loss. */
  rules: string[];
}

export interface GrantTerms {
  rules: string[];
  /** One line per granting rule: `rule when ...` / `rule always`, `[audit]`, `unless deny ...`. */
  terms: string[];
}

export interface GrantChange {
  principal: string;
  service: string;
  route: string;
  /** The methods granted before and after whose terms changed. */
  methods: string[];
  before: GrantTerms;
  after: GrantTerms;
  /** Whether the change may let more through: see mayWiden. */
  widens: boolean;
}

/**
 * A change outside the grants that may let more through: a route that matches other requests, or is gone
 * (its requests may now reach another route of the service), a service in audit mode, an added admin,
 * identity source or identity-binding pair. Only these (widening) ones are listed.
 */
export interface SettingChange {
  /** `route`, `mode`, `admin`, `identity source` or `binding`. */
  kind: "route" | "mode" | "admin" | "identity source" | "binding";
  /** What changed, in words: `payments/charge: path /v1/charge -> /v1/{**}`, `+ group:sre`, ... */
  change: string;
}

export interface PolicyDiff {
  gained: GrantDelta[];
  lost: GrantDelta[];
  changed: GrantChange[];
  /** Changes outside the grants that may widen access (empty when two `Grant[]` are compared). */
  settings: SettingChange[];
}

interface Access {
  principal: string;
  service: string;
  route: string;
  byMethod: Map<ReachMethod, Grant[]>;
}

function accessMap(grants: readonly Grant[]): Map<string, Access> {
  const map = new Map<string, Access>();
  for (const g of grants) {
    const key = `${g.principal}\u0000${g.route}`;
    let entry = map.get(key);
    if (!entry) map.set(key, (entry = { principal: g.principal, service: g.service, route: g.route, byMethod: new Map() }));
    for (const m of expandMethods(g.methods)) {
      const list = entry.byMethod.get(m);
      if (list) list.push(g);
      else entry.byMethod.set(m, [g]);
    }
  }
  return map;
}

/** A deny rule by what decides it, for comparing: who and when (its name only if the policy's denies are unknown). */
type DenyTerms = ReadonlyMap<string, string>;

function denyTermsOf(denies: readonly DenyRule[]): DenyTerms {
  return new Map(denies.map((d) => [d.rule, `${d.rule.slice(d.rule.lastIndexOf("/") + 1)} (${[...d.principals].sort(compare).join(", ")}${d.conditions.length > 0 ? ` when ${[...d.conditions].sort(compare).join("; ")}` : ""})`]));
}

/**
 * What decides whether a grant applies, without the rule's name (a renamed rule is no change). The route's
 * pattern is part of what is compared (`withPath`), not of what is shown: the route changes say it.
 */
function termOf(g: Grant, denies?: DenyTerms, withPath = false): string {
  const when = g.conditions.length > 0 ? `when ${g.conditions.join("; ")}` : "always";
  const audit = g.mode === "audit" ? " [audit]" : "";
  // The deny rules by who and when they apply, in a fixed order: narrowing one changes the terms.
  const overriding = g.overriddenBy.map((d) => denies?.get(d) ?? d.slice(d.lastIndexOf("/") + 1)).sort(compare);
  const unless = overriding.length > 0 ? ` unless deny ${overriding.join(", ")}` : "";
  return `${withPath ? `on ${g.path}: ` : ""}${when}${audit}${unless}`;
}

function termsOf(grants: readonly Grant[], denies?: DenyTerms): GrantTerms {
  const sorted = [...grants].sort((a, b) => compare(a.rule, b.rule));
  return { rules: unique(sorted.map((g) => g.rule)), terms: unique(sorted.map((g) => `${g.rule} ${termOf(g, denies)}`)) };
}

function termKey(grants: readonly Grant[], denies?: DenyTerms): string {
  return unique(grants.map((g) => termOf(g, denies, true))).sort(compare).join("\n");
}

function delta(a: Access, methods: ReachMethod[]): GrantDelta {
  const rules = unique(methods.flatMap((m) => (a.byMethod.get(m) ?? []).map((g) => g.rule))).sort(compare);
  return { principal: a.principal, service: a.service, route: a.route, methods: normalizeMethods(methods), rules };
}

/**
 * A change of terms may widen access unless it provably does not: it widens when a service goes to audit
 * mode, when a deny that could override stops applying, and when a new grant drops a condition every old
 * grant had (conditions only ever narrow).
 */
function mayWiden(before: readonly Grant[], after: readonly Grant[], oldTerms?: DenyTerms, newTerms?: DenyTerms): boolean {
  if (after.some((g) => g.mode === "audit") && !before.some((g) => g.mode === "audit")) return true;
  // A route that matches other paths may match requests it did not before.
  if (after.some((n) => !before.some((o) => o.path === n.path))) return true;
  // A deny rule that stopped applying, or applies to fewer callers or at fewer times, lets more through.
  const denies = (gs: readonly Grant[], terms?: DenyTerms) => new Set(gs.flatMap((g) => g.overriddenBy.map((d) => terms?.get(d) ?? d)));
  const [oldDenies, newDenies] = [denies(before, oldTerms), denies(after, newTerms)];
  if ([...oldDenies].some((d) => !newDenies.has(d))) return true;
  // Narrower for certain only when every new grant keeps all the conditions of some old one (adding
  // conditions narrows); anything else is reported as possibly wider for a person to review.
  const keepsAll = (n: Grant) => before.some((o) => o.conditions.every((c) => n.conditions.includes(c)));
  return !after.every(keepsAll);
}

/**
 * Route changes that may send requests elsewhere: a route gone, or narrowed to fewer methods, while its
 * service has another route (which may now match what it matched); a route whose pattern changed (it may
 * match new requests, and its old ones may fall through); a service switched to audit mode.
 */
function routeChanges(before: readonly RouteInfo[], after: readonly RouteInfo[]): SettingChange[] {
  const changes: SettingChange[] = [];
  const now = new Map(after.map((r) => [r.route, r]));
  /** Another route of NEW that matches a request OLD's route matched (its pattern's own sample path). */
  const fallback = (old: RouteInfo, methods: readonly ReachMethod[]) =>
    after.find((r) => r.service === old.service && r.route !== old.route && methods.some((m) => expandMethods(r.methods).includes(m)) && routeMatchesPath(r, samplePath(old)));
  for (const old of before) {
    const next = now.get(old.route);
    if (!next) {
      const other = fallback(old, expandMethods(old.methods));
      if (other) changes.push({ kind: "route", change: `${old.route} removed: its requests may now match ${other.route}` });
      continue;
    }
    if (next.path !== old.path) changes.push({ kind: "route", change: `${old.route}: path ${old.path} -> ${next.path}` });
    const dropped = expandMethods(old.methods).filter((m) => !expandMethods(next.methods).includes(m));
    const other = dropped.length > 0 ? fallback(old, dropped) : undefined;
    if (other) changes.push({ kind: "route", change: `${old.route}: no longer ${dropped.join(", ")}: such requests may now match ${other.route}` });
  }
  const auditBefore = new Set(before.filter((r) => r.mode === "audit").map((r) => r.service));
  for (const service of unique(after.filter((r) => r.mode === "audit" && !auditBefore.has(r.service)).map((r) => r.service))) {
    changes.push({ kind: "mode", change: `${service}: enforce -> audit (every request it serves is forwarded)` });
  }
  return changes;
}

/** A route's pattern as RouteInfo writes it: `/a/{id}`, or `/a (prefix)`. */
function patternOf(route: RouteInfo): PatternToken[] {
  const prefix = route.path.endsWith(" (prefix)");
  const parsed = parsePathPattern(prefix ? route.path.slice(0, -" (prefix)".length) : route.path, prefix);
  return parsed.ok ? parsed.tokens : [];
}

/** One path the route matches: its literals, `x` for each one-segment parameter, nothing for the rest. */
function samplePath(route: RouteInfo): string {
  const segments = patternOf(route).flatMap((t) => (t.kind === "literal" ? [t.value] : t.kind === "segment" ? ["x"] : []));
  return `/${segments.join("/")}`;
}

function routeMatchesPath(route: RouteInfo, path: string): boolean {
  const tokens = patternOf(route);
  const segments = path === "/" ? [""] : path.slice(1).split("/");
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind === "rest") return true;
    const segment = segments[i];
    if (segment === undefined) return false;
    if (token.kind === "literal" ? token.value !== segment : segment === "") return false;
  }
  return tokens.length === segments.length;
}

/** Entries of NEW's settings that OLD did not have: each may let someone in. */
function settingChanges(before: ReachSettings, after: ReachSettings): SettingChange[] {
  const added = (a: readonly string[], b: readonly string[]) => b.filter((x) => !a.includes(x));
  return [
    ...added(before.admins, after.admins).map((p) => ({ kind: "admin" as const, change: `+ ${p} may use the admin API` })),
    ...added(before.identitySources, after.identitySources).map((s) => ({ kind: "identity source" as const, change: `+ ${s}` })),
    ...added(before.bindingPairs, after.bindingPairs).map((b) => ({ kind: "binding" as const, change: `+ ${b}` })),
  ];
}

/** Grants gained and lost from OLD to NEW, by (principal, service/route, method), and grants whose terms changed. */
export function diffReach(before: Reach | readonly Grant[], after: Reach | readonly Grant[]): PolicyDiff {
  const oldMap = accessMap("grants" in before ? before.grants : before);
  const newMap = accessMap("grants" in after ? after.grants : after);
  const oldTerms = "denies" in before ? denyTermsOf(before.denies) : undefined;
  const newTerms = "denies" in after ? denyTermsOf(after.denies) : undefined;
  const gained: GrantDelta[] = [];
  const lost: GrantDelta[] = [];
  const changed: GrantChange[] = [];
  for (const [key, n] of newMap) {
    const o = oldMap.get(key);
    const added = [...n.byMethod.keys()].filter((m) => !o?.byMethod.has(m));
    if (added.length > 0) gained.push(delta(n, added));
    if (!o) continue;
    const common = [...n.byMethod.keys()].filter((m) => o.byMethod.has(m));
    const differing = common.filter((m) => termKey(o.byMethod.get(m)!, oldTerms) !== termKey(n.byMethod.get(m)!, newTerms));
    if (differing.length > 0) {
      const pick = (a: Access) => [...new Set(differing.flatMap((m) => a.byMethod.get(m)!))];
      changed.push({
        principal: n.principal,
        service: n.service,
        route: n.route,
        methods: normalizeMethods(differing),
        before: termsOf(pick(o), oldTerms),
        after: termsOf(pick(n), newTerms),
        widens: mayWiden(pick(o), pick(n), oldTerms, newTerms),
      });
    }
  }
  for (const [key, o] of oldMap) {
    const n = newMap.get(key);
    const removed = [...o.byMethod.keys()].filter((m) => !n?.byMethod.has(m));
    if (removed.length > 0) lost.push(delta(o, removed));
  }
  const order = (a: { route: string; principal: string }, b: { route: string; principal: string }) =>
    compare(a.route, b.route) || compare(a.principal, b.principal);
  const settings =
    "routes" in before && "routes" in after ? [...routeChanges(before.routes, after.routes), ...settingChanges(before.settings, after.settings)] : [];
  return { gained: gained.sort(order), lost: lost.sort(order), changed: changed.sort(order), settings };
}
