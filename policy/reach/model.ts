// What reach produces: every grant a policy makes as (principal, route, methods, rule), the deny rules that
// may override them, every route, and the settings beside the routes that decide access too.
import type { ReachMethod } from "./methods.ts";

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
