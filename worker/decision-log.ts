// One record per request: a JSON line to the console (Workers Logs / Logpush) and, when the DECISIONS
// dataset is bound, an Analytics Engine data point for the lateral-movement metrics. No tokens, no secrets.
import type { Decision } from "../policy/index.ts";
import { logEvent } from "./log.ts";

export interface DecisionRecord {
  requestId: string;
  decision: Decision;
  status: number;
  latencyMs: number;
}

export function logDecision(record: DecisionRecord, dataset: AnalyticsEngineDataset | undefined): void {
  const { decision } = record;
  logEvent("info", "decision", {
    requestId: record.requestId,
    principal: decision.principal,
    service: decision.service ?? null,
    route: decision.route ?? null,
    rule: decision.rule ?? null,
    effect: decision.effect,
    mode: decision.mode,
    reasons: decision.reasons,
    wouldDeny: decision.wouldDeny ?? null,
    status: record.status,
    policyVersion: decision.policyVersion,
    latencyMs: record.latencyMs,
  });
  dataset?.writeDataPoint({
    indexes: [decision.principal.slice(0, 96)],
    blobs: [decision.principal, decision.service ?? "", decision.route ?? "", decision.rule ?? "", decision.effect, decision.mode, decision.reasons.join(","), decision.policyVersion, record.requestId],
    doubles: [record.status, record.latencyMs],
  });
}
