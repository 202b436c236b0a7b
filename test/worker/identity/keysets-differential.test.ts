// A generated differential of the key sets Ward fetches from outside: a workload-token issuer's JWKS or SPIFFE
// bundle (issuer-keys.ts) and Access's /cdn-cgi/access/certs (access-jwt.ts), as a hostile or failing key
// server serves them over simulated time, against keysets-oracle.ts (written from the docs and RFC 7517).
// The key server is the verifiers' fetch, the true outside edge; tokens are really signed with the keys it
// serves. Then through the gateway: key servers programmed at vitest.config.ts's outbound edge
// (issuer-endpoints.ts), a policy with an issuer per way of writing a key, and requests to a route for callers
// with a credential and a public one. WARD_KEYSETS_SEED=<n> replays; WARD_KEYSETS_SEQUENCES=<n> sets how many
// sequences; WARD_KEYSETS_STATS=1 prints counts and every disagreement.
import { exports } from "cloudflare:workers";
import { stringify } from "yaml";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { compileAccess, compileTokenIssuer, IdentitySources, TokenIssuer } from "../../../policy/index.ts";
import { AccessVerifier } from "../../../worker/identity/access-jwt.ts";
import { peekToken } from "../../../worker/identity/bearer.ts";
import { WorkloadTokenVerifier } from "../../../worker/identity/workload-token.ts";
import { prng } from "../../support/prng.ts";
import { AUD, TEAM } from "../support/access-tokens.ts";
import { captured } from "../support/captured-log.ts";
import { activate, originSaw } from "../support/harness.ts";
import { tokenParts } from "../support/workload-tokens.ts";
import { ISSUER, KeyServer, loadsOf } from "./keysets-server.ts";
import { fetchCount, type GatewayIssuer, gatewayPolicy, HOST, program, served } from "./keysets-gateway.ts";
import {
  type Answer,
  type Entry,
  generateAnswer,
  MUTATIONS,
  generateSequence,
  makePool,
  naturalAlg,
  type Pool,
  type PoolName,
  type Sequence,
  signToken,
  type VerifierKind,
} from "./keysets-cases.ts";
import { COOLDOWN_MS, judgeAnswer, KeySetModel, type Signed } from "./keysets-oracle.ts";

const wardEnv: Record<string, string | undefined> = inject("wardEnv");
const SEED = Number(wardEnv.WARD_KEYSETS_SEED ?? 7517);
const SEQUENCES = Number(wardEnv.WARD_KEYSETS_SEQUENCES ?? 24);
const STEPS = 28;
const START = Date.UTC(2026, 11, 6, 12, 0, 0);
const AUDIENCE = { spire: "https://payments.localhost", cluster: "https://orders.localhost" } as const;

type Verify = (token: string, now: number) => Promise<{ ok: boolean; problem?: string }>;

function verifierFor(kind: VerifierKind, server: KeyServer): Verify {
  if (kind === "access") {
    const config = compileAccess(IdentitySources.parse({ access: { teamDomain: TEAM, audiences: [AUD] } }).access!);
    const v = new AccessVerifier(config, server.fetch as typeof fetch);
    return (token, now) => v.verify(token, now) as Promise<{ ok: boolean; problem?: string }>;
  }
  const source = {
    name: `keyset-${kind}`,
    kind: kind === "spire" ? "spiffe-jwt-svid" : "kubernetes",
    issuer: kind === "spire" ? ISSUER.spire : ISSUER.cluster,
    keys: kind === "discovery" ? { discovery: server.url } : { jwksUrl: server.url },
    trustDomain: "demo.ward.internal",
    maxLifetime: kind === "spire" ? "5m" : "1h",
    algorithms: ["RS256", "ES256"],
  };
  const v = new WorkloadTokenVerifier(compileTokenIssuer(TokenIssuer.parse(source)), server.fetch);
  return async (token, now) => {
    const peeked = peekToken(token);
    if (!peeked.ok) return { ok: false, problem: peeked.problem };
    return v.verify(token, peeked.header, kind === "spire" ? AUDIENCE.spire : AUDIENCE.cluster, now) as Promise<{
      ok: boolean;
      problem?: string;
    }>;
  };
}

