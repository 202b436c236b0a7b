// `npm run bench:deopts` (and part of `npm run bench`): whether V8 keeps Ward's request path optimised under
// steady load. A function that V8 deoptimises each time it optimises it runs unoptimised for good: that is how
// verifyAccessToken ran until 2026-12-05 (a remaining-seconds sum written inside an object literal, "reason:
// Smi"), invisible to every timed figure's noise. So each Ward variant of the gateway benchmark runs with V8's
// --trace-deopt and --trace-opt (workerd's standard output kept through a wrapper, as Miniflare drops lines that
// are not its structured logs), is warmed up, and then every deoptimisation in a further window is counted by
// function.
//
// Fails when one function is deoptimised more than MAX_DEOPTS times in the window: a loop, not the one or two
// deoptimisations that settle a function's types; and when the trace never shows `gateway` optimised (the
// wrapper or the flags did not take: a trace of nothing is no pass). Also printed, not enforced: how often
// optimised code was thrown away because objects it embedded were collected ("embedded weak objects cleared", at
// each full garbage collection: docs/performance.md).
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { countTrace, tracedOptimising, type TraceCounts } from "./deopt-trace.ts";
import type { BenchOutcome } from "./policy-bench.ts";
import { benchSetup, load, ROOT, startVariant, type VariantName } from "./gateway/setup.ts";

const VARIANTS: VariantName[] = ["full", "ratelimited"];
const WARMUP_SECONDS = 10;
const WINDOW_SECONDS = 20;
/** verifyAccessToken's loop was 16-27 in a window of 20 s; a function settling its types takes one to three. */
const MAX_DEOPTS = 5;

interface Counted extends TraceCounts {
  requests: number;
}

/** A path as one word of a POSIX shell script, whatever it holds. */
const quoted = (path: string) => `'${path.replaceAll("'", "'\\''")}'`;

async function traceVariant(name: VariantName): Promise<Counted> {
  const dir = mkdtempSync(join(tmpdir(), "ward-deopts-"));
  const trace = join(dir, "trace.txt");
  const wrapper = join(dir, "workerd");
  // Line-buffered (stdbuf), or a trace cut off at exit loses its end.
  writeFileSync(
    wrapper,
    `#!/bin/sh\nexec stdbuf -oL ${quoted(join(ROOT, "node_modules/workerd/bin/workerd"))} "$@" >> ${quoted(trace)}\n`,
  );
  chmodSync(wrapper, 0o755);
  const saved = { path: process.env.MINIFLARE_WORKERD_PATH, flags: process.env.MINIFLARE_WORKERD_V8_FLAGS };
  process.env.MINIFLARE_WORKERD_PATH = wrapper;
  // --trace-opt too: its lines show the trace was taken at all (no wrapper run, no flags: nothing to count).
  process.env.MINIFLARE_WORKERD_V8_FLAGS = "--trace-deopt --trace-opt";
  try {
    const setup = await benchSetup();
    const variant = await startVariant(setup, name);
    try {
      await load(setup, variant, WARMUP_SECONDS);
      const from = statSync(trace).size;
      const measured = await load(setup, variant, WINDOW_SECONDS);
      if (measured.non2xx > 0) throw new Error(`${name}: ${measured.non2xx} non-2xx answers`);
      if (measured.rps === 0) throw new Error(`${name}: no request answered in the window`);
      const whole = readFileSync(trace);
      // The request path optimised at least once: else the trace is not of Ward's load, and counts nothing.
      if (!tracedOptimising(whole.toString("utf8"), "gateway"))
        throw new Error(
          `${name}: no V8 trace of gateway's optimisation in ${trace}: the wrapper or the flags did not take`,
        );
      const text = whole.subarray(from).toString("utf8");
      return { ...countTrace(text), requests: Math.round(measured.rps * WINDOW_SECONDS) };
    } finally {
      await variant.mf.dispose();
    }
  } finally {
    for (const [key, value] of [
      ["MINIFLARE_WORKERD_PATH", saved.path],
      ["MINIFLARE_WORKERD_V8_FLAGS", saved.flags],
    ] as const)
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    rmSync(dir, { recursive: true, force: true });
  }
}

const listed = (map: Map<string, number>) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .map(([fn, n]) => `${fn} ${n}`)
    .join(", ") || "none";

export async function runDeoptBench(): Promise<BenchOutcome> {
  console.log(
    `deoptimisations (V8 --trace-deopt, ${WINDOW_SECONDS} s of the gateway benchmark's load after ${WARMUP_SECONDS} s)`,
  );
  let ok = true;
  const figures: Record<string, unknown> = {};
  for (const name of VARIANTS) {
    let counted: Counted;
    try {
      counted = await traceVariant(name);
    } catch (error) {
      // Nothing measured is no pass.
      console.log(`FAIL  ${name}: ${error instanceof Error ? error.message : String(error)}`);
      ok = false;
      continue;
    }
    const { deopts, weakClears, requests } = counted;
    figures[name] = { requests, deopts: Object.fromEntries(deopts), weakClears: Object.fromEntries(weakClears) };
    const loops = [...deopts].filter(([, n]) => n > MAX_DEOPTS);
    ok &&= loops.length === 0;
    console.log(`${name.padEnd(12)} ${requests} requests; deoptimised: ${listed(deopts)}`);
    console.log(`${"".padEnd(12)} code discarded at a full GC (embedded objects collected): ${listed(weakClears)}`);
    for (const [fn, n] of loops) console.log(`FAIL  ${name}: ${fn} deoptimised ${n} times (at most ${MAX_DEOPTS})`);
  }
  mkdirSync(join(ROOT, "bench-results"), { recursive: true });
  writeFileSync(join(ROOT, "bench-results/deopts.json"), `${JSON.stringify(figures, null, 2)}\n`);
  console.log(`${ok ? "PASS" : "FAIL"}  no function of the request path deoptimised more than ${MAX_DEOPTS} times`);
  return { name: "deopts", ok };
}

if (import.meta.main) process.exitCode = (await runDeoptBench()).ok ? 0 : 1;
