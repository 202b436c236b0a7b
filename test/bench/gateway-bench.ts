// The gateway side by side, on Miniflare: (a) a bare pass-through Worker, and the same writing one
// decision-log line, (b) the peer (Hono with @hono/cloudflare-access on the same Access JWT), bare and with
// Hono's logger(), (c) Ward's full pipeline (mTLS facts + Access JWT + a 1,000-route policy + decision log +
// signed assertion, as deployed), (d) Ward on a rate-limited route, (e) a twin of (c): the same Ward in a
// second workerd, whose ratio to (c) measures the method's own error. One workerd per variant, all pinned to
// core 1, wrk on core 0. Each ratio's two variants are loaded at once (a co-run), so they are measured in the
// same seconds of this machine; a ratio is the median over rounds of each co-run's ratio of CPU per request,
// with a bootstrap interval.
// Also the production bundle size and the first-request time of a fresh isolate.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { send } from "../support/http-request.ts";
import {
  benchSetup,
  corun,
  miniflare,
  ROOT,
  ROUTES,
  run,
  startVariant,
  VARIANT_NAMES,
  type BenchSetup,
  type Variant,
} from "./gateway/setup.ts";
import { bootstrapMedian, halfWidth, median, type Interval } from "./bootstrap.ts";
import type { BenchOutcome } from "./policy-bench.ts";

/** Many short rounds: this VM's speed drifts over tens of seconds, so the runs compared must be seconds apart. */
const MIN_ROUNDS = 12;
/** Rounds are added past MIN_ROUNDS until every target ratio's interval is narrower than ±WANTED_HALF_WIDTH. */
const MAX_ROUNDS = 40;
const WANTED_HALF_WIDTH = 0.05;
/** Requests sent at once to a fresh isolate: as many as the load generator keeps open. */
const BURST = 16;
const SECONDS = 2;
/**
 * Workerd on this VM speeds up for tens of seconds under load (see performance.md), so every variant is given
 * the same load before the rounds, at least WARMUP_SECONDS_EACH: passes in which each variant is co-run for
 * WARMUP_SECONDS with the next in a ring (so twice a pass). Warmed pair by pair instead, full (in six of the
 * eight pairs) got 72 s and full-twin 12, and the twin then measured 0.885 of full over the first ten rounds and
 * 1.07 over the last ten (2026-12-04).
 */
const WARMUP_SECONDS_EACH = 60;
const WARMUP_SECONDS = 4;
const WARMUP_PASSES = Math.ceil(WARMUP_SECONDS_EACH / (2 * WARMUP_SECONDS));

/** The issue's targets, all to be met in one run; the ratios are printed in this order on the last line. */
const TARGETS = {
  "full/passthrough": undefined,
  "full/passthrough-log": 0.9,
  "full/peer": 1.1,
  "full/peer-logged": 1.25,
  "ratelimited/full": 0.95,
} as const satisfies Record<string, number | undefined>;
type RatioName = keyof typeof TARGETS;

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

/**
 * The pairs co-run in every round: each target's and each reference's, numerator first. `full-twin` is a second
 * workerd running the same Ward as `full`: their ratio would be 1.00 on a perfect machine, so its distance from
 * 1.00 and its interval are the error of the method itself, the yardstick for a ratio close to its target.
 */
const REFERENCES = ["passthrough-log/passthrough", "peer-logged/peer", "full-twin/full"] as const;
const PAIRS = [...(Object.keys(TARGETS) as RatioName[]), ...REFERENCES];

/** Per variant, what each of its co-runs measured; per pair, each round's ratio. */
interface Rounds {
  variants: Record<string, { rps: number[]; cpu: number[]; non2xx: number }>;
  ratios: Record<string, number[]>;
}

/**
 * Rounds of co-runs (each pair of the ratios loaded at once on core 1, corun() in gateway/setup.ts; the
 * order of the pairs reversed every other round) until the bootstrap interval of every ratio with a target, and
 * of full/passthrough, is narrower than ±WANTED_HALF_WIDTH: at least MIN_ROUNDS and at most MAX_ROUNDS (the
 * rule looks at the intervals' widths only, never at where the medians lie or at the targets). A
 * ratio is the denominator's CPU per request over the numerator's: requests per second of workerd CPU, taken in
 * the same seconds. `variants`: by the names the pairs use.
 */
