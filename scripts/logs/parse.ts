// Decision-log records out of JSON-lines text, pure. Ward writes one `{"event":"decision",...}` object per
// line; exports wrap it: Workers Logs puts the parsed object under `source` and the text in `message`,
// Logpush (workers_trace_events) puts the console lines in `Logs[].Message[]`, other shippers use
// `message` / `Message` strings or `logs[].message[]`. Every non-empty line that holds no decision is
// counted as skipped (other events, warn/error lines, text, broken JSON): logs mix all of these. A decision
// is read with the core's asDecisionLine (policy/decision-log.ts): an object that says "decision" but is not
// shaped as one (a status in quotes, reasons that are no list) is no decision either.
import {
  asDecisionLine,
  asWebSocketCloseLine,
  type DecisionLine,
  type WebSocketCloseLine,
} from "../../policy/index.ts";

/** How deep a wrapper may nest the decision (Logpush: line -> Logs[] -> entry -> Message[] -> text). */
const MAX_DEPTH = 6;

/** Reads an object that says it is one event (`"event": ...`) as that event's line, or undefined. */
type Reader<T> = (value: object) => T | undefined;

function collect<T>(value: unknown, depth: number, event: string, pick: Reader<T>, out: T[]): void {
  if (depth > MAX_DEPTH) return;
  if (typeof value === "string") {
    // Only text that looks like a JSON object is worth parsing: messages are mostly prose.
    if (!value.trimStart().startsWith("{")) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      return;
    }
    collect(parsed, depth + 1, event, pick, out);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) collect(item, depth + 1, event, pick, out);
    return;
  }
  if (value === null || typeof value !== "object") return;
  if ("event" in value && value.event === event) {
    const line = pick(value);
    if (line !== undefined) out.push(line);
    return;
  }
  for (const field of Object.values(value)) collect(field, depth + 1, event, pick, out);
}

/** The `event` lines one log line holds, in or out of a wrapper, each once per request id. */
function eventsInLine<T extends { requestId: string }>(line: string, event: string, pick: Reader<T>): T[] {
  const found: T[] = [];
  const text = line.trim();
  if (!text.startsWith("{") && !text.startsWith("[")) return found;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return found;
  }
  collect(parsed, 0, event, pick, found);
  // A wrapper can carry the same line twice (Workers Logs: parsed `source` and the `message` text).
  const seen = new Set<string>();
  return found.filter((r) => {
    if (seen.has(r.requestId)) return false;
    seen.add(r.requestId);
    return true;
  });
}

/** The decisions one line holds: usually one, several for a Logpush line of a multi-log invocation. */
export function decisionsInLine(line: string): DecisionLine[] {
  return eventsInLine(line, "decision", asDecisionLine);
}

/** The WebSocket close lines (`websocket-closed`, policy/websocket/close-line.ts) of a log's text. */
export function websocketClosesIn(text: string): WebSocketCloseLine[] {
  const closes: WebSocketCloseLine[] = [];
  for (const line of text.split("\n")) {
    // Cheap before JSON: a close line, wrapped or not, names its event.
    if (line.includes("websocket-closed")) closes.push(...eventsInLine(line, "websocket-closed", asWebSocketCloseLine));
  }
  return closes;
}

export interface ParsedLog {
  records: DecisionLine[];
  /** Non-empty lines with no decision in them. */
  skipped: number;
}

export function parseDecisionLog(text: string): ParsedLog {
  const records: DecisionLine[] = [];
  let skipped = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const found = decisionsInLine(line);
    if (found.length === 0) skipped++;
    else for (const r of found) records.push(r);
  }
  return { records, skipped };
}
