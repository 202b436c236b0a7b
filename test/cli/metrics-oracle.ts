// Oracle for the `ward metrics` differential test, written from docs/operations.md ("The decision log, one line per
// request" and "Is lateral movement shrinking? `ward metrics`") and docs/ssf.md ("Counting"), not from
// scripts/metrics/. It takes the decisions as the generator wrote them, in reading order, and the flags.
import type { Case, D, Line } from "./metrics-cases.ts";

export interface Count {
  key: string;
  count: number;
}

export interface Lifetime {
  count: number;
  credentials: number;
  medianSeconds: number;
  maxSeconds: number;
}

const timeOf = (d: D): number | undefined => (typeof d.time === "string" ? Date.parse(d.time) : undefined);
const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());

/** Counts per key, highest first, ties by name, the first `top`. */
function ranked(m: Map<string, number>, top: number): Count[] {
  return [...m]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .slice(0, top);
}

const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Read files in order: the first read of a request id is kept, later reads are duplicates. */
export function read(files: Line[][], script?: string): { kept: D[]; skipped: number; duplicates: number } {
  const seen = new Set<string>();
  const kept: D[] = [];
  let skipped = 0;
  let duplicates = 0;
  for (const f of files)
    for (const line of f) {
      if (line.skipped) skipped++;
      else if (script !== undefined && line.by !== script && line.decisions.length > 0) {
        // --script: only lines a wrapper says that Worker wrote; a bare line names none
        skipped++;
        continue;
      }
      for (const d of line.decisions) {
        if (seen.has(d.requestId)) duplicates++;
        else {
          seen.add(d.requestId);
          kept.push(d);
        }
      }
    }
  return { kept, skipped, duplicates };
}

interface Group {
  requests: number;
  creds: Map<string, number>;
  own: number[];
}

/** One credential `c` of request `d` under `key`; `counted`: the groups this request was already counted in. */
function note(groups: Map<string, Group>, key: string, d: D, c: D, counted: Set<Group>) {
  let g = groups.get(key);
  if (!g) groups.set(key, (g = { requests: 0, creds: new Map(), own: [] }));
  // a request is one request however many of its credentials fall under the key
  if (!counted.has(g)) {
    counted.add(g);
    g.requests++;
  }
  const t = timeOf(d);
  // a credential is known by kind, issuer, lifetime, principal and the second it expires (time + remaining)
  if (typeof c.remainingSeconds !== "number" || t === undefined) g.own.push(c.lifetimeSeconds);
  else {
    const id = JSON.stringify([
      d.principal,
      c.kind,
      c.issuer ?? null,
      c.lifetimeSeconds,
      Math.floor(t / 1000) + c.remainingSeconds,
    ]);
    if (!g.creds.has(id)) g.creds.set(id, c.lifetimeSeconds);
  }
}

function lifetime(g: Group): Lifetime {
  const all = [...g.creds.values(), ...g.own];
  return { count: g.requests, credentials: all.length, medianSeconds: median(all), maxSeconds: Math.max(...all) };
}

/** The same credential logged twice in one line (as `credential` and in `credentials`). */
const sameCredential = (a: D | undefined, b: D) =>
  a !== undefined &&
  a !== null &&
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

const allowedPath = (d: D) =>
  d.effect === "allow" && typeof d.route === "string" ? `${d.principal ?? "anonymous"} -> ${d.route}` : undefined;

