// `ward metrics` as text: one section per figure, columns aligned.
import type { Count, Metrics } from "./aggregate.ts";

/** 90 -> "90s", 7200 -> "2h", 86400*90 -> "90d": the largest whole unit, else one decimal. */
export function duration(seconds: number): string {
  const sign = seconds < 0 ? "-" : "";
  const s = Math.abs(seconds);
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60]] as const) {
    if (s >= size) return `${sign}${Number.isInteger(s / size) ? s / size : (s / size).toFixed(1)}${unit}`;
  }
  return `${sign}${s}s`;
}

function table(rows: Count[]): string[] {
  if (rows.length === 0) return ["  (none)"];
  const width = Math.max(...rows.map((r) => String(r.count).length));
  return rows.map((r) => `  ${String(r.count).padStart(width)}  ${r.key}`);
}

export function metricsText(m: Metrics): string[] {
  const t = m.totals;
  const lines = [
    `window ${m.window.from ?? "?"} .. ${m.window.to ?? "?"}`,
    `decisions ${t.decisions}: allowed ${t.allowed}, denied ${t.denied}, audit would-deny ${t.auditWouldDeny}; lines skipped ${t.linesSkipped}`,
    "",
    `denied attempts by identity (unauthenticated 401s: ${m.denied.unauthenticated}, not listed):`,
    ...table(m.denied.byIdentity),
    "denied attempts by target:",
    ...table(m.denied.byTarget),
    "",
    "exceptions used:",
  ];
  if (m.exceptions.length === 0) lines.push("  (none)");
  for (const e of m.exceptions) {
    const age = e.ageSeconds === null ? "age ?" : `age ${duration(e.ageSeconds)}`;
    const left = e.secondsLeft === null ? "" : e.secondsLeft >= 0 ? `, ${duration(e.secondsLeft)} left` : `, expired ${duration(-e.secondsLeft)} ago`;
    lines.push(`  ${e.id}  ${e.uses} use${e.uses === 1 ? "" : "s"}  ${age}${left}  (${e.firstUse ?? "?"} .. ${e.lastUse ?? "?"})`);
  }
  lines.push("", "credential lifetimes seen (as issued):");
  if (m.credentialLifetimes.length === 0) lines.push("  (none)");
  for (const l of m.credentialLifetimes) lines.push(`  ${l.kind}  median ${duration(l.medianSeconds)}, max ${duration(l.maxSeconds)}  (${l.count} requests)`);
  lines.push("", `new call paths (identity -> route, allowed; baseline: ${m.newCallPaths.baseline}):`, ...table(m.newCallPaths.paths));
  return lines;
}