async function mint(
  pool: Pool,
  kind: VerifierKind,
  s: Signed,
  now: number,
  at: { team?: string; issuer?: string; audience?: string } = {},
): Promise<string> {
  if (kind === "access") {
    const t = Math.floor(now / 1000);
    const iss = at.team ?? TEAM;
    const payload = { type: "app", iat: t, nbf: t, exp: t + 3600, iss, aud: [AUD], email: "ann@example.com" };
    return signToken(pool, s.signer, { alg: s.alg, kid: s.kid, typ: "JWT" }, payload);
  }
  const issuer = kind === "spire" ? "spire" : "cluster";
  const claims = at.issuer ? { iss: at.issuer, aud: at.audience } : {};
  const { header, payload } = tokenParts({ issuer, header: { alg: s.alg, kid: s.kid }, claims }, now);
  return signToken(pool, s.signer, header, payload);
}

const signed = (signer: PoolName, kid: string, alg: string): Signed => ({
  signer,
  kid,
  alg,
  honestAlg: alg === naturalAlg(signer),
});

const stats = { accepted: 0, refused: 0, must: 0, mustNot: 0, may: 0, fetched: 0, fetchOk: 0 };

async function runSequence(pool: Pool, seq: Sequence, index: number, failures: string[]): Promise<number> {
  const url = {
    access: `${TEAM}/cdn-cgi/access/certs`,
    discovery: `https://disc-${index}.ward-test.internal/.well-known/openid-configuration`,
    spire: `https://keys-${index}.ward-test.internal/bundle`,
    cluster: `https://keys-${index}.ward-test.internal/jwks`,
  }[seq.verifier];
  const server = new KeyServer(pool, seq.verifier, url, index);
  const verify = verifierFor(seq.verifier, server);
  const model = new KeySetModel(seq.verifier, pool);
  const minted: { token: string; signed: Signed; at: number }[] = [];
  let now = START;
  let requests = 0;
  for (const [i, step] of seq.steps.entries()) {
    now += step.dt;
    server.now = now;
    if (step.answer) server.answer = step.answer;
    if (step.discovery) server.discovery = step.discovery;
    let tokens: { token: string; signed: Signed }[];
    const q = step.request;
    if (q.kind === "again") {
      const earlier = minted.at(-q.back);
      if (!earlier || now - earlier.at > 200_000) continue;
      tokens = [earlier];
    } else if (q.kind === "flood") {
      const all = q.kids.map((kid) => signed(q.signer, kid, q.alg));
      tokens = await Promise.all(all.map(async (s) => ({ token: await mint(pool, seq.verifier, s, now), signed: s })));
    } else {
      const s = signed(q.signer, q.kid, q.alg);
      const token = await mint(pool, seq.verifier, s, now);
      minted.push({ token, signed: s, at: now });
      tokens = [{ token, signed: s }];
    }
    const expectation = model.fetchExpected(now, tokens[0]!.signed);
    const before = server.calls.length;
    const results = await Promise.all(
      tokens.map(({ token }) =>
        verify(token, now).catch((e: unknown) => ({ ok: false, problem: `THREW ${String(e)}` })),
      ),
    );
    requests += tokens.length;
    const calls = server.calls.slice(before);
    const where = () =>
      `sequence ${index} (${seq.verifier}) step ${i} +${step.dt / 1000}s: ${JSON.stringify(q)}; server ${JSON.stringify(
        { ...server.answer, discovery: server.discovery },
        (k, v) =>
          k === "entries"
            ? v.map((e: { pool: string; kid: string; mutation: string }) => `${e.pool}@${e.kid}:${e.mutation}`)
            : v,
      )}; model: ${model.describe(now)}`;
    const problems: string[] = [];
    const loads = loadsOf(calls, server, seq.verifier === "discovery", problems);
    if (loads.length > 1) problems.push(`${loads.length} loads for one step`);
    if (expectation === "must" && loads.length === 0) problems.push("no fetch, where one was due");
    if (expectation === "must-not" && loads.length > 0) problems.push("a fetch, where none was due");
    if (loads.length > 0) {
      const previous = server.calls.slice(0, before).findLast((c) => c.url === url);
      if (previous && now - previous.at < COOLDOWN_MS)
        problems.push(`fetched ${(now - previous.at) / 1000}s after the last`);
    }
    // The model follows what was fetched (a fetch it left open, or one it did not expect, is reported above).
    for (const outcome of loads) model.fetched(now, outcome);
    stats[expectation === "must-not" ? "mustNot" : expectation]++;
    stats.fetched += loads.length;
    stats.fetchOk += loads.filter((o) => o.ok).length;
    for (const [k, { signed: s }] of tokens.entries()) {
      const expected = model.accepts(now, s);
      stats[expected ? "accepted" : "refused"]++;
      const got = results[k]!;
      if (typeof got.problem !== "string" && !got.ok)
        problems.push(
          `token ${s.signer}@${s.kid} ${s.alg}: refused with problem ${JSON.stringify(got.problem)}, no string (the gateway reads it as one: a 500), expected ${expected ? "accepted" : "refused"}`,
        );
      else if (got.problem?.startsWith("THREW")) problems.push(`token ${s.kid}: ${got.problem}`);
      else if (got.ok !== expected)
        problems.push(
          `token ${s.signer}@${s.kid} ${s.alg}: ${got.ok ? "accepted" : `refused (${got.problem})`}, expected ${expected ? "accepted" : "refused"}`,
        );
    }
    if (problems.length > 0) failures.push(`${where()}\n  ${problems.join("\n  ")}`);
  }
  return requests;
}

