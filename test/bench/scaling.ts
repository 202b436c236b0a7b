// How Ward's cost grows with the deployment: per-request workerd CPU and the isolate's memory as the denylist
// grows (10, 10,000, 100,000 entries), as the policy grows (10, 1,000, 10,000 routes; and the cold start: the
// stored policy's read, hash check, validation and compilation, then the first request), and as the callers
// of a rate-limited route go from 1 (one hot key: one Durable Object) to 1,000 (a thousand objects).
//
// Method: each row is a Ward in its own workerd (Miniflare), pinned to core 1, loaded by wrk on core 0 (16
// connections, the row's Access JWTs sent in turn by a Lua script, the same script for every row). Rows of a
// group run side by side and are interleaved in short rounds, after a warm-up, like the gateway benchmark;
// figures are medians over rounds. CPU per request is workerd's (utime + stime from /proc, all its threads,
// Durable Objects included) over the requests wrk counted. Memory: the ward isolate's JavaScript heap through
// the inspector, sampled through the load (maximum), beside workerd's resident set.
//
// Flat: within a group, the largest median CPU per request over the smallest is at most FLAT_RATIO. Printed, not
// enforced (machine noise alone moves a row by ~10%); the bench fails only when an isolate's heap passes
// Workers' 128 MB limit, or a row answers non-2xx (or nothing at all).
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Miniflare } from "miniflare";
import { documentKey, loadStoredDocument, sha256Hex, versionKey } from "../../policy/index.ts";
import { bundleWorker } from "../../scripts/dev/bundle.ts";
import { send } from "../support/http-request.ts";
import { ownWorkerdPids, residentKb } from "../support/process-tree.ts";
import type { BenchOutcome } from "./policy-bench.ts";
import {
  activate,
  fillDenylist,
  BENCH_HOST,
  makeKeys,
  oncall,
  person,
  routeTarget,
  scalingPolicy,
  storedPolicy,
  type Keys,
  type Size,
  type Target,
  wardOptions,
} from "./scaling/deployment.ts";
import { cpuTicks } from "./gateway/setup.ts";
import { freePort, isolateHeap, type HeapReader } from "./scaling/isolate-heap.ts";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SECONDS = 2;
const ROUNDS = 3;
const WARMUP_SECONDS = 2;
const FLAT_RATIO = 1.5;
/** Workers' isolate memory limit (https://developers.cloudflare.com/workers/platform/limits/#memory). */
const ISOLATE_LIMIT_BYTES = 128 * 1024 * 1024;
/** Cloudflare KV's largest value (https://developers.cloudflare.com/kv/platform/limits/). */
const KV_VALUE_LIMIT_BYTES = 25 * 1024 * 1024;

type Group = "denylist" | "routes" | "identities";

interface RowSpec {
  group: Group;
  label: string;
  size: Size;
}

const ROWS: RowSpec[] = [
  ...[10, 10_000, 100_000].map((n) => ({
    group: "denylist" as const,
    label: `denylist ${n.toLocaleString("en")}`,
    size: { routes: 1_000, denylist: n, identities: 1 },
  })),
  ...[10, 1_000, 10_000].map((n) => ({
    group: "routes" as const,
    label: `routes ${n.toLocaleString("en")}`,
    size: { routes: n, denylist: 10, identities: 1 },
  })),
  ...[1, 1_000].map((n) => ({
    group: "identities" as const,
    label: `rate-limited, ${n.toLocaleString("en")} caller${n === 1 ? "" : "s"}`,
    size: { routes: 1_000, denylist: 10, identities: n },
  })),
];

