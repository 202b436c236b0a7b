// `ward ssf delivered`: the ssf-event lines of the logs (policy/ssf/event-line.ts), unwrapped from whatever
// carried them (Workers Logs' `source` and `message`, Logpush's `Logs[].Message[]`), in order.
import { asSsfEventLine, type SsfEventLine } from "../../policy/index.ts";

const MAX_DEPTH = 6;

function collect(value: unknown, depth: number, out: SsfEventLine[]): void {
  if (depth > MAX_DEPTH) return;
  if (typeof value === "string") {
    if (!value.trimStart().startsWith("{")) return;
    try {
      collect(JSON.parse(value), depth + 1, out);
    } catch {
      // text that only looks like JSON
    }
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) collect(item, depth + 1, out);
    return;
  }
  if (value === null || typeof value !== "object") return;
  const line = asSsfEventLine(value);
  if (line) {
    out.push(line);
    return;
  }
  for (const field of Object.values(value)) collect(field, depth + 1, out);
}

/** Every ssf-event line in the texts, each once (a wrapper may carry a line twice), oldest first. */
export function ssfEventLines(texts: readonly string[]): SsfEventLine[] {
  const found: SsfEventLine[] = [];
  for (const text of texts)
    for (const line of text.split("\n")) {
      const trimmed = line.trim();
      if (trimmed.startsWith("{") || trimmed.startsWith("[")) collect(trimmed, 0, found);
    }
  const seen = new Set<string>();
  return found
    .filter((l) => {
      if (seen.has(l.requestId)) return false;
      seen.add(l.requestId);
      return true;
    })
    .sort((a, b) => a.time.localeCompare(b.time));
}

export function deliveredLine(l: SsfEventLine): string {
  const what =
    l.outcome === "refused"
      ? `refused ${l.err} (${l.problem})`
      : l.outcome === "retry"
        ? `retry (${l.problem})`
        : l.outcome;
  const parts = [
    l.time,
    l.transmitter,
    (l.events ?? ["?"]).join("+"),
    what,
    ...(l.facts && l.facts.length > 0 ? [l.facts.join(",")] : []),
    ...(l.state !== undefined ? [`state=${l.state}`] : []),
    ...(l.streamStatus !== undefined ? [`stream=${l.streamStatus}`] : []),
    ...(l.jti !== undefined ? [`jti=${l.jti}`] : []),
  ];
  return parts.join("  ");
}

/** Counts by event type and by outcome. */
export function deliveredSummary(lines: readonly SsfEventLine[]): string[] {
  const byEvent = new Map<string, number>();
  const byOutcome = new Map<string, number>();
  for (const l of lines) {
    for (const e of l.events ?? ["(unreadable)"]) byEvent.set(e, (byEvent.get(e) ?? 0) + 1);
    byOutcome.set(l.outcome, (byOutcome.get(l.outcome) ?? 0) + 1);
  }
  const fmt = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
  return [`${lines.length} SETs`, `by event: ${fmt(byEvent) || "none"}`, `by outcome: ${fmt(byOutcome) || "none"}`];
}
