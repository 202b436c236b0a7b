// The gateway side by side, on Miniflare: (a) a bare pass-through Worker, (b) the peer (Hono with
// @hono/cloudflare-access on the same Access JWT), (c) Ward's full pipeline (mTLS facts + Access JWT + a
// 1,000-route policy + decision log + signed assertion, as deployed), (d) Ward on a rate-limited route.
// One workerd per variant pinned to core 1, wrk pinned to core 0, variants interleaved, medians of rounds.
// Also the production bundle size and the first-request time of a fresh isolate.
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import { Miniflare } from "miniflare";
import { loadPolicy } from "../../policy/index.ts";
import { bundleWorker } from "../../scripts/dev/bundle.ts";
import { ACTIVE_KEY, versionKey } from "../../worker/policy-store.ts";
import { send } from "../support/http-request.ts";
import type { BenchOutcome } from "./policy-bench.ts";

const run = promisify(execFile);
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const ROOT = here("../../");
const TEAM = "https://ward-demo.cloudflareaccess.com";
const AUD = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";
const COMPAT = "2026-11-01";
const ROUNDS = 3;
const SECONDS = 5;
const ROUTES = 1000;
const CA_SKI = "3a45f848c6050cd86d58fe6da772c4f3c3cef5c2";
const CHECKOUT = "spiffe://demo.ward.internal/ns/shop/sa/checkout";

/** A 1,000-route service whose routes workloads may GET, plus one rate-limited route. */
function benchPolicy(): string {
  const routes = Array.from({ length: ROUTES }, (_, i) =>
    `      - id: r${i}\n        methods: [GET]\n        path: /r${i}/{id}\n        rules:\n          - { id: checkout, effect: allow, principals: [{ spiffe: "${CHECKOUT}" }] }`,
  ).join("\n");
  return `version: 1
metadata: { environment: dev, owners: [bench@example.com] }
identity:
  access: { teamDomain: ${TEAM}, audiences: ["${AUD}"] }
  mtls: { issuers: [{ ski: "${CA_SKI}" }], spiffe: true }
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
          - { id: checkout, effect: allow, principals: [{ spiffe: "${CHECKOUT}" }], rateLimit: { limit: 1000000, period: 60s } }
${routes}
`;
}

async function tlsClientAuthBlob(): Promise<string> {
  const { createHash, X509Certificate } = await import("node:crypto");
  const cert = new X509Certificate(readFileSync(join(ROOT, "test/fixtures/certs/checkout.pem"), "utf8"));
  return JSON.stringify({
    tlsClientAuth: {
      certPresented: "1", certVerified: "SUCCESS", certRevoked: "0", certIssuerSKI: CA_SKI, certIssuerDNRFC2253: "O=Ward Tests,CN=Ward Test Workload CA",
      certNotBefore: cert.validFrom, certNotAfter: cert.validTo, certFingerprintSHA256: createHash("sha256").update(cert.raw).digest("hex"),
      certRFC9440: `:${cert.raw.toString("base64")}:`, certRFC9440TooLarge: false,
    },
  });
}

function worker(name: string, source: string, env: Record<string, unknown>, extra: Record<string, unknown> = {}): object {
  return { config: { name, compatibilityDate: COMPAT, manifest: { mainModule: "w.mjs", modules: { "w.mjs": { type: "esm", contents: source } } }, env, exports: {}, ...extra } };
}

interface Variant {
  name: string;
  path: string;
  mf: Miniflare;
  port: number;
  pid: number;
}

function workerdPids(): Set<number> {
  try {
    return new Set(execFileSync("pgrep", ["-f", "workerd serve"], { encoding: "utf8" }).trim().split("\n").filter(Boolean).map(Number));
  } catch {
    return new Set(); // pgrep exits 1 when there is none
  }
}

async function start(name: string, path: string, options: object): Promise<Variant> {
  const before = workerdPids();
  const mf = new Miniflare({ host: "127.0.0.1", port: 0, cf: false, logRequests: false, handleStructuredLogs: () => {}, ...options } as unknown as ConstructorParameters<typeof Miniflare>[0]);
  const url = await mf.ready;
  const pid = [...workerdPids()].find((p) => !before.has(p))!;
  // The server on core 1 (all its threads), the load generator on core 0.
  await run("taskset", ["-a", "-cp", "1", String(pid)]).catch(() => undefined);
  return { name, path, mf, port: Number(url.port), pid };
}

const cpuTicks = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (100/s)
};

