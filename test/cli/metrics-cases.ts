// Generator for the `ward metrics` differential test (metrics-differential.test.ts): decision logs of many
// identities, services, routes, effects, statuses, credentials and exceptions over a two-hour window, with
// duplicate request ids (within a file, across files, against the baseline), other events, blank lines and the
// wrappers exports put a console line in (docs/operations.md "Is lateral movement shrinking? `ward metrics`").
// Each case keeps what it wrote as data (every decision read, in order, per file) for the oracle.
import { prng } from "../support/prng.ts";

export type Rng = () => number;
export type D = Record<string, any>;

export const int = (r: Rng, n: number) => Math.floor(r() * n);
export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)]!;
export const chance = (r: Rng, p: number) => r() < p;

export const T0 = Date.parse("2026-11-24T08:00:00.000Z");
const MINUTE = 60_000;

/** One line of a log file: its text, and the decisions a reader finds in it, in order. */
export interface Line {
  text: string;
  decisions: D[];
  /** a non-empty line without a decision (counted as skipped) */
  skipped: boolean;
  /** the Worker a wrapper says wrote it (none for a bare line) */
  by?: string;
}

export interface SsfLine {
  jti: string;
  issuedAt: string;
  events: string[];
  transmitter: string;
}

export interface Case {
  seed: number;
  /** how each file is written: gzipped (a name ending in .gz), CRLF line ends, no final line break */
  form: { gz: boolean; crlf: boolean; open: boolean }[];
  files: Line[][];
  baseline: Line[] | undefined;
  ssf: SsfLine[];
  flags: { since?: string; until?: string; now?: string; top?: number; script?: string };
}

const USERS = Array.from({ length: 9 }, (_, i) => `user:u${i}@example.com`);
const WORKLOADS = ["spiffe://td/ns/ci/sa/runner", "spiffe://td/ns/pay/sa/api", "spiffe://td/ns/web/sa/front"];
const TOKENS = ["token:CLIENT1", "token:CLIENT2"];
const PRINCIPALS = [...USERS, ...WORKLOADS, ...TOKENS, "workload:spiffe://td/ns/ci/sa/runner+user:u1@example.com"];
const SERVICES = ["wiki", "payments", "orders", "grafana"];
const ROUTES = ["read", "edit", "admin", "list"];
const ISSUERS = ["https://team.cloudflareaccess.com", "https://idp.example.com", "https://ci.example.com"];
const DENY_REASONS = ["no-matching-rule", "missing-scope", "denied-by-rule", "not-in-group", "revoked"];

/** An ISO 8601 instant as a log may hold it: Ward's own form, and others the format allows. */
function isoVariant(r: Rng, ms: number): string {
  const iso = new Date(ms).toISOString();
  const k = int(r, 10);
  if (k === 0 && ms % 1000 === 0) return iso.replace(".000Z", "Z");
  if (k === 1) {
    const shifted = new Date(ms + 3_600_000).toISOString().replace("Z", "+01:00");
    return shifted;
  }
  return iso;
}

/** Instants on a minute grid (many ties), some with milliseconds; or, in a tight log, a few instants a millisecond or
 * two apart (the midpoint of the window then falls between milliseconds). */
let tight: number[] | undefined;
function instant(r: Rng): number {
  if (tight) return pick(r, tight);
  const base = T0 + int(r, 121) * MINUTE;
  return chance(r, 0.25) ? base + pick(r, [1, 400, 500, 999]) : base;
}

interface Credential {
  kind: string;
  issuer?: string;
  lifetimeSeconds: number;
  expSecond: number;
  principal: string;
}

interface Exception {
  id: string;
  kind: string;
  notBefore?: string;
  notAfter?: string;
}

