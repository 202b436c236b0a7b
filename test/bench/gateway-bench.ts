// The gateway side by side, on Miniflare: (a) a bare pass-through Worker, (b) the peer (Hono with
// @hono/cloudflare-access on the same Access JWT), (c) Ward's full pipeline (mTLS facts + Access JWT + a
// 1,000-route policy + decision log + signed assertion, as deployed), (d) Ward on a rate-limited route.
// One workerd per variant pinned to core 1, wrk pinned to core 0, variants interleaved in short rounds; medians
// of rounds, and each ratio the median over rounds of the ratio within a round.
// Also the production bundle size and the first-request time of a fresh isolate.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { send } from "../support/http-request.ts";
import {
  benchSetup,
  load,
  miniflare,
  ROOT,
  ROUTES,
  run,
  startVariant,
  VARIANT_NAMES,
  type BenchSetup,
  type Variant,
} from "./gateway/setup.ts";
import type { BenchOutcome } from "./policy-bench.ts";

/** Many short rounds: this VM's speed drifts over tens of seconds, so the runs compared must be seconds apart. */
const ROUNDS = 12;
/** Requests sent at once to a fresh isolate: as many as the load generator keeps open. */
const BURST = 16;
const SECONDS = 2;
/** Interleaved warm-up passes: workerd on this VM speeds up for tens of seconds under load (see performance.md). */
const WARMUP_PASSES = 3;
const WARMUP_SECONDS = 4;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function bundleSize(): Promise<number> {
  const out = mkdtempSync(join(tmpdir(), "ward-bundle-"));
  try {
    await run(
      join(ROOT, "node_modules/.bin/wrangler"),
      ["deploy", "--dry-run", "--env", "production", "--outdir", out],
      { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
    );
    const js = readdirSync(out).filter((f) => f.endsWith(".js"));
    return js.reduce((sum, f) => sum + gzipSync(readFileSync(join(out, f))).length, 0);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Starts the full variant afresh, sends `count` requests at once, and times until the last has answered. */
async function freshIsolateMs(setup: BenchSetup, count: number): Promise<number> {
  const mf = miniflare(setup.options("full"));
  try {
    const url = await mf.ready;
    await setup.activate(mf);
    const t = performance.now();
    const answers = await Promise.all(
      Array.from({ length: count }, () =>
        send(Number(url.port), `http://bench.localhost:${url.port}${setup.path("full")}`, { headers: setup.headers }),
      ),
    );
    const ms = performance.now() - t;
    const failed = answers.find((res) => res.status !== 200);
    if (failed) throw new Error(`a first request answered ${failed.status}: ${failed.body}`);
    return ms;
  } finally {
    await mf.dispose();
  }
}

export async function runGatewayBench(): Promise<BenchOutcome> {
  // This Node process reads every console line workerd emits (Miniflare's structured logs): keep it off the
  // server's core, with the load generator, so Ward's decision log is not also charged to the server.
  await run("taskset", ["-a", "-cp", "0", String(process.pid)]).catch(() => undefined);
  const setup = await benchSetup();

  // First request of a fresh isolate with the 1,000-route policy (policy load + compile + key set fetch), then a
  // burst on a fresh isolate (as many requests at once as the load has connections), until the last answers.
  const firstRequestMs: number[] = [];
  const burstMs: number[] = [];
  for (let i = 0; i < 3; i++) firstRequestMs.push(await freshIsolateMs(setup, 1));
  for (let i = 0; i < 3; i++) burstMs.push(await freshIsolateMs(setup, BURST));

  const variants: Variant[] = [];
  for (const name of VARIANT_NAMES) variants.push(await startVariant(setup, name));

  const results: Record<string, { rps: number[]; cpu: number[]; non2xx: number }> = {};
  try {
    // Warm-up: JIT, key sets, policy, Durable Objects, and the process's memory settling.
    for (let pass = 0; pass < WARMUP_PASSES; pass++) for (const v of variants) await load(setup, v, WARMUP_SECONDS);
    for (let round = 0; round < ROUNDS; round++) {
      for (const v of round % 2 === 0 ? variants : [...variants].reverse()) {
        const r = await load(setup, v, SECONDS);
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
  // Each ratio is taken within a round (runs seconds apart, in the same phase of the machine), then the
  // median over rounds: a ratio of medians would compare runs from different phases.
  const perRound = (a: string, b: string) => results[a]!.rps.map((x, i) => x / results[b]!.rps[i]!);
  const ratio = (a: string, b: string) => median(perRound(a, b));
  const bundleGzip = await bundleSize();
  const ratios = {
    "full/passthrough": ratio("full", "passthrough"),
    "full/peer": ratio("full", "peer"),
    "ratelimited/passthrough": ratio("ratelimited", "passthrough"),
  };
  const figures = {
    method: {
      warmupPasses: WARMUP_PASSES,
      warmupSecondsPerRun: WARMUP_SECONDS,
      rounds: ROUNDS,
      secondsPerRun: SECONDS,
      connections: 16,
      routes: ROUTES,
      pinned: "workerd on core 1, wrk on core 0",
      ratios: "median over rounds of the ratio within each round",
    },
    variants: Object.fromEntries(
      Object.keys(results).map((n) => [
        n,
        {
          requestsPerSecond: Math.round(rps(n)),
          cpuMicrosPerRequest: Math.round(cpu(n)),
          addedCpuMicrosVsPassthrough: Math.round(cpu(n) - cpu("passthrough")),
          non2xx: results[n]!.non2xx,
          rounds: results[n]!.rps.map(Math.round),
        },
      ]),
    ),
    ratios,
    ratioRounds: Object.fromEntries(
      Object.keys(ratios).map((k) => {
        const [a, b] = k.split("/") as [string, string];
        return [k, perRound(a, b).map((r) => Math.round(r * 100) / 100)];
      }),
    ),
    // What a pass-through that writes the decision-log line and does nothing else scores against the two
    // targets that compare with it: the ceiling of any gateway that logs each decision, on this harness.
    reference: {
      "passthrough-log/passthrough": ratio("passthrough-log", "passthrough"),
      "passthrough-log/peer": ratio("passthrough-log", "peer"),
      "full/passthrough-log": ratio("full", "passthrough-log"),
    },
    bundleGzipBytes: bundleGzip,
    firstRequestMs: { median: Math.round(median(firstRequestMs)), all: firstRequestMs.map(Math.round) },
    firstBurstMs: { requests: BURST, median: Math.round(median(burstMs)), all: burstMs.map(Math.round) },
  };
  mkdirSync(join(ROOT, "bench-results"), { recursive: true });
  writeFileSync(join(ROOT, "bench-results/gateway.json"), `${JSON.stringify(figures, null, 2)}\n`);

  console.log("gateway side by side (Miniflare, wrk; medians of rounds; ratios: medians of per-round ratios)");
  // The rounds' range shows how far this machine's phase moved the figures during the run.
  console.log("variant            req/s   CPU µs/req   added CPU µs   non-2xx   rounds' req/s (min-max)");
  for (const [n, f] of Object.entries(figures.variants)) {
    const range = `${Math.min(...f.rounds)}-${Math.max(...f.rounds)}`;
    console.log(
      `${n.padEnd(16)} ${String(f.requestsPerSecond).padStart(7)} ${String(f.cpuMicrosPerRequest).padStart(12)} ${String(f.addedCpuMicrosVsPassthrough).padStart(14)} ${String(f.non2xx).padStart(9)}   ${range}`,
    );
  }
  for (const [k, rounds] of Object.entries(figures.ratioRounds))
    console.log(`${k} over the ${ROUNDS} rounds: ${Math.min(...rounds).toFixed(2)}-${Math.max(...rounds).toFixed(2)}`);
  const reference = figures.reference;
  console.log(
    `reference: a pass-through that only writes one decision-log line scores passthrough-log/passthrough=${reference["passthrough-log/passthrough"].toFixed(2)} and passthrough-log/peer=${reference["passthrough-log/peer"].toFixed(2)} (targets for full: 0.85 and 1.25); full/passthrough-log=${reference["full/passthrough-log"].toFixed(2)}`,
  );
  console.log(`production bundle: ${(bundleGzip / 1024).toFixed(1)} KiB gzipped (target < 300)`);
  console.log(
    `first request of a fresh isolate (1,000 routes): ${figures.firstRequestMs.median} ms median of ${firstRequestMs.length}`,
  );
  console.log(
    `first burst of a fresh isolate (${BURST} requests at once): the last answered after ${figures.firstBurstMs.median} ms, median of ${burstMs.length}`,
  );
  const targets = { "full/passthrough": 0.85, "full/peer": 1.25, "ratelimited/passthrough": 0.5 } as const;
  const missed = (Object.keys(targets) as (keyof typeof targets)[]).filter((k) => ratios[k] < targets[k]);
  if (missed.length > 0)
    console.log(`targets missed: ${missed.map((k) => `${k} < ${targets[k]}`).join(", ")} (see docs/performance.md)`);
  const ok =
    Object.values(figures.variants).every((v) => v.non2xx === 0) && bundleGzip < 300 * 1024 && missed.length === 0;
  console.log(
    `ratios: full/passthrough=${ratios["full/passthrough"].toFixed(2)} full/peer=${ratios["full/peer"].toFixed(2)} ratelimited/passthrough=${ratios["ratelimited/passthrough"].toFixed(2)}`,
  );
  return { name: "gateway", ok };
}

if (import.meta.main) process.exitCode = (await runGatewayBench()).ok ? 0 : 1;