let pool: Pool;
beforeAll(async () => {
  pool = await makePool();
});

describe("key-set differential: key servers that rotate, fail and lie", () => {
  it(`${SEQUENCES} generated sequences of answers and tokens`, { timeout: 120_000 }, async () => {
    const r = prng(SEED);
    const sequences = Array.from({ length: SEQUENCES }, () => generateSequence(r, STEPS));
    const failures: string[] = [];
    let requests = 0;
    for (const [index, seq] of sequences.entries()) requests += await runSequence(pool, seq, index, failures);
    if (wardEnv.WARD_KEYSETS_STATS) console.info(`seed ${SEED}: ${JSON.stringify(stats)}\n${failures.join("\n")}`);
    expect(requests).toBeGreaterThan(SEQUENCES * STEPS * 0.8);
    expect(
      failures.slice(0, 12).join("\n\n"),
      `${failures.length} steps disagree (replay: WARD_KEYSETS_SEED=${SEED})`,
    ).toBe("");
  });
});

/** The tokens sent to one issuer at the gateway: each served key's, a made-up kid, a served kid another key signed. */
function gatewayTokens(r: () => number, entries: Entry[], signers: PoolName[]): Signed[] {
  const out = entries.map((e) => signed(e.pool, e.kid, naturalAlg(e.pool)));
  const other = signers[Math.floor(r() * signers.length)]!;
  out.push(signed(other, `made-up-${out.length}`, naturalAlg(other)));
  if (entries[0]) out.push(signed(other, entries[0].kid, naturalAlg(other)));
  return out;
}

async function untilActive(version: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const { lines } = await captured(async () =>
      (await exports.default.fetch(`https://${HOST}/__probe`)).arrayBuffer(),
    );
    if (lines.some((l) => l.event === "decision" && l.policyVersion === version)) return;
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error(`policy ${version} never became active`);
}

const GENERATED_AT_GATEWAY = 6;
const gatewayStats = { accepted: 0, tokens: 0 };
const withoutId = (body: string) => body.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "ID");

