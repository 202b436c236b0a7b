// One Ward deployment of a given size, for the scaling benchmark (test/bench/scaling.ts): the generated policy
// of `routes` routes (test/bench/generate-policy.ts, the policy benchmark's) plus a small "bench" service,
// a denylist of `denylist` entries (none of them the callers'), and Access JWTs for `identities` people.
// Everything else is as the gateway benchmark deploys Ward (test/bench/gateway/setup.ts): the production
// bundle's entry, Durable Objects on SQLite, an Access key set from a local stand-in, a decision log.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import type { Miniflare } from "miniflare";
import { stringify } from "yaml";
import {
  ACTIVE_KEY,
  compilePolicy,
  type CompiledPolicy,
  type PolicyInput,
  validatePolicy,
  versionRecords,
} from "../../../policy/index.ts";
import { generatePolicy, PEOPLE, resourceName, serviceHost, ROUTES_PER_SERVICE } from "../generate-policy.ts";
import { DO_BINDINGS, DO_EXPORTS, worker } from "../gateway/setup.ts";

const TEAM = "https://scaling.cloudflareaccess.com";
const AUD = "5d1c0e7b2a9f8e6d5c4b3a2918f7e6d5c4b3a2918f7e6d5c4b3a2918f7e6d5c4";
export const BENCH_HOST = "bench.localhost";
/** Generous enough that no row is ever refused: the rows measure the counting, not the refusals. */
const RATE_LIMIT = 1_000_000;

/** The size of one deployment. */
export interface Size {
  routes: number;
  denylist: number;
  identities: number;
}

/** Who a row's requests come from, where they go. */
export interface Target {
  host: string;
  path: string;
  /** One Access JWT per identity; the load generator sends them in turn. */
  tokens: string[];
}

/**
 * The generated policy, re-pointed for this harness: its Access team domain is the stand-in's (the callers come
 * with Access JWTs; the generated mTLS and workload-token issuers stay, unused), every origin is the one origin
 * Worker, and a "bench" service holds a plain route and a rate-limited one for people at example.com (two of the
 * `routes`).
 */
export function scalingPolicy(routes: number): PolicyInput {
  // `routes` in all, the bench service's two among them: 10,000 is the most a policy may have (MAX_ROUTES).
  const doc = generatePolicy(routes - 2);
  for (const service of Object.values(doc.services)) service.origin = { tunnel: "ORIGIN" };
  const people = [{ emailDomain: "example.com" }];
  doc.services.bench = {
    hosts: [BENCH_HOST],
    origin: { tunnel: "ORIGIN" },
    owner: "bench@example.com",
    routes: [
      {
        id: "item",
        methods: ["GET"],
        path: "/item/{id}",
        rules: [{ id: "people", effect: "allow", principals: people }],
      },
      {
        id: "limited",
        methods: ["GET"],
        path: "/limited/{id}",
        rules: [{ id: "people", effect: "allow", principals: people, rateLimit: { limit: RATE_LIMIT, period: "60s" } }],
      },
    ],
  };
  return { ...doc, identity: { ...doc.identity, access: { teamDomain: TEAM, audiences: [AUD] } } };
}

/** The stored form of a policy as a push stores it: the source (YAML) and the validated canonical document. */
export async function storedPolicy(doc: PolicyInput): Promise<{ policy: CompiledPolicy; records: [string, string][] }> {
  const validated = validatePolicy(doc);
  if (!validated.ok)
    throw new Error(
      `scaling policy refused: ${JSON.stringify(validated.issues.filter((i) => i.severity === "error").slice(0, 3))}`,
    );
  const policy = await compilePolicy(validated.policy);
  return { policy, records: versionRecords(policy, stringify(doc)) };
}

/** Someone the policy's generated routes allow (the on-call person may read any item), on a middle service. */
export function routeTarget(routes: number, token: string): Target {
  const service = Math.floor(Math.ceil(routes / ROUTES_PER_SERVICE) / 2);
  return { host: serviceHost(service), path: `/v1/${resourceName(service, 0)}/ord-48213`, tokens: [token] };
}

/** Access JWTs for the given addresses, signed by the stand-in's key. */
export interface Keys {
  jwks: string;
  assertionKeys: string;
  sign(email: string): Promise<string>;
}

export async function makeKeys(): Promise<Keys> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: "s".repeat(64), alg: "RS256", use: "sig" };
  const { privateKey: assertionKey } = await generateKeyPair("ES256", { extractable: true });
  const now = Math.floor(Date.now() / 1000);
  return {
    jwks: JSON.stringify({ keys: [jwk] }),
    assertionKeys: JSON.stringify({ keys: [{ ...(await exportJWK(assertionKey)), kid: "scaling" }] }),
    sign: (email) =>
      new SignJWT({ type: "app", email, sub: `u-${email}`, identity_nonce: `n-${email}` })
        .setProtectedHeader({ alg: "RS256", kid: jwk.kid! })
        .setIssuer(TEAM)
        .setAudience([AUD])
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + 3600)
        .sign(privateKey),
  };
}

export const oncall = PEOPLE.oncall;
export const person = (i: number): string => `person${i}@example.com`;

const ORIGIN = `export default { fetch() { return new Response("ok"); } }`;

/**
 * The Access team domain: the key set, and get-identity (no groups) for the generated policy's group rules, naming
 * the person of the token it is sent, as Access's answer does.
 */
