// What reach produces: every grant a policy makes as (principal, route, methods, rule), the deny rules that
// may override them, every route, and the settings beside the routes that decide access too.
import type { DecidingTerms } from "./deciding-terms.ts";

export interface Grant {
  principal: string;
  service: string;
  /** service/route */
  route: string;
  /** The route's pattern: `/v1/charge`, or `/admin (prefix)`. */
  path: string;
  /** In METHODS order; `["*"]` for every method. */
  methods: readonly string[];
  /** service/route/rule, or `exception:<id>` / `break-glass:<id>` for a time-bounded grant. */
  rule: string;
  source: "rule" | "exception" | "break-glass";
  /** Conditions that must hold too, in words; empty: none. */
  conditions: readonly string[];
  mode: "enforce" | "audit";
  /**
   * Enforced deny rules that may apply to this principal (conditions not decided): the route's own and those
   * of every route of the service that may match the same requests.
   */
  overriddenBy: readonly string[];
  /** A time-bounded grant's window, ISO 8601 (also in the conditions). */
  notBefore?: string;
  notAfter?: string;
}

export interface DenyRule {
  /** service/route/rule */
  rule: string;
  route: string;
  principals: readonly string[];
  conditions: readonly string[];
  /** `mode: audit`: logged, never enforced, so it overrides no grant. */
  audit: boolean;
}

export interface RouteInfo {
  service: string;
  /** service/route */
  route: string;
  /** As written for people: `/a/{id}`, or `/a (prefix)` for a pathPrefix. */
  path: string;
  /**
   * The pattern as the gateway matches it (policy/path-pattern.ts's key: a pathPrefix `/a` is `/a/{**}`), what
   * routes are compared by: `path` is ambiguous (an exact path may end in " (prefix)").
   */
  pattern: string;
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

/** What decides access beside the routes' rules, as `diffReach` compares it (diff-settings.ts). */
export interface ReachSettings {
  /** Who may use the admin API: `admin.principals`, sets expanded. Like the lists below, one entry one thing. */
  admins: string[];
  /** Where identities come from: pinned issuers and their trust domains, the registry's mappings, SPIFFE IDs from certificates, Access team and audiences. */
  identitySources: string[];
  /** How old and how long-lived an Access token may be, in seconds; absent without identity.access. */
  tokenLimits?: TokenLimits;
  /** Every workload and person pair of every identity binding: `binding NAME: WORKLOAD & PERSON`. */
  bindingPairs: string[];
  /** The bindings rules name, by effect: a pair added lets it through an allow, one taken out past a deny. */
  bindingsNamed: { allow: string[]; deny: string[] };
  /** Each service's settings beside its routes, by service name. */
  services: ReadonlyMap<string, ServiceSettings>;
  /**
   * Who may send security events and what Ward does with them (sharedSignals), one fact a line. They can only
   * refuse people, never let anyone in, except that a poll endpoint is sent the transmitter's secret.
   */
  securityEvents: string[];
}

export interface TokenLimits {
  /** Longest `exp - iat` of a person's token. */
  lifetime: number;
  /** Longest `exp - iat` of a service token's token. */
  serviceTokenLifetime: number;
  /** Oldest `iat` accepted, as an age; absent: a token is good until its `exp`. */
  age?: number;
  /** Oldest device-posture result that counts, as an age (identity.access.maxPostureAge). */
  postureAge: number;
}

/** What decides, beside the routes, which requests a service takes and what it does with them. */
export interface ServiceSettings {
  /** As written (`*.example.com` for a wildcard), sorted. */
  hosts: string[];
  /** Where allowed requests go: `tunnel BINDING` or `url URL`. */
  origin: string;
  mode: "enforce" | "audit";
  hide: boolean;
  /** Paths matched whatever their case (`caseInsensitivePaths`). */
  caseInsensitivePaths: boolean;
  /** The service's own requireCertificate, or identity.mtls.required. */
  requireCertificate: boolean;
  /** Request headers forwarded beyond the standard ones, lower case, per route (`service/route`): the service's and the route's. */
  forwardHeaders: ReadonlyMap<string, readonly string[]>;
  /** Routes (`service/route`) whose allowed GET requests may upgrade to a WebSocket. */
  websockets: ReadonlySet<string>;
  /** Per such route, the limits it sets itself, in words (`maxMessageBytes 65536, idleTimeout 1m`; the rest default). */
  websocketLimits: ReadonlyMap<string, string>;
  /** By route (`service/route`), then principal: what the allow rule that decides may set and count. */
  deciding: ReadonlyMap<string, ReadonlyMap<string, DecidingTerms>>;
}
