// Decision-log records out of JSON-lines text, pure. Ward writes one `{"event":"decision",...}` object per
// line; exports wrap it (unwrap.ts says where, and nothing else of a wrapper is read). Every non-empty line
// that holds no decision is counted as skipped (other events, warn/error lines, text, broken JSON): logs mix
// all of these. A decision is read with the core's asDecisionLine (policy/decision-log.ts): an object that
// says "decision" but is not shaped as one (a status in quotes, reasons that are no list) is no decision either.
import {
  asDecisionLine,
  asWebSocketCloseLine,
  type DecisionLine,
  type WebSocketCloseLine,
} from "../../policy/index.ts";
import { candidateLines } from "./unwrap.ts";

/** Reads an object that says it is one event (`"event": ...`) as that event's line, or undefined. */
type Reader<T> = (value: object) => T | undefined;

/** The `event` lines one log line holds, in or out of a wrapper (unwrap.ts), each once per request id. */
function eventsInLine<T extends { requestId: string }>(
  line: string,
  event: string,
  pick: Reader<T>,
  script: string | undefined,
): T[] {
  const found: T[] = [];
  // A wrapper can carry the same line twice (Workers Logs: parsed `source` and the `$metadata.message` text).
  const seen = new Set<string>();
  for (const candidate of candidateLines(line, script)) {
    if (!("event" in candidate) || candidate.event !== event) continue;
    const read = pick(candidate);
    if (read === undefined || seen.has(read.requestId)) continue;
    seen.add(read.requestId);
    found.push(read);
  }
  return found;
}

/**
 * The decisions one line holds: usually one, several for a Logpush line of a multi-log invocation. With
 * `script`, only those an export's wrapper says that Worker wrote (unwrap.ts).
 */
export function decisionsInLine(line: string, script?: string): DecisionLine[] {
  return eventsInLine(line, "decision", asDecisionLine, script);
}

/** The WebSocket close lines (`websocket-closed`, policy/websocket/close-line.ts) of a log's text. */
export function websocketClosesIn(text: string, script?: string): WebSocketCloseLine[] {
  const closes: WebSocketCloseLine[] = [];
  for (const line of text.split("\n")) {
    // Cheap before JSON: a close line, wrapped or not, names its event.
    if (line.includes("websocket-closed"))
      closes.push(...eventsInLine(line, "websocket-closed", asWebSocketCloseLine, script));
  }
  return closes;
}

export interface ParsedLog {
  records: DecisionLine[];
  /** Non-empty lines with no decision in them. */
  skipped: number;
  /** Decisions dropped because one with the same request id was read before (the first is kept). */
  duplicates: number;
}

/**
 * The decisions of several logs' texts, read in order, each request once: the Worker writes one line per
 * request, so a request id read again is the same line read twice (two exports of one day, or a bare line
 * beside its Workers Logs or Logpush copy) and would count twice. The first is kept.
 */
export function parseDecisionLogs(texts: readonly string[], script?: string): ParsedLog {
  const records: DecisionLine[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  let duplicates = 0;
  for (const text of texts) {
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      const found = decisionsInLine(line, script);
      if (found.length === 0) skipped++;
      for (const r of found) {
        if (seen.has(r.requestId)) duplicates++;
        else {
          seen.add(r.requestId);
          records.push(r);
        }
      }
    }
  }
  return { records, skipped, duplicates };
}

export function parseDecisionLog(text: string, script?: string): ParsedLog {
  return parseDecisionLogs([text], script);
}