function credentialsFor(r: Rng, principal: string): Credential[] {
  const n = 1 + int(r, 3);
  const out: Credential[] = [];
  for (let i = 0; i < n; i++) {
    const workload = principal.startsWith("spiffe://") || principal.startsWith("workload:");
    const kind = workload ? pick(r, ["client-certificate", "workload-token"]) : "access-jwt";
    const lifetimeSeconds = pick(r, [300, 600, 900, 3600, 7200, 28_800, 86_400, 604_800]);
    const expSecond = Math.floor(T0 / 1000) + int(r, 4 * 3600) + pick(r, [0, lifetimeSeconds]);
    out.push({
      kind,
      ...(kind === "client-certificate" ? {} : chance(r, 0.9) ? { issuer: pick(r, ISSUERS) } : {}),
      lifetimeSeconds,
      expSecond,
      principal,
    });
  }
  return out;
}

function exceptions(r: Rng): Exception[] {
  return Array.from({ length: 1 + int(r, 5) }, (_, i) => {
    const nb = T0 - int(r, 10 * 86_400) * 1000 - pick(r, [0, 0, 500]);
    const na = T0 + int(r, 4 * 3600) * 1000 - 3600_000;
    return {
      id: `exc-${i}`,
      kind: pick(r, ["exception", "break-glass"]),
      ...(chance(r, 0.85) ? { notBefore: isoVariant(r, nb) } : {}),
      ...(chance(r, 0.85) ? { notAfter: isoVariant(r, na) } : {}),
    };
  });
}

interface World {
  creds: Map<string, Credential[]>;
  exceptions: Exception[];
  ssf: SsfLine[];
}

