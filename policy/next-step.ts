// What to do about a refusal, in a developer's terms: the next step follows the reason and, where the rules'
// trace says which fact failed, names it (the scope to get, the group to join, whom to contact).
import type { Decision } from "./decision.ts";
import { MAX_PATH_LENGTH } from "./canonical-target.ts";
import { METHODS } from "./schema.ts";

/** The facts of a decision the next step depends on: the ones the decision log also records. */
export type DecisionOutcome = Pick<Decision, "effect" | "reasons" | "route" | "problem"> & {
  wouldDeny?: { reasons: readonly string[]; rule?: string | null; status?: number };
};

/** A rule as the decision traced it, from a Decision or from its decision-log line. */
export interface TracedRule {
  rule: string;
  effect: string;
  outcome: string;
  detail: readonly string[];
}

export interface NextStepContext {
  /** The service's owner, who grants access. */
  owner?: string;
  /** Whom to contact about a revoked or quarantined credential (the policy's metadata.owners). */
  securityContact?: string;
  /** The rules considered, when known: the step then names the failing fact. */
  trace?: readonly TracedRule[];
}

/**
 * An allow whose only shadow is a deny rule in audit mode (`mode: audit` on the rule, not the service): allowed by
 * a rule, or by a time-bounded grant (which never overrides a deny rule, so enforced the rule refuses it too).
 * A service in audit mode puts `audit-would-deny` first instead.
 */
export function ruleOnTrial(decision: {
  effect: string | null;
  reasons: readonly string[];
  wouldDeny?: unknown;
}): boolean {
  return decision.effect === "allow" && decision.reasons[1] === "audit-would-deny" && !!decision.wouldDeny;
}

const MISSING_SCOPE = /^missing scope (.+)$/;
const GROUP = /(?:: |; )group ([^;]+)/g;

/** For an identified caller no allow rule admitted: the nearest allow rule's failing fact, in words. */
function failingFact(trace: readonly TracedRule[], ask: string): string | undefined {
  const allows = trace.filter((t) => t.effect === "allow" && t.outcome !== "applies");
  // Nearest first: a rule that named the caller and failed only on a condition.
  for (const t of allows) {
    if (t.outcome !== "conditions-failed") continue;
    const scope = t.detail.map((d) => MISSING_SCOPE.exec(d)?.[1]).find((x) => x !== undefined);
    if (scope)
      return `get a token that carries scope ${scope} from your token issuer (rule ${t.rule} requires it), then call again`;
    return `rule ${t.rule} names you but its conditions failed (${t.detail.join("; ")}): meet them, or ask ${ask}`;
  }
  for (const t of allows) {
    const groups = t.detail.flatMap((d) => [...d.matchAll(GROUP)].map((m) => m[1]!.trim()));
    if (groups.length > 0)
      return `ask ${ask} to add you to group ${groups.join(" or ")} (rule ${t.rule} admits it), or for access otherwise`;
  }
  return undefined;
}

/** What a bad request's problem is, in words: most are a path that two readers could read apart. */
export function problemInWords(problem: string): string {
  if (problem === "method-unknown") return "not a method Ward forwards, so it is refused";
  if (problem === "host-invalid") return "the Host is not a host name, so it is refused";
  if (problem === "path-too-long") return "the path is longer than Ward reads, so it is refused";
  return "the target is ambiguous, so it is refused";
}

/** What a developer should do about a denial (undefined for an allow). */
export function nextStep(decision: DecisionOutcome, context: NextStepContext = {}): string | undefined {
  if (decision.effect === "allow" && !decision.wouldDeny) return undefined;
  const ask = context.owner ?? "the service's owner";
  const security = context.securityContact ? `the security contact (${context.securityContact})` : "security";
  if (ruleOnTrial(decision))
    return `deny rule ${decision.wouldDeny!.rule} is on trial: enforced, it refuses this request; tell ${ask} if it should not`;
  const reasons: readonly string[] = decision.wouldDeny?.reasons ?? decision.reasons;
  if (decision.problem === "query-method-override") return "send the real method, without a _method query parameter";
  if (decision.problem === "method-unknown")
    return `send one of the methods Ward forwards, as written: ${METHODS.join(", ")} (methods are case-sensitive)`;
  if (decision.problem === "host-invalid") return "send a Host header that is a host name (and a port, if any)";
  if (decision.problem === "path-too-long") return `send a path of at most ${MAX_PATH_LENGTH} characters`;
  if (reasons.includes("bad-request")) return "send the request with a canonical path (see problem above)";
  if (reasons.includes("body-not-allowed"))
    return "send GET and HEAD without a body (no Content-Length or Transfer-Encoding), or use POST";
  if (reasons.includes("host-not-found")) return "no service in this policy serves that host: check the host name";
  if (reasons.includes("revoked"))
    return `this credential is revoked: contact ${security}, and use a new credential once they agree (ward revoke list names the entry)`;
  if (reasons.includes("quarantined"))
    return `this identity is quarantined after repeated denials: contact ${security} (ward quarantine list)`;
  if (reasons.includes("denylist-unavailable"))
    return "the denylist could not be read, so identified callers were refused (503): retry, and check the gateway's errors";
  if (reasons.includes("upgrade-not-allowed"))
    return `${decision.route ?? "this route"} does not carry this upgrade: only a GET with Upgrade: websocket, on a route with websocket: true (ask ${ask})`;
  if (reasons.includes("upgrade-cross-origin"))
    return "open the WebSocket from a page of the app's own origin: Ward refuses sockets that another site's page opens";
  if (reasons.includes("certificate-required")) return "present a client certificate from a pinned issuer";
  if (reasons.includes("unauthenticated")) return "authenticate (Access login, service token or client certificate)";
  if (reasons.includes("route-not-found")) return `no route matches; ask ${ask} if one should`;
  if (reasons.includes("no-matching-rule") && context.trace) {
    const fact = failingFact(context.trace, ask);
    if (fact) return fact;
  }
  return decision.route ? `ask ${ask} for access to ${decision.route}` : `ask ${ask} for access`;
}
