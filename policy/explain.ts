// A decision in words a developer can act on: what was asked, which route matched, each rule and why it
// did or did not apply, and what to do next.
import { findService, type CompiledPolicy } from "./compile.ts";
import type { Decision } from "./decision.ts";
import { droppedHeaders, extraForwardedHeaders } from "./forward-headers.ts";
import { nextStep, problemInWords, ruleOnTrial, type TracedRule } from "./next-step.ts";
import { websocketLimits } from "./websocket/limits.ts";
import { routeWebSocket, WEBSOCKET_HANDSHAKE_HEADERS, type UpgradeKind } from "./websocket/upgrade.ts";

const MARK = { applies: "✓", "principal-not-matched": "✗", "conditions-failed": "✗" } as const;

/** What says whether and how a decision was audited: the decision, or its decision-log line. */
type AuditFacts = {
  effect: string | null;
  reasons: readonly string[];
  wouldDeny?: { reasons: readonly string[]; rule?: string | null; status?: number } | null;
};

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

/** Every rule considered, with why it did or did not apply: the failing facts, expected against seen. */
export function traceLines(trace: readonly TracedRule[]): string[] {
  if (trace.length === 0) return [];
  const lines = ["rules:"];
  for (const t of trace) {
    const mark = MARK[t.outcome as keyof typeof MARK] ?? "?";
    const state = t.outcome === "applies" ? "applies" : t.outcome.replace(/-/g, " ");
    lines.push(`  ${mark} ${t.rule} (${t.effect}): ${state}`);
    for (const d of t.detail) lines.push(`      - ${d}`);
  }
  return lines;
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
  /** What the request asks to switch to (policy/websocket/upgrade.ts): the decision has the upgrade applied. */
  upgrade?: UpgradeKind;
}

/**
 * The request headers the origin is said not to be sent: for a WebSocket upgrade Ward relays, the handshake's
 * own fields are left out (the runtime writes them anew for the origin), as the decision log leaves them out.
 */
export function reportedRequestHeaders(
  requestHeaders: readonly string[],
  decision: Decision,
  upgrade: UpgradeKind = "none",
): readonly string[] {
  if (upgrade !== "websocket" || decision.effect !== "allow") return requestHeaders;
  return requestHeaders.filter((name) => !WEBSOCKET_HANDSHAKE_HEADERS.has(name.toLowerCase()));
}

/** For an upgrade Ward would relay, what bounds the connection and what ends it; else undefined. */
export function websocketRelayLine(
  policy: CompiledPolicy,
  decision: Decision,
  upgrade: UpgradeKind,
): string | undefined {
  if (upgrade !== "websocket" || decision.effect !== "allow") return undefined;
  const setting = routeWebSocket(policy, decision.route);
  if (setting === undefined) return undefined;
  const limits = websocketLimits(setting);
  const own = setting === true ? {} : setting;
  const source = (set: boolean, variable: string) => (set ? "the route's" : `default; ${variable} changes it`);
  return (
    `websocket relayed: messages up to ${limits.maxMessageBytes} bytes (${source(own.maxMessageBytes !== undefined, "WEBSOCKET_MAX_MESSAGE_BYTES")}), ` +
    `at most ${limits.maxBytesPerSecond} bytes a second each way (${source(own.maxBytesPerSecond !== undefined, "WEBSOCKET_MAX_BYTES_PER_SECOND")}), ` +
    `closed after ${limits.idleSeconds}s idle (${source(own.idleSeconds !== undefined, "WEBSOCKET_IDLE_SECONDS")}), ` +
    `and with 4403 when this access ends`
  );
}

export function explainDecision(
  policy: CompiledPolicy,
  decision: Decision,
  { asked, requestHeaders = [], upgrade = "none" }: ExplainRequest = {},
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
  if (decision.problem) lines.push(`problem   ${decision.problem}: ${problemInWords(decision.problem)}`);
  if (decision.service) {
    const owner = policy.document.services[decision.service]?.owner;
    lines.push(`service   ${decision.service} (owner ${owner})`);
  }
  if (decision.route) lines.push(`route     ${decision.route}`);
  lines.push(...traceLines(decision.trace));
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
    // key: principal shares one count across the service's rules of the same terms (evaluate names the counter).
    const shared = decision.service && limit.counter.startsWith(`${decision.service} `);
    // Nobody identified and no client address given: the gateway counts each client's address apart (from a
    // review: "anonymous" read as one count every anonymous client shares).
    const perAddress = decision.principal === "anonymous" && !limit.key.startsWith("address:");
    lines.push(
      `rate limit ${limit.limit} per ${limit.periodSeconds}s on "${limit.key}"${shared ? `, counted across service ${decision.service}` : ""}${perAddress ? ", counted per client address at the gateway (CF-Connecting-IP; IPv6 per /64)" : ""}`,
    );
  }
  const websocket = websocketRelayLine(policy, decision, upgrade);
  if (websocket) lines.push(websocket);
  const headers = forwardedHeadersOf(policy, decision, reportedRequestHeaders(requestHeaders, decision, upgrade));
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
  const next = nextStep(decision, {
    owner: decision.service ? policy.document.services[decision.service]?.owner : undefined,
    securityContact: policy.document.metadata.owners.join(", "),
    trace: decision.trace,
  });
  if (next) lines.push(`next step ${next}`);
  return lines.join("\n");
}