interface Running {
  spec: RowSpec;
  target: Target;
  mf: Miniflare;
  port: number;
  pid: number;
  heap: HeapReader;
  /** The Durable Objects' isolate (the Denylist's list, the rate-limit counters). */
  storeHeap: HeapReader;
  lua: string;
  coldMs: number;
  cpu: number[];
  rps: number[];
  non2xx: number;
  heapUsedMax: number;
  heapTotalMax: number;
  storeHeapUsedMax: number;
  rssKbMax: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mib = (bytes: number) => bytes / 1048576;

/** A wrk script that sends the row's tokens in turn (one token: always the same), same shape for every row. */
function luaScript(dir: string, name: string, target: Target, port: number): string {
  const file = join(dir, `${name.replace(/[^a-z0-9]+/gi, "-")}.lua`);
  writeFileSync(
    file,
    `local tokens = { ${target.tokens.map((t) => JSON.stringify(t)).join(",\n")} }
local i = 0
request = function()
  i = i % #tokens + 1
  return wrk.format("GET", ${JSON.stringify(target.path)}, { ["Host"] = ${JSON.stringify(`${target.host}:${port}`)}, ["cf-access-jwt-assertion"] = tokens[i] })
end
`,
  );
  return file;
}

/** Each size's policy, validated, compiled and serialised once (10,000 routes take seconds). */
const policies = new Map<number, ReturnType<typeof storedPolicy>>();
const policyOf = (routes: number) => {
  let stored = policies.get(routes);
  if (!stored) policies.set(routes, (stored = storedPolicy(scalingPolicy(routes))));
  return stored;
};

async function start(spec: RowSpec, bundle: string, keys: Keys, dir: string): Promise<Running> {
  const stored = await policyOf(spec.size.routes);
  const target: Target =
    spec.group === "routes"
      ? routeTarget(spec.size.routes, await keys.sign(oncall))
      : {
          host: BENCH_HOST,
          path: spec.group === "identities" ? "/limited/42" : "/item/42",
          tokens: await Promise.all(Array.from({ length: spec.size.identities }, (_, i) => keys.sign(person(i)))),
        };
  // Storage first, in a Miniflare of its own: the policy in KV, the Denylist object filled in its file.
  const persist = mkdtempSync(join(dir, "storage-"));
  const options = (extra: Record<string, unknown>) =>
    ({
      host: "127.0.0.1",
      port: 0,
      cf: false,
      logRequests: false,
      handleStructuredLogs: () => {},
      resourcePersistencePath: persist,
      ...extra,
      ...wardOptions(bundle, keys),
    }) as unknown as ConstructorParameters<typeof Miniflare>[0];
  const filling = new Miniflare(options({}));
  await filling.ready;
  await activate(filling, stored);
  await filling.dispose();
  await fillDenylist(persist, spec.size.denylist);

  const inspectorPort = await freePort();
  const before = new Set(ownWorkerdPids());
  const mf = new Miniflare(options({ inspectorPort }));
  const url = await mf.ready;
  const port = Number(url.port);
  const pid = ownWorkerdPids().find((p) => !before.has(p));
  if (pid === undefined) throw new Error("scaling: the row's workerd was not found");
  await run("taskset", ["-a", "-cp", "1", String(pid)]).catch(() => undefined);
  // The cold start: the isolate's first gateway request reads the policy from KV, checks its hash, validates
  // and compiles it, fetches the key set and reads the denylist, then answers.
  const t = performance.now();
  const first = await send(port, `http://${target.host}:${port}${target.path}`, {
    headers: { "cf-access-jwt-assertion": target.tokens[0]! },
  });
  const coldMs = performance.now() - t;
  if (first.status !== 200) throw new Error(`${spec.label}: the first request answered ${first.status}: ${first.body}`);
  const [heap, storeHeap] = await Promise.all([
    isolateHeap(inspectorPort, "ward"),
    isolateHeap(inspectorPort, "store"),
  ]);
  return {
    spec,
    target,
    mf,
    port,
    pid,
    heap,
    storeHeap,
    lua: luaScript(dir, spec.label, target, port),
    coldMs,
    cpu: [],
    rps: [],
    non2xx: 0,
    heapUsedMax: 0,
    heapTotalMax: 0,
    storeHeapUsedMax: 0,
    rssKbMax: 0,
  };
}

/** One wrk run against a row, sampling the isolate's heap and workerd's RSS every half second meanwhile. */
async function load(row: Running, seconds: number, record: boolean): Promise<number> {
  const sample = async () => {
    const [h, store] = await Promise.all([row.heap.read(), row.storeHeap.read()]);
    row.heapUsedMax = Math.max(row.heapUsedMax, h.used);
    row.heapTotalMax = Math.max(row.heapTotalMax, h.total);
    row.storeHeapUsedMax = Math.max(row.storeHeapUsedMax, store.used);
    row.rssKbMax = Math.max(row.rssKbMax, residentKb(row.pid) ?? 0);
  };
  const sampler = setInterval(() => void sample(), 500);
  const ticks = cpuTicks(row.pid);
  try {
    const { stdout } = await run(
      "taskset",
      ["-c", "0", "wrk", "-t1", "-c16", `-d${seconds}s`, "-s", row.lua, `http://127.0.0.1:${row.port}/`],
      { maxBuffer: 1 << 20 },
    );
    const used = cpuTicks(row.pid) - ticks;
    const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
    if (!record) return requests;
    row.non2xx += Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
    row.rps.push(requests / seconds);
    row.cpu.push(requests > 0 ? (used * 10_000) / requests : 0);
    return requests;
  } finally {
    clearInterval(sampler);
    await sample();
  }
}

/** What a cold isolate does with the stored policy before its first decision, timed in Node (median of 3). */
async function storedPolicyFigures(routes: number) {
  const stored = await policyOf(routes);
  const version = stored.policy.version;
  const records = new Map(stored.records);
  const document = records.get(documentKey(version))!;
  const source = records.get(versionKey(version))!;
  const runs: { hash: number; load: number }[] = [];
  for (let i = 0; i < 3; i++) {
    let t = performance.now();
    if ((await sha256Hex(document)) !== version) throw new Error("stored document does not hash to its version");
    const hash = performance.now() - t;
    t = performance.now();
    if (!loadStoredDocument(document, version).ok) throw new Error("stored document does not load");
    runs.push({ hash, load: performance.now() - t });
  }
  return {
    routes,
    sourceBytes: Buffer.byteLength(source),
    documentBytes: Buffer.byteLength(document),
    hashMs: median(runs.map((r) => r.hash)),
    parseValidateCompileMs: median(runs.map((r) => r.load)),
  };
}

export async function runScalingBench(): Promise<BenchOutcome> {
  const started = performance.now();
  await run("taskset", ["-a", "-cp", "0", String(process.pid)]).catch(() => undefined);
  const [bundle, keys] = await Promise.all([bundleWorker(join(ROOT, "worker/index.ts")), makeKeys()]);
  const dir = mkdtempSync(join(tmpdir(), "ward-scaling-"));
  const done: Running[] = [];
  try {
    // WARD_SCALING_GROUPS=identities (comma-separated) runs some groups only, when working on one of them.
    const only = process.env.WARD_SCALING_GROUPS?.split(",");
    for (const group of (["denylist", "routes", "identities"] as Group[]).filter((g) => !only || only.includes(g))) {
      const rows: Running[] = [];
      try {
        for (const spec of ROWS.filter((r) => r.group === group)) rows.push(await start(spec, bundle, keys, dir));
        // Warm-up, and for many callers until each has been seen a few times (its token verified, its lease
        // and assertion held): the rows compare steady states, not a thousand first requests.
        for (const row of rows) {
          let sent = await load(row, WARMUP_SECONDS, false);
          for (let extra = 0; sent < 3 * row.target.tokens.length && extra < 8; extra++)
            sent += await load(row, SECONDS, false);
        }
        for (let round = 0; round < ROUNDS; round++)
          for (const row of round % 2 === 0 ? rows : [...rows].reverse()) await load(row, SECONDS, true);
      } finally {
        for (const row of rows) {
          row.heap.close();
          row.storeHeap.close();
        }
        await Promise.all(rows.map((row) => row.mf.dispose()));
      }
      done.push(...rows);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const stored = [];
  for (const routes of [10, 1_000, 10_000]) stored.push(await storedPolicyFigures(routes));

  const rows = done.map((r) => ({
    group: r.spec.group,
    label: r.spec.label,
    size: r.spec.size,
    requestsPerSecond: Math.round(median(r.rps)),
    cpuMicrosPerRequest: Math.round(median(r.cpu)),
    cpuRounds: r.cpu.map(Math.round),
    non2xx: r.non2xx,
    firstRequestMs: Math.round(r.coldMs),
    heapUsedMaxMiB: Math.round(mib(r.heapUsedMax)),
    heapTotalMaxMiB: Math.round(mib(r.heapTotalMax)),
    storeHeapUsedMaxMiB: Math.round(mib(r.storeHeapUsedMax)),
    workerdRssMaxMiB: Math.round(r.rssKbMax / 1024),
  }));
  const ran = (["denylist", "routes", "identities"] as Group[]).filter((g) => rows.some((r) => r.group === g));
  const flatness = ran.map((group) => {
    const cpu = rows.filter((r) => r.group === group).map((r) => r.cpuMicrosPerRequest);
    const ratio = Math.max(...cpu) / Math.min(...cpu);
    return { group, ratio: Math.round(ratio * 100) / 100, flat: ratio <= FLAT_RATIO };
  });
  const overMemory = done
    .filter((r) => Math.max(r.heapUsedMax, r.storeHeapUsedMax) > ISOLATE_LIMIT_BYTES)
    .map((r) => r.spec.label);
  // A row that answered nothing in a run (every request past wrk's 2 s timeout) failed as surely as a 5xx.
  const failedRows = rows.filter((r) => r.non2xx > 0 || r.cpuRounds.includes(0)).map((r) => r.label);
  const largest = stored.at(-1)!;
  const figures = {
    benchmark: "scaling",
    method: {
      secondsPerRun: SECONDS,
      rounds: ROUNDS,
      warmupSeconds: WARMUP_SECONDS,
      connections: 16,
      pinned: "workerd on core 1, wrk on core 0",
      cpu: "workerd utime+stime over wrk's request count, median over rounds",
      memory:
        "JavaScript heap of the Worker's isolate and of the Durable Objects' (inspector Runtime.getHeapUsage), maximum over the load; workerd RSS",
      flat: `largest/smallest median CPU per request within a group <= ${FLAT_RATIO}`,
    },
    rows,
    flatness,
    storedPolicy: stored.map((p) => ({
      ...p,
      hashMs: Math.round(p.hashMs * 10) / 10,
      parseValidateCompileMs: Math.round(p.parseValidateCompileMs),
    })),
    limits: {
      isolateMemoryBytes: ISOLATE_LIMIT_BYTES,
      kvValueBytes: KV_VALUE_LIMIT_BYTES,
      largestDocumentShareOfKvValue: Math.round((largest.documentBytes / KV_VALUE_LIMIT_BYTES) * 1000) / 1000,
      routesThatFitOneKvValue: Math.floor((KV_VALUE_LIMIT_BYTES / largest.documentBytes) * largest.routes),
    },
    overMemory,
    durationSeconds: Math.round((performance.now() - started) / 1000),
  };
  mkdirSync(join(ROOT, "bench-results"), { recursive: true });
  writeFileSync(join(ROOT, "bench-results/scaling.json"), `${JSON.stringify(figures, null, 2)}\n`);

  console.log(
    `scaling (Miniflare, wrk; ${ROUNDS} rounds of ${SECONDS} s, medians; CPU: workerd µs per request; heap: the ward isolate's)`,
  );
  console.log(
    "row                            req/s   CPU µs/req   first req ms   heap used/total MiB   objects' heap MiB   workerd RSS MiB",
  );
  for (const r of rows)
    console.log(
      `${r.label.padEnd(28)} ${String(r.requestsPerSecond).padStart(7)} ${String(r.cpuMicrosPerRequest).padStart(12)} ${String(r.firstRequestMs).padStart(14)} ${`${r.heapUsedMaxMiB}/${r.heapTotalMaxMiB}`.padStart(21)} ${String(r.storeHeapUsedMaxMiB).padStart(19)} ${String(r.workerdRssMaxMiB).padStart(17)}${r.non2xx > 0 ? `  non-2xx ${r.non2xx}` : ""}`,
    );
  for (const p of figures.storedPolicy)
    console.log(
      `stored policy, ${p.routes.toLocaleString("en")} routes: document ${(p.documentBytes / 1024).toFixed(0)} KiB (source ${(p.sourceBytes / 1024).toFixed(0)} KiB); hash check ${p.hashMs} ms, parse+validate+compile ${p.parseValidateCompileMs} ms (Node)`,
    );
  console.log(
    `KV value limit 25 MiB: the 10,000-route document is ${(figures.limits.largestDocumentShareOfKvValue * 100).toFixed(1)}% of it (~${figures.limits.routesThatFitOneKvValue.toLocaleString("en")} routes would fit)`,
  );
  for (const f of flatness)
    console.log(
      `flat (${f.group}): largest/smallest CPU per request ${f.ratio.toFixed(2)} ${f.flat ? "<=" : ">"} ${FLAT_RATIO}: ${f.flat ? "holds" : "does NOT hold"}`,
    );
  console.log(
    overMemory.length === 0
      ? `isolate memory: every isolate's heap stayed under 128 MiB (largest: Worker ${Math.max(...rows.map((r) => r.heapUsedMaxMiB))} MiB, objects ${Math.max(...rows.map((r) => r.storeHeapUsedMaxMiB))} MiB)`
      : `isolate memory: OVER 128 MiB in ${overMemory.join(", ")}`,
  );
  if (failedRows.length > 0) console.log(`rows with non-2xx answers or none at all: ${failedRows.join(", ")}`);
  console.log(`scaling: ${figures.durationSeconds} s`);
  return { name: "scaling", ok: overMemory.length === 0 && failedRows.length === 0 };
}

if (import.meta.main) process.exitCode = (await runScalingBench()).ok ? 0 : 1;