async function load(v: Variant, headers: string[], seconds: number): Promise<{ rps: number; cpuUsPerRequest: number; non2xx: number }> {
  const ticks = cpuTicks(v.pid);
  const args = ["-c", "0", "wrk", "-t1", "-c16", `-d${seconds}s`, "-H", `Host: bench.localhost:${v.port}`, ...headers.flatMap((h) => ["-H", h]), `http://127.0.0.1:${v.port}${v.path}`];
  const { stdout } = await run("taskset", args, { maxBuffer: 1 << 20 });
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const used = cpuTicks(v.pid) - ticks;
  return { rps: requests / seconds, cpuUsPerRequest: requests > 0 ? (used * 10_000) / requests : 0, non2xx };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function bundleSize(): Promise<number> {
  const out = mkdtempSync(join(tmpdir(), "ward-bundle-"));
  try {
    await run(join(ROOT, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--env", "production", "--outdir", out], { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
    const js = readdirSync(out).filter((f) => f.endsWith(".js"));
    return js.reduce((sum, f) => sum + gzipSync(readFileSync(join(out, f))).length, 0);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export async function runGatewayBench(): Promise<BenchOutcome> {
  // This Node process reads every console line workerd emits (Miniflare's structured logs): keep it off the
  // server's core, with the load generator, so Ward's decision log is not also charged to the server.
  await run("taskset", ["-a", "-cp", "0", String(process.pid)]).catch(() => undefined);
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const accessJwk: JWK = { ...(await exportJWK(publicKey)), kid: "a".repeat(64), alg: "RS256", use: "sig" };
  const jwks = JSON.stringify({ keys: [accessJwk] });
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ type: "app", email: "bench@example.com", sub: "u-bench", identity_nonce: "n-bench" })
    .setProtectedHeader({ alg: "RS256", kid: accessJwk.kid! })
    .setIssuer(TEAM).setAudience([AUD]).setIssuedAt(now).setNotBefore(now).setExpirationTime(now + 3600)
    .sign(privateKey);
  const { privateKey: assertionKey } = await generateKeyPair("ES256", { extractable: true });
  const assertionKeys = JSON.stringify({ keys: [{ ...(await exportJWK(assertionKey)), kid: "bench" }] });
  const blob = await tlsClientAuthBlob();
  const headers = [`cf-access-jwt-assertion: ${token}`, `MF-CF-Blob: ${blob}`];

  const [gateway, peer, passthrough, origin] = await Promise.all([
    bundleWorker(),
    bundleWorker(here("./gateway/peer.ts")),
    Promise.resolve(readFileSync(here("./gateway/passthrough.js"), "utf8")),
    Promise.resolve(readFileSync(here("./gateway/origin.js"), "utf8")),
  ]);
  const originWorker = worker("origin", origin, {});
  // The Access team domain, the outside edge: its key set for Ward and the peer alike.
  const accessEdge = worker("access", `export default { fetch() { return new Response(${JSON.stringify(jwks)}, { headers: { "content-type": "application/json" } }); } }`, {});
  const withAccess = { dev: { outboundService: { type: "worker", worker: "access" } } };
  const policyText = benchPolicy();
  const loaded = await loadPolicy(policyText);
  if (!loaded.ok) throw new Error(`bench policy: ${JSON.stringify(loaded.issues.slice(0, 3))}`);
  const DO = ["PolicyControl", "Grants", "Denylist", "DenialCounter", "RateLimiter"];
  const DO_BINDINGS: Record<string, string> = { POLICY_CONTROL: "PolicyControl", GRANTS: "Grants", DENYLIST: "Denylist", DENIAL_COUNTER: "DenialCounter", RATE_LIMITER: "RateLimiter" };
  const wardOptions = () => ({
    workers: [
      {
        ...worker("ward", gateway, {
          POLICY: { type: "kv", id: "bench-policy" },
          ASSERTION_SIGNING_KEYS: { type: "text", value: assertionKeys },
          ORIGIN: { type: "worker", worker: "origin" },
          ...Object.fromEntries(Object.entries(DO_BINDINGS).map(([b, cls]) => [b, { type: "durable-object", worker: "ward", exportName: cls }])),
        }, { exports: Object.fromEntries(DO.map((cls) => [cls, { type: "durable-object", storage: "sqlite" }])) }),
        ...withAccess,
      },
      originWorker,
      accessEdge,
    ],
  });
  const activate = async (mf: Miniflare) => {
    const kv = await mf.getKVNamespace("POLICY", "ward");
    await kv.put(versionKey(loaded.policy.version), policyText);
    await kv.put(ACTIVE_KEY, loaded.policy.version);
  };

  // First request of a fresh isolate with the 1,000-route policy (policy load + compile + key set fetch).
  const firstRequestMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const mf = new Miniflare({ host: "127.0.0.1", port: 0, cf: false, logRequests: false, handleStructuredLogs: () => {}, ...wardOptions() } as ConstructorParameters<typeof Miniflare>[0]);
    const url = await mf.ready;
    await activate(mf);
    const t = performance.now();
    const res = await send(Number(url.port), `http://bench.localhost:${url.port}/r500/42`, { headers: { "cf-access-jwt-assertion": token, "MF-CF-Blob": blob } });
    firstRequestMs.push(performance.now() - t);
    if (res.status !== 200) throw new Error(`first request answered ${res.status}: ${res.body}`);
    await mf.dispose();
  }

  const variants: Variant[] = [];
  variants.push(await start("passthrough", "/r500/42", { workers: [worker("pass", passthrough, { ORIGIN: { type: "worker", worker: "origin" } }), originWorker] }));
  variants.push(await start("peer", "/r500/42", { workers: [{ ...worker("peer", peer, { ORIGIN: { type: "worker", worker: "origin" } }), ...withAccess }, originWorker, accessEdge] }));
  const full = await start("full", "/r500/42", wardOptions());
  await activate(full.mf);
  variants.push(full);
  const limited = await start("ratelimited", "/limited/42", wardOptions());
  await activate(limited.mf);
  variants.push(limited);

  const results: Record<string, { rps: number[]; cpu: number[]; non2xx: number }> = {};
  try {
    for (const v of variants) await load(v, headers, 2); // warm-up: JIT, key sets, policy, Durable Objects
    for (let round = 0; round < ROUNDS; round++) {
      for (const v of round % 2 === 0 ? variants : [...variants].reverse()) {
        const r = await load(v, headers, SECONDS);
        const entry = (results[v.name] ??= { rps: [], cpu: [], non2xx: 0 });
        entry.rps.push(r.rps);
        entry.cpu.push(r.cpuUsPerRequest);
        entry.non2xx += r.non2xx;
      }
    }
  } finally {
    await Promise.all(variants.map((v) => v.mf.dispose()));
  }

  const rps = (n: string) => median(results[n]!.rps);
  const cpu = (n: string) => median(results[n]!.cpu);
  const bundleGzip = await bundleSize();
  const ratios = { "full/passthrough": rps("full") / rps("passthrough"), "full/peer": rps("full") / rps("peer"), "ratelimited/passthrough": rps("ratelimited") / rps("passthrough") };
  const figures = {
    method: { rounds: ROUNDS, secondsPerRun: SECONDS, connections: 16, routes: ROUTES, pinned: "workerd on core 1, wrk on core 0" },
    variants: Object.fromEntries(Object.keys(results).map((n) => [n, { requestsPerSecond: Math.round(rps(n)), cpuMicrosPerRequest: Math.round(cpu(n)), addedCpuMicrosVsPassthrough: Math.round(cpu(n) - cpu("passthrough")), non2xx: results[n]!.non2xx }])),
    ratios,
    bundleGzipBytes: bundleGzip,
    firstRequestMs: { median: Math.round(median(firstRequestMs)), all: firstRequestMs.map(Math.round) },
  };
  mkdirSync(join(ROOT, "bench-results"), { recursive: true });
  writeFileSync(join(ROOT, "bench-results/gateway.json"), JSON.stringify(figures, null, 2) + "\n");

  console.log("gateway side by side (Miniflare, wrk; medians of rounds)");
  console.log("variant        req/s   CPU µs/req   added CPU µs   non-2xx");
  for (const [n, f] of Object.entries(figures.variants)) {
    console.log(`${n.padEnd(12)} ${String(f.requestsPerSecond).padStart(7)} ${String(f.cpuMicrosPerRequest).padStart(12)} ${String(f.addedCpuMicrosVsPassthrough).padStart(14)} ${String(f.non2xx).padStart(9)}`);
  }
  console.log(`production bundle: ${(bundleGzip / 1024).toFixed(1)} KiB gzipped (target < 300)`);
  console.log(`first request of a fresh isolate (1,000 routes): ${figures.firstRequestMs.median} ms median of ${firstRequestMs.length}`);
  const targets = { "full/passthrough": 0.85, "full/peer": 1.25, "ratelimited/passthrough": 0.5 } as const;
  const missed = (Object.keys(targets) as (keyof typeof targets)[]).filter((k) => ratios[k] < targets[k]);
  if (missed.length > 0) console.log(`targets missed: ${missed.map((k) => `${k} < ${targets[k]}`).join(", ")} (see docs/performance.md)`);
  const ok = Object.values(figures.variants).every((v) => v.non2xx === 0) && bundleGzip < 300 * 1024 && missed.length === 0;
  console.log(`ratios: full/passthrough=${ratios["full/passthrough"].toFixed(2)} full/peer=${ratios["full/peer"].toFixed(2)} ratelimited/passthrough=${ratios["ratelimited/passthrough"].toFixed(2)}`);
  return { name: "gateway", ok };
}

if (import.meta.main) process.exitCode = (await runGatewayBench()).ok ? 0 : 1;
