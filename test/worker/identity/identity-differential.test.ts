// A generated, differential test of how Ward combines a caller's credentials into one identity and principal. The
// oracle (identity-oracle.ts) is written from the docs; the cases (identity-cases.ts) from a seeded PRNG: small
// policies whose rules name every kind of principal (workloads, people, service tokens, claims, sets,
// bothFactors, with scopes and claims conditions and rate limits), and requests carrying any combination of a
// client certificate, an Access token (header, cookie, both, two of them) and a workload token, each valid or
// not in one of the ways it can fail. Each case goes through the real gateway with the recording origin: the
// status, whether the origin was called, the assertion's identity claims, the decision log's principal, reasons
// and credential, and the events logged about credentials that did not count are compared with the oracle; a
// third of the callers also ask /.ward/me; and identify() and evaluate() themselves give what the gateway does not
// show, the rate-limit and quarantine keys. The seed is fixed, so a run is repeatable; WARD_IDENTITY_SEED=<n>
// tries another (WARD_IDENTITY_POLICIES and _CASES more of them), and is printed on failure, with the first
// WARD_IDENTITY_SHOW (4) disagreeing cases.
import { exports } from "cloudflare:workers";
import { decodeJwt } from "jose";
import { describe, expect, inject, it } from "vitest";
import { evaluate, loadPolicy, quarantineKeys, type CompiledPolicy } from "../../../policy/index.ts";
import { identify } from "../../../worker/identity/identify.ts";
import { prng } from "../../support/prng.ts";
import { activate, originSaw } from "../support/harness.ts";
import { captured } from "../support/captured-log.ts";
import { generateCase, generatePolicy, policyYaml, type Case, type GenPolicy } from "./identity-cases.ts";
import { expectFor, expectStanding, type Expected, type ExpectedStanding } from "./identity-oracle.ts";
import { buildRequest, fingerprints } from "./identity-requests.ts";

const wardEnv: Record<string, string | undefined> = inject("wardEnv");
const SEED = Number(wardEnv.WARD_IDENTITY_SEED ?? 20261207);
// About 6 s in workerd on a shared machine: as many as fit the time a test file may take.
const POLICIES = Number(wardEnv.WARD_IDENTITY_POLICIES ?? 10);
const CASES = Number(wardEnv.WARD_IDENTITY_CASES ?? 120);
const BATCH = 12;

/** A case as a line of JSON, long strings cut. */
const brief = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) => (typeof v === "string" && v.length > 60 ? `${v.slice(0, 60)}…` : v));

interface Disagreement {
  at: string;
  problems: string[];
}

/** The disagreements counted by kind (the text before the first ':'), and the first few in full. */
function summary(disagreements: Disagreement[]): string {
  if (disagreements.length === 0) return "";
  const kinds = new Map<string, number>();
  for (const d of disagreements)
    for (const p of d.problems) kinds.set(p.split(":")[0]!, (kinds.get(p.split(":")[0]!) ?? 0) + 1);
  const shown = disagreements
    .slice(0, Number(wardEnv.WARD_IDENTITY_SHOW ?? 4))
    .map((d) => `${d.at}\n  ${d.problems.join("\n  ")}`);
  return [...[...kinds].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n}\t${k}`), "", ...shown].join("\n");
}

/** Gateway lines (decisions and events) written while `run` runs. */

/** Until the gateway decides with `version` (its isolate re-reads the active pointer every 50 ms). */
async function untilActive(version: string, host: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    const { lines } = await captured(async () => {
      const res = await exports.default.fetch(`https://${host}/__idgen-probe`);
      await res.arrayBuffer();
    });
    if (lines.some((l) => l.event === "decision" && l.policyVersion === version)) return;
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error(`policy ${version} never became active`);
}