function decision(r: Rng, w: World, requestId: string): D {
  const t = instant(r);
  const principal = pick(r, PRINCIPALS);
  const service = pick(r, SERVICES);
  const route = `${service}/${pick(r, ROUTES)}`;
  const d: D = {
    level: "info",
    event: "decision",
    time: isoVariant(r, t),
    requestId,
    principal,
    method: pick(r, ["GET", "POST", "DELETE"]),
    host: `${service}.example.com`,
    path: pick(r, ["/", "/a", "/internal/keys", "/x/y"]),
    service,
    route,
    rule: `${route}/r${int(r, 3)}`,
    mode: "enforce",
    reasons: [],
    wouldDeny: null,
    trace: undefined,
    status: 200,
    policyVersion: "a".repeat(64),
    latencyMs: int(r, 50),
    credential: null,
    exception: null,
  };
  delete d.trace;
  const k = int(r, 20);
  if (k < 9) {
    d.effect = "allow";
    d.reasons = ["allowed-by-rule"];
    d.status = pick(r, [200, 200, 201, 404, 502]);
    if (chance(r, 0.15)) {
      d.mode = "audit";
      d.reasons = ["no-matching-rule", "audit-would-deny"];
      d.wouldDeny = { status: 403, reasons: ["no-matching-rule"] };
    } else if (chance(r, 0.06)) {
      d.reasons = ["allowed-by-rule", "audit-would-deny"];
      d.wouldDeny = { status: 404, reasons: ["denied-by-rule"], rule: `${route}/trial` };
    }
    if (chance(r, 0.15)) {
      const e = pick(r, w.exceptions);
      d.reasons = [e.kind === "break-glass" ? "allowed-by-break-glass" : "allowed-by-exception"];
      d.rule = null;
      d.exception = { ...e };
    }
  } else if (k < 14 && chance(r, 0.2)) {
    // a bad request: refused before anyone was identified, no route
    for (const f of ["principal", "service", "route", "rule", "wouldDeny", "credential"]) delete d[f];
    delete d.exception;
    d.service = null;
    d.route = null;
    d.rule = null;
    d.effect = "deny";
    d.reasons = ["bad-request"];
    d.problem = pick(r, ["path-dot-segment", "query-method-override"]);
    d.status = 400;
    return d;
  } else if (k < 15) {
    d.effect = "deny";
    d.reasons = [pick(r, DENY_REASONS)];
    d.status = pick(r, [403, 403, 404]);
    if (chance(r, 0.3)) {
      d.route = null;
      d.rule = null;
    }
    const s = w.ssf.length > 0 ? pick(r, w.ssf) : undefined;
    if (d.reasons[0] === "revoked" && s && Date.parse(s.issuedAt) <= t && chance(r, 0.7)) {
      d.listedBy = { entry: `e-${s.jti}`, jti: s.jti, transmitter: s.transmitter };
    }
  } else if (k < 17) {
    d.effect = "deny";
    d.principal = "anonymous";
    d.route = chance(r, 0.8) ? route : null;
    if (chance(r, 0.5)) {
      d.reasons = ["unauthenticated"];
      d.status = pick(r, [401, 302]);
    } else if (chance(r, 0.3)) {
      d.reasons = [pick(r, ["no-matching-rule", "missing-scope"])];
      d.status = pick(r, [401, 302]);
    } else {
      d.reasons = ["no-matching-rule"];
      d.status = 403;
    }
  } else if (k < 18) {
    // an answer without a decision: no principal, service, route (docs: "The decision log")
    const reason = pick(r, ["policy-unavailable", "denylist-unavailable", "internal-error"]);
    if (reason === "denylist-unavailable" && chance(r, 0.5)) {
      // the caller was identified before the denylist was found unreadable
      d.effect = "deny";
      d.reasons = [reason];
      d.status = 503;
      d.level = "error";
      return d;
    }
    for (const f of ["principal", "service", "route", "rule", "mode", "wouldDeny", "policyVersion", "credential"])
      delete d[f];
    delete d.exception;
    d.effect = "deny";
    d.reasons = [reason];
    d.status = reason === "internal-error" ? 500 : 503;
    d.level = "error";
    if (reason === "internal-error") d.error = "boom";
    return d;
  } else {
    // Ward's own paths: not decisions of the policy
    for (const f of ["service", "route", "rule", "mode", "wouldDeny", "policyVersion", "credential"]) delete d[f];
    delete d.exception;
    d.effect = null;
    d.reasons = [pick(r, ["ward-portal", "ward-admin", "ward-key-set", "ward-ssf"])];
    d.status = pick(r, [200, 401, 403]);
    if (chance(r, 0.5)) delete d.principal;
    return d;
  }
  if (d.principal !== "anonymous" && chance(r, 0.6)) {
    const c = pick(r, w.creds.get(d.principal)!);
    const cred: D = { kind: c.kind, lifetimeSeconds: c.lifetimeSeconds };
    if (chance(r, 0.92)) cred.remainingSeconds = c.expSecond - Math.floor(t / 1000);
    if (c.issuer !== undefined) cred.issuer = c.issuer;
    d.credential = cred;
    if (chance(r, 0.08)) {
      // a Worker that logs every credential of a request (docs: "A `credentials` list ... is read too"): the one
      // behind the principal, and maybe another it verified
      const other = pick(r, w.creds.get(pick(r, PRINCIPALS))!);
      const second: D = { kind: other.kind, lifetimeSeconds: other.lifetimeSeconds };
      if (other.issuer !== undefined) second.issuer = other.issuer;
      second.remainingSeconds = other.expSecond - Math.floor(t / 1000);
      d.credentials = chance(r, 0.5) ? [cred] : [cred, second];
    }
  }
  if (d.status >= 500) d.level = "error";
  // lines of a Ward from before a field existed
  if (chance(r, 0.04)) delete d.time;
  if (chance(r, 0.03)) {
    delete d.host;
    delete d.method;
    delete d.path;
  }
  if (chance(r, 0.03)) delete d.credential;
  if (chance(r, 0.03)) delete d.exception;
  return d;
}

/** A decision as an export carries it (docs: the wrappers `ward metrics` unpacks), and the Worker the wrapper names
 * (undefined: none, as a bare line). */