async function measure(setup: BenchSetup, variants: Map<string, Variant>): Promise<Rounds> {
  const pairs = PAIRS.map((name) => name.split("/").map((n) => variants.get(n)!) as [Variant, Variant]);
  const results: Rounds = { variants: {}, ratios: {} };
  // Warm-up: JIT, key sets, policy, Durable Objects, and the process's memory settling.
  const all = [...variants.values()];
  for (let pass = 0; pass < WARMUP_PASSES; pass++)
    for (let i = 0; i < all.length; i++) await corun(setup, all[i]!, all[(i + 1) % all.length]!, WARMUP_SECONDS);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const order = PAIRS.map((_, i) => i);
    for (const i of round % 2 === 0 ? order : order.reverse()) {
      const [a, b] = pairs[i]!;
      // Which of the two starts first (corun starts a's wrk before b's) is swapped every other round.
      const swapped = round % 2 === 1;
      const taken = swapped ? await corun(setup, b, a, SECONDS) : await corun(setup, a, b, SECONDS);
      const measured = swapped ? ([taken[1], taken[0]] as const) : taken;
      const [nameA, nameB] = PAIRS[i]!.split("/") as [string, string];
      for (const [v, m] of [
        [nameA, measured[0]],
        [nameB, measured[1]],
      ] as const) {
        const entry = (results.variants[v] ??= { rps: [], cpu: [], non2xx: 0 });
        entry.rps.push(m.rps);
        entry.cpu.push(m.cpuUsPerRequest);
        entry.non2xx += m.non2xx;
      }
      (results.ratios[PAIRS[i]!] ??= []).push(measured[1].cpuUsPerRequest / measured[0].cpuUsPerRequest);
    }
    const narrow = (k: RatioName) => halfWidth(bootstrapMedian(results.ratios[k]!)) < WANTED_HALF_WIDTH;
    if (round + 1 >= MIN_ROUNDS && (Object.keys(TARGETS) as RatioName[]).every(narrow)) break;
  }
  return results;
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

  const variants = new Map<string, Variant>();
  let results: Rounds;
  try {
    for (const name of VARIANT_NAMES) variants.set(name, await startVariant(setup, name));
    variants.set("full-twin", await startVariant(setup, "full"));
    results = await measure(setup, variants);
  } finally {
    await Promise.allSettled([...variants.values()].map((v) => v.mf.dispose()));
  }
  const rounds = results.ratios["full/passthrough"]!.length;

  const cpu = (n: string) => median(results.variants[n]!.cpu);
  // Each ratio is the median over rounds of the ratio within a co-run, with its bootstrap interval.
  const names = Object.keys(TARGETS) as RatioName[];
  const interval = (k: string) => bootstrapMedian(results.ratios[k]!);
  const ratios = Object.fromEntries(names.map((k) => [k, interval(k)])) as Record<RatioName, Interval>;
  const reference = Object.fromEntries(REFERENCES.map((k) => [k, interval(k)])) as Record<
    (typeof REFERENCES)[number],
    Interval
  >;
  const bundleGzip = await bundleSize();
  const figures = {
    method: {
      warmupSecondsPerVariant: 2 * WARMUP_SECONDS * WARMUP_PASSES,
      warmupSecondsPerRun: WARMUP_SECONDS,
      rounds,
      roundsAllowed: [MIN_ROUNDS, MAX_ROUNDS],
      secondsPerRun: SECONDS,
      connections: 16,
      routes: ROUTES,
      pinned: "both workerds of a pair on core 1, loaded at once; each pair's two wrk on core 0",
      ratios:
        "per co-run, the denominator's workerd CPU per request over the numerator's; median over rounds; 95% percentile bootstrap interval (4,000 resamples)",
    },
    variants: Object.fromEntries(
      Object.keys(results.variants).map((n) => [
        n,
        {
          // What one core of workerd CPU serves: a co-run gives each workerd about half the core.
          requestsPerCpuSecond: Math.round(1e6 / cpu(n)),
          // Wall-clock requests per second during its co-runs (about half of the above: the core is shared).
          requestsPerSecondInCoRuns: Math.round(median(results.variants[n]!.rps)),
          cpuMicrosPerRequest: Math.round(cpu(n)),
          addedCpuMicrosVsPassthrough: Math.round(cpu(n) - cpu("passthrough")),
          non2xx: results.variants[n]!.non2xx,
          cpuRounds: results.variants[n]!.cpu.map(Math.round),
        },
      ]),
    ),
    ratios,
    reference,
    targets: TARGETS,
    ratioRounds: Object.fromEntries(PAIRS.map((k) => [k, results.ratios[k]!.map((r) => Math.round(r * 1000) / 1000)])),
    bundleGzipBytes: bundleGzip,
    firstRequestMs: { median: Math.round(median(firstRequestMs)), all: firstRequestMs.map(Math.round) },
    firstBurstMs: { requests: BURST, median: Math.round(median(burstMs)), all: burstMs.map(Math.round) },
  };
  mkdirSync(join(ROOT, "bench-results"), { recursive: true });
  writeFileSync(join(ROOT, "bench-results/gateway.json"), `${JSON.stringify(figures, null, 2)}\n`);

  console.log(
    `gateway side by side (Miniflare, wrk; ${rounds} rounds of ${PAIRS.length} co-runs of ${SECONDS} s; medians of rounds)`,
  );
  // A variant's CPU per request moves with the partner it shares the core with (full has six): the rows are
  // medians over different partners, the ratios below are taken within each co-run.
  console.log("rows: medians over each variant's co-runs, whatever the partner; compare the ratios, not the rows");
  // The co-runs' range shows how far this machine's phase moved the figures during the run.
  console.log("variant          req/CPU-s   CPU µs/req   added CPU µs   non-2xx   co-runs' CPU µs/req (min-max)");
  for (const [n, f] of Object.entries(figures.variants)) {
    const range = `${Math.min(...f.cpuRounds)}-${Math.max(...f.cpuRounds)}`;
    console.log(
      `${n.padEnd(16)} ${String(f.requestsPerCpuSecond).padStart(9)} ${String(f.cpuMicrosPerRequest).padStart(12)} ${String(f.addedCpuMicrosVsPassthrough).padStart(14)} ${String(f.non2xx).padStart(9)}   ${range}`,
    );
  }
  // Three places here, two in the closing line: a ratio just under its target (1.2486) must not read as met.
  const shown = (i: Interval) =>
    `${i.estimate.toFixed(3)} (95% interval ${i.low.toFixed(3)}-${i.high.toFixed(3)}, ±${halfWidth(i).toFixed(3)})`;
  const labels = [...names, ...REFERENCES.map((k) => `${k} (reference)`)];
  const width = Math.max(...labels.map((l) => l.length));
  for (const k of names) {
    const target = TARGETS[k];
    console.log(`${k.padEnd(width)} ${shown(ratios[k])}${target === undefined ? "" : `, target >= ${target}`}`);
  }
  for (const [k, i] of Object.entries(reference)) console.log(`${`${k} (reference)`.padEnd(width)} ${shown(i)}`);
  console.log(`production bundle: ${(bundleGzip / 1024).toFixed(1)} KiB gzipped (target < 300)`);
  console.log(
    `first request of a fresh isolate (1,000 routes): ${figures.firstRequestMs.median} ms median of ${firstRequestMs.length}`,
  );
  console.log(
    `first burst of a fresh isolate (${BURST} requests at once): the last answered after ${figures.firstBurstMs.median} ms, median of ${burstMs.length}`,
  );
  const missed = names.filter((k) => TARGETS[k] !== undefined && ratios[k].estimate < TARGETS[k]!);
  // The issue asks this of full/passthrough; the others are narrowed as far as MAX_ROUNDS allows, and said.
  const steady = halfWidth(ratios["full/passthrough"]) < WANTED_HALF_WIDTH;
  const wide = names.filter((k) => halfWidth(ratios[k]) >= WANTED_HALF_WIDTH);
  if (wide.length > 0)
    console.log(`intervals not narrower than ±${WANTED_HALF_WIDTH} after ${rounds} rounds: ${wide.join(", ")}`);
  if (missed.length > 0)
    console.log(
      `targets missed: ${missed.map((k) => `${k} ${ratios[k].estimate.toFixed(3)} < ${TARGETS[k]}`).join(", ")} (see docs/performance.md)`,
    );
  const ok =
    Object.values(figures.variants).every((v) => v.non2xx === 0) &&
    bundleGzip < 300 * 1024 &&
    missed.length === 0 &&
    steady;
  // The closing line, exactly in this form: scripts and the issue read it.
  console.log(`ratios: ${names.map((k) => `${k}=${ratios[k].estimate.toFixed(2)}`).join(" ")}`);
  return { name: "gateway", ok };
}

if (import.meta.main) process.exitCode = (await runGatewayBench()).ok ? 0 : 1;