/** What the gateway and the origin showed of one case, against the oracle. */
function compareGateway(
  e: Expected,
  got: { status: number; rateLimitPolicy: boolean },
  decision: Record<string, unknown> | undefined,
  events: ReadonlySet<string>,
  atOrigin: { headers: Record<string, unknown> }[],
): string[] {
  const problems: string[] = [];
  for (const [event, want] of Object.entries(e.events))
    if (events.has(event) !== want) problems.push(`event ${event}: ${events.has(event) ? "logged" : "not logged"}`);
  if (got.status !== e.status) problems.push(`status: ${got.status}, expected ${e.status} (${e.reasons.join(", ")})`);
  if (atOrigin.length !== (e.forwarded ? 1 : 0)) problems.push(`origin called: ${atOrigin.length} times`);
  if (!decision) return [...problems, "decision line: none"];
  if (decision.principal !== e.principal) problems.push(`principal: ${decision.principal}, expected ${e.principal}`);
  if (JSON.stringify(decision.reasons) !== JSON.stringify(e.reasons))
    problems.push(`reasons: ${JSON.stringify(decision.reasons)}, expected ${JSON.stringify(e.reasons)}`);
  if ((decision.rule ?? undefined) !== e.rule) problems.push(`rule: ${decision.rule}, expected ${e.rule}`);
  const credential = decision.credential as { kind: string; issuer?: string } | null;
  const logged = credential
    ? { kind: credential.kind, ...(credential.issuer ? { issuer: credential.issuer } : {}) }
    : null;
  if (JSON.stringify(logged) !== JSON.stringify(e.credential))
    problems.push(`log credential: ${JSON.stringify(logged)}, expected ${JSON.stringify(e.credential)}`);
  const limited = e.rateLimitKeys !== undefined;
  if (got.rateLimitPolicy !== limited) problems.push(`RateLimit-Policy: ${got.rateLimitPolicy ? "sent" : "none"}`);
  const seen = atOrigin[0];
  if (!seen || !e.assertion) return problems;
  if ((seen.headers.authorization !== undefined) !== e.authorizationForwarded)
    problems.push(`authorization at the origin: ${seen.headers.authorization !== undefined}`);
  const claims = decodeJwt(String(seen.headers["ward-assertion"]));
  const a = e.assertion;
  const credentials = ((claims.ward_credentials as { kind: string; iss?: string; sub?: string }[] | undefined) ?? [])
    .map((c) => [c.kind, c.iss, c.sub].filter((x) => x !== undefined).join(" "))
    .sort();
  const actual = {
    sub: claims.sub,
    workload: claims.workload,
    email: claims.email,
    service_token: claims.service_token,
    scope: claims.scope,
    credentials,
    cnf: claims.cnf !== undefined,
    wouldDeny: claims.ward_would_deny,
  };
  for (const [name, want] of Object.entries({ ...actual, ...a }))
    if (JSON.stringify(actual[name as keyof typeof actual]) !== JSON.stringify(a[name as keyof typeof a]))
      problems.push(
        `assertion ${name}: ${JSON.stringify(actual[name as keyof typeof actual])}, expected ${JSON.stringify(want)}`,
      );
  return problems;
}

/** /.ward/me's JSON against the oracle. */
async function compareStanding(e: ExpectedStanding, built: { url: string; init: RequestInit }): Promise<string[]> {
  const res = await exports.default.fetch(built.url, built.init);
  const body = await res.text();
  if (res.status !== e.status) return [`/.ward/me status: ${res.status}, expected ${e.status}`];
  if (e.status !== 200) return [];
  const got = JSON.parse(body) as {
    principal: string;
    user?: { email: string };
    serviceToken?: { clientId: string };
    workload?: { id: string };
    credentials: { kind: string }[];
  };
  const actual: ExpectedStanding = {
    status: res.status,
    principal: got.principal,
    ...(got.user ? { email: got.user.email } : {}),
    ...(got.serviceToken ? { serviceToken: got.serviceToken.clientId } : {}),
    ...(got.workload ? { workload: got.workload.id } : {}),
    credentials: got.credentials.map((c) => c.kind).sort(),
  };
  const problems: string[] = [];
  for (const name of new Set([...Object.keys(actual), ...Object.keys(e)]) as Set<keyof ExpectedStanding>)
    if (JSON.stringify(actual[name]) !== JSON.stringify(e[name]))
      problems.push(`/.ward/me ${name}: ${JSON.stringify(actual[name])}, expected ${JSON.stringify(e[name])}`);
  return problems;
}

/** The keys the gateway does not show: identify() and evaluate() on the same request. */
async function compareKeys(
  e: Expected,
  compiled: CompiledPolicy,
  request: Request,
  c: Case,
  now: number,
): Promise<string[]> {
  const identified = await identify(request, compiled, now, "idgen");
  const url = new URL(request.url);
  const decision = evaluate(
    compiled,
    {
      method: c.method,
      host: url.host,
      path: url.pathname,
      identity: identified.identity,
      body: request.body !== null,
    },
    now,
  );
  const problems: string[] = [];
  if (decision.principal !== e.principal) problems.push(`identify() principal: ${decision.principal}`);
  if (e.rateLimitKeys !== undefined && decision.rule === e.rule) {
    const keys = decision.obligations.rateLimits.map((l) => l.key).sort();
    if (JSON.stringify(keys) !== JSON.stringify(e.rateLimitKeys))
      problems.push(`rate-limit keys: ${JSON.stringify(keys)}, expected ${JSON.stringify(e.rateLimitKeys)}`);
  }
  const counted =
    decision.principal === "anonymous" ? [] : quarantineKeys(identified.identity, decision.principal).sort();
  if (JSON.stringify(counted) !== JSON.stringify(e.quarantineKeys))
    problems.push(`quarantine keys: ${JSON.stringify(counted)}, expected ${JSON.stringify(e.quarantineKeys)}`);
  return problems;
}

