// A generated, differential test of the identity assertion Ward sends each origin (docs/origin-assertion.md),
// through the real gateway in workerd with the recording origin. Callers (assertion-cases.ts) hold any consistent
// combination of a client certificate, an Access token and a workload token, or nothing; requests use every
// method, host spelling, path spelling and query, some carrying a forged `Ward-Assertion` of their own. The
// oracle (assertion-oracle.ts) is written from the docs; each assertion is verified as an origin would, with jose
// against the key set Ward publishes (RFC 7515/7519), never with Ward's code. Checked: exactly one assertion
// reaches the origin, never the client's; its claims name this request's caller, method, URL, service and
// issuer, with the documented lifetime; a token is never shared by requests whose claims differ, is reused for
// the same claims and not past its 30 s; a rotated key signs at once and the published set follows the secret.
// The seed is fixed; WARD_ASSERTION_SEED=<n> tries another (WARD_ASSERTION_CASES more cases), printed on failure.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
  jwtVerify,
} from "jose";
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import app from "../../../worker/index.ts";
import { prng } from "../../support/prng.ts";
import { accessToken } from "../support/access-tokens.ts";
import { CERTS, tlsClientAuth } from "../support/client-certs.ts";
import { activate, originSaw } from "../support/harness.ts";
import { FIXTURES, workloadToken } from "../support/workload-tokens.ts";
import { type Caller, type Case, genCase, POLICY, spelledHost } from "./assertion-cases.ts";
import { type ExpectedClaims, expectedClaims } from "./assertion-oracle.ts";

const wardEnv: Record<string, string | undefined> = inject("wardEnv");
const SEED = Number(wardEnv.WARD_ASSERTION_SEED ?? 20261206);
const CASES = Number(wardEnv.WARD_ASSERTION_CASES ?? 240);
const BATCH = 12;
const JWKS_PATH = "/.well-known/ward/jwks.json";
const KNOWN_CLAIMS = new Set([
  ...["iss", "aud", "sub", "htm", "htu", "ward_route", "ward_rule", "ward_policy", "ward_mode", "ward_would_deny"],
  ...["ward_exception", "workload", "email", "service_token", "scope", "ward_credentials", "cnf", "jti", "iat", "exp"],
]);

let version = "";
beforeAll(async () => {
  version = await activate(POLICY);
});
afterEach(() => void vi.useRealTimers());

type Fetch = (url: string, init: RequestInit) => Promise<Response>;
const gateway: Fetch = (url, init) => exports.default.fetch(url, init);
/** The gateway with another `ASSERTION_SIGNING_KEYS`, as after a `wrangler secret put`. */
const withKeys =
  (keys: string): Fetch =>
  async (url, init) => {
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(url, init), { ...env, ASSERTION_SIGNING_KEYS: keys }, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };

const CERT_PEMS = { checkout: CERTS.checkout, partnerBilling: CERTS.partnerBilling };

async function credentials(
  caller: Caller,
  service: Case["service"],
  now: number,
): Promise<RequestInit & { cf?: unknown }> {
  const headers = new Headers();
  const aud = `https://${service.hosts[0]}`;
  const t = caller.token;
  if (t?.issuer === "spire")
    headers.set(
      "authorization",
      `Bearer ${await workloadToken({ issuer: "spire", claims: { aud: [aud], sub: t.sub, scope: t.scopes.length > 0 ? t.scopes.join(" ") : null } }, now)}`,
    );
  if (t?.issuer === "cluster") {
    const k8s = FIXTURES.cluster.payload["kubernetes.io"];
    const claims = {
      aud: [aud],
      sub: `system:serviceaccount:${t.namespace}:${t.account}`,
      "kubernetes.io": { ...k8s, namespace: t.namespace, serviceaccount: { ...k8s.serviceaccount, name: t.account } },
    };
    headers.set("authorization", `Bearer ${await workloadToken({ issuer: "cluster", claims }, now)}`);
  }
  if (t?.issuer === "github")
    headers.set(
      "authorization",
      `Bearer ${await workloadToken({ issuer: "github", claims: { aud, sub: t.sub } }, now)}`,
    );
  const a = caller.access;
  if (a) {
    const claims =
      a.kind === "person"
        ? { email: a.email, sub: `u-${a.email.toLowerCase()}` }
        : { common_name: a.clientId, sub: "" };
    headers.set("cf-access-jwt-assertion", await accessToken(inject("accessPrivateJwk"), claims, { now }));
  }
  const init: RequestInit & { cf?: unknown } = { headers, redirect: "manual" };
  if (caller.cert) init.cf = { tlsClientAuth: await tlsClientAuth(CERT_PEMS[caller.cert]) };
  return init;
}

