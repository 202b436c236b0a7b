// The four gateway variants of the side-by-side benchmark, each as Miniflare options, and the credentials
// every variant is sent (an Access JWT and a client certificate). Shared by the benchmark
// (gateway-bench.ts) and the profiler (profile.ts), so both measure exactly the same thing.
import { execFile, execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import { Miniflare } from "miniflare";
import {
  ACTIVE_KEY,
  type CompiledPolicy,
  type loadPolicy as LoadPolicy,
  versionRecords,
} from "../../../policy/index.ts";
import { bundleWorker } from "../../../scripts/dev/bundle.ts";
import type { Denylist, NewDenyEntry } from "../../../worker/denylist/store.ts";

export const run = promisify(execFile);
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
export const ROOT = here("../../../");
const TEAM = "https://ward-demo.cloudflareaccess.com";
const AUD = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";
const COMPAT = "2026-11-01";
export const ROUTES = 1000;
const CA_SKI = "3a45f848c6050cd86d58fe6da772c4f3c3cef5c2";
const CHECKOUT = "spiffe://demo.ward.internal/ns/shop/sa/checkout";

/**
 * "passthrough-log" is a reference row: the pass-through plus one decision-log line, no gateway.
 * "peer-logged" is the peer as run in production: with Hono's access log (`logger()`) in front.
 */
export const VARIANT_NAMES = ["passthrough", "passthrough-log", "peer", "peer-logged", "full", "ratelimited"] as const;
export type VariantName = (typeof VARIANT_NAMES)[number];

/**
 * A 1,000-route service whose routes workloads may GET, plus one rate-limited route. `trustDomains: false`
 * leaves out the issuer's trust domains, which a Ward from before they existed refuses: for the bench's one
 * caller (a SPIFFE ID in demo.ward.internal, the CA's only domain) the two policies decide the same.
 */
function benchPolicy(trustDomains: boolean, ratePeriod: string): string {
  const routes = Array.from(
    { length: ROUTES },
    (_, i) =>
      `      - id: r${i}\n        methods: [GET]\n        path: /r${i}/{id}\n        rules:\n          - { id: checkout, effect: allow, principals: [{ spiffe: "${CHECKOUT}" }] }`,
  ).join("\n");
  return `version: 1
metadata: { environment: dev, owners: [bench@example.com] }
identity:
  access: { teamDomain: ${TEAM}, audiences: ["${AUD}"] }
  mtls: { issuers: [{ ski: "${CA_SKI}"${trustDomains ? ", trustDomains: [demo.ward.internal]" : ""} }], spiffe: true }
services:
  bench:
    hosts: [bench.localhost]
    origin: { tunnel: ORIGIN }
    owner: bench@example.com
    routes:
      - id: limited
        methods: [GET]
        path: /limited/{id}
        rules:
          - { id: checkout, effect: allow, principals: [{ spiffe: "${CHECKOUT}" }], rateLimit: { limit: 1000000, period: ${ratePeriod} } }
${routes}
`;
}

async function tlsClientAuthBlob(): Promise<string> {
  const { createHash, X509Certificate } = await import("node:crypto");
  const cert = new X509Certificate(readFileSync(join(ROOT, "test/fixtures/certs/checkout.pem"), "utf8"));
  return JSON.stringify({
    tlsClientAuth: {
      certPresented: "1",
      certVerified: "SUCCESS",
      certRevoked: "0",
      certIssuerSKI: CA_SKI,
      certIssuerDNRFC2253: "O=Ward Tests,CN=Ward Test Workload CA",
      certSerial: cert.serialNumber,
      certNotBefore: cert.validFrom,
      certNotAfter: cert.validTo,
      certFingerprintSHA256: createHash("sha256").update(cert.raw).digest("hex"),
      certRFC9440: `:${cert.raw.toString("base64")}:`,
      certRFC9440TooLarge: false,
    },
  });
}

/** Ward's Durable Object bindings and their classes, as wrangler.toml binds them for the request path. */
export const DO_BINDINGS: Readonly<Record<string, string>> = {
  POLICY_CONTROL: "PolicyControl",
  GRANTS: "Grants",
  DENYLIST: "Denylist",
  DENIAL_COUNTER: "DenialCounter",
  RATE_LIMITER: "RateLimiter",
};
/** The classes a Ward Worker exports, each with SQLite storage. */
export const DO_EXPORTS = Object.fromEntries(
  Object.values(DO_BINDINGS).map((cls) => [cls, { type: "durable-object", storage: "sqlite" }]),
);

/** One Worker of a Miniflare instance, from its bundled source (the scaling rows build theirs with it too). */
export function worker(
  name: string,
  source: string,
  env: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): object {
  return {
    config: {
      name,
      compatibilityDate: COMPAT,
      manifest: { mainModule: "w.mjs", modules: { "w.mjs": { type: "esm", contents: source } } },
      env,
      exports: {},
      ...extra,
    },
  };
}

export interface Variant {
  name: VariantName;
  path: string;
  mf: Miniflare;
  port: number;
  pid: number;
}

/** Everything the variants are built from and sent: made once per run (keys are fresh each time). */
export interface BenchSetup {
  /** Request headers every variant receives: the Access JWT and the client certificate (MF-CF-Blob). */
  headers: Record<string, string>;
  /** Miniflare options for a variant (shared options such as the inspector port may be added). */
  options(name: VariantName): Record<string, unknown>;
  /** The path a variant is loaded on. */
  path(name: VariantName): string;
  /** Puts the 1,000-route policy in a Ward variant's KV and makes it active. */
  activate(mf: Miniflare): Promise<void>;
}

/** Which Ward the "full" and "ratelimited" variants run. */
export interface BenchOptions {
  /**
   * Another Ward checkout (a `git worktree add` of an older commit, say): its worker/index.ts is bundled and
   * its policy/ validates the bench policy, for a paired comparison of two bundles (pair.ts). Default: the
   * environment's WARD_BENCH_CHECKOUT (so `npm run profile` and `profile:native` can look at that Ward), else this one.
   */
  checkout?: string;
  /** Text bindings added to the Ward variants' env (pair.ts's callgrind mode lengthens the re-read intervals). */
  vars?: Record<string, string>;
  /** The rate-limited route's window (default 60s). */
  ratePeriod?: string;
}

/** The bench policy as the Ward of `checkout` loads it: today's, or the same without what it does not know. */
async function wardPolicy(checkout: string, ratePeriod: string): Promise<{ text: string; policy: CompiledPolicy }> {
  const { loadPolicy } = (await import(join(checkout, "policy/index.ts"))) as { loadPolicy: typeof LoadPolicy };
  let refused: unknown;
  for (const text of [benchPolicy(true, ratePeriod), benchPolicy(false, ratePeriod)]) {
    const loaded = await loadPolicy(text);
    if (loaded.ok) return { text, policy: loaded.policy };
    refused ??= loaded.issues.slice(0, 3);
  }
  throw new Error(`bench policy refused by ${checkout}: ${JSON.stringify(refused)}`);
}

export async function benchSetup(bench: BenchOptions = {}): Promise<BenchSetup> {
  const checkout = bench.checkout ?? process.env.WARD_BENCH_CHECKOUT ?? ROOT;
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const accessJwk: JWK = { ...(await exportJWK(publicKey)), kid: "a".repeat(64), alg: "RS256", use: "sig" };
  const jwks = JSON.stringify({ keys: [accessJwk] });
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({
    type: "app",
    email: "bench@example.com",
    sub: "u-bench",
    identity_nonce: "n-bench",
  })
    .setProtectedHeader({ alg: "RS256", kid: accessJwk.kid! })
    .setIssuer(TEAM)
    .setAudience([AUD])
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
  const { privateKey: assertionKey } = await generateKeyPair("ES256", { extractable: true });
  const assertionKeys = JSON.stringify({ keys: [{ ...(await exportJWK(assertionKey)), kid: "bench" }] });
  const blob = await tlsClientAuthBlob();

  const [gateway, peer, peerLogged] = await Promise.all([
    // Minified as wrangler.toml deploys it (identifiers aside: see bundleWorker).
    bundleWorker(join(checkout, "worker/index.ts"), { minify: true }),
    bundleWorker(here("./peer.ts")),
    bundleWorker(here("./peer-logged.ts")),
  ]);
  const [passthrough, passthroughLog, origin] = ["passthrough.js", "passthrough-log.js", "origin.js"].map((f) =>
    readFileSync(here(`./${f}`), "utf8"),
  );
  const originWorker = worker("origin", origin!, {});
  // The Access team domain, the outside edge: its key set for Ward and the peer alike.
  const accessEdge = worker(
    "access",
    `export default { fetch() { return new Response(${JSON.stringify(jwks)}, { headers: { "content-type": "application/json" } }); } }`,
    {},
  );
  const withAccess = { dev: { outboundService: { type: "worker", worker: "access" } } };
  const loaded = await wardPolicy(checkout, bench.ratePeriod ?? "60s");
  const ward = () => ({
    workers: [
      {
        ...worker(
          "ward",
          gateway,
          {
            POLICY: { type: "kv", id: "bench-policy" },
            ASSERTION_SIGNING_KEYS: { type: "text", value: assertionKeys },
            ...Object.fromEntries(Object.entries(bench.vars ?? {}).map(([k, value]) => [k, { type: "text", value }])),
            // Bound in staging and production (wrangler.toml): every decision is also a data point.
            DECISIONS: { type: "analytics-engine-dataset", name: "ward_decisions" },
            ORIGIN: { type: "worker", worker: "origin" },
            ...Object.fromEntries(
              Object.entries(DO_BINDINGS).map(([b, cls]) => [
                b,
                { type: "durable-object", worker: "ward", exportName: cls },
              ]),
            ),
          },
          { exports: DO_EXPORTS },
        ),
        ...withAccess,
      },
      originWorker,
      accessEdge,
    ],
  });
  const options: Record<VariantName, () => Record<string, unknown>> = {
    passthrough: () => ({
      workers: [worker("pass", passthrough!, { ORIGIN: { type: "worker", worker: "origin" } }), originWorker],
    }),
    "passthrough-log": () => ({
      workers: [worker("passlog", passthroughLog!, { ORIGIN: { type: "worker", worker: "origin" } }), originWorker],
    }),
    peer: () => ({
      workers: [
        { ...worker("peer", peer, { ORIGIN: { type: "worker", worker: "origin" } }), ...withAccess },
        originWorker,
        accessEdge,
      ],
    }),
    "peer-logged": () => ({
      workers: [
        { ...worker("peerlog", peerLogged, { ORIGIN: { type: "worker", worker: "origin" } }), ...withAccess },
        originWorker,
        accessEdge,
      ],
    }),
    full: ward,
    ratelimited: ward,
  };
  return {
    headers: { "cf-access-jwt-assertion": token, "MF-CF-Blob": blob },
    options: (name) => options[name](),
    path: (name) => (name === "ratelimited" ? "/limited/42" : "/r500/42"),
    async activate(mf) {
      const kv = await mf.getKVNamespace("POLICY", "ward");
      // Stored as a push stores it; older Wards since documents were added read the same layout.
      for (const [key, value] of versionRecords(loaded.policy, loaded.text)) await kv.put(key, value);
      await kv.put(ACTIVE_KEY, loaded.policy.version);
      await seedDenylist(mf);
    },
  };
}

/**
 * A production denylist is rarely empty: 100 revocations of other certificates, workloads and people, none
 * the bench caller's, so every request pays for the look-ups (an empty list is skipped) and every isolate
 * re-reads the list in the background as deployed.
 */
async function seedDenylist(mf: Miniflare): Promise<void> {
  const namespace = await mf.getDurableObjectNamespace("DENYLIST", "ward");
  // DENYLIST_NAME of worker/denylist/store.ts, which Node cannot import (it extends cloudflare:workers' DurableObject).
  const list = namespace.get(namespace.idFromName("denylist")) as unknown as DurableObjectStub<Denylist>;
  const entries = Array.from(
    { length: 100 },
    (_, i): Pick<NewDenyEntry, "match" | "value"> =>
      i < 40
        ? { match: "serial", value: `${CA_SKI}/${(0x7a000 + i).toString(16)}` }
        : i < 70
          ? { match: "fingerprint", value: (0xf000 + i).toString(16).padStart(64, "0") }
          : i < 90
            ? { match: "spiffe", value: `spiffe://demo.ward.internal/ns/old/sa/w${i}` }
            : { match: "email", value: `leaver${i}@example.com` },
  );
  for (const entry of entries)
    await list.add(
      { kind: "revocation", reason: "bench: someone else", expiresAt: null, ...entry },
      "bench",
      Date.now(),
    );
}

/** Miniflare as the benchmark runs it: no cf.json fetch, no request logging, console lines discarded. */
export function miniflare(options: Record<string, unknown>): Miniflare {
  return new Miniflare({
    host: "127.0.0.1",
    port: 0,
    cf: false,
    logRequests: false,
    handleStructuredLogs: () => {},
    ...options,
  } as unknown as ConstructorParameters<typeof Miniflare>[0]);
}

/** This process's own workerds (Miniflare's children): other work on the machine may run workerd too. */
function workerdPids(): Set<number> {
  try {
    return new Set(
      execFileSync("pgrep", ["-P", String(process.pid), "-f", "workerd serve"], { encoding: "utf8" })
        .trim()
        .split("\n")
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    return new Set(); // pgrep exits 1 when there is none
  }
}

/** Starts a variant in its own workerd, pinned (all its threads) to core 1; the load generator uses core 0. */
export async function startVariant(
  setup: BenchSetup,
  name: VariantName,
  shared: Record<string, unknown> = {},
): Promise<Variant> {
  const before = workerdPids();
  const mf = miniflare({ ...setup.options(name), ...shared });
  try {
    const url = await mf.ready;
    const pid = [...workerdPids()].find((p) => !before.has(p))!;
    await run("taskset", ["-a", "-cp", "1", String(pid)]).catch(() => undefined);
    if (name === "full" || name === "ratelimited") await setup.activate(mf);
    return { name, path: setup.path(name), mf, port: Number(url.port), pid };
  } catch (error) {
    // Not returned, so no caller could stop its workerd.
    await mf.dispose().catch(() => undefined);
    throw error;
  }
}

/** workerd's CPU time so far (utime + stime), in clock ticks (100/s). */
export function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * workerd's CPU time so far in nanoseconds: the sum over its threads of the scheduler's own count
 * (`/proc/PID/task/TID/schedstat`), finer than cpuTicks' 10 ms, which a co-run's half share of 2 s would
 * quantise to a percent. A thread that ends between two readings takes its time out of the second one, so the
 * difference would undercount: workerd's threads live as long as the process. Falls back to the ticks where
 * schedstat cannot be read.
 */
export function cpuNanos(pid: number): number {
  let sum = 0;
  let read = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        sum += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
        read++;
      } catch {
        // a thread that ended between the listing and the read
      }
    }
  } catch {
    read = 0;
  }
  return read > 0 && Number.isFinite(sum) ? sum : cpuTicks(pid) * 10_000_000;
}

