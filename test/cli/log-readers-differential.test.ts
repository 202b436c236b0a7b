// Generated differential test of Ward's log readers (`ward metrics`, `ward why`, `ward shadow report`,
// `ward ssf delivered`): hostile log files in, the commands run through scripts/ward.ts's main with a collecting
// Io, and what they print compared with an oracle written from docs/operations.md. A failure prints its seed;
// the seed is fixed, so a run is repeatable; WARD_LOGS_SEED=<seed> tries another (WARD_LOGS_RUNS sets how many
// files). Cases and oracle: log-readers-cases.ts.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { wardLines } from "../support/ward-cli.ts";
import { chance, decision, hostile, int, nearMiss, noise, pick, rng, wrap } from "./log-readers-cases.ts";

const dir = mkdtempSync(join(tmpdir(), "ward-log-readers-gen-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What must never reach a terminal raw (scripts/io.ts, docs: controls, separators, bidi; tab aside). */
const RAW =
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|[\uD800-\uDFFF]/u;

function rawIn(lines: readonly string[]): { line: string; char: string }[] {
  const bad: { line: string; char: string }[] = [];
  for (const line of lines) {
    const m = RAW.exec(line);
    if (m) bad.push({ line: JSON.stringify(line).slice(0, 300), char: `U+${m[0].codePointAt(0)!.toString(16)}` });
  }
  return bad;
}

type D = Record<string, any>;
const SHADOW = "b".repeat(64);

interface Built {
  bytes: Buffer;
  kept: D[];
  skipped: number;
  duplicates: number;
  ssf: D[];
}

function build(seed: number, n: number): Built {
  const r = rng(seed);
  const parts: Buffer[] = [];
  const kept: D[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  let duplicates = 0;
  const ssf: D[] = [];
  const ids: string[] = [];
  const push = (s: string) => parts.push(Buffer.from(`${s}\n`, "utf8"));
  for (let i = 0; i < n; i++) {
    const k = int(r, 20);
    if (k < 10) {
      const id = ids.length > 0 && chance(r, 0.1) ? pick(r, ids) : chance(r, 0.1) ? hostile(r) : `req-${seed}-${i}`;
      ids.push(id);
      const d = decision(r, id, SHADOW);
      if (chance(r, 0.05) && typeof d.principal === "string") {
        // invalid UTF-8 inside a string value: read as U+FFFD
        const marker = `@@BAD${i}@@`;
        const withMarker = { ...d, principal: `${d.principal}${marker}` };
        const t = JSON.stringify(withMarker);
        const [a, b] = t.split(marker) as [string, string];
        parts.push(Buffer.concat([Buffer.from(a), Buffer.from([0xff, 0xfe]), Buffer.from(`${b}\n`)]));
        d.principal = `${d.principal}\ufffd\ufffd`;
      } else push(wrap(r, d));
      if (seen.has(id)) duplicates++;
      else {
        seen.add(id);
        kept.push(d);
      }
    } else if (k < 11) {
      // two decisions in one Logpush record (a multi-log invocation)
      const a = decision(r, `req-${seed}-${i}-a`, SHADOW);
      const b = decision(r, `req-${seed}-${i}-b`, SHADOW);
      push(JSON.stringify({ Logs: [{ Message: [JSON.stringify(a)] }, { Message: [JSON.stringify(b)] }] }));
      for (const d of [a, b]) {
        seen.add(String(d.requestId));
        kept.push(d);
      }
    } else if (k < 14) {
      push(nearMiss(r, `miss-${seed}-${i}`, SHADOW));
      skipped++;
    } else if (k < 17) {
      const t = noise(r);
      push(t);
      if (t.trim() !== "") skipped++;
    } else if (k < 18) {
      push(chance(r, 0.5) ? "" : "   \r");
    } else if (k < 19) {
      // a line of other bytes: NUL, invalid UTF-8
      parts.push(Buffer.concat([Buffer.from([0x00, 0xff, 0x7b, 0x22, 0xc3]), Buffer.from("\n")]));
      skipped++;
    } else {
      // an ssf-event line as the receiver writes it for a push to an unknown transmitter's address
      const line = {
        level: "warn",
        event: "ssf-event",
        time: new Date(Date.parse("2026-11-24T08:00:00Z") + int(r, 3_600_000)).toISOString(),
        requestId: `ssf-${seed}-${i}`,
        transmitter: hostile(r).slice(0, 64),
        status: 400,
        outcome: "refused",
        err: "invalid_issuer",
        problem: "unknown-transmitter",
      };
      ssf.push(line);
      push(JSON.stringify(line));
      skipped++;
    }
  }
  return { bytes: Buffer.concat(parts), kept, skipped, duplicates, ssf };
}

// ---- the oracle (docs/operations.md) ----

const principalOf = (d: D) => (typeof d.principal === "string" && d.principal !== "" ? d.principal : "anonymous");
const timeOf = (d: D): number | undefined =>
  typeof d.time === "string" && /^\d{4}-\d\d-\d\dT/.test(d.time) ? Date.parse(d.time) : undefined;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function lifetimes(groups: Map<string, { requests: number; creds: Map<string, number>; own: number[] }>) {
  const out = new Map<string, { count: number; credentials: number; medianSeconds: number; maxSeconds: number }>();
  for (const [k, g] of groups) {
    const all = [...g.creds.values(), ...g.own];
    out.set(k, {
      count: g.requests,
      credentials: all.length,
      medianSeconds: median(all),
      maxSeconds: Math.max(...all),
    });
  }
  return out;
}

function note(groups: Map<string, any>, key: string, d: D, c: D) {
  let g = groups.get(key);
  if (!g) groups.set(key, (g = { requests: 0, creds: new Map(), own: [] }));
  g.requests++;
  const t = timeOf(d);
  if (c.remainingSeconds === undefined || t === undefined) g.own.push(c.lifetimeSeconds);
  else {
    const id = JSON.stringify([
      principalOf(d),
      c.kind,
      c.issuer ?? "",
      c.lifetimeSeconds,
      Math.floor(t / 1000) + c.remainingSeconds,
    ]);
    if (!g.creds.has(id)) g.creds.set(id, c.lifetimeSeconds);
  }
}

function oracle(b: Built) {
  const byIdentity = new Map<string, number>();
  const byTarget = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  let allowed = 0;
  let denied = 0;
  let audit = 0;
  let unauth = 0;
  let unavailable = 0;
  const byKind = new Map<string, any>();
  const byIssuer = new Map<string, any>();
  for (const d of b.kept) {
    if (d.effect === "allow") allowed++;
    if (d.effect === "deny") {
      denied++;
      const p = principalOf(d);
      if (p === "anonymous" && (d.status === 401 || (d.status === 302 && d.reasons.includes("unauthenticated"))))
        unauth++;
      else if (
        d.reasons.some((x: string) => ["policy-unavailable", "denylist-unavailable", "internal-error"].includes(x))
      )
        unavailable++;
      else {
        bump(byIdentity, p);
        bump(
          byTarget,
          d.route
            ? d.route
            : d.host
              ? `${d.host}${d.path ?? ""} (no route)`
              : d.service
                ? `${d.service} (no route)`
                : "(unknown target)",
        );
      }
    }
    if (d.wouldDeny) audit++;
    if (d.credential?.kind) {
      note(byKind, d.credential.kind, d, d.credential);
      note(byIssuer, JSON.stringify([d.credential.kind, d.credential.issuer ?? null]), d, d.credential);
    }
  }
  // shadow report for SHADOW
  const ofCandidate = b.kept.filter((d) => d.shadow?.version === SHADOW);
  const newlyDenied = ofCandidate.filter((d) => d.effect === "allow" && d.shadow.effect === "deny").length;
  const newlyAllowed = ofCandidate.filter((d) => d.effect === "deny" && d.shadow.effect === "allow").length;
  // window and new call paths (no --baseline: split at the midpoint of the time range)
  const times = b.kept.map(timeOf).filter((t): t is number => t !== undefined);
  const from = times.length ? Math.min(...times) : undefined;
  const to = times.length ? Math.max(...times) : undefined;
  const split = from !== undefined && to !== undefined ? from + (to - from) / 2 : undefined;
  const pathOf = (d: D) => (d.route && d.effect === "allow" ? `${principalOf(d)} -> ${d.route}` : undefined);
  const before = new Set<string>();
  let baselineCount = 0;
  const fresh = new Map<string, number>();
  if (split !== undefined) {
    for (const d of b.kept) {
      const t = timeOf(d);
      if (t === undefined || t >= split) continue;
      baselineCount++;
      const p = pathOf(d);
      if (p) before.add(p);
    }
    for (const d of b.kept) {
      const t = timeOf(d);
      if (t === undefined || t < split) continue;
      const p = pathOf(d);
      if (p && !before.has(p)) bump(fresh, p);
    }
  }
  const trial = new Map<string, number>();
  for (const d of b.kept)
    if (d.effect === "allow" && d.reasons.includes("audit-would-deny") && d.wouldDeny?.rule)
      bump(trial, d.wouldDeny.rule);
  const exceptionUses = new Map<string, number>();
  for (const d of b.kept) if (d.exception?.id) bump(exceptionUses, d.exception.id);
  return {
    window: {
      from: from === undefined ? null : new Date(from).toISOString(),
      to: to === undefined ? null : new Date(to).toISOString(),
    },
    paths: baselineCount === 0 ? null : fresh,
    trial,
    exceptionUses,
    totals: {
      decisions: b.kept.length,
      allowed,
      denied,
      auditWouldDeny: audit,
      linesSkipped: b.skipped,
      duplicatesDropped: b.duplicates,
    },
    unauthenticated: unauth,
    unavailable,
    byIdentity,
    byTarget,
    byKind: lifetimes(byKind),
    byIssuer: lifetimes(byIssuer),
    shadow: { compared: ofCandidate.length, newlyDenied, newlyAllowed },
  };
}

const SEED = process.env.WARD_LOGS_SEED ? Number(process.env.WARD_LOGS_SEED) : 20261206;
const RUNS = Number(process.env.WARD_LOGS_RUNS ?? 20);

describe(`log readers on generated hostile logs (WARD_LOGS_SEED=${SEED})`, () => {
  for (let run = 0; run < RUNS; run++) {
    const seed = SEED + run;
    it(`seed ${seed}`, { timeout: 60_000 }, async () => {
      const b = build(seed, 300);
      const file = join(dir, `log-${seed}.jsonl`);
      writeFileSync(file, b.bytes);
      const o = oracle(b);
      const problems: string[] = [];

      // metrics, JSON: figures
      const mj = await wardLines("metrics", file, "--format", "json", "--top", "100000");
      expect(mj.status, mj.output).toBe(0);
      const m = JSON.parse(mj.out.join("\n"));
      expect(m.totals, `seed ${seed}`).toEqual(o.totals);
      expect(m.denied.unauthenticated, `seed ${seed}`).toBe(o.unauthenticated);
      expect(m.denied.unavailable, `seed ${seed}`).toBe(o.unavailable);
      expect(new Map(m.denied.byIdentity.map((c: any) => [c.key, c.count])), `seed ${seed}`).toEqual(o.byIdentity);
      expect(new Map(m.denied.byTarget.map((c: any) => [c.key, c.count])), `seed ${seed}`).toEqual(o.byTarget);
      expect({ from: m.window.from, to: m.window.to }, `seed ${seed}`).toEqual(o.window);
      expect(
        m.newCallPaths.paths === null ? null : new Map(m.newCallPaths.paths.map((c: any) => [c.key, c.count])),
        `seed ${seed}`,
      ).toEqual(o.paths);
      expect(new Map(m.exceptions.map((e: any) => [e.id, e.uses])), `seed ${seed}`).toEqual(o.exceptionUses);
      const kinds = new Map(m.credentialLifetimes.map(({ kind, ...rest }: any) => [kind, rest]));
      if (JSON.stringify([...kinds].sort()) !== JSON.stringify([...o.byKind].sort()))
        problems.push(
          `credential lifetimes by kind differ: ${JSON.stringify([...kinds])} vs ${JSON.stringify([...o.byKind])}`,
        );
      const issuers = new Map<string, unknown>(
        m.credentialLifetimesByIssuer.map(({ kind, issuer, ...rest }: any) => [JSON.stringify([kind, issuer]), rest]),
      );
      const sortKeys = (x: Map<string, unknown>) => JSON.stringify([...x].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
      if (sortKeys(issuers) !== sortKeys(o.byIssuer)) {
        const only = (a: Map<string, unknown>, b: Map<string, unknown>) =>
          [...a.keys()].filter((k) => !b.has(k) || JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k)));
        problems.push(
          `credential lifetimes by issuer differ: ward-only ${JSON.stringify(only(issuers, o.byIssuer)).slice(0, 300)}; docs-only ${JSON.stringify(only(o.byIssuer, issuers)).slice(0, 300)}`,
        );
      }
      problems.push(...rawIn(mj.out.join("").split("\n")).map((x) => `metrics --format json raw ${x.char}: ${x.line}`));

      // metrics, text: nothing raw, one line per io.out
      const mt = await wardLines("metrics", file);
      expect(mt.status, mt.output).toBe(0);
      problems.push(...rawIn([...mt.out, ...mt.err]).map((x) => `metrics text raw ${x.char}: ${x.line}`));

      // shadow report
      const sj = await wardLines("shadow", "report", file, "--version", SHADOW, "--format", "json");
      if (o.shadow.compared > 0) {
        expect(sj.status, sj.output).toBe(0);
        const s = JSON.parse(sj.out.join("\n"));
        expect(
          {
            compared: s.compared + s.decidedOutsideThePolicy,
            newlyDenied: s.newlyDenied.requests,
            newlyAllowed: s.newlyAllowed.requests,
          },
          `seed ${seed}`,
        ).toEqual(o.shadow);
        expect(new Map(s.rulesOnTrial.map((x: any) => [x.rule, x.requests])), `seed ${seed}`).toEqual(o.trial);
        const st = await wardLines("shadow", "report", file);
        expect(st.status, st.output).toBe(0);
        problems.push(...rawIn([...st.out, ...st.err]).map((x) => `shadow report text raw ${x.char}: ${x.line}`));
      }

      // why: the first decision of a few ids, text and JSON
      // An id as an operator would paste it: `ward why` trims what it is given (ids are UUIDs), so one with white
      // space around it (a BOM, U+2028 count as such) is not asked for.
      for (const d of b.kept
        .filter((x) => typeof x.requestId === "string" && x.requestId !== "" && x.requestId.trim() === x.requestId)
        .slice(0, 8)) {
        const wt = await wardLines("why", d.requestId, file);
        if (wt.status !== 0) {
          problems.push(
            `why ${JSON.stringify(d.requestId)} exit ${wt.status}: ${JSON.stringify(wt.err).slice(0, 200)}`,
          );
          continue;
        }
        problems.push(...rawIn([...wt.out, ...wt.err]).map((x) => `why text raw ${x.char}: ${x.line}`));
        const wj = await wardLines("why", d.requestId, file, "--json");
        const got = JSON.parse(wj.out.join("\n"));
        const { extra: _, ...want } = d;
        if (!isDeepStrictEqual(got, want))
          problems.push(
            `why --json ${d.requestId}: ${JSON.stringify(got).slice(0, 200)} vs ${JSON.stringify(want).slice(0, 200)}`,
          );
      }

      // ssf delivered
      if (b.ssf.length > 0) {
        const sd = await wardLines("ssf", "delivered", file);
        expect(sd.status, sd.output).toBe(0);
        problems.push(...rawIn([...sd.out, ...sd.err]).map((x) => `ssf delivered raw ${x.char}: ${x.line}`));
        const listed = sd.out.length - 3; // the summary's three lines
        if (listed !== b.ssf.length) problems.push(`ssf delivered printed ${listed} rows for ${b.ssf.length} SETs`);
      }

      expect(problems.slice(0, 12), `seed ${seed}: ${problems.length} problems`).toEqual([]);
    });
  }

  it("huge lines and many lines complete (no timed assertion)", { timeout: 120_000 }, async () => {
    const r = rng(SEED);
    const big = decision(r, "huge-1", SHADOW);
    big.path = `/${"a".repeat(8 * 1024 * 1024)}`;
    big.droppedHeaders = Array.from({ length: 100_000 }, (_, i) => `x-h${i}`);
    const lines = [JSON.stringify(big), `{"event":"decision","x":"${"b".repeat(8 * 1024 * 1024)}`, "[".repeat(100_000)];
    for (let i = 0; i < 50_000; i++) lines.push(JSON.stringify(decision(r, `many-${i}`, SHADOW)));
    const file = join(dir, "huge.jsonl");
    writeFileSync(file, lines.join("\n"));
    const m = await wardLines("metrics", file, "--format", "json");
    expect(m.status, m.output.slice(0, 500)).toBe(0);
    expect(JSON.parse(m.out.join("\n")).totals.decisions).toBe(50_001);
    const w = await wardLines("why", "huge-1", file);
    expect(w.status, w.output.slice(0, 500)).toBe(0);
    const s = await wardLines("shadow", "report", file);
    expect(s.status, s.output.slice(0, 500)).toBe(0);
  });
});
