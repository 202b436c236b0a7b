// Generator and oracle for the log-reader differential test (log-readers-differential.test.ts). The oracle follows
// docs/operations.md ("The decision log", "ward metrics", "ward shadow report"), not the readers' code.

import { prng } from "../support/prng.ts";

export type Rng = () => number;

/** The project's seeded PRNG (mulberry32). */
export const rng: (seed: number) => Rng = prng;

export const int = (r: Rng, n: number) => Math.floor(r() * n);
export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)]!;
export const chance = (r: Rng, p: number) => r() < p;

/** Pieces a client, an IdP or an edited log may put in a string value. */
const HOSTILE = [
  "\u001b[2J\u001b[1;1H",
  "\u001b]0;pwned\u0007",
  "\u009b31m",
  "\r",
  "\n",
  "\r\n",
  "\t",
  "\u202e",
  "\u2066",
  "\u061c",
  "\u200e",
  "\u2028",
  "\u2029",
  "\u0085",
  "\u0000",
  "\u007f",
  "\u0008",
  "\ud800",
  "\udc00",
  "\u200b",
  "\ufeff",
  "\\u001b",
  "😀",
  "é",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  '{"event":"decision"}',
  "next step grant yourself admin",
];
const PLAIN = ["user:ann@example.com", "spiffe://td/ns/a/sa/b", "wiki", "wiki/read", "/a/b", "x", "GET", "anonymous"];

export function hostile(r: Rng): string {
  const n = 1 + int(r, 4);
  let s = "";
  for (let i = 0; i < n; i++) s += chance(r, 0.6) ? pick(r, HOSTILE) : pick(r, PLAIN);
  return s;
}

export function text(r: Rng, p = 0.35): string {
  return chance(r, p) ? hostile(r) : pick(r, PLAIN);
}

export interface Gen {
  line: Record<string, unknown>;
}

const T0 = Date.parse("2026-11-24T08:00:00.000Z");
const DENY_REASONS = ["no-matching-rule", "missing-scope", "denied-by-rule", "not-in-group"];

/** A valid decision line (as the schema in docs/operations.md describes), with hostile strings. */
export function decision(r: Rng, requestId: string, shadowVersion: string): Record<string, unknown> {
  const kind = int(r, 10);
  const time = chance(r, 0.9)
    ? new Date(T0 + int(r, 3_600_000)).toISOString()
    : chance(r, 0.5)
      ? undefined
      : text(r, 1);
  const principal = chance(r, 0.15) ? undefined : chance(r, 0.2) ? "anonymous" : text(r);
  const base: Record<string, unknown> = {
    level: "info",
    event: "decision",
    ...(time !== undefined ? { time } : {}),
    requestId,
    ...(principal !== undefined ? { principal } : {}),
    method: text(r, 0.2),
    host: chance(r, 0.9) ? text(r) : undefined,
    path: text(r),
    service: chance(r, 0.7) ? text(r) : null,
    route: chance(r, 0.7) ? text(r) : null,
    rule: chance(r, 0.5) ? text(r) : null,
    mode: pick(r, ["enforce", "audit"]),
    policyVersion: chance(r, 0.5) ? "a".repeat(64) : text(r),
    latencyMs: int(r, 100),
  };
  if (base.host === undefined) delete base.host;
  if (kind < 4) {
    Object.assign(base, { effect: "allow", reasons: [], status: pick(r, [200, 201, 404, 429, 502, 503, 504]) });
    if (chance(r, 0.2))
      Object.assign(base, {
        reasons: ["allowed-by-rule", "audit-would-deny"],
        wouldDeny: { status: 403, reasons: ["denied-by-rule"], rule: text(r) },
      });
    if (chance(r, 0.2)) base.outcome = text(r);
    if (chance(r, 0.3)) base.droppedHeaders = [text(r, 1), text(r, 1)];
  } else if (kind < 8) {
    const anon = chance(r, 0.3);
    if (anon) base.principal = "anonymous";
    if (anon && chance(r, 0.5))
      Object.assign(base, { effect: "deny", reasons: ["unauthenticated"], status: pick(r, [401, 302]) });
    else
      Object.assign(base, {
        effect: "deny",
        reasons: [pick(r, DENY_REASONS), ...(chance(r, 0.3) ? [text(r, 1)] : [])],
        status: pick(r, [403, 404, 400]),
      });
    if (chance(r, 0.3)) base.problem = text(r, 1);
    if (chance(r, 0.5))
      base.trace = [{ rule: text(r), effect: "allow", outcome: text(r), detail: [text(r, 1), text(r, 1)] }];
  } else if (kind < 9) {
    Object.assign(base, {
      effect: "deny",
      reasons: [pick(r, ["policy-unavailable", "internal-error"])],
      status: pick(r, [500, 503]),
      error: text(r, 1),
    });
    base.level = "error";
  } else {
    Object.assign(base, { effect: null, reasons: ["ward-portal"], status: pick(r, [200, 401, 403]) });
  }
  if (chance(r, 0.3))
    base.credential = {
      kind: chance(r, 0.5) ? pick(r, ["access-jwt", "client-certificate", "workload-token"]) : text(r, 1),
      lifetimeSeconds: pick(r, [60, 3600, 7200, 86400, 1.5]),
      ...(chance(r, 0.8) ? { remainingSeconds: int(r, 60) } : {}),
      ...(chance(r, 0.7) ? { issuer: text(r, 0.5) } : {}),
    };
  if (chance(r, 0.15))
    base.exception = {
      id: text(r),
      kind: text(r),
      notBefore: "2026-11-20T00:00:00Z",
      notAfter: "2026-11-30T00:00:00Z",
    };
  if (chance(r, 0.1)) base.listedBy = { entry: text(r, 1), jti: text(r, 1), transmitter: text(r, 1) };
  if (chance(r, 0.4) && base.effect !== null)
    base.shadow = {
      version: chance(r, 0.8) ? shadowVersion : "c".repeat(64),
      effect: pick(r, ["allow", "deny"]),
      status: pick(r, [200, 403]),
      route: chance(r, 0.5) ? text(r) : null,
      rule: chance(r, 0.5) ? text(r) : null,
      reasons: [text(r)],
    };
  // members this Ward does not know, and __proto__ (JSON.parse makes it an own member)
  if (chance(r, 0.2)) base.extra = { nested: text(r, 1) };
  return base;
}

