// A key-set load that one request starts is shared by every request that needs the set meanwhile. Workers
// cancel a request's I/O when its client goes away, so a caller who starts a load and disconnects used to
// leave the rest waiting until the load was taken for abandoned (12 s), then fetching again. The load now
// keeps its request alive until it is done (waitUntil). Here in real workerd: the caller is a Worker whose
// service-binding fetch to Ward is aborted, which cancels Ward's request as a client disconnect does.
import { CompactSign, exportJWK, generateKeyPair, SignJWT } from "jose";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ACTIVE_KEY, EVENT_URIS, loadPolicy, versionRecords } from "../../policy/index.ts";
import { bundleWorker } from "../../scripts/dev/bundle.ts";
import { COMPATIBILITY_DATE } from "../../scripts/dev/local-gateway.ts";

const POLICY = `
version: 1
metadata:
  environment: dev
  trustDomains: [demo.ward.internal]
  owners: [security@example.com]
identity:
  tokenIssuers:
    - name: spire
      kind: spiffe-jwt-svid
      issuer: https://spire.ward-test.internal
      keys: { jwksUrl: https://spire.ward-test.internal/bundle }
      trustDomain: demo.ward.internal
      maxLifetime: 5m
sharedSignals:
  audience: https://ward.ward-test.internal/dev
  transmitters:
    idp:
      issuer: https://idp.ward-test.internal/
      jwksUri: https://idp.ward-test.internal/keys
      algorithms: [ES256]
      events: [session-revoked]
principalSets:
  checkout:
    - spiffe: spiffe://demo.ward.internal/ns/shop/sa/checkout
services:
  api:
    hosts: [api.ward-test.internal]
    origin: { tunnel: ORIGIN }
    owner: api-team@example.com
    routes:
      - id: data
        methods: [GET]
        path: /data
        rules:
          - id: checkout-reads
            effect: allow
            principals: [{ set: checkout }]
`;

/** Fetches WARD for the test, aborting after `x-abort-after` ms when given: a client that goes away. */
const CALLER = `export default {
  async fetch(request, env) {
    const after = Number(request.headers.get("x-abort-after") ?? "0");
    const controller = new AbortController();
    if (after > 0) setTimeout(() => controller.abort(), after);
    try {
      const body = request.method === "POST" ? await request.arrayBuffer() : undefined;
      const reply = await env.WARD.fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body,
        signal: controller.signal,
      });
      return new Response(reply.body, { status: reply.status });
    } catch {
      return new Response("the caller went away", { status: 499 });
    }
  },
};`;

const ORIGIN = `export default { fetch() { return new Response("data"); } };`;

const BUNDLE_URL = "https://spire.ward-test.internal/bundle";
const TRANSMITTER_KEYS = "https://idp.ward-test.internal/keys";
let mf: Miniflare;
let signingKey: CryptoKey;
let bundle: string;
let transmitterKeys: string;
let transmitterKey: CryptoKey;
/** The URL of each key-set fetch, in order. */
const keyFetches: string[] = [];

function token(): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: "spiffe://demo.ward.internal/ns/shop/sa/checkout" })
    .setProtectedHeader({ alg: "ES256", kid: "spire-1", typ: "JWT" })
    .setIssuer("https://spire.ward-test.internal")
    .setAudience("https://api.ward-test.internal")
    .setIssuedAt(now)
    .setExpirationTime(now + 120)
    .sign(signingKey);
}

/**
 * The outside edge: the workload-token issuer's and the transmitter's key sets. The first fetch of each answers
 * after 1.5 s (its caller has gone by then), the rest at once.
 */
async function keyEndpoint(request: Request): Promise<Response> {
  const body = { [BUNDLE_URL]: bundle, [TRANSMITTER_KEYS]: transmitterKeys }[request.url];
  if (!body) return new Response("unexpected egress", { status: 599 });
  const before = keyFetches.filter((url) => url === request.url).length;
  keyFetches.push(request.url);
  if (before === 0) await new Promise((resolve) => setTimeout(resolve, 1_500));
  return new Response(body, { headers: { "content-type": "application/json" } });
}

function module(
  name: string,
  source: string,
  env: Record<string, unknown> = {},
  extra: object = {},
  dev: object = {},
): object {
  return {
    dev,
    config: {
      name,
      compatibilityDate: COMPATIBILITY_DATE,
      manifest: { mainModule: "w.mjs", modules: { "w.mjs": { type: "esm", contents: source } } },
      env,
      exports: {},
      ...extra,
    },
  };
}

const DURABLE_OBJECTS = {
  POLICY_CONTROL: "PolicyControl",
  GRANTS: "Grants",
  DENYLIST: "Denylist",
  DENIAL_COUNTER: "DenialCounter",
  RATE_LIMITER: "RateLimiter",
  SSF_REPLAY: "SsfReplay",
};

