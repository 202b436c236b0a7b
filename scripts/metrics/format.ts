// `ward metrics` as text: one section per figure, columns aligned.
import type { Count, Lifetimes, Metrics } from "./aggregate.ts";

/** 90 -> "1.5m", 7200 -> "2h", 86400*90 -> "90d": the largest unit that fits, whole or with one decimal. */
export function duration(seconds: number): string {
  const sign = seconds < 0 ? "-" : "";
  const s = Math.abs(seconds);
  for (const [unit, size] of [
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
  ] as const) {
    if (s >= size) return `${sign}${Number.isInteger(s / size) ? s / size : (s / size).toFixed(1)}${unit}`;
  }
  return `${sign}${Number.isInteger(s) ? s : s.toFixed(1)}s`;
}

type Align = "left" | "right";

/** Rows under a header, every column as wide as its widest cell, two spaces apart, indented by two. */
export function columns(
  header: readonly string[],
  align: readonly Align[],
  rows: readonly (readonly string[])[],
): string[] {
  if (rows.length === 0) return ["  (none)"];
  const all = [header, ...rows];
  // A fold, not Math.max(...cells): a day of a scanner's distinct paths is more arguments than the stack holds.
  const widths = header.map((_, i) => all.reduce((widest, row) => Math.max(widest, (row[i] ?? "").length), 0));
  return all.map((row) =>
    `  ${row.map((cell, i) => (align[i] === "right" ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  ")}`.trimEnd(),
  );
}

/** The figures every credential-lifetime table ends with: requests, distinct credentials, median, maximum. */
const LIFETIME_HEADINGS = ["requests", "credentials", "median", "max"];
const LIFETIME_ALIGN: readonly Align[] = ["right", "right", "right", "right"];
const lifetimeCells = (l: Omit<Lifetimes, "kind">): string[] => [
  String(l.count),
  String(l.credentials),
  duration(l.medianSeconds),
  duration(l.maxSeconds),
];

const counted = (label: string, rows: readonly Count[]): string[] =>
  columns(
    ["count", label],
    ["right", "left"],
    rows.map((r) => [String(r.count), r.key]),
  );

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/** Why there are no new-path figures: the baseline holds no decisions to compare with. */
function noBaseline(n: Metrics["newCallPaths"]): string {
  if (n.baseline === "file") return "no baseline: the --baseline log holds no decisions";
  const why =
    n.splitAt === null
      ? "no decision has a time to split the window at"
      : `no decision before the midpoint ${n.splitAt} (one line, or all at one instant)`;
  return `no baseline: ${why}; pass an earlier log as --baseline`;
}

export function metricsText(m: Metrics): string[] {
  const t = m.totals;
  const lines = [
    `window      ${m.window.from ?? "?"} .. ${m.window.to ?? "?"}`,
    `now         ${m.window.now ?? "?"}`,
    "",
    "totals:",
    ...columns(
      ["decisions", "allowed", "denied", "audit would-deny", "lines skipped", "duplicates dropped"],
      ["right", "right", "right", "right", "right", "right"],
      [[t.decisions, t.allowed, t.denied, t.auditWouldDeny, t.linesSkipped, t.duplicatesDropped].map(String)],
    ),
    "",
    `denied attempts by identity (not listed: ${plural(m.denied.unauthenticated, "unauthenticated request")} from anonymous callers${m.denied.unavailable > 0 ? `, ${plural(m.denied.unavailable, "refusal")} while a store was unavailable` : ""}):`,
    ...counted("identity", m.denied.byIdentity),
    "",
    "denied attempts by target:",
    ...counted("target", m.denied.byTarget),
    "",
    "exceptions used:",
    ...columns(
      ["id", "uses", "age", "left", "first use", "last use"],
      ["left", "right", "right", "right", "left", "left"],
      m.exceptions.map((e) => [
        e.id,
        String(e.uses),
        e.ageSeconds === null ? "?" : duration(e.ageSeconds),
        e.secondsLeft === null
          ? "?"
          : e.secondsLeft >= 0
            ? duration(e.secondsLeft)
            : `expired ${duration(-e.secondsLeft)} ago`,
        e.firstUse ?? "?",
        e.lastUse ?? "?",
      ]),
    ),
    "",
    "credential lifetimes seen (as issued, over distinct credentials):",
    ...columns(
      ["kind", ...LIFETIME_HEADINGS],
      ["left", ...LIFETIME_ALIGN],
      m.credentialLifetimes.map((l) => [l.kind, ...lifetimeCells(l)]),
    ),
    "",
    "credential lifetimes by issuer:",
    ...columns(
      ["kind", "issuer", ...LIFETIME_HEADINGS],
      ["left", "left", ...LIFETIME_ALIGN],
      m.credentialLifetimesByIssuer.map((l) => [l.kind, l.issuer ?? "-", ...lifetimeCells(l)]),
    ),
    "",
    "credential lifetimes by identity (the credential behind each decision):",
    ...columns(
      ["identity", ...LIFETIME_HEADINGS],
      ["left", ...LIFETIME_ALIGN],
      m.credentialLifetimesByIdentity.map((l) => [l.identity, ...lifetimeCells(l)]),
    ),
    "",
  ];
  const n = m.newCallPaths;
  const baseline =
    n.baseline === "file"
      ? `baseline: the ${plural(n.baselineDecisions, "decision")} of the --baseline log${n.baselineDuplicatesDropped > 0 ? ` (${plural(n.baselineDuplicatesDropped, "duplicate")} dropped)` : ""}`
      : `baseline: the ${plural(n.baselineDecisions, "decision")} before the midpoint ${n.splitAt ?? "?"}`;
  if (n.paths === null) lines.push(`new call paths (allowed identity -> route): ${noBaseline(n)}`);
  else lines.push(`new call paths (allowed identity -> route; ${baseline}):`, ...counted("call path", n.paths));
  if (m.ssf) lines.push("", ...ssfText(m.ssf));
  return lines;
}

function ssfText(s: NonNullable<Metrics["ssf"]>): string[] {
  const r = s.timeToRefusal;
  const figure = (v: number | null) => (v === null ? "?" : duration(v));
  return [
    `security events (${s.deliveries} ${s.deliveries === 1 ? "delivery" : "deliveries"}):`,
    ...counted("event", s.byEvent),
    "",
    "security events by outcome:",
    ...counted("outcome", s.byOutcome),
    "",
    `time from an event's iat to the first request it refused (${r.linked} of ${plural(r.refusing, "refusing SET")}; the others' people did not come back): median ${figure(r.medianSeconds)}, max ${figure(r.maxSeconds)}`,
    ...columns(
      ["seconds", "transmitter", "events", "jti", "first refusal"],
      ["right", "left", "left", "left", "left"],
      r.slowest.map((x) => [x.seconds.toFixed(1), x.transmitter, x.events.join(","), x.jti, x.firstRefusal]),
    ),
  ];
}
