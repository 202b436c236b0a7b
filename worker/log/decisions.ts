// One record per request: a JSON line to the console (Workers Logs / Logpush) and, when the DECISIONS
// dataset is bound, an Analytics Engine data point for the lateral-movement metrics. No tokens, no secrets.
import type { AnswerReason, Decision } from "../../policy/index.ts";
import type { CredentialSeen } from "../../policy/index.ts";
import { logEvent } from "./events.ts";

export interface DecisionRecord {
  requestId: string;
  /** When the request arrived (ms since epoch). */
  time: number;
  decision: Decision;
  /** The request as received, for denials that matched no service (the canonical target when there is one). */
  request: { method: string; host: string; path: string };
  /** The verified credential behind the principal, if any. */
  credential?: CredentialSeen;
  /** What the shadow candidate decided for the same request, when one is set. */
  shadow?: Decision;
  /** Request headers the origin was not sent (names only, never values), so an app that breaks can see why. */
  droppedHeaders?: string[];
  status: number;
  latencyMs: number;
}

export function logDecision(record: DecisionRecord, dataset: AnalyticsEngineDataset | undefined): void {
  const { decision } = record;
  const target = decision.target ?? record.request;
  logEvent("info", "decision", {
    time: new Date(record.time).toISOString(),
    requestId: record.requestId,
    principal: decision.principal,
    // The path without its query: queries may carry personal data or secrets.
    method: target.method,
    host: target.host,
    path: target.path,
    service: decision.service ?? null,
    route: decision.route ?? null,
    rule: decision.rule ?? null,
    effect: decision.effect,
    mode: decision.mode,
    reasons: decision.reasons,
    // Why a bad request was refused (path-dot-segment, query-method-override, ...).
    ...(decision.problem ? { problem: decision.problem } : {}),
    wouldDeny: decision.wouldDeny ?? null,
    status: record.status,
    policyVersion: decision.policyVersion,
    latencyMs: record.latencyMs,
    credential: record.credential ?? null,
    exception: decision.exception ?? null,
    ...(record.droppedHeaders ? { droppedHeaders: record.droppedHeaders } : {}),
    ...(record.shadow
      ? {
          shadow: {
            version: record.shadow.policyVersion,
            effect: record.shadow.effect,
            status: record.shadow.status,
            route: record.shadow.route ?? null,
            rule: record.shadow.rule ?? null,
            reasons: record.shadow.reasons,
          },
        }
      : {}),
  });
  try {
    dataset?.writeDataPoint({
      indexes: [decision.principal.slice(0, 96)],
      blobs: [decision.principal, decision.service ?? "", decision.route ?? "", decision.rule ?? "", decision.effect, decision.mode, decision.reasons.join(","), decision.policyVersion, record.requestId],
      doubles: [record.status, record.latencyMs],
    });
  } catch (error) {
    // The line above is the record; a refused data point must not turn an answered request into a 500.
    logEvent("error", "decision-data-point-failed", { requestId: record.requestId, error: String(error) });
  }
}

/** A request Ward answered without a policy decision (ANSWER_REASONS): no policy, an unexpected error, its own paths. */
export interface AnswerRecord {
  requestId: string;
  time: number;
  /** As received: the raw path, without the query. */
  request: { method: string; host: string; path: string };
  reason: AnswerReason;
  status: number;
  latencyMs: number;
  /** Who called, when the answer's handler identified the caller (portal, admin API). */
  principal?: string;
  /** What went wrong, for `internal-error` (never a token). */
  error?: string;
}

/** Ward's own paths are not decisions: no effect, so `ward metrics` counts them neither allowed nor denied. */
const OWN_PATHS: ReadonlySet<AnswerReason> = new Set(["ward-key-set", "ward-portal", "ward-admin"]);

/**
 * One line in the decision log's shape (event "decision", the request id the client was given, status,
 * reasons), so `ward why` and `ward metrics` see every answered request. Failures are logged at `error`.
 */
export function logAnswer(record: AnswerRecord): void {
  logEvent(record.status >= 500 ? "error" : "info", "decision", {
    time: new Date(record.time).toISOString(),
    requestId: record.requestId,
    ...(record.principal ? { principal: record.principal } : {}),
    method: record.request.method,
    host: record.request.host,
    path: record.request.path,
    effect: OWN_PATHS.has(record.reason) ? null : "deny",
    reasons: [record.reason],
    status: record.status,
    latencyMs: record.latencyMs,
    ...(record.error ? { error: record.error } : {}),
  });
}