interface Sent {
  c: Case;
  url: string;
  status: number;
  sentAt: number;
  answeredAt: number;
  spoofs: string[];
}

async function send(fetcher: Fetch, c: Case, tag: string, now: number, replayable: string[]): Promise<Sent> {
  const init = await credentials(c.caller, c.service, now);
  const headers = init.headers as Headers;
  const spoofs: string[] = [];
  const stolen = replayable.at(-1) ?? "forged.by.client";
  if (c.spoof === "junk") spoofs.push("forged.by.client");
  if (c.spoof === "replayed") spoofs.push(stolen);
  if (c.spoof === "twice") spoofs.push(stolen, "forged.by.client");
  for (const s of spoofs) headers.append("ward-assertion", s);
  if (c.spoof === "underscore") {
    spoofs.push(stolen);
    headers.set("ward_assertion", stolen);
  }
  if (c.spoof === "connection") {
    spoofs.push(stolen);
    headers.set("ward-assertion", stolen);
    headers.set("connection", "keep-alive, Ward-Assertion, ward-request-id");
  }
  init.method = c.method;
  if (["POST", "PUT", "PATCH"].includes(c.method)) init.body = "x";
  const url = `https://${spelledHost(c)}${c.spelt}?${tag}x${c.query ? `&${c.query}` : ""}`;
  const sentAt = Date.now();
  const res = await fetcher(url, init);
  await res.arrayBuffer();
  return { c, url, status: res.status, sentAt, answeredAt: Date.now(), spoofs };
}

async function publishedKeys(fetcher: Fetch, host: string): Promise<JSONWebKeySet> {
  const res = await fetcher(`https://${host}${JWKS_PATH}`, {});
  expect(res.status, `key set at ${host}`).toBe(200);
  return (await res.json()) as JSONWebKeySet;
}

/** What reached the origin for one sent case, against the oracle: the problems found, and the token. */
async function judge(
  s: Sent,
  seen: { url: string; headers: Record<string, unknown>; rawHeaders: string[] }[],
  keys: JSONWebKeySet,
): Promise<{ problems: string[]; token?: string; expected?: ExpectedClaims }> {
  const expected = expectedClaims(s.c, "ward");
  const problems: string[] = [];
  if (!expected) {
    if (seen.length > 0) problems.push(`forwarded: ${seen.length}, docs refuse (status ${s.status})`);
    return { problems };
  }
  if (seen.length !== 1) return { problems: [`origin saw it ${seen.length} times, status ${s.status}`] };
  const at = seen[0]!;
  const names = at.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
  const spelt = names.filter((n) => n.replace(/[_.]/g, "-") === "ward-assertion");
  if (spelt.length !== 1 || spelt[0] !== "ward-assertion") problems.push(`assertion fields: ${JSON.stringify(spelt)}`);
  const token = String(at.headers["ward-assertion"]);
  if (s.spoofs.includes(token) || token.includes(",")) problems.push("client's assertion reached the origin");
  let claims: Record<string, unknown>;
  try {
    const verified = await jwtVerify(token, createLocalJWKSet(keys), {
      issuer: expected.iss,
      audience: expected.aud,
      algorithms: ["ES256"],
      typ: "ward-assertion+jwt",
      currentDate: new Date(s.answeredAt),
    });
    claims = verified.payload as Record<string, unknown>;
  } catch (error) {
    problems.push(`verify: ${(error as Error).message}`);
    claims = decodeJwt(token) as Record<string, unknown>;
  }
  const actual: Record<string, unknown> = {
    ...claims,
    credentials: ((claims.ward_credentials as { kind: string; iss?: string; sub?: string }[] | undefined) ?? [])
      .map((x) => [x.kind, x.iss, x.sub].filter((v) => v !== undefined).join(" "))
      .sort(),
    cnf: claims.cnf !== undefined,
  };
  for (const name of new Set([...Object.keys(expected), "ward_rule", "ward_would_deny", "workload", "email"]))
    if (JSON.stringify(actual[name]) !== JSON.stringify(expected[name as keyof ExpectedClaims]))
      problems.push(
        `${name}: ${JSON.stringify(actual[name])}, docs ${JSON.stringify(expected[name as keyof ExpectedClaims])}`,
      );
  for (const name of Object.keys(claims)) if (!KNOWN_CLAIMS.has(name)) problems.push(`unknown claim: ${name}`);
  if (claims.ward_policy !== version) problems.push(`ward_policy: ${claims.ward_policy}`);
  if (typeof claims.jti !== "string" || claims.jti.length < 16) problems.push(`jti: ${claims.jti}`);
  const iat = Number(claims.iat);
  const exp = Number(claims.exp);
  if (exp - iat !== 60) problems.push(`lifetime: ${exp - iat}`);
  if (iat > Math.ceil(s.answeredAt / 1000)) problems.push(`iat in the future: ${iat}`);
  // "An origin always receives an assertion with at least 30 seconds left."
  if (exp - Math.floor(s.sentAt / 1000) < 30) problems.push(`less than 30 s left: exp ${exp}, sent ${s.sentAt}`);
  if (s.c.caller.cert && expected.cnf) {
    const fingerprint = String((await tlsClientAuth(CERTS[s.c.caller.cert])).certFingerprintSHA256);
    const x5t = btoa(String.fromCharCode(...fingerprint.match(/../g)!.map((h) => Number.parseInt(h, 16))))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
    if (JSON.stringify(claims.cnf) !== JSON.stringify({ "x5t#S256": x5t }))
      problems.push(`cnf: ${JSON.stringify(claims.cnf)}`);
  }
  // "Compare them with the request you received": the origin's Host and path, without the query.
  const received = `https://${at.headers.host}${at.url.split("?")[0]}`;
  if (received !== claims.htu) problems.push(`origin received ${received}, htu ${claims.htu}`);
  return { problems, token, expected };
}