async function runPolicy(
  p: GenPolicy,
  yaml: string,
  r: () => number,
  label: string,
  disagreements: Disagreement[],
): Promise<void> {
  const loaded = await loadPolicy(yaml);
  if (!loaded.ok) throw new Error(`${label}: the generated policy is refused: ${JSON.stringify(loaded.issues)}`);
  const version = await activate(yaml);
  await untilActive(version, p.services[0]!.host);
  const run = `m-${crypto.randomUUID()}`;
  const now = Date.now();
  const cases = await Promise.all(
    Array.from({ length: CASES }, async (_, i) => {
      // Drawn before the first await: the cases are the same, in the same order, on every run of a seed.
      const c = generateCase(r, p);
      const e = expectFor(p, c);
      // A third of the callers also ask /.ward/me where they stand (a GET, with the same credentials).
      const standing =
        i % 3 === 0
          ? {
              e: expectStanding(p, c),
              built: await buildRequest({ ...c, method: "GET" }, p, `${run}-me-${i}x`, now, "/.ward/me"),
            }
          : undefined;
      return { i, c, e, standing, built: await buildRequest(c, p, `${run}-${i}x`, now) };
    }),
  );
  const { result: answered, lines } = await captured(async () => {
    const out: { status: number; requestId: string; rateLimitPolicy: boolean; keys: string[] }[] = [];
    for (let at = 0; at < cases.length; at += BATCH)
      out.push(
        ...(await Promise.all(
          cases.slice(at, at + BATCH).map(async ({ c, e, built, standing }) => {
            const res = await exports.default.fetch(built.url, built.init);
            await res.arrayBuffer();
            const keys = await compareKeys(e, loaded.policy, new Request(built.url, built.init), c, now);
            if (standing) keys.push(...(await compareStanding(standing.e, standing.built)));
            return {
              status: res.status,
              requestId: res.headers.get("ward-request-id") ?? "",
              rateLimitPolicy: res.headers.has("ratelimit-policy"),
              keys,
            };
          }),
        )),
      );
    return out;
  });
  const decisions = new Map<string, Record<string, unknown>>();
  const events = new Map<string, Set<string>>();
  for (const line of lines) {
    const id = String(line.requestId);
    if (line.event === "decision") decisions.set(id, line);
    else if (!events.get(id)?.add(String(line.event))) events.set(id, new Set([String(line.event)]));
  }
  const seen = await originSaw(run);
  for (const { i, c, e } of cases) {
    const got = answered[i]!;
    const decision = decisions.get(got.requestId);
    const atOrigin = seen.filter((s) => s.url.endsWith(`${run}-${i}x`)) as unknown as {
      headers: Record<string, unknown>;
    }[];
    const problems = [
      ...compareGateway(e, got, decision, events.get(got.requestId) ?? new Set(), atOrigin),
      ...got.keys,
    ];
    if (decision && decision.policyVersion !== version) problems.push(`policy version: ${decision.policyVersion}`);
    if (problems.length > 0) {
      const service = c.service < 0 ? undefined : p.services[c.service];
      const route = service?.routes.find((x) => x.path === c.path);
      disagreements.push({
        at: `${label} case ${i} ${brief({ c, service: service && { ...service, routes: undefined }, route, sets: p.sets, pin: p.demoPin, spiffe: p.spiffe, registry: p.registry, clusterTd: p.clusterTrustDomain })}`,
        problems,
      });
    }
  }
}

describe("who the caller is, against the docs", () => {
  it(`${POLICIES} generated policies, ${CASES} generated callers each, through the gateway`, {
    timeout: 60_000,
  }, async () => {
    const prints = await fingerprints();
    const disagreements: Disagreement[] = [];
    for (let k = 0; k < POLICIES; k++) {
      // A stream per policy: its cases replay the same whatever the other policies drew.
      const r = prng(SEED + k);
      const p = generatePolicy(r);
      await runPolicy(p, policyYaml(p, prints), r, `policy ${k}`, disagreements);
    }
    const replay = `(replay: WARD_IDENTITY_SEED=${SEED})`;
    expect(summary(disagreements), `${disagreements.length} cases disagree ${replay}`).toBe("");
  });
});
