// Prepare once, evaluate per request: a validated document becomes host and path indexes whose lookup
// cost does not grow with the number of services and routes.
import { compileAccess, type CompiledAccess } from "./access-limits.ts";
import type { Method } from "./canonical-target.ts";
import { compileConditions, type CompiledConditions } from "./conditions.ts";
import { durationSeconds } from "./duration.ts";
import { policyHash } from "./hash.ts";
import { parsePathPattern } from "./path-pattern.ts";
import { PathTrie } from "./path-trie.ts";
import { compilePrincipals, type CompiledPrincipals } from "./principals.ts";
import type { PolicyDocument, Rule } from "./schema.ts";

export interface CompiledRule {
  /** service/route/rule */
  id: string;
  effect: "allow" | "deny";
  /** A deny rule in audit mode: when it applies, the request goes on and the would-be denial is recorded. */
  audit: boolean;
  principals?: CompiledPrincipals;
  bothFactors?: {
    workload: CompiledPrincipals;
    access: CompiledPrincipals;
    binding: string;
    /** "workloadId accessName" pairs */
    pairs: ReadonlySet<string>;
  };
  conditions?: CompiledConditions;
  rateLimit?: { limit: number; periodSeconds: number; key: "principal" | "principal+route"; failOpen: boolean };
  headers?: Readonly<Record<string, string>>;
  source: Rule;
}

export interface CompiledRoute {
  /** service/route */
  id: string;
  methods: ReadonlySet<Method> | "any";
  pattern: string;
  rules: readonly CompiledRule[];
  /** Its deny rules: they apply to every request the route matches, whichever route takes it. */
  denies: readonly CompiledRule[];
}

