// The lateral-movement figures from decision-log records, pure: denied attempts by identity and target,
// the exceptions in use and their age, how long the credentials seen were issued for, and call paths
// (identity -> route) that had never been seen before. Lines from before a field existed (no `time`,
// `host`, `credential`, `exception`...) count where they can and drop out of the figures that need it.
import type { DecisionLine } from "../../policy/index.ts";

export interface Count {
  key: string;
  count: number;
}

export interface ExceptionSeen {
  id: string;
  uses: number;
  firstUse: string | null;
  lastUse: string | null;
  /** now - notBefore, in seconds; null when the log does not say when the exception starts. */
  ageSeconds: number | null;
  /** notAfter - now, in seconds (negative once expired); null without a notAfter. */
  secondsLeft: number | null;
}

export interface Lifetimes {
  kind: string;
  count: number;
  medianSeconds: number;
  maxSeconds: number;
}

export type BaselineSource = "file" | "first half of the window";

export interface Metrics {
  window: { from: string | null; to: string | null; now: string | null };
  totals: { decisions: number; allowed: number; denied: number; auditWouldDeny: number; linesSkipped: number };
  /** `unavailable`: refused because a store could not be read (an outage, not anyone probing). */
  denied: { unauthenticated: number; unavailable: number; byIdentity: Count[]; byTarget: Count[] };
  exceptions: ExceptionSeen[];
  credentialLifetimes: Lifetimes[];
  newCallPaths: { baseline: BaselineSource; splitAt: string | null; baselineDecisions: number; paths: Count[] };
}

export interface MetricsOptions {
  /** How many rows each ranked list keeps. */
  top: number;
  /** Keep decisions with since <= time < until (ms since epoch); lines without a time drop out. */
  since?: number;
  until?: number;
  /** The clock for exception ages; default the latest time among the kept decisions. */
  now?: number;
  /** Decisions of the baseline log; without them the first half of the window is the baseline. */
  baseline?: readonly DecisionLine[];
  linesSkipped: number;
}