interface Found {
  at: string;
  problems: string[];
}

function summary(found: Found[]): string {
  const kinds = new Map<string, number>();
  for (const f of found)
    for (const p of f.problems) kinds.set(p.split(":")[0]!, (kinds.get(p.split(":")[0]!) ?? 0) + 1);
  const shown = found
    .slice(0, Number(wardEnv.WARD_ASSERTION_SHOW ?? 4))
    .map((f) => `${f.at}\n  ${f.problems.join("\n  ")}`);
  return [...[...kinds].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n}\t${k}`), "", ...shown].join("\n");
}

const brief = (s: Sent) =>
  `${s.c.method} ${s.url.length > 160 ? `${s.url.slice(0, 160)}…` : s.url} ${JSON.stringify(s.c.caller)} spoof=${s.c.spoof}`;

/** Sends the cases in batches through `fetcher` and judges each; returns each case's token (or undefined). */
async function run(
  fetcher: Fetch,
  cases: Case[],
  label: string,
  keys: JSONWebKeySet,
  found: Found[],
  now = Date.now(),
): Promise<{ sent: Sent; token?: string; expected?: ExpectedClaims }[]> {
  const run = `m-${crypto.randomUUID()}-${label}`;
  const replayable: string[] = [];
  const sent: Sent[] = [];
  const outcomes: { sent: Sent; token?: string; expected?: ExpectedClaims }[] = [];
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    for (let at = 0; at < cases.length; at += BATCH) {
      const batch = await Promise.all(
        cases.slice(at, at + BATCH).map((c, k) => send(fetcher, c, `${run}-${at + k}`, now, replayable)),
      );
      sent.push(...batch);
      const seen = await originSaw(run);
      for (const [k, s] of batch.entries()) {
        const mine = seen.filter((x) => x.url.includes(`${run}-${at + k}x`));
        const judged = await judge(s, mine as never, keys);
        if (judged.token) replayable.push(judged.token);
        if (judged.problems.length > 0)
          found.push({ at: `${label} ${at + k}: ${brief(s)}`, problems: judged.problems });
        outcomes.push({ sent: s, token: judged.token, expected: judged.expected });
      }
    }
  } finally {
    log.mockRestore();
  }
  return outcomes;
}

/** Tokens shared by cases whose claims differ (an assertion reused for another request). */
function sharedAcross(outcomes: { sent: Sent; token?: string; expected?: ExpectedClaims }[], found: Found[]): void {
  const byJti = new Map<string, { token: string; claims: string; at: string }>();
  for (const o of outcomes) {
    if (!o.token) continue;
    const jti = String(decodeJwt(o.token).jti);
    const claims = JSON.stringify(o.expected);
    const before = byJti.get(jti);
    if (!before) byJti.set(jti, { token: o.token, claims, at: brief(o.sent) });
    else if (before.claims !== claims || before.token !== o.token)
      found.push({ at: brief(o.sent), problems: [`jti shared with another request: ${before.at}`] });
  }
}

describe("the identity assertion, against docs/origin-assertion.md", () => {
  it(`${CASES} generated requests through the gateway, verified with the published keys`, {
    timeout: 60_000,
  }, async () => {
    const r = prng(SEED);
    const callers: Caller[] = [];
    const cases = Array.from({ length: CASES }, () => {
      const c = genCase(r, callers);
      callers.push(c.caller);
      return c;
    });
    const keys = await publishedKeys(gateway, "alpha.asrt.test");
    const found: Found[] = [];
    for (const host of ["alpha2.asrt.test", "beta.asrt.test", "gamma.asrt.test"])
      if (JSON.stringify(await publishedKeys(gateway, host)) !== JSON.stringify(keys))
        found.push({ at: host, problems: ["key set: differs by host"] });
    for (const key of keys.keys)
      if (Object.keys(key).sort().join() !== "alg,crv,kid,kty,use,x,y")
        found.push({ at: "key set", problems: [`key members: ${Object.keys(key)}`] });

    const outcomes = await run(gateway, cases, "main", keys, found);
    sharedAcross(outcomes, found);
    const forwarded = outcomes.filter((o) => o.token);

    // The same claims within 30 s of iat: the same assertion (sent again one after the other).
    const again = forwarded.slice(0, 16);
    const first = await run(
      gateway,
      again.map((o) => o.sent.c),
      "again",
      keys,
      found,
    );
    const second = await run(
      gateway,
      again.map((o) => o.sent.c),
      "again2",
      keys,
      found,
    );
    for (const [i, o] of first.entries())
      if (o.token && second[i]?.token !== o.token)
        found.push({ at: brief(o.sent), problems: ["not reused: the same claims got another assertion within 30 s"] });

    // Past the reuse window: a new assertion, issued now.
    const t0 = Date.now();
    vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
    vi.setSystemTime(t0 + 31_000);
    const later = await run(
      gateway,
      again.map((o) => o.sent.c),
      "later",
      keys,
      found,
      t0,
    );
    vi.useRealTimers();
    for (const [i, o] of later.entries()) {
      const before = first[i]?.token;
      if (!o.token || !before) continue;
      if (o.token === before || decodeJwt(o.token).jti === decodeJwt(before).jti)
        found.push({ at: brief(o.sent), problems: ["reused past 30 s of its iat"] });
      if (Number(decodeJwt(o.token).iat) < Math.floor((t0 + 31_000) / 1000) - 1)
        found.push({ at: brief(o.sent), problems: [`stale iat past the window: ${decodeJwt(o.token).iat}`] });
    }
    sharedAcross([...outcomes, ...first, ...second, ...later], found);

    // Key rotation: a new key first signs at once, every key is published; a removed key is no longer.
    const secret = JSON.parse(env.ASSERTION_SIGNING_KEYS!) as { keys: Record<string, unknown>[] };
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const fresh = { ...(await exportJWK(privateKey)), kid: `rot-${SEED}` };
    const rotations = [
      { name: "new key first", set: { keys: [fresh, ...secret.keys] } },
      { name: "old keys removed", set: { keys: [fresh] } },
    ];
    for (const { name, set } of rotations) {
      const fetcher = withKeys(JSON.stringify(set));
      const published = await publishedKeys(fetcher, "beta.asrt.test");
      const kids = published.keys.map((k) => k.kid);
      if (JSON.stringify(kids) !== JSON.stringify(set.keys.map((k) => k.kid)))
        found.push({ at: `rotation ${name}`, problems: [`published kids: ${kids}`] });
      const rotated = await run(
        fetcher,
        again.map((o) => o.sent.c),
        `rot${kids.length}`,
        published,
        found,
      );
      for (const o of rotated)
        if (o.token && decodeProtectedHeader(o.token).kid !== fresh.kid)
          found.push({
            at: `rotation ${name}: ${brief(o.sent)}`,
            problems: [`signed by ${decodeProtectedHeader(o.token).kid}`],
          });
    }
    // And back: the original set signs again, nothing signed with the removed key is served.
    const back = await run(
      gateway,
      again.map((o) => o.sent.c),
      "back",
      keys,
      found,
    );
    for (const o of back)
      if (o.token && decodeProtectedHeader(o.token).kid !== secret.keys[0]!.kid)
        found.push({
          at: `rotated back: ${brief(o.sent)}`,
          problems: [`signed by ${decodeProtectedHeader(o.token).kid}`],
        });

    const replay = `(replay: WARD_ASSERTION_SEED=${SEED})`;
    expect(summary(found), `${found.length} disagreements ${replay}`).toBe("");
    // The run reaches both answers, both services and spoofed headers, whatever the seed.
    expect(forwarded.length, replay).toBeGreaterThan(CASES / 3);
    expect(outcomes.length - forwarded.length, replay).toBeGreaterThan(CASES / 40);
  });
});
