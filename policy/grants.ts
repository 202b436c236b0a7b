// Time-bounded grants (exceptions and break-glass): extra allows that a rule does not give, each for one
// principal, service, set of routes and methods, between two instants. Pure: the Worker keeps the grants
// (Durable Objects) and passes the active ones in. A grant never overrides a deny rule, and it is never
// honoured outside [notBefore, notAfter), whatever cache it came from: the instant is compared here.
import type { CompiledPolicy } from "./compile.ts";
import type { Decision } from "./decision.ts";
import { statusFor } from "./status.ts";
import type { Identity } from "./identity.ts";
import { compilePrincipals, principalsMatch, type CompiledPrincipals } from "./principals.ts";
import type { PrincipalMatcher } from "./schema.ts";

export interface TimedGrant {
  id: string;
  kind: "exception" | "break-glass";
  principal: PrincipalMatcher;
  service: string;
  /** Route ids within the service, or every route. */
  routes: readonly string[] | "*";
  methods: readonly string[] | "*";
  /** Epoch milliseconds. */
  notBefore: number;
  notAfter: number;
  maxUses?: number;
  /**
   * Its last use is spent: honoured for no request, but a WebSocket that spent a use lasts to notAfter (a grant
   * revoked, unlike one used up, leaves the list, and the socket ends: policy/websocket/close.ts).
   */
  usedUp?: true;
}

/**
 * The longest break-glass grant, in minutes, whatever `exceptions.breakGlassMaxDuration` allows: the caller approves
 * their own grant, so the admin API takes a day at most (worker/admin/grants.ts), and validation says so of a
 * policy that allows longer.
 */
export const BREAK_GLASS_MAX_MINUTES = 24 * 60;

/**
 * What a grant may name: one identity or one Access group, never a pattern or a set, which would admit
 * whoever they come to cover (a set even after a later push widens it).
 */
export const GRANT_PRINCIPAL_KINDS = ["spiffe", "email", "serviceToken", "group"] as const;

export function namesOnePrincipal(principal: PrincipalMatcher): boolean {
  return GRANT_PRINCIPAL_KINDS.some((kind) => kind in principal);
}

const compiled = new WeakMap<TimedGrant, CompiledPrincipals>();

function principalsOf(grant: TimedGrant, policy: CompiledPolicy): CompiledPrincipals {
  let p = compiled.get(grant);
  if (!p) compiled.set(grant, (p = compilePrincipals([grant.principal], policy.document.principalSets)));
  return p;
}

/** A deny that only the absence of an allow rule caused: the one a grant may turn into an allow. */
export function grantMayApply(decision: Decision): boolean {
  if (decision.effect === "deny") return decision.reasons[0] === "no-matching-rule";
  return decision.wouldDeny?.reasons[0] === "no-matching-rule";
}

export function grantCovers(
  grant: TimedGrant,
  policy: CompiledPolicy,
  decision: Decision,
  identity: Identity,
  now: number,
): boolean {
  if (grant.usedUp || !(now >= grant.notBefore && now < grant.notAfter)) return false;
  if (decision.service !== grant.service || !decision.route || !decision.target) return false;
  const route = decision.route.slice(grant.service.length + 1);
  if (grant.routes !== "*" && !grant.routes.includes(route)) return false;
  if (grant.methods !== "*" && !grant.methods.includes(decision.target.method)) return false;
  // The admin API stores no other kind; one stored before it refused them is not honoured either.
  if (!namesOnePrincipal(grant.principal)) return false;
  return principalsMatch(principalsOf(grant, policy), identity);
}

/**
 * Whether a grant would cover the request but for its spent uses: a used-up grant lasts for the WebSocket that
 * spent its last use only while this holds (the caller's groups, say, still name it).
 */
export function coversButForUses(
  grant: TimedGrant,
  policy: CompiledPolicy,
  decision: Decision,
  identity: Identity,
  now: number,
): boolean {
  const { usedUp: _spent, ...uses } = grant;
  return grantCovers(uses, policy, decision, identity, now);
}

/**
 * The deny rule on trial (`mode: audit` on the rule) that applied to the caller, as enforced it would answer. A
 * grant never overrides a deny rule, so once that rule is enforced the request is refused, grant or not: until
 * then the allow records it as a rule's allow does (`audit-would-deny`, `wouldDeny`), for the origin's assertion
 * (`ward_would_deny`), `ward shadow report` and `ward metrics`. Any deny rule that applied to a denial no rule
 * caused is on trial: an enforced one would have been the denial. The first in the trace is the one evaluate()
 * reports for an allow (the chosen route's first, then the other routes' in their order).
 */
function denyOnTrial(policy: CompiledPolicy, decision: Decision): Decision["wouldDeny"] {
  const rule = decision.trace.find((t) => t.effect === "deny" && t.outcome === "applies")?.rule;
  if (rule === undefined) return undefined;
  const hidden = decision.service !== undefined && policy.document.services[decision.service]?.hide === true;
  return { status: statusFor("denied-by-rule", hidden), reasons: ["denied-by-rule"], rule };
}

/** The decision with the first covering grant applied, or the decision unchanged. */
export function applyGrants(
  policy: CompiledPolicy,
  decision: Decision,
  identity: Identity,
  grants: readonly TimedGrant[],
  now: number,
): Decision {
  if (!grantMayApply(decision)) return decision;
  const grant = grants.find((g) => grantCovers(g, policy, decision, identity, now));
  if (!grant) return decision;
  const exception = {
    id: grant.id,
    kind: grant.kind,
    notBefore: new Date(grant.notBefore).toISOString(),
    notAfter: new Date(grant.notAfter).toISOString(),
    ...(grant.maxUses !== undefined ? { maxUses: grant.maxUses } : {}),
  };
  const { wouldDeny: _wouldDeny, ...rest } = decision;
  const reason = grant.kind === "break-glass" ? "allowed-by-break-glass" : "allowed-by-exception";
  const trial = denyOnTrial(policy, decision);
  return {
    ...rest,
    effect: "allow",
    status: statusFor(reason),
    reasons: trial ? [reason, "audit-would-deny"] : [reason],
    exception,
    ...(trial ? { wouldDeny: trial } : {}),
  };
}