/** What one wrk run measured of a variant. */
export interface Measured {
  rps: number;
  cpuUsPerRequest: number;
  non2xx: number;
}

/** `wrk` on core 0 against a variant: one thread, 16 connections, every variant sent the same headers. */
async function wrk(setup: BenchSetup, v: Variant, seconds: number): Promise<{ requests: number; non2xx: number }> {
  const headers = Object.entries(setup.headers).flatMap(([name, value]) => ["-H", `${name}: ${value}`]);
  const args = [
    "-c",
    "0",
    "wrk",
    "-t1",
    "-c16",
    `-d${seconds}s`,
    "-H",
    `Host: bench.localhost:${v.port}`,
    ...headers,
    `http://127.0.0.1:${v.port}${v.path}`,
  ];
  const { stdout } = await run("taskset", args, { maxBuffer: 1 << 20 });
  return {
    requests: Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0),
  };
}

const measured = (requests: number, non2xx: number, seconds: number, nanos: number): Measured => ({
  rps: requests / seconds,
  cpuUsPerRequest: requests > 0 ? nanos / 1000 / requests : 0,
  non2xx,
});

/** One variant alone on core 1, under `wrk` from core 0. */
export async function load(setup: BenchSetup, v: Variant, seconds: number): Promise<Measured> {
  const before = cpuNanos(v.pid);
  const { requests, non2xx } = await wrk(setup, v, seconds);
  return measured(requests, non2xx, seconds, cpuNanos(v.pid) - before);
}

/**
 * Two variants loaded at once, both pinned to core 1 (each by its own wrk on core 0), so both are measured in
 * the same seconds of the machine: this VM's speed moves by a third within seconds, and a ratio of two runs
 * taken one after the other inherits that. The scheduler shares the core between them; each side's CPU per
 * request (its own workerd's CPU time over its own requests) is what the ratio compares, so an uneven share
 * does not move it. `setupOfB`: b's own setup, when b was built from another (pair.ts's other checkout).
 */
export async function corun(
  setup: BenchSetup,
  a: Variant,
  b: Variant,
  seconds: number,
  setupOfB: BenchSetup = setup,
): Promise<[Measured, Measured]> {
  const [a0, b0] = [cpuNanos(a.pid), cpuNanos(b.pid)];
  const [ra, rb] = await Promise.all([wrk(setup, a, seconds), wrk(setupOfB, b, seconds)]);
  const [a1, b1] = [cpuNanos(a.pid), cpuNanos(b.pid)];
  return [measured(ra.requests, ra.non2xx, seconds, a1 - a0), measured(rb.requests, rb.non2xx, seconds, b1 - b0)];
}