describe("key-set differential through the gateway", () => {
  it("a token of a served key opens the route; any other is no credential, alike, never a 500", {
    timeout: 60_000,
  }, async () => {
    const r = prng(SEED ^ 0x9e3779b9);
    const run = crypto.randomUUID().slice(0, 8);
    const team = `https://ward-ks-${run}.cloudflareaccess.com`;
    // Each way of writing a key (MUTATIONS) served by one issuer beside a plain key, then a few generated
    // answers; the team serves a plain key, damaged ones and a generated one.
    const keysAnswer = (entries: Entry[]): Answer => ({
      kind: "keys",
      entries,
      junk: [],
      contentType: "application/json",
      pad: 0,
      filler: 0,
      stream: false,
      delayMs: 0,
    });
    const pickOf = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
    const answers: Answer[] = [
      ...MUTATIONS.map((mutation) => {
        const [a, b] = pickOf([
          ["e1", "e2"],
          ["r1", "r2"],
          ["e3", "r3"],
        ] as const);
        return keysAnswer([
          { pool: a, kid: a, mutation: "plain" },
          { pool: b, kid: b, mutation },
        ]);
      }),
      ...Array.from({ length: GENERATED_AT_GATEWAY }, () => generateAnswer(r, "cluster", [])),
      keysAnswer([
        { pool: "r1", kid: "r1", mutation: "plain" },
        { pool: "r2", kid: "r2", mutation: "damaged" },
        { pool: "r3", kid: "r3", mutation: "ops-both" },
        { pool: "weak", kid: "weak", mutation: pickOf(MUTATIONS) },
      ]),
    ];
    const issuers: GatewayIssuer[] = answers.slice(0, -1).map((_, i) => ({
      name: `ks-${i}`,
      issuer: `https://iss-${run}-${i}.ward-test.internal`,
      url: `https://keys-${run}-${i}.ward-test.internal/jwks`,
    }));
    const kinds: { verifier: VerifierKind; url: string; issuer?: string }[] = [
      ...issuers.map((i) => ({ verifier: "cluster" as const, url: i.url, issuer: i.issuer })),
      { verifier: "access", url: `${team}/cdn-cgi/access/certs` },
    ];
    for (const [i, k] of kinds.entries()) await program(k.url, served(pool, answers[i]!, k.verifier));
    await untilActive(await activate(stringify(gatewayPolicy(team, issuers))));
    // Without any credential: what every refused token must look like.
    const bare = await exports.default.fetch(`https://${HOST}/any`);
    const baseline = { status: bare.status, body: withoutId(await bare.text()) };
    const failures: string[] = [];
    const marker = `m-${run}`;
    let n = 0;
    for (const [i, k] of kinds.entries()) {
      const answer = answers[i]!;
      const entries = answer.kind === "keys" ? answer.entries : [];
      const signers: PoolName[] = k.verifier === "access" ? ["r1", "r2", "r3"] : ["e1", "e2", "r1", "r2"];
      let accepted = 0;
      const model = new KeySetModel(k.verifier, pool);
      const text = served(pool, answer, k.verifier);
      model.fetched(Date.now(), judgeAnswer(text.status, text.text, new TextEncoder().encode(text.text).length));
      for (const s of gatewayTokens(r, entries, signers)) {
        const now = Date.now();
        const audience = `https://${HOST}`;
        const token = await mint(pool, k.verifier, s, now, { team, issuer: k.issuer, audience });
        const headers: Record<string, string> =
          k.verifier === "access" ? { "cf-access-jwt-assertion": token } : { authorization: `Bearer ${token}` };
        const expected = model.accepts(now, s);
        if (expected) accepted++;
        for (const path of ["/any", "/open"]) {
          const id = `${marker}-${n++}`;
          const res = await exports.default.fetch(`https://${HOST}${path}?${id}`, { headers });
          const body = withoutId(await res.text());
          const reached = (await originSaw(id)).length > 0;
          const want = path === "/open" || expected ? 200 : baseline.status;
          const problems: string[] = [];
          if (res.status !== want) problems.push(`status ${res.status}, expected ${want}`);
          if (reached !== (want === 200)) problems.push(`origin reached: ${reached}`);
          if (want !== 200 && res.status === want && body !== baseline.body)
            problems.push(`body ${body.slice(0, 120)}`);
          if (problems.length > 0)
            failures.push(
              `${k.verifier} ${k.url} serving ${JSON.stringify(answer).slice(0, 300)}\n  ${path} token ${s.signer}@${s.kid} ${s.alg}: ${problems.join("; ")}`,
            );
        }
      }
      gatewayStats.accepted += accepted;
      gatewayStats.tokens += entries.length + 2;
      // One fetch per key server, however many tokens and made-up kids came within the cooldown.
      const count = await fetchCount(k.url);
      if (count !== 1) failures.push(`${k.url}: fetched ${count} times`);
    }
    if (wardEnv.WARD_KEYSETS_STATS) console.info(`gateway: ${JSON.stringify(gatewayStats)}\n${failures.join("\n")}`);
    expect(gatewayStats.accepted).toBeGreaterThan(10);
    expect(failures.slice(0, 12).join("\n"), `${failures.length} disagree (replay: WARD_KEYSETS_SEED=${SEED})`).toBe(
      "",
    );
  });
});
