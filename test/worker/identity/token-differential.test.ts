// A generated differential of hostile tokens that a TRUSTED key signed, through the gateway.
// WARD_TOKENS_SEED=<n> replays; WARD_TOKENS_CASES=<n> sets the count.
import { exports } from "cloudflare:workers";
import { decodeJwt } from "jose";
import { stringify } from "yaml";
import { describe, expect, inject, it } from "vitest";
import { prng } from "../../support/prng.ts";
import { activate, originSaw } from "../support/harness.ts";
import { captured } from "../support/captured-log.ts";
import {
  generateCase,
  materialiseAccess,
  materialiseWorkload,
  policyDoc,
  SERVICES,
  setVariant,
  type Case,
} from "./token-cases.ts";
import { accessWorlds, expected, workloadWorlds, type Expected } from "./token-oracle.ts";

const wardEnv: Record<string, string | undefined> = inject("wardEnv");
const SEED = Number(wardEnv.WARD_TOKENS_SEED ?? 4242);
const CASES = Number(wardEnv.WARD_TOKENS_CASES ?? 400);
const BATCH = 16;
const VARIANT = Number(wardEnv.WARD_TOKENS_VARIANT ?? 0);

async function untilActive(version: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    const { lines } = await captured(async () => {
      const res = await exports.default.fetch(`https://${SERVICES[0]!.host}/__probe`);
      await res.arrayBuffer();
    });
    if (lines.some((l) => l.event === "decision" && l.policyVersion === version)) return;
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error(`policy ${version} never became active`);
}

interface Got {
  status: number;
  body: string;
  decision?: Record<string, unknown>;
  events: string[];
  origin?: { headers: Record<string, unknown> };
}

function compare(e: Expected, got: Got): string[] {
  const problems: string[] = [];
  if (got.status >= 500) problems.push(`status ${got.status}`);
  if (got.status !== e.status) problems.push(`status: ${got.status}, expected ${e.status}`);
  if ((got.origin !== undefined) !== (e.status === 200)) problems.push(`origin reached: ${got.origin !== undefined}`);
  const d = got.decision;
  if (!d) return [...problems, "no decision line"];
  if (d.principal !== e.principal) problems.push(`principal: ${String(d.principal)}, expected ${e.principal}`);
  const cred = d.credential as { kind: string; issuer?: string } | null;
  const logged = cred ? { kind: cred.kind, ...(cred.issuer ? { issuer: cred.issuer } : {}) } : null;
  if (JSON.stringify(logged) !== JSON.stringify(e.credential))
    problems.push(`log credential: ${JSON.stringify(logged)}, expected ${JSON.stringify(e.credential)}`);
  if (e.status !== 200 && /token|scope|kid|aud|lifetime|malformed|issuer|expired/i.test(got.body))
    problems.push(`refusal body names a check: ${got.body.slice(0, 200)}`);
  if (got.origin && e.assertion) {
    const claims = decodeJwt(String(got.origin.headers["ward-assertion"]));
    const creds = ((claims.ward_credentials as { kind: string; iss?: string; sub?: string }[] | undefined) ?? [])
      .map((c) => [c.kind, c.iss, c.sub].filter((x) => x !== undefined).join(" "))
      .sort();
    const actual = {
      sub: claims.sub,
      workload: claims.workload,
      email: claims.email,
      service_token: claims.service_token,
      scope: claims.scope,
      credentials: creds,
    };
    for (const k of Object.keys(actual) as (keyof typeof actual)[])
      if (JSON.stringify(actual[k]) !== JSON.stringify(e.assertion[k]))
        problems.push(`assertion ${k}: ${JSON.stringify(actual[k])}, expected ${JSON.stringify(e.assertion[k])}`);
    if (
      e.authorizationAtOrigin !== undefined &&
      (got.origin.headers.authorization !== undefined) !== e.authorizationAtOrigin
    )
      problems.push(
        `authorization at origin: ${got.origin.headers.authorization !== undefined}, expected ${e.authorizationAtOrigin}`,
      );
  }
  return problems;
}

