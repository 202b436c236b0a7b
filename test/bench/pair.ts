// `npm run bench:pair -- <checkout> [variant...] [--rounds N] [--seconds S]`, or with `--callgrind N [--chunk C]
// [--warmup W] [--repeat R] [--functions F] [--api A]`: this Ward's bundle against another checkout's (a
// `git worktree add /tmp/old <commit>`, say), the same variants of the gateway benchmark side by side, to tell
// a regression from the machine's noise. Default variants: full and ratelimited.
//
// Timed (default): each variant of both bundles in its own workerd pinned to core 1, wrk on core 0, warmed up
// and then run in rounds of co-runs as gateway-bench.ts does (the two bundles' workerds loaded at once, so
// measured in the same seconds); each co-run's ratio that/this of CPU per request, and the median over rounds.
//
// --callgrind N: instructions per request instead of time, repeatable whatever else the machine runs.
// Each workerd runs under `valgrind --tool=callgrind` with instrumentation off; after W requests (caches and
// leases settled, and the hot functions out of V8's baseline tiers: with 2,000, `identify` was sometimes still
// in Sparkplug) it is switched on for N requests, one at a time, dumped every C; the median chunk is the
// figure (countVariant says why). The bundles alternate, R times each. The median chunk's dump and V8's code
// map stay in bench-results/callgrind/; F > 0 lists the Worker's F costliest functions, inclusive, with V8's
// tier (`^` Sparkplug, `+` Maglev, `*` TurboFan): a function deoptimised in one run and not in the other moves
// the total by tens of thousands of instructions, so compare runs whose hot functions share a tier. A > 0 lists
// the A costliest calls into workerd's API (runtime-calls.ts), of every Worker in the process (Miniflare's own
// and the origin too): compare variants, which share those, rather than read one alone.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, copyFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  benchSetup,
  corun,
  ROOT,
  run,
  startVariant,
  type BenchSetup,
  type Variant,
  type VariantName,
} from "./gateway/setup.ts";
import { median } from "./bootstrap.ts";
import { runtimeCalls } from "./runtime-calls.ts";

const range = (xs: number[], digits = 2) => `${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)}`;

interface Side {
  label: "this" | "that";
  setup: BenchSetup;
}

async function timed(sides: Side[], names: VariantName[], rounds: number, seconds: number): Promise<void> {
  const [mine, theirs] = sides as [Side, Side];
  const pairs: { name: VariantName; a: Variant; b: Variant }[] = [];
  const started: Variant[] = [];
  const cpu = new Map<string, number[]>();
  try {
    for (const name of names) {
      const a = await startVariant(mine.setup, name);
      started.push(a);
      const b = await startVariant(theirs.setup, name);
      started.push(b);
      pairs.push({ name, a, b });
    }
    for (let pass = 0; pass < 3; pass++) for (const p of pairs) await corun(mine.setup, p.a, p.b, 4, theirs.setup);
    for (let round = 0; round < rounds; round++)
      for (const p of round % 2 === 0 ? pairs : [...pairs].reverse()) {
        // Both bundles at once on core 1 (corun()): measured in the same seconds of the machine.
        const [a, b] = await corun(mine.setup, p.a, p.b, seconds, theirs.setup);
        for (const [label, m] of [
          ["this", a],
          ["that", b],
        ] as const) {
          if (m.non2xx > 0) throw new Error(`${p.name} (${label}): ${m.non2xx} non-2xx answers`);
          const key = `${p.name} ${label}`;
          cpu.set(key, [...(cpu.get(key) ?? []), m.cpuUsPerRequest]);
        }
      }
  } finally {
    await Promise.all(started.map((v) => v.mf.dispose()));
  }
  console.log(`timed, ${rounds} rounds of co-runs of ${seconds} s (medians; ratios within co-runs, then median)`);
  console.log("variant        side  CPU µs/req");
  for (const key of cpu.keys()) {
    const [name, label] = key.split(" ");
    console.log(`${name!.padEnd(14)} ${label!.padEnd(5)} ${String(Math.round(median(cpu.get(key)!))).padStart(10)}`);
  }
  for (const name of names) {
    const c = cpu.get(`${name} that`)!.map((x, i) => x / cpu.get(`${name} this`)![i]!);
    console.log(`${name}: that/this CPU/req ${median(c).toFixed(3)} (rounds ${range(c)})`);
  }
}

/** A workerd that starts under callgrind with instrumentation off, writing its dumps into `out`. */
function callgrindWorkerd(dir: string, out: string): string {
  const wrapper = join(dir, "workerd-callgrind.sh");
  const workerd = join(ROOT, "node_modules/workerd/bin/workerd");
  // V8 writes code it then runs: all-non-file makes valgrind notice (its default only checks the stack).
  writeFileSync(
    wrapper,
    `#!/bin/sh\nexec valgrind --tool=callgrind --instr-atstart=no --smc-check=all-non-file --callgrind-out-file=${out}/%p.out ${workerd} "$@"\n`,
  );
  chmodSync(wrapper, 0o755);
  return wrapper;
}