function instant(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

const timeOf = (r: DecisionLine): number | undefined => instant(r.time);

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Highest count first, then by key, so equal counts always list the same way. */
export function topCounts(counts: ReadonlyMap<string, number>, n: number): Count[] {
  return [...counts]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .slice(0, n);
}

/** The middle value; the mean of the two middle ones for an even count. `values` is not empty. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The route when one matched, else what was asked for: host and path (service when an old line has no host). */
export function targetOf(r: DecisionLine): string {
  if (r.route) return r.route;
  if (r.host) return `${r.host}${r.path ?? ""} (no route)`;
  return r.service ? `${r.service} (no route)` : "(unknown target)";
}

const principalOf = (r: DecisionLine): string => r.principal || "anonymous";
const callPath = (r: DecisionLine): string | undefined =>
  r.route && r.effect === "allow" ? `${principalOf(r)} -> ${r.route}` : undefined;

export function computeMetrics(all: readonly DecisionLine[], options: MetricsOptions): Metrics {
  const filtered = options.since !== undefined || options.until !== undefined;
  const records = filtered
    ? all.filter((r) => {
        const t = timeOf(r);
        if (t === undefined) return false;
        return (
          (options.since === undefined || t >= options.since) && (options.until === undefined || t < options.until)
        );
      })
    : all;

  // Loops rather than Math.min(...times): a day of traffic is more arguments than the stack holds.
  let from: number | undefined;
  let to: number | undefined;
  for (const r of records) {
    const t = timeOf(r);
    if (t === undefined) continue;
    if (from === undefined || t < from) from = t;
    if (to === undefined || t > to) to = t;
  }
  const now = options.now ?? to;

  let allowed = 0;
  let denied = 0;
  let auditWouldDeny = 0;
  let unauthenticated = 0;
  let unavailable = 0;
  const deniedByIdentity = new Map<string, number>();
  const deniedByTarget = new Map<string, number>();
  const exceptions = new Map<
    string,
    { uses: number; first?: number; last?: number; notBefore?: number; notAfter?: number }
  >();
  const lifetimes = new Map<string, number[]>();

  for (const r of records) {
    const principal = principalOf(r);
    if (r.effect === "allow") allowed++;
    else if (r.effect === "deny") {
      denied++;
      // Scanners and expired sessions: a 401 to nobody in particular is not a workload probing routes.
      // 401, or the 302 a browser without a session gets to the sign-in: nobody in particular.
      if (principal === "anonymous" && (r.status === 401 || r.reasons.includes("unauthenticated"))) unauthenticated++;
      // The gateway could not read its policy or denylist, or failed: every caller was refused alike.
      else if (r.reasons.some((reason) => reason.endsWith("-unavailable") || reason === "internal-error"))
        unavailable++;
      else {
        bump(deniedByIdentity, principal);
        bump(deniedByTarget, targetOf(r));
      }
    }
    if (r.mode === "audit" && r.wouldDeny) auditWouldDeny++;

    const exception = r.exception;
    if (exception?.id) {
      const e = exceptions.get(exception.id) ?? { uses: 0 };
      e.uses++;
      const t = timeOf(r);
      if (t !== undefined) {
        if (e.first === undefined || t < e.first) e.first = t;
        if (e.last === undefined || t > e.last) e.last = t;
      }
      e.notBefore ??= instant(exception.notBefore);
      e.notAfter ??= instant(exception.notAfter);
      exceptions.set(exception.id, e);
    }

    // The contract logs one `credential`; a request can verify two (a certificate and an Access token),
    // so a `credentials` list is read too should the Worker log them all.
    for (const credential of [r.credential, ...(r.credentials ?? [])]) {
      if (!credential?.kind) continue;
      const list = lifetimes.get(credential.kind);
      if (list) list.push(credential.lifetimeSeconds);
      else lifetimes.set(credential.kind, [credential.lifetimeSeconds]);
    }
  }

  // New call paths: allowed identity -> route pairs that the baseline never had. With a baseline log the
  // whole window is compared with it; without one the window is split at the midpoint of its time range,
  // and decisions without a time are left out (they belong to neither half).
  let baseline: readonly DecisionLine[];
  let compared: readonly DecisionLine[];
  let splitAt: number | undefined;
  if (options.baseline) {
    baseline = options.baseline;
    compared = records;
  } else {
    splitAt = from !== undefined && to !== undefined ? from + (to - from) / 2 : undefined;
    const before: DecisionLine[] = [];
    const after: DecisionLine[] = [];
    for (const r of records) {
      const t = timeOf(r);
      if (t === undefined || splitAt === undefined) continue;
      (t < splitAt ? before : after).push(r);
    }
    baseline = before;
    compared = after;
  }
  const seen = new Set<string>();
  for (const r of baseline) {
    const path = callPath(r);
    if (path) seen.add(path);
  }
  const fresh = new Map<string, number>();
  for (const r of compared) {
    const path = callPath(r);
    if (path && !seen.has(path)) bump(fresh, path);
  }

  const iso = (t: number | undefined): string | null => (t === undefined ? null : new Date(t).toISOString());
  const seconds = (ms: number): number => Math.round(ms / 1000);
  return {
    window: { from: iso(from), to: iso(to), now: iso(now) },
    totals: { decisions: records.length, allowed, denied, auditWouldDeny, linesSkipped: options.linesSkipped },
    denied: {
      unauthenticated,
      unavailable,
      byIdentity: topCounts(deniedByIdentity, options.top),
      byTarget: topCounts(deniedByTarget, options.top),
    },
    exceptions: [...exceptions]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, e]) => ({
        id,
        uses: e.uses,
        firstUse: iso(e.first),
        lastUse: iso(e.last),
        ageSeconds: now !== undefined && e.notBefore !== undefined ? seconds(now - e.notBefore) : null,
        secondsLeft: now !== undefined && e.notAfter !== undefined ? seconds(e.notAfter - now) : null,
      })),
    credentialLifetimes: [...lifetimes]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([kind, values]) => ({
        kind,
        count: values.length,
        medianSeconds: median(values),
        maxSeconds: values.reduce((max, v) => Math.max(v, max), -Infinity),
      })),
    newCallPaths: {
      baseline: options.baseline ? "file" : "first half of the window",
      splitAt: iso(splitAt),
      baselineDecisions: baseline.length,
      paths: topCounts(fresh, options.top),
    },
  };
}
