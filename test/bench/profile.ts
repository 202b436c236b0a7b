// `npm run profile -- [variant] [cold | seconds [memory|alloc]]`: a V8 CPU profile of one benchmark variant's Worker under the
// benchmark's load, through workerd's inspector. Writes bench-results/<variant>.cpuprofile (open it in
// Chrome DevTools' Performance panel) and prints where the time went: self time per function, and
// inclusive time per function of Ward's own code (native time outside JavaScript shows as "(program)"),
// then the process's resident memory beside the isolate's JavaScript heap, second by second.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { send } from "../support/http-request.ts";
import { benchSetup, load, ROOT, run, startVariant, VARIANT_NAMES, type VariantName } from "./gateway/setup.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const WORKER_OF: Record<VariantName, string> = {
  passthrough: "pass",
  "passthrough-log": "passlog",
  peer: "peer",
  "peer-logged": "peerlog",
  full: "ward",
  ratelimited: "ward",
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** A minimal Chrome DevTools Protocol client over the inspector's WebSocket. */
async function devtools(url: string) {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", reject, { once: true });
  });
  let next = 1;
  const pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: unknown };
    const waiting = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiting) return; // events, not answers
    pending.delete(message.id!);
    if (message.error) waiting.reject(new Error(`inspector: ${JSON.stringify(message.error)}`));
    else waiting.resolve(message.result);
  });
  return {
    call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
      const id = next++;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise<T>((resolve, reject) => pending.set(id, { resolve: resolve as (r: unknown) => void, reject }));
    },
    close: () => socket.close(),
  };
}

const label = (frame: ProfileNode["callFrame"]) =>
  `${frame.functionName || "(anonymous)"} ${frame.url ? `${frame.url.split("/").pop()}:${frame.lineNumber + 1}` : ""}`.trim();

/** Self and inclusive microseconds per function label, from the samples' time deltas. */
function summarise(profile: Profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i + 1] ?? 0;
    total += us;
    const node = byId.get(id)!;
    self.set(label(node.callFrame), (self.get(label(node.callFrame)) ?? 0) + us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const l = label(byId.get(at)!.callFrame);
      if (!seen.has(l)) inclusive.set(l, (inclusive.get(l) ?? 0) + us);
      seen.add(l);
    }
  });
  return { self, inclusive, total };
}

interface AllocationNode {
  callFrame: ProfileNode["callFrame"];
  selfSize: number;
  children: AllocationNode[];
}

/** Small enough to see a few objects per request; V8's default (32 KiB) would see one request in a hundred. */
const ALLOC_SAMPLING_BYTES = 128;

/** Bytes allocated per request, by the function that allocated them (self) and under Ward's functions (inclusive). */
function printAllocations(name: string, head: AllocationNode, requests: number, cpuUsPerRequest: number): void {
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const walk = (node: AllocationNode, stack: string[]): number => {
    const l = label(node.callFrame);
    let sum = node.selfSize;
    self.set(l, (self.get(l) ?? 0) + node.selfSize);
    for (const child of node.children) sum += walk(child, [...stack, l]);
    // Counted once per label on a path, as the CPU profile's inclusive time is.
    if (!stack.includes(l)) inclusive.set(l, (inclusive.get(l) ?? 0) + sum);
    return sum;
  };
  const total = walk(head, []);
  const perRequest = (bytes: number) =>
    Math.round(bytes / requests)
      .toString()
      .padStart(7);
  console.log(
    `${name}: ${Math.round(requests)} requests while sampled; workerd CPU ${Math.round(cpuUsPerRequest)} µs/req; JavaScript allocated ${Math.round(total / requests)} bytes/req`,
  );
  console.log("\nself bytes/req  function");
  for (const [l, bytes] of top(self, 30)) console.log(`${perRequest(bytes)}         ${l}`);
  console.log("\ninclusive bytes/req  function (Ward's bundle)");
  for (const [l, bytes] of top(new Map([...inclusive].filter(([l]) => /w\.mjs/.test(l))), 30))
    console.log(`${perRequest(bytes)}             ${l}`);
}

const top = (m: Map<string, number>, n: number) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);