/** `count` requests of the benchmark, one at a time on one kept-alive connection: the same work every run. */
async function sequential(setup: BenchSetup, port: number, path: string, count: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const headers = { host: `bench.localhost:${port}`, ...setup.headers };
  try {
    for (let i = 0; i < count; i++) {
      const status = await new Promise<number>((done, fail) => {
        const req = request({ host: "127.0.0.1", port, path, agent, headers }, (res) => {
          res.resume();
          res.on("end", () => done(res.statusCode ?? 0));
        });
        req.on("error", fail);
        req.end();
      });
      if (status !== 200) throw new Error(`${path}: answered ${status}`);
    }
  } finally {
    agent.destroy();
  }
}

/** V8's map of its compiled code, latest entry first (V8 reuses the addresses of code it dropped). */
function codeMap(file: string): { start: number; end: number; name: string }[] {
  return readFileSync(file, "utf8")
    .trimEnd()
    .split("\n")
    .reverse()
    .map((line) => {
      const [start, size, ...name] = line.split(" ");
      return { start: parseInt(start!, 16), end: parseInt(start!, 16) + parseInt(size!, 16), name: name.join(" ") };
    });
}

/** A dump's functions with their inclusive counts (callgrind_annotate's text). */
function annotate(dump: string): string {
  return execFileSync("callgrind_annotate", ["--inclusive=yes", "--threshold=100", dump], {
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
}

/** The Worker's own functions (JIT code callgrind knows only by address), inclusive instructions per request. */
function workerFunctions(annotated: string, map: string, count: number): [string, number][] {
  const code = codeMap(map);
  const byName = new Map<string, number>();
  // Recursive calls ('2, '3...) are inside their outer call's inclusive count already.
  for (const [, ir, address] of annotated.matchAll(
    /^\s*([\d,]+) \([^)]*\)\s+\?\?\?:0x([0-9a-f]+)(?: \[[^\]]*\])?\s*$/gm,
  )) {
    const at = parseInt(address!, 16);
    const name = code.find((c) => c.start <= at && at < c.end)?.name;
    if (!name?.includes("w.mjs")) continue; // the Worker's bundle only
    // The same function may run as more than one code object (tiers): their counts add up.
    byName.set(name, (byName.get(name) ?? 0) + Number(ir!.replaceAll(",", "")) / count);
  }
  return [...byName].sort((a, b) => b[1] - a[1]);
}

interface Counted {
  /** Instructions per request in the median chunk: the request path, without the rare timed work. */
  steady: number;
  /** Over every chunk: the timed re-reads, re-signing and garbage collection that fell in the window too. */
  mean: number;
}

/**
 * One variant of one side under callgrind: warmed up, then counted in chunks of `chunk` requests. Work on a
 * timer (the denylist re-read, the assertion re-signed every 30 s) lands in whichever chunk it falls in, and
 * under valgrind a chunk takes ~50 times as long as under load, so it weighs ~50 times as much and varies with
 * the machine's load: the median chunk leaves it out, the mean keeps it.
 */
async function countVariant(side: Side, name: VariantName, run: number, options: CallgrindOptions): Promise<Counted> {
  const { warmup, count, chunk, out, top, api } = options;
  const v = await startVariant(side.setup, name);
  const control = (...args: string[]) =>
    execFileSync("callgrind_control", [...args, String(v.pid)], { stdio: "ignore" });
  const sizes: number[] = [];
  try {
    await sequential(side.setup, v.port, v.path, warmup);
    control("-i", "on");
    for (let done = 0; done < count; done += chunk) {
      sizes.push(Math.min(chunk, count - done));
      await sequential(side.setup, v.port, v.path, sizes.at(-1)!);
      control(`--dump=${name}-${side.label}-${run}`);
    }
  } finally {
    await v.mf.dispose();
  }
  const dumps = sizes.map((size, k) => {
    const file = join(out, `${v.pid}.out.${k + 1}`);
    const total = Number(/^(?:summary|totals): (\d+)/m.exec(readFileSync(file, "utf8"))?.[1]);
    return { file, perRequest: total / size, total };
  });
  const byCost = [...dumps].sort((a, b) => a.perRequest - b.perRequest);
  const middle = byCost[Math.floor(byCost.length / 2)]!;
  const counted = { steady: middle.perRequest, mean: dumps.reduce((sum, d) => sum + d.total, 0) / count };
  console.log(
    `${name} ${side.label}: ${Math.round(counted.steady)} instructions/request in the median chunk of ${chunk}, ${Math.round(counted.mean)} over all (chunks ${Math.round(byCost[0]!.perRequest / 1000)}k-${Math.round(byCost.at(-1)!.perRequest / 1000)}k)`,
  );
  const map = join(out, `${v.pid}.map`);
  copyFileSync(`/tmp/perf-${v.pid}.map`, map);
  rmSync(`/tmp/perf-${v.pid}.map`);
  const annotated = top > 0 || api > 0 ? annotate(middle.file) : "";
  const requests = sizes[dumps.indexOf(middle)]!;
  for (const [fn, ir] of top > 0 ? workerFunctions(annotated, map, requests).slice(0, top) : [])
    console.log(`${String(Math.round(ir)).padStart(9)}  ${fn}`);
  if (api > 0) console.log("  calls into workerd's API (every Worker in the process), inclusive:");
  for (const [member, ir] of runtimeCalls(annotated, requests).slice(0, api))
    console.log(`${String(Math.round(ir)).padStart(9)}  ${member}`);
  // Only the median chunk's dump is kept (with the code map, for callgrind_annotate).
  for (const d of dumps) if (d !== middle) rmSync(d.file);
  rmSync(join(out, `${v.pid}.out`), { force: true });
  return counted;
}

