// One record per request: a JSON line to the console (Workers Logs / Logpush) and, when the DECISIONS
// dataset is bound, an Analytics Engine data point for the lateral-movement metrics. No tokens, no secrets.
import type { Decision } from "../policy/index.ts";
import type { CredentialSeen } from "./identity/identify.ts";
import { logEvent } from "./log.ts";

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
  dataset?.writeDataPoint({
    indexes: [decision.principal.slice(0, 96)],
    blobs: [decision.principal, decision.service ?? "", decision.route ?? "", decision.rule ?? "", decision.effect, decision.mode, decision.reasons.join(","), decision.policyVersion, record.requestId],
    doubles: [record.status, record.latencyMs],
  });
}
