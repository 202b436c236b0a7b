// One record per request: a JSON line to the console (Workers Logs / Logpush) and, when the DECISIONS
// dataset is bound, an Analytics Engine data point for the lateral-movement metrics. No tokens, no secrets.
// The line's shape is policy/decision-log.ts, the one type `ward why`, `ward metrics` and `ward shadow report` read.
import {
  answerLine,
  decisionLine,
  type AnswerRecord,
  type DecisionLine,
  type DecisionRecord,
} from "../../policy/index.ts";
import { logEvent } from "./events.ts";
import { utf8Prefix } from "../shared/utf8.ts";

export type { AnswerRecord, DecisionRecord };

/** The line as built, one JSON.stringify: `level` and `event` lead, as in every other event line (log/events.ts). */
function write(line: DecisionLine): void {
  const text = JSON.stringify(line);
  if (line.level === "error") console.error(text);
  else console.log(text);
}

/** Analytics Engine takes an index of at most 96 bytes (UTF-8), not 96 characters. */
const MAX_INDEX_BYTES = 96;

export function logDecision(record: DecisionRecord, dataset: AnalyticsEngineDataset | undefined): void {
  write(decisionLine(record));
  const { decision } = record;
  try {
    dataset?.writeDataPoint({
      indexes: [utf8Prefix(decision.principal, MAX_INDEX_BYTES)],
      blobs: [
        decision.principal,
        decision.service ?? "",
        decision.route ?? "",
        decision.rule ?? "",
        decision.effect,
        decision.mode,
        decision.reasons.join(","),
        decision.policyVersion,
        record.requestId,
      ],
      doubles: [record.status, record.latencyMs],
    });
  } catch (error) {
    // The line above is the record; a refused data point must not turn an answered request into a 500.
    logEvent("error", "decision-data-point-failed", { requestId: record.requestId, error: String(error) });
  }
}

/**
 * One line in the decision log's shape (event "decision", the request id the client was given, status,
 * reasons), so `ward why` and `ward metrics` see every answered request. Failures are logged at `error`.
 */
export function logAnswer(record: AnswerRecord): void {
  write(answerLine(record));
}
