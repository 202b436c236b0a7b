// Decision-log records out of JSON-lines text, pure. Ward writes one `{"event":"decision",...}` object per
// line; exports wrap it: Workers Logs puts the parsed object under `source` and the text in `message`,
// Logpush (workers_trace_events) puts the console lines in `Logs[].Message[]`, other shippers use
// `message` / `Message` strings or `logs[].message[]`. Every non-empty line that holds no decision is
// counted as skipped (other events, warn/error lines, text, broken JSON): logs mix all of these. A decision
// is read with the core's asDecisionLine (policy/decision-log.ts): an object that says "decision" but is not
// shaped as one (a status in quotes, reasons that are no list) is no decision either.
import { asDecisionLine, type DecisionLine } from "../../policy/index.ts";

/** How deep a wrapper may nest the decision (Logpush: line -> Logs[] -> entry -> Message[] -> text). */
const MAX_DEPTH = 6;

function collect(value: unknown, depth: number, out: DecisionLine[]): void {
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
    collect(parsed, depth + 1, out);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) collect(item, depth + 1, out);
    return;
  }
  if (value === null || typeof value !== "object") return;
  if ("event" in value && value.event === "decision") {
    const line = asDecisionLine(value);
    if (line) out.push(line);
    return;
  }
  for (const field of Object.values(value)) collect(field, depth + 1, out);
}

/** The decisions one line holds: usually one, several for a Logpush line of a multi-log invocation. */
export function decisionsInLine(line: string): DecisionLine[] {
  const found: DecisionLine[] = [];
  const text = line.trim();
  if (!text.startsWith("{") && !text.startsWith("[")) return found;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return found;
  }
  collect(parsed, 0, found);
  // A wrapper can carry the same decision twice (Workers Logs: parsed `source` and the `message` text).
  const seen = new Set<string>();
  return found.filter((r) => {
    if (seen.has(r.requestId)) return false;
    seen.add(r.requestId);
    return true;
  });
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
