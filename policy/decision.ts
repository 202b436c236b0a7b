// A decision is data: one record drives the response, the decision log, `ward explain` and the denied page.
import type { CanonicalTarget, RequestProblem } from "./canonical-target.ts";

/** The closed vocabulary of reasons. Operators see these; clients never do. */
export const REASONS = [
  "allowed-by-rule",
  "allowed-by-exception",
  "allowed-by-break-glass",
  "denied-by-rule",
  "revoked",
  "quarantined",
  "denylist-unavailable",
  "no-matching-rule",
  "unauthenticated",
  "certificate-required",
  "route-not-found",
  "host-not-found",
  "bad-request",
  "body-not-allowed",
  "audit-would-deny",
  "upgrade-not-allowed",
  "upgrade-cross-origin",
] as const;
export type Reason = (typeof REASONS)[number];

/**
 * Reasons the gateway adds around the policy's decision from its durable state: time-bounded grants
 * (policy/grants.ts) and the denylist. evaluate() alone never gives them, nor does a shadow candidate's decision
 * (`ward shadow report` counts them apart); unit tests and the workerd tests cover them. (An upgrade a route
 * does not carry, `upgrade-not-allowed` or `upgrade-cross-origin`, is the policy's routes' and the request's
 * doing: the gateway decides it for a shadow candidate too.)
 */
export const STATE_REASONS: readonly Reason[] = [
  "allowed-by-exception",
  "allowed-by-break-glass",
  "revoked",
  "quarantined",
  "denylist-unavailable",
];

/** Reasons applyUpgrade() adds after evaluate(): the routes' doing, but never evaluate()'s alone (corpus.test.ts). */
export const UPGRADE_REASONS: readonly Reason[] = ["upgrade-not-allowed", "upgrade-cross-origin"];

/**
 * Answers the gateway gives without a policy decision, logged in the decision log's shape so that every
 * request id a client is given can be looked up (`ward why`): before a decision (no policy), instead of one
 * (an unexpected error), or on Ward's own paths (the assertion key set, the portal, the admin API, the
 * security-event receiver).
 */
export const ANSWER_REASONS = [
  "policy-unavailable",
  "internal-error",
  "ward-key-set",
  "ward-portal",
  "ward-admin",
  "ward-ssf",
] as const;
export type AnswerReason = (typeof ANSWER_REASONS)[number];

export interface RateLimitObligation {
  rule: string;
  /** Who and what is counted: principal, or principal and route. */
  key: string;
  /**
   * The count it is admitted against (the Durable Object's name): `<service> <limit>/<period>s <key>` for
   * `key: principal`, shared by every rule of the service that counts the caller so with the same limit and
   * period; `<rule> <key>` for `principal+route`.
   */
  counter: string;
  limit: number;
  periodSeconds: number;
  failOpen: boolean;
}

export interface Obligations {
  rateLimits: RateLimitObligation[];
  /** Headers to set on the forwarded request. */
  headers: Record<string, string>;
}

export interface GrantRef {
  id: string;
  kind: "exception" | "break-glass";
  notBefore: string;
  notAfter: string;
  /** When set, each use is counted exactly before the request is forwarded. */
  maxUses?: number;
}

export type RuleOutcome = "applies" | "principal-not-matched" | "conditions-failed";

export interface RuleTrace {
  rule: string;
  effect: "allow" | "deny";
  outcome: RuleOutcome;
  /** Why it did or did not apply, for people. */
  detail: string[];
}

export interface Decision {
  effect: "allow" | "deny";
  /** The status the gateway answers itself; 200 means "forwarded" (the origin's status is returned). */
  status: number;
  mode: "enforce" | "audit";
  reasons: Reason[];
  problem?: RequestProblem;
  service?: string;
  /** Qualified route id, service/route. */
  route?: string;
  /** Qualified rule id, service/route/rule. */
  rule?: string;
  /** The time-bounded grant that allowed this request, when no rule did. */
  exception?: GrantRef;
  /** In audit mode: what enforce mode would have answered. */
  wouldDeny?: { status: number; reasons: Reason[]; rule?: string };
  principal: string;
  target?: CanonicalTarget;
  obligations: Obligations;
  policyVersion: string;
  trace: RuleTrace[];
  /** Refused by the denylist: the entry, and the security event that put it there (`ward metrics` links them). */
  listedBy?: ListedBy;
}

export interface ListedBy {
  entry: string;
  /** The SET's jti and transmitter, for an entry a security event made (worker/ssf/). */
  jti?: string;
  transmitter?: string;
}
