// Structured log lines (Workers Logs / Logpush read console JSON). Never pass tokens or secrets here.
export function logEvent(level: "info" | "warn" | "error", event: string, fields: Record<string, unknown>): void {
  const line = JSON.stringify({ level, event, ...fields });
  if (level === "error") console.error(line);
  else console.log(line);
}

/** Where a function that may be run twice for one request writes its events (logEvent, or a filter of it). */
export type EventLog = typeof logEvent;