interface CallgrindOptions {
  count: number;
  chunk: number;
  warmup: number;
  repeat: number;
  /** How many of the Worker's functions to list per run. */
  top: number;
  /** How many of the calls into workerd's API to list per run. */
  api: number;
  out: string;
}

async function callgrind(sides: Side[], names: VariantName[], options: CallgrindOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "ward-pair-"));
  mkdirSync(options.out, { recursive: true });
  process.env.MINIFLARE_WORKERD_PATH = callgrindWorkerd(dir, options.out);
  // Names for the JIT code, as profile:native does.
  process.env.MINIFLARE_WORKERD_V8_FLAGS = "--perf-basic-prof";
  const per = new Map<string, Counted[]>();
  try {
    for (const name of names)
      for (let i = 0; i < options.repeat; i++)
        for (const side of i % 2 === 0 ? sides : [...sides].reverse()) {
          const key = `${name} ${side.label}`;
          per.set(key, [...(per.get(key) ?? []), await countVariant(side, name, i, options)]);
        }
  } finally {
    delete process.env.MINIFLARE_WORKERD_PATH;
    delete process.env.MINIFLARE_WORKERD_V8_FLAGS;
    rmSync(dir, { recursive: true, force: true });
  }
  const { count, chunk, warmup, repeat } = options;
  console.log(`\ncallgrind: ${count} requests in chunks of ${chunk} after ${warmup}, ${repeat} runs each`);
  console.log("instructions per request, median chunk (over all chunks)");
  const k = (xs: Counted[]) =>
    xs.map((x) => `${Math.round(x.steady / 1000)}k (${Math.round(x.mean / 1000)}k)`).join(" ");
  for (const name of names) {
    const [a, b] = [per.get(`${name} this`)!, per.get(`${name} that`)!];
    const ratio = median(b.map((x) => x.steady)) / median(a.map((x) => x.steady));
    console.log(`${name}: this ${k(a)}; that ${k(b)}; that/this ${ratio.toFixed(3)}`);
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      rounds: { type: "string", default: "12" },
      seconds: { type: "string", default: "2" },
      callgrind: { type: "string" },
      warmup: { type: "string", default: "10000" },
      repeat: { type: "string", default: "2" },
      functions: { type: "string", default: "0" },
      api: { type: "string", default: "0" },
      chunk: { type: "string", default: "100" },
    },
  });
  const [checkout, ...rest] = positionals;
  if (!checkout) throw new Error("usage: npm run bench:pair -- <other checkout> [variant...] [--callgrind N]");
  const names = (rest.length > 0 ? rest : ["full", "ratelimited"]) as VariantName[];
  await run("taskset", ["-a", "-cp", "0", String(process.pid)]).catch(() => undefined);
  // Under valgrind a request takes ~50 times as long, so re-reads on a timer (the denylist every 2 s, the
  // policy pointer every 5 s) would be charged to 50 times fewer requests than under load, and vary with the
  // machine's load: the counts keep them rare (25 s: the denylist copy's stale limit is 60 s).
  // The same for the rate limit's window: a new window leases afresh from the Durable Object, which under load
  // happens once per 1% of the limit, not every few hundred requests; a day's window keeps the lease local.
  const timing = values.callgrind
    ? { vars: { DENYLIST_REFRESH_SECONDS: "25", POLICY_REFRESH_SECONDS: "3600" }, ratePeriod: "1d" }
    : {};
  const sides: Side[] = [
    { label: "this", setup: await benchSetup({ checkout: ROOT, ...timing }) },
    { label: "that", setup: await benchSetup({ checkout: resolve(checkout), ...timing }) },
  ];
  console.log(`this: ${ROOT}\nthat: ${resolve(checkout)}`);
  if (values.callgrind)
    await callgrind(sides, names, {
      count: Number(values.callgrind),
      chunk: Number(values.chunk),
      warmup: Number(values.warmup),
      repeat: Number(values.repeat),
      top: Number(values.functions),
      api: Number(values.api),
      out: join(ROOT, "bench-results/callgrind"),
    });
  else await timed(sides, names, Number(values.rounds), Number(values.seconds));
}

await main();