export function oracle(c: Case) {
  const top = c.flags.top ?? 10;
  const since = c.flags.since ? Date.parse(c.flags.since) : undefined;
  const until = c.flags.until ? Date.parse(c.flags.until) : undefined;
  const all = read(c.files, c.flags.script);
  const kept = all.kept.filter((d) => {
    if (since === undefined && until === undefined) return true;
    const t = timeOf(d);
    if (t === undefined) return false;
    return (since === undefined || since <= t) && (until === undefined || t < until);
  });
  const times = kept.map(timeOf).filter((t): t is number => t !== undefined);
  const from = times.length ? Math.min(...times) : undefined;
  const to = times.length ? Math.max(...times) : undefined;
  const now = c.flags.now ? Date.parse(c.flags.now) : to;

  let allowed = 0;
  let denied = 0;
  let audit = 0;
  let unauthenticated = 0;
  let unavailable = 0;
  const byIdentity = new Map<string, number>();
  const byTarget = new Map<string, number>();
  const kinds = new Map<string, Group>();
  const issuers = new Map<string, Group>();
  const identities = new Map<string, Group>();
  const exc = new Map<string, { e: D; uses: number; first?: number; last?: number }>();
  for (const d of kept) {
    if (d.effect === "allow") allowed++;
    if (d.wouldDeny) audit++;
    if (d.effect === "deny") {
      denied++;
      const principal = d.principal ?? "anonymous";
      const reasons: string[] = d.reasons;
      if (principal === "anonymous" && (d.status === 401 || (d.status === 302 && reasons.includes("unauthenticated"))))
        unauthenticated++;
      else if (reasons.some((x) => ["policy-unavailable", "denylist-unavailable", "internal-error"].includes(x)))
        unavailable++;
      else {
        bump(byIdentity, principal);
        bump(
          byTarget,
          typeof d.route === "string"
            ? d.route
            : typeof d.host === "string"
              ? `${d.host}${d.path ?? ""} (no route)`
              : `${d.service} (no route)`,
        );
      }
    }
    // every credential of the request: the logged `credential`, and a `credentials` list should the Worker log one
    const counted = new Set<Group>();
    const seen: D[] = [];
    for (const cr of [d.credential, ...(d.credentials ?? [])]) {
      if (!cr || seen.some((x) => sameCredential(x, cr))) continue;
      seen.push(cr);
      note(kinds, cr.kind, d, cr, counted);
      note(issuers, JSON.stringify([cr.kind, cr.issuer ?? null]), d, cr, counted);
    }
    // by identity: the credential behind the principal
    if (d.credential && typeof d.principal === "string") note(identities, d.principal, d, d.credential, new Set());
    if (d.exception) {
      let x = exc.get(d.exception.id);
      if (!x) exc.set(d.exception.id, (x = { e: d.exception, uses: 0 }));
      x.uses++;
      const t = timeOf(d);
      if (t !== undefined) {
        x.first = x.first === undefined ? t : Math.min(x.first, t);
        x.last = x.last === undefined ? t : Math.max(x.last, t);
      }
    }
  }

  // new call paths
  let baselineDecisions: number;
  let baselineDuplicatesDropped = 0;
  let splitAt: number | undefined;
  const before = new Set<string>();
  let compared: D[];
  if (c.baseline) {
    const b = read([c.baseline], c.flags.script);
    baselineDecisions = b.kept.length;
    baselineDuplicatesDropped = b.duplicates;
    for (const d of b.kept) {
      const p = allowedPath(d);
      if (p) before.add(p);
    }
    compared = kept;
  } else {
    splitAt = from !== undefined && to !== undefined ? from + (to - from) / 2 : undefined;
    const timed = kept.filter((d) => timeOf(d) !== undefined);
    const first = splitAt === undefined ? [] : timed.filter((d) => timeOf(d)! < splitAt!);
    baselineDecisions = first.length;
    for (const d of first) {
      const p = allowedPath(d);
      if (p) before.add(p);
    }
    compared = splitAt === undefined ? [] : timed.filter((d) => timeOf(d)! >= splitAt!);
  }
  const fresh = new Map<string, number>();
  for (const d of compared) {
    const p = allowedPath(d);
    if (p && !before.has(p)) bump(fresh, p);
  }

  const lifetimes = (m: Map<string, Group>) => new Map([...m].map(([k, g]) => [k, lifetime(g)]));
  const ident = [...identities]
    .sort((a, b) => b[1].requests - a[1].requests || (a[0] < b[0] ? -1 : 1))
    .slice(0, top)
    .map(([identity, g]) => ({ identity, ...lifetime(g) }));
  // whole seconds (the JSON's durations are; docs/operations.md says only "in seconds")
  const sec = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? null : Math.round((a - b) / 1000);

  return {
    window: { from: iso(from), to: iso(to), now: iso(now) },
    totals: {
      decisions: kept.length,
      allowed,
      denied,
      auditWouldDeny: audit,
      linesSkipped: all.skipped,
      duplicatesDropped: all.duplicates,
    },
    denied: {
      unauthenticated,
      unavailable,
      byIdentity: ranked(byIdentity, top),
      byTarget: ranked(byTarget, top),
    },
    exceptions: new Map(
      [...exc].map(([id, x]) => [
        id,
        {
          id,
          uses: x.uses,
          firstUse: iso(x.first),
          lastUse: iso(x.last),
          ageSeconds: sec(now, x.e.notBefore === undefined ? undefined : Date.parse(x.e.notBefore)),
          secondsLeft: sec(x.e.notAfter === undefined ? undefined : Date.parse(x.e.notAfter), now),
        },
      ]),
    ),
    byKind: lifetimes(kinds),
    byIssuer: lifetimes(issuers),
    byIdentity: ident,
    newCallPaths: {
      baseline: c.baseline ? "file" : "first half of the window",
      splitAt: iso(splitAt),
      baselineDecisions,
      baselineDuplicatesDropped,
      paths: baselineDecisions === 0 ? null : ranked(fresh, top),
    },
    ssf: ssfOracle(c, kept),
  };
}

/** docs/ssf.md "Counting": the time from each refusing SET's iat to the first request refused because of it. */
function ssfOracle(c: Case, kept: D[]) {
  if (c.ssf.length === 0) return undefined;
  const seconds: number[] = [];
  for (const s of c.ssf) {
    const refusals = kept
      .filter((d) => d.effect === "deny" && d.listedBy?.jti === s.jti && timeOf(d) !== undefined)
      .map((d) => timeOf(d)!);
    if (refusals.length > 0) seconds.push((Math.min(...refusals) - Date.parse(s.issuedAt)) / 1000);
  }
  return {
    deliveries: c.ssf.length,
    refusing: c.ssf.length,
    linked: seconds.length,
    medianSeconds: seconds.length ? median(seconds) : null,
    maxSeconds: seconds.length ? Math.max(...seconds) : null,
  };
}