function wrapped(r: Rng, d: D, script = pick(r, ["ward", "ward", "ward", "other"])): { text: string; by?: string } {
  const t = JSON.stringify(d);
  switch (int(r, 8)) {
    case 0:
      return { text: JSON.stringify({ ScriptName: script, Logs: [{ Level: "log", Message: [t] }] }), by: script };
    case 1:
      return {
        text: JSON.stringify({ source: d, $metadata: { message: t }, $workers: { scriptName: script } }),
        by: script,
      };
    case 2:
      return { text: JSON.stringify({ source: d, $metadata: { message: t, service: script } }), by: script };
    case 3:
      return { text: JSON.stringify({ scriptName: script, logs: [{ level: "log", message: [t] }] }), by: script };
    case 4:
      return { text: JSON.stringify({ message: t }) };
    case 5:
      return { text: JSON.stringify({ Message: [t] }) };
    default:
      return { text: t };
  }
}

const OTHER = [
  () => JSON.stringify({ level: "warn", event: "access-token-rejected", requestId: "x", problem: "expired" }),
  () => JSON.stringify({ level: "info", event: "policy-loaded", version: "a".repeat(64) }),
  () => "plain text from somewhere",
  () => '{"level":"info","event":"decision","time":"2026-11-24T08:00:00.000Z"',
  () =>
    JSON.stringify({ level: "info", event: "decision", requestId: "bad", effect: "deny", reasons: [], status: "403" }),
  () => JSON.stringify({ ScriptName: "ward", Logs: [{ Message: ["hello"] }] }),
];

function ssfLine(s: SsfLine): string {
  return JSON.stringify({
    level: "info",
    event: "ssf-event",
    time: new Date(Date.parse(s.issuedAt) + 1000).toISOString(),
    requestId: `ssf-${s.jti}`,
    transmitter: s.transmitter,
    status: 202,
    outcome: "applied",
    jti: s.jti,
    issuedAt: s.issuedAt,
    events: s.events,
  });
}

function file(r: Rng, w: World, seed: number, tag: string, n: number, earlier: D[], ssf: SsfLine[]): Line[] {
  const lines: Line[] = [];
  for (const s of ssf)
    lines.push({
      text: JSON.stringify({ ScriptName: "ward", Logs: [{ Message: [ssfLine(s)] }] }),
      decisions: [],
      skipped: true,
    });
  for (let i = 0; i < n; i++) {
    const k = int(r, 20);
    if (k < 13 || earlier.length === 0) {
      const d = decision(r, w, `${tag}-${seed}-${i}`);
      earlier.push(d);
      lines.push({ ...wrapped(r, d), decisions: [d], skipped: false });
    } else if (k < 15) {
      // the same decision read again (a log named twice, overlapping exports), maybe in another wrapper
      const d = pick(r, earlier);
      lines.push({ ...wrapped(r, d), decisions: [d], skipped: false });
    } else if (k < 16) {
      // a line of a later copy that differs (an edited log): the first read is kept
      const first = pick(r, earlier);
      const d: D = { ...first, status: 418, effect: first.effect === "allow" ? "deny" : "allow" };
      d.reasons = d.effect === "allow" ? ["allowed-by-rule"] : ["no-matching-rule"];
      delete d.listedBy;
      if (chance(r, 0.5)) d.time = new Date(instant(r)).toISOString();
      lines.push({ ...wrapped(r, d), decisions: [d], skipped: false });
    } else if (k < 17) {
      // two requests in one Logpush record
      // two requests in one Logpush record (one maybe read before), or a console call of two arguments (not read)
      const a = chance(r, 0.3) ? pick(r, earlier) : decision(r, w, `${tag}-${seed}-${i}-a`);
      const b = decision(r, w, `${tag}-${seed}-${i}-b`);
      earlier.push(a, b);
      if (chance(r, 0.8))
        lines.push({
          text: JSON.stringify({
            ScriptName: "ward",
            Logs: [{ Message: [JSON.stringify(a)] }, { Message: [JSON.stringify(b)] }],
          }),
          decisions: [a, b],
          skipped: false,
          by: "ward",
        });
      else
        lines.push({
          text: JSON.stringify({ scriptName: "ward", logs: [{ message: [JSON.stringify(b), "and more"] }] }),
          decisions: [],
          skipped: true,
          by: "ward",
        });
    } else if (k < 19) {
      lines.push({ text: pick(r, OTHER)(), decisions: [], skipped: true });
    } else {
      lines.push({ text: pick(r, ["", "   ", "\r"]), decisions: [], skipped: false });
    }
  }
  // shuffle lightly: logs are not in time order
  for (let i = lines.length - 1; i > 0; i--) {
    if (!chance(r, 0.3)) continue;
    const j = int(r, i + 1);
    [lines[i], lines[j]] = [lines[j]!, lines[i]!];
  }
  return lines;
}

