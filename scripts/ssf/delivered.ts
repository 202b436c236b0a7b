// `ward ssf delivered`: the ssf-event lines of the logs (policy/ssf/event-line.ts), unwrapped from whatever
// carried them (scripts/logs/unwrap.ts: only where exports put a console line), in order.
import { asSsfEventLine, type SsfEventLine } from "../../policy/index.ts";
import { candidateLines } from "../logs/unwrap.ts";

/**
 * Every ssf-event line in the texts, each once (a wrapper may carry a line twice), oldest first; with
 * `script`, only those an export's wrapper says that Worker wrote.
 */
export function ssfEventLines(texts: readonly string[], script?: string): SsfEventLine[] {
  const found: SsfEventLine[] = [];
  for (const text of texts)
    for (const line of text.split("\n"))
      for (const candidate of candidateLines(line, script)) {
        const read = asSsfEventLine(candidate);
        if (read) found.push(read);
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