async function main(): Promise<void> {
  const name = (process.argv[2] ?? "full") as VariantName;
  const seconds = Number(process.argv[3] ?? "8");
  if (!VARIANT_NAMES.includes(name)) throw new Error(`variant must be one of ${VARIANT_NAMES.join(", ")}`);
  // A cold start is one request: a CPU profile of it, nothing sampled over time.
  if (process.argv[3] === "cold" && process.argv[4] !== undefined)
    throw new Error("cold takes no third argument: memory and alloc sample a run under load");
  await run("taskset", ["-a", "-cp", "0", String(process.pid)]).catch(() => undefined);
  const setup = await benchSetup();
  const inspectorPort = await freePort();
  const variant = await startVariant(setup, name, { inspectorPort });
  try {
    // `cold` as the second argument: the first request of the fresh isolate alone (policy load and compile,
    // key set, denylist, first parse of everything), not the load.
    const cold = process.argv[3] === "cold";
    if (!cold) await load(setup, variant, 2); // warm-up, as the benchmark does
    const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as {
      webSocketDebuggerUrl: string;
      title?: string;
      id?: string;
    }[];
    const target =
      targets.find((t) => t.webSocketDebuggerUrl.endsWith(`:${WORKER_OF[name]}`)) ??
      targets.find((t) => t.webSocketDebuggerUrl.includes(WORKER_OF[name]));
    if (!target) throw new Error(`no inspector target for ${WORKER_OF[name]}: ${JSON.stringify(targets)}`);
    const client = await devtools(target.webSocketDebuggerUrl);
    await client.call("Profiler.enable");
    await client.call("Profiler.setSamplingInterval", { interval: 50 });
    // `memory` as the third argument: no CPU profile (its samples take memory too), only the memory series.
    // `alloc`: no CPU profile either, but V8's sampling heap profiler, counting what each function allocates
    // per request, collected or not (the young objects a request throws away are what keep the collector busy).
    const mode = process.argv[4];
    const cpu = mode !== "memory" && mode !== "alloc";
    if (mode === "alloc") {
      await client.call("HeapProfiler.enable");
      await client.call("HeapProfiler.startSampling", {
        samplingInterval: ALLOC_SAMPLING_BYTES,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    }
    if (cpu) await client.call("Profiler.start");
    if (cold) {
      const started = performance.now();
      const reply = await send(variant.port, `http://bench.localhost:${variant.port}${variant.path}`, {
        headers: setup.headers,
      });
      const ms = performance.now() - started;
      const { profile } = await client.call<{ profile: Profile }>("Profiler.stop");
      client.close();
      const { self, inclusive, total } = summarise(profile);
      const inMs = (us: number) => (us / 1000).toFixed(1).padStart(7);
      console.log(
        `${name}: the first request answered ${reply.status} after ${Math.round(ms)} ms; isolate samples ${inMs(total).trim()} ms`,
      );
      console.log("\nself ms  function");
      for (const [l, us] of top(self, 25)) console.log(`${inMs(us)}  ${l}`);
      console.log("\ninclusive ms  function (Ward's bundle)");
      for (const [l, us] of top(new Map([...inclusive].filter(([l]) => /w\.mjs/.test(l))), 30))
        console.log(`${inMs(us)}       ${l}`);
      return;
    }
    // Memory while it runs: the isolate's JavaScript heap (V8) beside the whole process's resident set.
    const memory: { rssMiB: number; heapUsedMiB: number; heapTotalMiB: number }[] = [];
    const sample = async () => {
      const heap = await client.call<{ usedSize: number; totalSize: number }>("Runtime.getHeapUsage");
      const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${variant.pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
      memory.push({
        rssMiB: Math.round(rss),
        heapUsedMiB: Math.round(heap.usedSize / 1048576),
        heapTotalMiB: Math.round(heap.totalSize / 1048576),
      });
    };
    await sample();
    const sampler = setInterval(() => void sample(), 1000);
    const measured = await load(setup, variant, seconds);
    clearInterval(sampler);
    await sample();
    const memoryLines = [
      `memory each second (MiB): rss ${memory.map((m) => m.rssMiB).join(" ")}`,
      `  JavaScript heap used ${memory.map((m) => m.heapUsedMiB).join(" ")} (of ${memory.map((m) => m.heapTotalMiB).join(" ")})`,
    ];
    if (mode === "alloc") {
      const { profile } = await client.call<{ profile: { head: AllocationNode } }>("HeapProfiler.stopSampling");
      client.close();
      printAllocations(name, profile.head, measured.rps * seconds, measured.cpuUsPerRequest);
      return;
    }
    if (!cpu) {
      client.close();
      console.log(
        `${name}: ${Math.round(measured.rps)} req/s; workerd CPU ${Math.round(measured.cpuUsPerRequest)} µs/req`,
      );
      console.log(memoryLines.join("\n"));
      return;
    }
    const { profile } = await client.call<{ profile: Profile }>("Profiler.stop");
    client.close();

    mkdirSync(join(ROOT, "bench-results"), { recursive: true });
    const file = join(ROOT, `bench-results/${name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    const { self, inclusive, total } = summarise(profile);
    const requests = measured.rps * seconds;
    const perRequest = (us: number) => (us / requests).toFixed(1).padStart(7);
    console.log(
      `${name}: ${Math.round(measured.rps)} req/s while profiled; workerd CPU ${Math.round(measured.cpuUsPerRequest)} µs/req; isolate samples ${Math.round(total / requests)} µs/req`,
    );
    console.log("\nself µs/req  function");
    for (const [l, us] of top(self, 30)) console.log(`${perRequest(us)}      ${l}`);
    console.log("\ninclusive µs/req  function (Ward's bundle)");
    for (const [l, us] of top(new Map([...inclusive].filter(([l]) => /w\.mjs/.test(l))), 30))
      console.log(`${perRequest(us)}           ${l}`);
    console.log(`\n${memoryLines.join("\n")}`);
    console.log(`\nprofile: ${file}`);
  } finally {
    await variant.mf.dispose();
  }
}

await main();