const instantFlag = (r: Rng) => {
  const ms = T0 + int(r, 121) * MINUTE + (chance(r, 0.2) ? pick(r, [1, 500, 999]) : 0);
  const iso = new Date(ms).toISOString();
  return chance(r, 0.3) ? new Date(ms + 3_600_000).toISOString().replace("Z", "+01:00") : iso;
};

export function makeCase(seed: number): Case {
  const r = prng(seed);
  const creds = new Map<string, Credential[]>();
  for (const p of PRINCIPALS) creds.set(p, credentialsFor(r, p));
  const ssf: SsfLine[] = chance(r, 0.5)
    ? Array.from({ length: 1 + int(r, 4) }, (_, i) => ({
        jti: `set-${seed}-${i}`,
        issuedAt: new Date(T0 + int(r, 60) * MINUTE + pick(r, [0, 0, 250])).toISOString(),
        events: [pick(r, ["account-disabled", "credential-compromise"])],
        transmitter: "idp",
      }))
    : [];
  const w: World = { creds, exceptions: exceptions(r), ssf };
  tight = chance(r, 0.12)
    ? pick(r, [[T0], [T0, T0 + 1], [T0, T0 + 3], [T0, T0 + 1, T0 + 2], [T0 + 999, T0 + 1000], [T0, T0 + MINUTE + 1]])
    : undefined;
  const earlier: D[] = [];
  const nFiles = 1 + int(r, 3);
  const files: Line[][] = [];
  for (let f = 0; f < nFiles; f++) files.push(file(r, w, seed, `f${f}`, 40 + int(r, 80), earlier, f === 0 ? ssf : []));
  let baseline: Line[] | undefined;
  if (chance(r, 0.4)) {
    // a baseline log, sharing some request ids with the window (overlapping exports) or none
    const own: D[] = chance(r, 0.5) ? [...earlier] : [];
    baseline = chance(r, 0.1) ? [] : file(r, w, seed, "b", 20 + int(r, 60), own, []);
  }
  const flags: Case["flags"] = {};
  if (chance(r, 0.35)) flags.since = instantFlag(r);
  if (chance(r, 0.35)) flags.until = instantFlag(r);
  if (chance(r, 0.05)) flags.since = "2026-11-24"; // a date alone: midnight UTC
  if (chance(r, 0.08)) {
    // a narrow window: one minute, or one millisecond
    const at = T0 + int(r, 121) * MINUTE;
    flags.since = new Date(at).toISOString();
    flags.until = new Date(at + pick(r, [1, MINUTE, MINUTE + 1])).toISOString();
  }
  if (flags.since && flags.until && Date.parse(flags.since) >= Date.parse(flags.until)) delete flags.until;
  if (chance(r, 0.3)) flags.now = instantFlag(r);
  if (chance(r, 0.2)) flags.script = "ward";
  if (chance(r, 0.7)) flags.top = pick(r, [1, 2, 3, 5, 8]);
  const form = [...files, baseline ?? []].map(() => ({
    gz: chance(r, 0.2),
    crlf: chance(r, 0.2),
    open: chance(r, 0.2),
  }));
  return { seed, form, files, baseline, ssf, flags };
}
