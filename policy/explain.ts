// A decision in words a developer can act on: what was asked, which route matched, each rule and why it
// did or did not apply, and what to do next.
import { findService, type CompiledPolicy } from "./compile.ts";
import type { Decision } from "./decision.ts";
import { droppedHeaders, extraForwardedHeaders } from "./forward-headers.ts";

const MARK = { applies: "✓", "principal-not-matched": "✗", "conditions-failed": "✗" } as const;

/** The facts of a decision the next step depends on: the ones the decision log also records. */
export type DecisionOutcome = Pick<Decision, "effect" | "reasons" | "route" | "problem"> & {
  wouldDeny?: { reasons: readonly string[]; rule?: string | null; status?: number };
};

/** What says whether and how a decision was audited: the decision, or its decision-log line. */
type AuditFacts = {
  effect: string | null;
  reasons: readonly string[];
  wouldDeny?: { reasons: readonly string[]; rule?: string | null; status?: number } | null;
};

/** An allow whose only shadow is a deny rule in audit mode (`mode: audit` on the rule, not the service). */
function ruleOnTrial(decision: AuditFacts): boolean {
  return decision.effect === "allow" && decision.reasons[0] === "allowed-by-rule" && !!decision.wouldDeny;
}

/** The route a qualified rule id (service/route/rule) belongs to. */
function routeOfRule(rule: string): string {
  return rule.slice(0, rule.lastIndexOf("/"));
}

/** `decided by` and the rule; a deny rule of another route than the one that took the request says so. */
export function decidedByLine(rule: string, route: string | undefined): string {
  const its = routeOfRule(rule);
  return route && its !== route
    ? `decided by ${rule} (a deny rule of route ${its}, which also matches this request)`
    : `decided by ${rule}`;
}

/** What an audited decision would have been: a service in audit mode, or one deny rule on trial. */
export function auditLine(decision: AuditFacts): string | undefined {
  const would = decision.wouldDeny;
  if (!would) return undefined;
  if (ruleOnTrial(decision))
    return `audit     deny rule ${would.rule} (mode: audit) would answer ${would.status}; the request went on`;
  return `audit     enforce mode would answer ${would.status} (${would.reasons.join(", ")})`;
}

/** What a developer should do about a denial (undefined for an allow); `owner` is the service's owner. */
export function nextStep(decision: DecisionOutcome, owner: string | undefined): string | undefined {
  if (decision.effect === "allow" && !decision.wouldDeny) return undefined;
  const ask = owner ?? "the service's owner";
  if (ruleOnTrial(decision))
    return `deny rule ${decision.wouldDeny!.rule} is on trial: enforced, it refuses this request; tell ${ask} if it should not`;
  const reasons: readonly string[] = decision.wouldDeny?.reasons ?? decision.reasons;
  if (decision.problem === "query-method-override") return "send the real method, without a _method query parameter";
  if (reasons.includes("bad-request")) return "send the request with a canonical path (see problem above)";
  if (reasons.includes("body-not-allowed"))
    return "send GET and HEAD without a body (no Content-Length or Transfer-Encoding), or use POST";
  if (reasons.includes("host-not-found")) return "no service in this policy serves that host: check the host name";
  if (reasons.includes("revoked"))
    return "this credential is revoked: use a new one (ward revoke list names the entry)";
  if (reasons.includes("quarantined"))
    return "this identity is quarantined after repeated denials: ask security (ward quarantine list)";
  if (reasons.includes("denylist-unavailable"))
    return "the denylist could not be read, so identified callers were refused (503): retry, and check the gateway's errors";
  if (reasons.includes("certificate-required")) return "present a client certificate from a pinned issuer";
  if (reasons.includes("unauthenticated")) return "authenticate (Access login, service token or client certificate)";
  if (reasons.includes("route-not-found")) return `no route matches; ask ${ask} if one should`;
  return decision.route ? `ask ${ask} for access to ${decision.route}` : `ask ${ask} for access`;
}

/** What the origin is sent of the request's headers, for a decision that forwards (undefined otherwise). */
export function forwardedHeadersOf(
  policy: CompiledPolicy,
  decision: Decision,
  requestHeaders: readonly string[],
): { extra: string[]; dropped: string[] } | undefined {
  const service =
    decision.effect === "allow" && decision.target ? findService(policy, decision.target.host) : undefined;
  if (!service) return undefined;
  const extra = extraForwardedHeaders(service, decision.route);
  return { extra: [...extra], dropped: droppedHeaders(requestHeaders, extra) };
}

/** What the request was, for the text: `asked` as read (shown for a bad request, which has no canonical form), and
 * the names of its headers (to say which of them the origin would not be sent). */
export interface ExplainRequest {
  asked?: { method: string; host: string; path: string };
  requestHeaders?: readonly string[];
}

export function explainDecision(
  policy: CompiledPolicy,
  decision: Decision,
  { asked, requestHeaders = [] }: ExplainRequest = {},
): string {
  const lines: string[] = [];
  const verdict = decision.effect.toUpperCase();
  lines.push(`${verdict} ${decision.status}  mode ${decision.mode}  policy ${decision.policyVersion.slice(0, 12)}`);
  if (decision.target) {
    lines.push(`request   ${decision.target.method} ${decision.target.host}${decision.target.path}`);
  } else if (asked) {
    lines.push(`read as   ${asked.method} ${asked.host} ${asked.path}`);
  }
  lines.push(`caller    ${decision.principal}`);
  if (decision.problem) lines.push(`problem   ${decision.problem}: the target is ambiguous, so it is refused`);
  if (decision.service) {
    const owner = policy.document.services[decision.service]?.owner;
    lines.push(`service   ${decision.service} (owner ${owner})`);
  }
  if (decision.route) lines.push(`route     ${decision.route}`);
  if (decision.trace.length > 0) {
    lines.push("rules:");
    for (const t of decision.trace) {
      const state = t.outcome === "applies" ? "applies" : t.outcome.replace(/-/g, " ");
      lines.push(`  ${MARK[t.outcome]} ${t.rule} (${t.effect}): ${state}`);
      for (const d of t.detail) lines.push(`      - ${d}`);
    }
  }
  if (decision.rule) lines.push(decidedByLine(decision.rule, decision.route));
  if (decision.exception) {
    const e = decision.exception;
    lines.push(
      `decided by ${e.kind} ${e.id} (${e.notBefore} .. ${e.notAfter}${e.maxUses !== undefined ? `, at most ${e.maxUses} uses` : ""})`,
    );
  }
  lines.push(`reasons   ${decision.reasons.join(", ")}`);
  const audit = auditLine(decision);
  if (audit) lines.push(audit);
  for (const limit of decision.obligations.rateLimits) {
    lines.push(`rate limit ${limit.limit} per ${limit.periodSeconds}s on "${limit.key}"`);
  }
  const headers = forwardedHeadersOf(policy, decision, requestHeaders);
  if (headers) {
    const extra = headers.extra.length > 0 ? `, and ${headers.extra.join(", ")}` : "";
    lines.push(
      `forwards  the standard request headers${extra}; Ward adds ward-assertion, ward-request-id, x-forwarded-for/-proto`,
    );
    if (headers.dropped.length > 0)
      lines.push(
        `dropped   ${headers.dropped.join(", ")} (not forwarded: add to forwardHeaders if the origin needs one)`,
      );
  }
  const next = nextStep(decision, decision.service ? policy.document.services[decision.service]?.owner : undefined);
  if (next) lines.push(`next step ${next}`);
  return lines.join("\n");
}