export interface CompiledService {
  name: string;
  owner: string;
  mode: "enforce" | "audit";
  hide: boolean;
  /** Requests' segments are matched in lower case (the routes are written so): `caseInsensitivePaths`. */
  caseInsensitivePaths: boolean;
  requireCertificate: boolean;
  origin: PolicyDocument["services"][string]["origin"];
  routes: PathTrie<CompiledRoute>;
  /** The routes that have deny rules, apart: a request is checked against every one that matches it. */
  denyRoutes: PathTrie<CompiledRoute>;
  /** The service's `forwardHeaders`, lower case (policy/forward-headers.ts). */
  forwardHeaders?: ReadonlySet<string>;
  /** For each route with `forwardHeaders` of its own: the service's and the route's, lower case. */
  routeForwardHeaders: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface CompiledPolicy {
  version: string;
  document: PolicyDocument;
  hosts: ReadonlyMap<string, CompiledService>;
  /** "*.example.com" is stored under "example.com". */
  wildcardHosts: ReadonlyMap<string, CompiledService>;
  /** What the Worker must fetch beyond the JWT, so it fetches only when a rule can use it. */
  needs: { groups: boolean; devicePosture: boolean };
  /** identity.access with its token limits in seconds, for the verifier; absent: no Access token counts. */
  access?: CompiledAccess;
  /** Who may use the admin API; absent: nobody. Its group needs count only on admin requests. */
  admin?: { principals: CompiledPrincipals; needsGroups: boolean };
}

export function ruleId(rule: Rule, index: number): string {
  return rule.id ?? `rule-${index + 1}`;
}

/** Many rules name the same matchers (typically one set): compile each distinct list once. */
type PrincipalCache = Map<string, CompiledPrincipals>;

function principalsOf(
  matchers: Rule["principals"] & object,
  doc: PolicyDocument,
  cache: PrincipalCache,
): CompiledPrincipals {
  const key = JSON.stringify(matchers);
  let compiled = cache.get(key);
  if (!compiled) cache.set(key, (compiled = compilePrincipals(matchers, doc.principalSets)));
  return compiled;
}

function compileRule(
  doc: PolicyDocument,
  rule: Rule,
  id: string,
  needs: CompiledPolicy["needs"],
  cache: PrincipalCache,
): CompiledRule {
  const compiled: CompiledRule = { id, effect: rule.effect, audit: rule.mode === "audit", source: rule };
  if (rule.principals) compiled.principals = principalsOf(rule.principals, doc, cache);
  if (rule.bothFactors) {
    const binding = rule.bothFactors.binding;
    const pairs = (Object.hasOwn(doc.identityBindings, binding) ? doc.identityBindings[binding]! : []).map(
      // E-mails compare case-insensitively; service-token client ids exactly.
      (p) => `${p.workload} ${p.access.includes("@") ? p.access.toLowerCase() : p.access}`,
    );
    compiled.bothFactors = {
      workload: principalsOf(rule.bothFactors.workload, doc, cache),
      access: principalsOf(rule.bothFactors.access, doc, cache),
      binding: rule.bothFactors.binding,
      pairs: new Set(pairs),
    };
  }
  for (const p of [compiled.principals, compiled.bothFactors?.access]) if (p && p.groups.size > 0) needs.groups = true;
  if (rule.when) {
    compiled.conditions = compileConditions(rule.when);
    if (rule.when.devicePosture) needs.devicePosture = true;
  }
  if (rule.rateLimit) {
    const { limit, period, key, failOpen } = rule.rateLimit;
    compiled.rateLimit = { limit, periodSeconds: durationSeconds(period), key, failOpen };
  }
  if (rule.headers) compiled.headers = inOneOrder(rule.headers);
  return compiled;
}

/**
 * A rule's headers in the stored document's order (its keys sorted, policy/hash.ts). A version stored while
 * validation took two names differing only in case (`x-tenant`, `X-Tenant`) sets one header twice, and the value
 * set last is the one sent: in one order, an isolate that read the source and one that read the stored document
 * send the same.
 */
function inOneOrder(headers: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  const ordered: Record<string, string> = {};
  for (const name of Object.keys(headers).sort()) ordered[name] = headers[name]!;
  return ordered;
}

/** Most routes have no deny rule, and most name one of a few method lists: those are shared, not one per route. */
const NO_RULES: readonly CompiledRule[] = Object.freeze([]);
function methodSet(methods: Method[], shared: Map<string, ReadonlySet<Method>>): ReadonlySet<Method> {
  const key = methods.join();
  let set = shared.get(key);
  if (!set) shared.set(key, (set = new Set(methods)));
  return set;
}

/** Builds the indexes for a document that validatePolicy accepted, under a version computed elsewhere. */
export function buildIndexes(doc: PolicyDocument, version: string): CompiledPolicy {
  const hosts = new Map<string, CompiledService>();
  const wildcardHosts = new Map<string, CompiledService>();
  const needs = { groups: false, devicePosture: false };
  const principalCache: PrincipalCache = new Map();
  const methodSets = new Map<string, ReadonlySet<Method>>();
  const defaultRequireCertificate = doc.identity.mtls?.required ?? false;

  for (const [name, service] of Object.entries(doc.services)) {
    const trie = new PathTrie<CompiledRoute>();
    const denyTrie = new PathTrie<CompiledRoute>();
    const serviceHeaders = service.forwardHeaders?.map((h) => h.toLowerCase()) ?? [];
    const routeForwardHeaders = new Map<string, ReadonlySet<string>>();
    for (const route of service.routes) {
      const routeId = `${name}/${route.id}`;
      if (route.forwardHeaders)
        routeForwardHeaders.set(
          routeId,
          new Set([...serviceHeaders, ...route.forwardHeaders.map((h) => h.toLowerCase())]),
        );
      const parsed = parsePathPattern(route.path ?? route.pathPrefix ?? "", route.path === undefined);
      if (!parsed.ok) throw new Error(`${routeId}: invalid path pattern (validate the policy before compiling)`);
      const rules = route.rules.map((rule, i) =>
        compileRule(doc, rule, `${routeId}/${ruleId(rule, i)}`, needs, principalCache),
      );
      const denies = rules.filter((r) => r.effect === "deny");
      const compiledRoute: CompiledRoute = {
        id: routeId,
        methods: route.methods.includes("*") ? "any" : methodSet(route.methods as Method[], methodSets),
        pattern: route.path ?? `${route.pathPrefix} (prefix)`,
        rules,
        denies: denies.length > 0 ? denies : NO_RULES,
      };
      trie.insert(parsed.tokens, compiledRoute);
      if (compiledRoute.denies.length > 0) denyTrie.insert(parsed.tokens, compiledRoute);
    }
    const compiled: CompiledService = {
      name,
      owner: service.owner,
      mode: service.mode,
      hide: service.hide,
      caseInsensitivePaths: service.caseInsensitivePaths ?? false,
      requireCertificate: service.requireCertificate ?? defaultRequireCertificate,
      origin: service.origin,
      routes: trie,
      denyRoutes: denyTrie,
      ...(service.forwardHeaders ? { forwardHeaders: new Set(serviceHeaders) } : {}),
      routeForwardHeaders,
    };
    for (const host of service.hosts) {
      if (host.startsWith("*.")) wildcardHosts.set(host.slice(2), compiled);
      else hosts.set(host, compiled);
    }
  }
  const compiled: CompiledPolicy = { version, document: doc, hosts, wildcardHosts, needs };
  if (doc.identity.access) compiled.access = compileAccess(doc.identity.access);
  if (doc.admin) {
    const principals = compilePrincipals(doc.admin.principals, doc.principalSets);
    compiled.admin = { principals, needsGroups: principals.groups.size > 0 };
  }
  return compiled;
}

export async function compilePolicy(doc: PolicyDocument): Promise<CompiledPolicy> {
  return buildIndexes(doc, await policyHash(doc));
}

export function findService(policy: CompiledPolicy, host: string): CompiledService | undefined {
  const exact = policy.hosts.get(host);
  if (exact) return exact;
  // A wildcard covers exactly one more label, as Cloudflare's do.
  const dot = host.indexOf(".");
  return dot === -1 ? undefined : policy.wildcardHosts.get(host.slice(dot + 1));
}
