// The lateral-movement figures from decision-log records: denied attempts by identity and target, the
// exceptions in use and their age, how long the credentials seen were issued for, and call paths
// (identity -> route) that had never been seen before.
import type { DecisionRecord } from "../logs/decision-lines.ts";

export interface Count {
  key: string;
  count: number;
}

export interface ExceptionSeen {
  id: string;
  uses: number;
  firstUse: string | null;
  lastUse: string | null;
  ageSeconds: number | null;
  secondsLeft: number | null;
}

export interface Lifetimes {
  kind: string;
  count: number;
  medianSeconds: number;
  maxSeconds: number;
}

export interface Metrics {
  window: { from: string | null; to: string | null; now: string | null };
  totals: { decisions: number; allowed: number; denied: number; auditWouldDeny: number; linesSkipped: number };
  denied: { unauthenticated: number; byIdentity: Count[]; byTarget: Count[] };
  exceptions: ExceptionSeen[];
  credentialLifetimes: Lifetimes[];
  newCallPaths: { baseline: "file" | "first half of the window"; paths: Count[] };
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const timeOf = (r: DecisionRecord): number | undefined => {
  const t = Date.parse(str(r.time) ?? "");
  return Number.isFinite(t) ? t : undefined;
};

function top(counts: Map<string, number>, n: number): Count[] {
  return [...counts].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1)).slice(0, n);
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const targetOf = (r: DecisionRecord): string => str(r.route) ?? `${str(r.host) ?? "?"}${str(r.path) ?? ""} (no route)`;
const callPath = (r: DecisionRecord): string => `${str(r.principal) ?? "anonymous"} -> ${str(r.route) ?? "?"}`;

export interface MetricsOptions {
  top: number;
  since?: number;
  until?: number;
  now?: number;
  /** Records of the baseline log; without them the first half of the window is the baseline. */
  baseline?: readonly DecisionRecord[];
  linesSkipped: number;
}

export function computeMetrics(all: readonly DecisionRecord[], options: MetricsOptions): Metrics {
  const records = all.filter((r) => {
    const t = timeOf(r);
    if (options.since !== undefined && (t === undefined || t < options.since)) return false;
    if (options.until !== undefined && (t === undefined || t >= options.until)) return false;
    return true;
  });
  const times = records.map(timeOf).filter((t): t is number => t !== undefined);
  const from = times.length > 0 ? Math.min(...times) : undefined;
  const to = times.length > 0 ? Math.max(...times) : undefined;
  const now = options.now ?? to;

  let allowed = 0;
  let denied = 0;
  let auditWouldDeny = 0;
  let unauthenticated = 0;
  const deniedByIdentity = new Map<string, number>();
  const deniedByTarget = new Map<string, number>();
  const exceptions = new Map<string, { uses: number; first?: number; last?: number; notBefore?: number; notAfter?: number }>();
  const lifetimes = new Map<string, number[]>();

  for (const r of records) {
    const principal = str(r.principal) ?? "anonymous";
    if (r.effect === "allow") allowed++;
    else if (r.effect === "deny") {
      denied++;
      if (principal === "anonymous" && r.status === 401) unauthenticated++;
      else {
        bump(deniedByIdentity, principal);
        bump(deniedByTarget, targetOf(r));
      }
    }
    if (r.mode === "audit" && r.wouldDeny) auditWouldDeny++;
    const exception = r.exception as { id?: unknown; notBefore?: unknown; notAfter?: unknown } | null | undefined;
    if (exception && typeof exception.id === "string") {
      const e = exceptions.get(exception.id) ?? { uses: 0 };
      const t = timeOf(r);
      e.uses++;
      if (t !== undefined) {
        e.first = Math.min(e.first ?? t, t);
        e.last = Math.max(e.last ?? t, t);
      }
      e.notBefore ??= Date.parse(str(exception.notBefore) ?? "") || undefined;
      e.notAfter ??= Date.parse(str(exception.notAfter) ?? "") || undefined;
      exceptions.set(exception.id, e);
    }
    const credential = r.credential as { kind?: unknown; lifetimeSeconds?: unknown } | null | undefined;
    if (credential && typeof credential.kind === "string" && typeof credential.lifetimeSeconds === "number") {
      lifetimes.set(credential.kind, [...(lifetimes.get(credential.kind) ?? []), credential.lifetimeSeconds]);
    }
  }

  // New call paths: allowed identity -> route pairs of the window that the baseline never had.
  let baseline: readonly DecisionRecord[];
  let window: readonly DecisionRecord[];
  if (options.baseline) {
    baseline = options.baseline;
    window = records;
  } else {
    const mid = from !== undefined && to !== undefined ? from + (to - from) / 2 : undefined;
    baseline = records.filter((r) => mid !== undefined && (timeOf(r) ?? Infinity) < mid);
    window = records.filter((r) => mid === undefined || (timeOf(r) ?? Infinity) >= mid);
  }
  const seen = new Set(baseline.filter((r) => r.effect === "allow").map(callPath));
  const fresh = new Map<string, number>();
  for (const r of window) if (r.effect === "allow" && !seen.has(callPath(r))) bump(fresh, callPath(r));

  const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());
  return {
    window: { from: iso(from), to: iso(to), now: iso(now) },
    totals: { decisions: records.length, allowed, denied, auditWouldDeny, linesSkipped: options.linesSkipped },
    denied: { unauthenticated, byIdentity: top(deniedByIdentity, options.top), byTarget: top(deniedByTarget, options.top) },
    exceptions: [...exceptions]
      .map(([id, e]) => ({
        id,
        uses: e.uses,
        firstUse: iso(e.first),
        lastUse: iso(e.last),
        ageSeconds: now !== undefined && e.notBefore !== undefined ? Math.round((now - e.notBefore) / 1000) : null,
        secondsLeft: now !== undefined && e.notAfter !== undefined ? Math.round((e.notAfter - now) / 1000) : null,
      }))
      .sort((a, b) => (a.id < b.id ? -1 : 1)),
    credentialLifetimes: [...lifetimes]
      .map(([kind, values]) => ({ kind, count: values.length, medianSeconds: median(values), maxSeconds: Math.max(...values) }))
      .sort((a, b) => (a.kind < b.kind ? -1 : 1)),
    newCallPaths: { baseline: options.baseline ? "file" : "first half of the window", paths: top(fresh, options.top) },
  };
}