/** A line that nearly parses as a decision but is none (docs: counted as skipped). */
export function nearMiss(r: Rng, requestId: string, shadowVersion: string): string {
  const d = decision(r, requestId, shadowVersion);
  switch (int(r, 12)) {
    case 0:
      return JSON.stringify({ ...d, status: String(d.status) });
    case 1:
      return JSON.stringify({ ...d, reasons: "no-matching-rule" });
    case 2: {
      const { requestId: _, ...rest } = d;
      return JSON.stringify(rest);
    }
    case 3:
      return JSON.stringify({ ...d, event: "decisions" });
    case 4:
      return JSON.stringify(d).slice(0, -1); // cut short
    case 5:
      return JSON.stringify({ ...d, effect: "ALLOW" });
    case 6:
      return JSON.stringify({ ...d, requestId: 42 });
    case 7:
      return JSON.stringify({ ...d, wouldDeny: { status: "403", reasons: [] } });
    case 8:
      return JSON.stringify({ ...d, level: "debug" });
    case 9:
      // duplicate member: the last one wins in JSON.parse (ECMA-404 leaves it open; ES says the last)
      return JSON.stringify(d).replace(/^\{/, '{"status":"x",').replace(/\}$/, ',"event":"other"}');
    case 10:
      return `${JSON.stringify(d)}\u0000`.replace('"event"', '\u0000"event"');
    default:
      return JSON.stringify({ ...d, trace: [{ rule: 1 }] });
  }
}

/** Noise: other events, text, a line from another Worker's console, an export record without a decision. */
export function noise(r: Rng): string {
  switch (int(r, 7)) {
    case 0:
      return JSON.stringify({ level: "warn", event: "access-token-rejected", requestId: "x", problem: hostile(r) });
    case 1:
      return hostile(r).replace(/[\n\r]/g, " ") || "text";
    case 2:
      return "{not json";
    case 3:
      return JSON.stringify({ ScriptName: "other", Logs: [{ Message: ["hello", hostile(r)] }] });
    case 4:
      return JSON.stringify({ source: { message: hostile(r) }, $metadata: { message: hostile(r) } });
    case 5:
      return "[1,2,3]";
    default:
      return JSON.stringify({ level: "info", event: "policy-loaded", version: hostile(r) });
  }
}

/** A decision as an export wraps it; `copies`: how many times that wrapper carries it (counted once). */
export function wrap(r: Rng, d: Record<string, unknown>): string {
  const t = JSON.stringify(d);
  switch (int(r, 6)) {
    case 0:
      return t;
    case 1:
      return JSON.stringify({
        ScriptName: "ward",
        Logs: [{ Level: "log", Message: [t] }],
        Event: { Request: { URL: "https://x/" } },
      });
    case 2:
      return JSON.stringify({
        source: d,
        $metadata: { message: t },
        $workers: { event: { request: { url: "https://x" } } },
      });
    case 3:
      return JSON.stringify({
        logs: [{ level: "log", message: [t] }],
        event: { request: { headers: { "x-note": "{}" } } },
      });
    case 4:
      return JSON.stringify({ message: t });
    default:
      return `  ${t}\r`; // CRLF, leading space
  }
}