beforeAll(async () => {
  const pair = await generateKeyPair("ES256", { extractable: true });
  signingKey = pair.privateKey;
  bundle = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: "spire-1", use: "jwt-svid" }] });
  const transmitter = await generateKeyPair("ES256", { extractable: true });
  transmitterKey = transmitter.privateKey;
  transmitterKeys = JSON.stringify({ keys: [{ ...(await exportJWK(transmitter.publicKey)), kid: "idp-1" }] });
  const { privateKey: assertionKey } = await generateKeyPair("ES256", { extractable: true });
  const assertionKeys = JSON.stringify({ keys: [{ ...(await exportJWK(assertionKey)), kid: "test" }] });
  const loaded = await loadPolicy(POLICY);
  if (!loaded.ok) throw new Error(`test policy refused: ${JSON.stringify(loaded.issues)}`);
  mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    cf: false,
    logRequests: false,
    handleStructuredLogs: () => {},
    workers: [
      module("caller", CALLER, { WARD: { type: "worker", worker: "ward" } }),
      module(
        "ward",
        await bundleWorker(),
        {
          POLICY: { type: "kv", id: "abandoned-load-policy" },
          ASSERTION_SIGNING_KEYS: { type: "text", value: assertionKeys },
          ORIGIN: { type: "worker", worker: "origin" },
          ...Object.fromEntries(
            Object.entries(DURABLE_OBJECTS).map(([binding, exportName]) => [
              binding,
              { type: "durable-object", worker: "ward", exportName },
            ]),
          ),
        },
        {
          exports: Object.fromEntries(
            Object.values(DURABLE_OBJECTS).map((name) => [name, { type: "durable-object", storage: "sqlite" }]),
          ),
        },
        {
          outboundService: { type: "fetcher", handler: keyEndpoint },
        },
      ),
      module("origin", ORIGIN),
    ],
  } as unknown as ConstructorParameters<typeof Miniflare>[0]);
  await mf.ready;
  const kv = await mf.getKVNamespace("POLICY", "ward");
  for (const [key, value] of versionRecords(loaded.policy, POLICY)) await kv.put(key, value);
  await kv.put(ACTIVE_KEY, loaded.policy.version);
}, 60_000);

afterAll(async () => {
  await mf?.dispose();
});

async function call(abortAfter?: number): Promise<number> {
  const headers: Record<string, string> = { authorization: `Bearer ${await token()}` };
  if (abortAfter) headers["x-abort-after"] = String(abortAfter);
  const reply = await mf.dispatchFetch("https://api.ward-test.internal/data", { headers });
  await reply.arrayBuffer();
  return reply.status;
}

it("a caller who starts the key-set load and goes away does not hold up the next token", async () => {
  // The first caller's request starts the load (the isolate has no set yet) and is cancelled before it ends.
  expect(await call(300)).toBe(499);
  // The next token needs the same set: it is answered when that load ends (~1.5 s), by the same fetch.
  const started = Date.now();
  expect(await call()).toBe(200);
  expect(keyFetches).toEqual([BUNDLE_URL]);
  expect(Date.now() - started).toBeLessThan(5_000);
}, 30_000);

/** A session-revoked SET from the transmitter, pushed to Ward (RFC 8935). */
async function pushSet(abortAfter?: number): Promise<number> {
  const payload = {
    iss: "https://idp.ward-test.internal/",
    aud: "https://ward.ward-test.internal/dev",
    iat: Math.floor(Date.now() / 1000),
    jti: crypto.randomUUID(),
    sub_id: { format: "email", email: "leaver@example.com" },
    events: { [EVENT_URIS["session-revoked"]]: {} },
  };
  const set = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: "ES256", kid: "idp-1", typ: "secevent+jwt" })
    .sign(transmitterKey);
  const headers: Record<string, string> = { "content-type": "application/secevent+jwt", accept: "application/json" };
  if (abortAfter) headers["x-abort-after"] = String(abortAfter);
  const reply = await mf.dispatchFetch("https://api.ward-test.internal/.ward/ssf/events/idp", {
    method: "POST",
    headers,
    body: set,
  });
  await reply.arrayBuffer();
  return reply.status;
}

it("a transmitter key fetch whose SET's sender went away still refreshes the set for the next SET", async () => {
  const before = keyFetches.length;
  // The first SET's verification starts the fetch of the transmitter's keys; its sender goes away meanwhile.
  expect(await pushSet(300)).toBe(499);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  // The next SET, after that fetch has had time to end: verified with the set it brought, not asked again.
  expect(await pushSet()).toBe(202);
  expect(keyFetches.slice(before)).toEqual([TRANSMITTER_KEYS]);
}, 30_000);