describe("token differential: hostile tokens signed by trusted keys", () => {
  it(`${CASES} generated cases`, { timeout: 240_000 }, async () => {
    setVariant(VARIANT);
    const version = await activate(stringify(policyDoc()));
    await untilActive(version);
    const r = prng(SEED);
    const cases: Case[] = Array.from({ length: CASES }, () => generateCase(r));
    const failures: string[] = [];
    const counts = { counted: 0, refused: 0, notWard: 0 };
    const run = `m-${crypto.randomUUID()}`;
    for (let at = 0; at < cases.length; at += BATCH) {
      const nowSeconds = Math.floor(Date.now() / 1000);
      const batch = await Promise.all(
        cases.slice(at, at + BATCH).map(async (c, j) => {
          const i = at + j;
          const wm = c.workload ? await materialiseWorkload(c.workload, nowSeconds) : undefined;
          const am = c.access ? await materialiseAccess(c.access, nowSeconds) : undefined;
          const headers = new Headers();
          for (const v of wm?.authorization ?? []) headers.append("authorization", v);
          if (am) headers.set("cf-access-jwt-assertion", am.token);
          const init: RequestInit = { method: c.method, headers, redirect: "manual" };
          if (c.method === "POST") init.body = "{}";
          const url = `https://${SERVICES[c.service]!.host}${c.path}?${run}-${i}x`;
          const tw = workloadWorlds(c, wm, nowSeconds);
          const aw = accessWorlds(c, am, nowSeconds);
          return { i, c, wm, am, url, init, tw, aw };
        }),
      );
      const { result, lines } = await captured(() =>
        Promise.all(
          batch.map(async (b) => {
            const res = await exports.default.fetch(b.url, b.init);
            return { status: res.status, body: await res.text(), id: res.headers.get("ward-request-id") ?? "" };
          }),
        ),
      );
      const seen = await originSaw(run);
      for (const [k, b] of batch.entries()) {
        const res = result[k]!;
        const decision = lines.find((l) => l.event === "decision" && l.requestId === res.id);
        const events = lines
          .filter((l) => l.requestId === res.id && l.event !== "decision")
          .map((l) => `${String(l.event)}:${String(l.problem ?? "")}`);
        const origin = seen.find((s) => s.url.endsWith(`${run}-${b.i}x`)) as unknown as
          | { headers: Record<string, unknown> }
          | undefined;
        const got: Got = { status: res.status, body: res.body, decision, events, origin };
        const outcomes = b.tw.flatMap((t) => b.aw.map((a) => expected(b.c, t, a)));
        const results = outcomes.map((e) => compare(e, got));
        const best = results.find((p) => p.length === 0);
        const kind = b.tw[0]!.kind;
        if (kind === "counted") counts.counted++;
        else if (kind === "refused") counts.refused++;
        else if (kind === "not-ward") counts.notWard++;
        if (best === undefined) {
          failures.push(
            [
              `case ${b.i} ${b.c.path} ${b.c.method} svc=${b.c.service} labels=${JSON.stringify(b.c.workload?.labels)} access=${JSON.stringify(b.c.access?.labels)}`,
              `  worlds: ${outcomes.map((o) => o.worlds).join(" | ")}`,
              `  events: ${events.join(", ")}`,
              ...results[0]!.map((p) => `  ${p}`),
              `  header: ${b.wm?.headerText.slice(0, 300)}`,
              `  payload: ${b.wm?.payloadText.slice(0, 600)}`,
              b.am ? `  access payload: ${b.am.payloadText.slice(0, 300)}` : "",
            ].join("\n"),
          );
        }
      }
    }
    if (wardEnv.WARD_TOKENS_STATS) console.info(`seed ${SEED}: ${JSON.stringify(counts)}`);
    expect(
      failures.slice(0, 12).join("\n\n"),
      `${failures.length} of ${CASES} disagree (replay: WARD_TOKENS_SEED=${SEED} WARD_TOKENS_VARIANT=${VARIANT})`,
    ).toBe("");
  });
});