const accessEdge = (jwks: string) => `export default {
  fetch(request) {
    if (new URL(request.url).pathname.endsWith("/get-identity")) {
      const token = /CF_Authorization=([^;]+)/.exec(request.headers.get("cookie") ?? "")?.[1] ?? "";
      const payload = JSON.parse(atob((token.split(".")[1] ?? "").replace(/-/g, "+").replace(/_/g, "/")));
      return Response.json({ email: payload.email, groups: [] });
    }
    return new Response(${JSON.stringify(jwks)}, { headers: { "content-type": "application/json" } });
  },
}`;

/** Adds `count` revocations through the Denylist object's own `add`: it creates the object and its table. */
const SEEDER = `export default {
  async fetch(request, env) {
    const count = Number(new URL(request.url).searchParams.get("count"));
    const list = env.DENYLIST.getByName("denylist");
    for (let i = 0; i < count; i++)
      await list.add({ kind: "revocation", reason: "bench: someone else", expiresAt: null, match: "email", value: "leaver-first" + i + "@example.com" }, "bench", Date.now());
    return new Response(String(count));
  },
}`;

/**
 * Fills the (closed) Denylist object's SQLite file directly to `count` entries in two statements: through the
 * object's `add`, one durable write each, 100,000 entries take about a minute here. The same mix as the gateway
 * benchmark's: certificate serials and fingerprints, SPIFFE IDs and e-mails, none of them a caller's.
 */
export async function fillDenylist(persistPath: string, count: number): Promise<void> {
  const dir = join(persistPath, "do/store-Denylist");
  const file = readdirSync(dir).find((f) => /^[0-9a-f]{64}\.sqlite$/.test(f));
  if (!file) throw new Error(`no Denylist object in ${dir}`);
  // node:sqlite is experimental in Node 22 and says so on stderr once: the bench output has no use for that.
  const emit = process.emitWarning;
  process.emitWarning = () => {};
  const { DatabaseSync } = await import("node:sqlite");
  process.emitWarning = emit;
  const db = new DatabaseSync(join(dir, file));
  try {
    const have = (db.prepare("SELECT COUNT(*) AS n FROM entries").get() as { n: number }).n;
    db.prepare(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
      INSERT INTO entries (id, kind, match, value, reason, created_at, created_by, expires_at)
      SELECT 'rev-seed-' || i, 'revocation',
        CASE WHEN i % 10 < 4 THEN 'serial' WHEN i % 10 < 7 THEN 'fingerprint' WHEN i % 10 < 9 THEN 'spiffe' ELSE 'email' END,
        CASE WHEN i % 10 < 4 THEN '3a45f848c6050cd86d58fe6da772c4f3c3cef5c2/' || printf('%x', 8000000 + i)
             WHEN i % 10 < 7 THEN printf('%064x', 16000000 + i)
             WHEN i % 10 < 9 THEN 'spiffe://prod.example.com/ns/old/sa/w' || i
             ELSE 'leaver' || i || '@example.com' END,
        'bench: someone else', ?, 'bench', NULL FROM n`).run(count - have, Date.now());
    // Each fact numbered in the change sequence, as the object's own writes number theirs, and marked as
    // looked at (else the object's next wake would number the rows written behind its back, once).
    db.prepare(`INSERT INTO fact_changes (match, value, seq, at)
      SELECT match, value, (SELECT COALESCE(MAX(seq), 0) FROM fact_changes) + ROW_NUMBER() OVER (), ?
      FROM (SELECT DISTINCT match, value FROM entries) AS e
      WHERE NOT EXISTS (SELECT 1 FROM fact_changes f WHERE f.match = e.match AND f.value = e.value)`).run(Date.now());
    db.exec("UPDATE upkeep SET numbered_upto = (SELECT MAX(rowid) FROM entries)");
  } finally {
    db.close();
  }
}

const storeDo = (cls: string) => ({ type: "durable-object", worker: "store", exportName: cls });

/**
 * Miniflare options for Ward with its origin, the Access stand-in and the denylist seeder. The Durable Objects
 * run in a second copy of the bundle ("store"), as deployed, where each object gets an isolate of its own: in
 * the Worker's own isolate they would add the objects' memory (the Denylist's whole list, read out every two
 * seconds) to the Worker's.
 */
export function wardOptions(bundle: string, keys: Keys): Record<string, unknown> {
  const env = {
    POLICY: { type: "kv", id: "scaling-policy" },
    ASSERTION_SIGNING_KEYS: { type: "text", value: keys.assertionKeys },
    DECISIONS: { type: "analytics-engine-dataset", name: "ward_decisions" },
    ORIGIN: { type: "worker", worker: "origin" },
    ...Object.fromEntries(Object.entries(DO_BINDINGS).map(([b, cls]) => [b, storeDo(cls)])),
  };
  return {
    workers: [
      { ...worker("ward", bundle, env), dev: { outboundService: { type: "worker", worker: "access" } } },
      worker("store", bundle, env, {
        exports: DO_EXPORTS,
      }),
      worker("origin", ORIGIN, {}),
      worker("access", accessEdge(keys.jwks), {}),
      worker("seeder", SEEDER, { DENYLIST: storeDo("Denylist") }),
    ],
  };
}

/** Puts the policy's records in KV and makes it active, and creates the Denylist object with one entry. */
export async function activate(
  mf: Miniflare,
  stored: { policy: CompiledPolicy; records: [string, string][] },
): Promise<void> {
  const kv = await mf.getKVNamespace("POLICY", "ward");
  for (const [key, value] of stored.records) await kv.put(key, value);
  await kv.put(ACTIVE_KEY, stored.policy.version);
  const res = await (await mf.getWorker("seeder")).fetch("http://seeder/?count=1");
  if (!res.ok) throw new Error(`denylist seeding: ${res.status} ${(await res.text()).slice(0, 200)}`);
}
