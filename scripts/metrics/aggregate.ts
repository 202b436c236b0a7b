// The lateral-movement figures from decision-log records, pure: denied attempts by identity and target,
// the exceptions in use and their age, how long the credentials seen were issued for, and call paths
// (identity -> route) that had never been seen before. Lines from before a field existed (no `time`,
// `host`, `credential`, `exception`...) count where they can and drop out of the figures that need it.
import type { SsfMetrics } from "./ssf.ts";
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

/**
 * `count`: the decisions that carried such a credential; `credentials`: the distinct credentials among them, which
 * the median and maximum are taken over (a workload calling a thousand times counts its certificate once).
 */
export interface Lifetimes {
  kind: string;
  count: number;
  credentials: number;
  medianSeconds: number;
  maxSeconds: number;
}

/** The lifetimes of the credentials of one issuer (`null`: none logged, as for certificates). */
export interface IssuerLifetimes extends Lifetimes {
  issuer: string | null;
}

/** The lifetimes of the credential behind one identity's decisions. */
export interface IdentityLifetimes {
  identity: string;
  count: number;
  credentials: number;
  medianSeconds: number;
  maxSeconds: number;
}

export type BaselineSource = "file" | "first half of the window";

export interface Metrics {
  window: { from: string | null; to: string | null; now: string | null };
  totals: {
    decisions: number;
    allowed: number;
    denied: number;
    auditWouldDeny: number;
    linesSkipped: number;
    /** Decisions read again under a request id already read (the same line twice): counted once. */
    duplicatesDropped: number;
  };
  /** `unavailable`: refused because a store could not be read (an outage, not anyone probing). */
  denied: { unauthenticated: number; unavailable: number; byIdentity: Count[]; byTarget: Count[] };
  exceptions: ExceptionSeen[];
  credentialLifetimes: Lifetimes[];
  /** The mission's "credential lifetime" per issuer (and kind) and per identity: the median TTL as issued. */
  credentialLifetimesByIssuer: IssuerLifetimes[];
  /** The identities with the most decisions carrying a credential, first (at most `top`). */
  credentialLifetimesByIdentity: IdentityLifetimes[];
  newCallPaths: {
    baseline: BaselineSource;
    splitAt: string | null;
    baselineDecisions: number;
    /** The --baseline log's decisions read twice (0 without one: the window's are in totals). */
    baselineDuplicatesDropped: number;
    /**
     * null when the baseline holds no decisions (one line, every line at one instant, an empty --baseline
     * log): against nothing every allowed path would look new, which says nothing.
     */
    paths: Count[] | null;
  };
  /** Security events (scripts/metrics/ssf.ts), where the logs carry them. */
  ssf?: SsfMetrics;
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
  /** How many of the baseline log's decisions were dropped as read twice. */
  baselineDuplicatesDropped?: number;
  linesSkipped: number;
  /** How many decisions were dropped as read twice (parse.ts keeps the first of a request id); default 0. */
  duplicatesDropped?: number;
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

/** The decisions inside [since, until); without either bound every line counts, one without a time too. */
function inWindow(all: readonly DecisionLine[], options: MetricsOptions): readonly DecisionLine[] {
  if (options.since === undefined && options.until === undefined) return all;
  return all.filter((r) => {
    const t = timeOf(r);
    if (t === undefined) return false;
    return (options.since === undefined || t >= options.since) && (options.until === undefined || t < options.until);
  });
}

/** The earliest and latest time among the decisions (undefined when none has a time). */
function timeRange(records: readonly DecisionLine[]): { from?: number; to?: number } {
  // Loops rather than Math.min(...times): a day of traffic is more arguments than the stack holds.
  let from: number | undefined;
  let to: number | undefined;
  for (const r of records) {
    const t = timeOf(r);
    if (t === undefined) continue;
    if (from === undefined || t < from) from = t;
    if (to === undefined || t > to) to = t;
  }
  return { from, to };
}

interface ExceptionUse {
  uses: number;
  first?: number;
  last?: number;
  notBefore?: number;
  notAfter?: number;
}

/** What one pass over the window counts; the figures are built from it afterwards. */
interface Tally {
  allowed: number;
  denied: number;
  auditWouldDeny: number;
  unauthenticated: number;
  unavailable: number;
  deniedByIdentity: Map<string, number>;
  deniedByTarget: Map<string, number>;
  exceptions: Map<string, ExceptionUse>;
  lifetimes: Map<string, LifetimeTally>;
  /** By "kind\nissuer" (issuer empty when none was logged). */
  lifetimesByIssuer: Map<string, LifetimeTally>;
  /** The credential behind the principal, by principal. */
  lifetimesByIdentity: Map<string, LifetimeTally>;
}

/** The decisions of one group that carried a credential, and the lifetime of each distinct credential. */
interface LifetimeTally {
  requests: number;
  lifetimes: number[];
  seen: Set<string>;
}

/**
 * Sorts a deny into one bucket: refusals of nobody in particular and outages are counted apart, so that
 * the ranked lists show identities trying targets they may not reach.
 */
function countDeny(tally: Tally, r: DecisionLine): void {
  const principal = principalOf(r);
  tally.denied++;
  // Scanners and expired sessions: a 401 to nobody in particular is not a workload probing routes.
  // 401, or the 302 a browser without a session gets to the sign-in: nobody in particular.
  if (principal === "anonymous" && (r.status === 401 || r.reasons.includes("unauthenticated"))) tally.unauthenticated++;
  // The gateway could not read its policy or denylist, or failed: every caller was refused alike.
  else if (r.reasons.some((reason) => reason.endsWith("-unavailable") || reason === "internal-error"))
    tally.unavailable++;
  else {
    bump(tally.deniedByIdentity, principal);
    bump(tally.deniedByTarget, targetOf(r));
  }
}

/** Uses of an exception, when they happened, and its window as the log states it. */
function noteException(exceptions: Map<string, ExceptionUse>, r: DecisionLine): void {
  const exception = r.exception;
  if (!exception?.id) return;
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

type LoggedCredential = NonNullable<DecisionLine["credential"]>;

/**
 * Which credential a line's is, as far as the log tells: its kind, issuer, lifetime and the second it expires
 * (the request's second plus what it had left), with the principal it named. Undefined for lines written before
 * `remainingSeconds` was logged, or without a time: each such decision then counts as a credential of its own.
 */
function credentialId(r: DecisionLine, credential: LoggedCredential): string | undefined {
  const left = credential.remainingSeconds;
  if (left === undefined) return undefined;
  const t = timeOf(r);
  if (t === undefined) return undefined;
  const expires = Math.floor(t / 1000) + left;
  // JSON, not a join on some separator: a logged value may hold any character.
  return JSON.stringify([
    principalOf(r),
    credential.kind,
    credential.issuer ?? null,
    credential.lifetimeSeconds,
    expires,
  ]);
}

/**
 * `requests` counts each decision once per key (`counted`: the keys this decision was counted under already), so
 * two credentials of one kind in one request are one request, as the figure says.
 */
function noteLifetime(
  map: Map<string, LifetimeTally>,
  key: string,
  credential: LoggedCredential,
  id: string | undefined,
  counted: Set<string>,
): void {
  let tally = map.get(key);
  if (!tally) map.set(key, (tally = { requests: 0, lifetimes: [], seen: new Set() }));
  if (!counted.has(key)) {
    counted.add(key);
    tally.requests++;
  }
  if (id !== undefined) {
    if (tally.seen.has(id)) return;
    tally.seen.add(id);
  }
  tally.lifetimes.push(credential.lifetimeSeconds);
}

/** The lifetimes of the credentials a decision saw, by kind and by issuer, and the principal's by identity. */
function noteCredentials(tally: Tally, r: DecisionLine): void {
  // The contract logs one `credential`; a request can verify two (a certificate and an Access token),
  // so a `credentials` list is read too should the Worker log them all.
  // Such a list holds the credential behind the principal too: one logged in both (or twice in the list) is one
  // credential, whose lifetime counts once (from a generated review: requests and credentials were counted twice).
  let behind: string | undefined;
  const logged = new Set<string>();
  const byKind = new Set<string>();
  const byIssuer = new Set<string>();
  for (const credential of [r.credential, ...(r.credentials ?? [])]) {
    if (!credential?.kind) continue;
    const same = JSON.stringify(credential);
    if (logged.has(same)) continue;
    logged.add(same);
    const id = credentialId(r, credential);
    if (credential === r.credential) behind = id;
    noteLifetime(tally.lifetimes, credential.kind, credential, id, byKind);
    const issuer = JSON.stringify([credential.kind, credential.issuer ?? null]);
    noteLifetime(tally.lifetimesByIssuer, issuer, credential, id, byIssuer);
  }
  // The logged `credential` is the one behind the principal: that identity's lifetime.
  if (r.credential?.kind && r.principal)
    noteLifetime(tally.lifetimesByIdentity, r.principal, r.credential, behind, new Set());
}

/** One pass over the window (a day of traffic is many lines): every count at once. */
function tallyDecisions(records: readonly DecisionLine[]): Tally {
  const tally: Tally = {
    allowed: 0,
    denied: 0,
    auditWouldDeny: 0,
    unauthenticated: 0,
    unavailable: 0,
    deniedByIdentity: new Map(),
    deniedByTarget: new Map(),
    exceptions: new Map(),
    lifetimes: new Map(),
    lifetimesByIssuer: new Map(),
    lifetimesByIdentity: new Map(),
  };
  for (const r of records) {
    if (r.effect === "allow") tally.allowed++;
    else if (r.effect === "deny") countDeny(tally, r);
    // A service in audit mode, or a deny rule on trial (mode: audit on the rule) in any service.
    if (r.wouldDeny) tally.auditWouldDeny++;
    noteException(tally.exceptions, r);
    noteCredentials(tally, r);
  }
  return tally;
}

/**
 * New call paths: allowed identity -> route pairs that the baseline never had. With a baseline log the
 * whole window is compared with it; without one the window is split at the midpoint of its time range,
 * and decisions without a time are left out (they belong to neither half).
 */
function newCallPaths(
  records: readonly DecisionLine[],
  range: { from?: number; to?: number },
  baselineLog: readonly DecisionLine[] | undefined,
): { baseline: readonly DecisionLine[]; splitAt?: number; fresh: Map<string, number> } {
  let baseline: readonly DecisionLine[];
  let compared: readonly DecisionLine[];
  let splitAt: number | undefined;
  if (baselineLog) {
    baseline = baselineLog;
    compared = records;
  } else {
    const { from, to } = range;
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
  return { baseline, splitAt, fresh };
}

const iso = (t: number | undefined): string | null => (t === undefined ? null : new Date(t).toISOString());
const seconds = (ms: number): number => Math.round(ms / 1000);
const byKey = ([a]: [string, unknown], [b]: [string, unknown]): number => (a < b ? -1 : a > b ? 1 : 0);

/** The exceptions in use, by id, with their age and time left measured against `now`. */
function exceptionsSeen(exceptions: ReadonlyMap<string, ExceptionUse>, now: number | undefined): ExceptionSeen[] {
  return [...exceptions].sort(byKey).map(([id, e]) => ({
    id,
    uses: e.uses,
    firstUse: iso(e.first),
    lastUse: iso(e.last),
    ageSeconds: now !== undefined && e.notBefore !== undefined ? seconds(now - e.notBefore) : null,
    secondsLeft: now !== undefined && e.notAfter !== undefined ? seconds(e.notAfter - now) : null,
  }));
}

/** How long the credentials of each kind were issued for, by kind. */
function lifetimesByKind(lifetimes: ReadonlyMap<string, LifetimeTally>): Lifetimes[] {
  return [...lifetimes].sort(byKey).map(([kind, tally]) => ({ kind, ...figures(tally) }));
}

function figures(tally: LifetimeTally): Omit<Lifetimes, "kind"> {
  return {
    count: tally.requests,
    credentials: tally.lifetimes.length,
    medianSeconds: median(tally.lifetimes),
    maxSeconds: tally.lifetimes.reduce((max, v) => Math.max(v, max), -Infinity),
  };
}

/** Per issuer (and kind): certificates, which log no issuer, together under their kind. */
function lifetimesByIssuer(lifetimes: ReadonlyMap<string, LifetimeTally>): IssuerLifetimes[] {
  return lifetimesByKind(lifetimes).map(({ kind: key, ...rest }) => {
    const [kind, issuer] = JSON.parse(key) as [string, string | null];
    return { kind, issuer, ...rest };
  });
}

/** The `top` identities with the most decisions carrying a credential, with their credentials' lifetimes. */
function lifetimesByIdentity(lifetimes: ReadonlyMap<string, LifetimeTally>, top: number): IdentityLifetimes[] {
  const counts = new Map([...lifetimes].map(([identity, tally]) => [identity, tally.requests]));
  return topCounts(counts, top).map(({ key }) => ({ identity: key, ...figures(lifetimes.get(key)!) }));
}

export function computeMetrics(all: readonly DecisionLine[], options: MetricsOptions): Metrics {
  const records = inWindow(all, options);
  const range = timeRange(records);
  const now = options.now ?? range.to;
  const t = tallyDecisions(records);
  const paths = newCallPaths(records, range, options.baseline);
  return {
    window: { from: iso(range.from), to: iso(range.to), now: iso(now) },
    totals: {
      decisions: records.length,
      allowed: t.allowed,
      denied: t.denied,
      auditWouldDeny: t.auditWouldDeny,
      linesSkipped: options.linesSkipped,
      duplicatesDropped: options.duplicatesDropped ?? 0,
    },
    denied: {
      unauthenticated: t.unauthenticated,
      unavailable: t.unavailable,
      byIdentity: topCounts(t.deniedByIdentity, options.top),
      byTarget: topCounts(t.deniedByTarget, options.top),
    },
    exceptions: exceptionsSeen(t.exceptions, now),
    credentialLifetimes: lifetimesByKind(t.lifetimes),
    credentialLifetimesByIssuer: lifetimesByIssuer(t.lifetimesByIssuer),
    credentialLifetimesByIdentity: lifetimesByIdentity(t.lifetimesByIdentity, options.top),
    newCallPaths: {
      baseline: options.baseline ? "file" : "first half of the window",
      splitAt: iso(paths.splitAt),
      baselineDecisions: paths.baseline.length,
      baselineDuplicatesDropped: options.baselineDuplicatesDropped ?? 0,
      paths: paths.baseline.length === 0 ? null : topCounts(paths.fresh, options.top),
    },
  };
}
