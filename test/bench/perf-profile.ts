// `npm run profile:native -- [variant...] [--seconds N]`: where each variant's workerd CPU goes, from Linux
// `perf` sampling the whole process under the benchmark's load (needs Debian's linux-perf). Unlike
// `npm run profile` (V8's profiler through the inspector, which inflates console.log), this sees native time
// too: the runtime's Headers and fetch, garbage collection, allocation, page faults and the write of each log
// line to Miniflare's pipe. V8 writes a map of its compiled code (--perf-basic-prof) so Ward's functions have
// names. Figures are µs of workerd CPU per request; compare variants within one run, as the benchmark does.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { benchSetup, load, run, startVariant, VARIANT_NAMES, type VariantName } from "./gateway/setup.ts";

const HZ = 2000;

/** Native parts every variant has, by a symbol on the sample's stack (first match wins, in this order). */
const NATIVE: [string, RegExp][] = [
  ["garbage collection", /v8::internal::Heap::CollectGarbage|HeapTracer/],
  ["log line written to the pipe", /__GI___libc_write$/],
  ["page faults", /asm_exc_page_fault/],
  ["Headers (runtime)", /workerd::api::Headers::/],
  ["fetch to the origin (runtime)", /workerd::api::Fetcher::fetch/],
  ["request trace scope (per JS entry; more with console)", /workerd::IoContext::makeRequestTraceScope/],
  ["request.cf parsed", /workerd::api::CfProperty::get/],
  ["HTTP response written", /__GI___writev$/],
  ["malloc (elsewhere)", /tcmalloc/],
];

/**
 * V8 appends an entry each time it places code, and reuses addresses code once held: perf would name a hot
 * function after whatever first sat at its address (the YAML parser, at start-up). Keep the latest entry.
 */
function latestEntriesOnly(mapFile: string): void {
  const entries = readFileSync(mapFile, "utf8")
    .trimEnd()
    .split("\n")
    .map((line) => {
      const [start, size] = line.split(" ");
      return { start: parseInt(start!, 16), end: parseInt(start!, 16) + parseInt(size!, 16), line };
    });
  const kept: { start: number; end: number; line: string }[] = [];
  for (const e of entries.reverse()) if (!kept.some((k) => k.start < e.end && e.start < k.end)) kept.push(e);
  writeFileSync(
    mapFile,
    `${kept
      .sort((a, b) => a.start - b.start)
      .map((k) => k.line)
      .join("\n")}\n`,
  );
}

/** Samples as stacks of symbol names, innermost first. */
function stacks(script: string): string[][] {
  return script
    .split(/\n\s*\n/)
    .map((block) =>
      block
        .split("\n")
        .map((l) => l.trim().split(" ").slice(1).join(" "))
        .filter(Boolean),
    )
    .filter((s) => s.length > 0);
}

const jsName = (frame: string) => frame.replace(/^JS:[*+~^']*/, "");

function report(name: string, samples: string[][], requests: number, seconds: number, cpuUsPerRequest: number): void {
  // Each sample stands for 1/HZ s of workerd CPU.
  const perRequest = (n: number) => ((n * 1e6) / HZ / requests).toFixed(1).padStart(7);
  const native = new Map<string, number>();
  const ward = new Map<string, number>();
  const rest = new Map<string, number>();
  for (const stack of samples) {
    const part =
      NATIVE.find(([, pattern]) => stack.some((frame) => pattern.test(frame.replace(/\(.*$/, ""))))?.[0] ?? "the rest";
    native.set(part, (native.get(part) ?? 0) + 1);
    if (part === "the rest") {
      const leaf = (stack[0] ?? "?").replace(/\(.*$/, "").slice(0, 100);
      rest.set(leaf, (rest.get(leaf) ?? 0) + 1);
    }
    for (const fn of new Set(stack.filter((f) => f.startsWith("JS:") && f.includes("w.mjs")).map(jsName)))
      ward.set(fn, (ward.get(fn) ?? 0) + 1);
  }
  console.log(
    `\n${name}: ${Math.round(requests / seconds)} req/s while sampled; ${perRequest(samples.length).trim()} µs of workerd CPU per request sampled (${Math.round(cpuUsPerRequest)} from /proc)`,
  );
  for (const [part, n] of [...native].sort((a, b) => b[1] - a[1])) console.log(`${perRequest(n)}  ${part}`);
  console.log("  the rest, by the function a sample was in:");
  for (const [fn, n] of [...rest].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${perRequest(n)}    ${fn}`);
  console.log("  inclusive, the Worker's own functions (JavaScript and the native calls under them):");
  for (const [fn, n] of [...ward].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`${perRequest(n)}    ${fn}`);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { seconds: { type: "string", default: "6" } },
  });
  const names = (positionals.length > 0 ? positionals : ["passthrough", "passthrough-log", "full"]) as VariantName[];
  const unknown = names.find((n) => !VARIANT_NAMES.includes(n));
  if (unknown) throw new Error(`unknown variant ${unknown}: one of ${VARIANT_NAMES.join(", ")}`);
  await run("perf", ["--version"]).catch(() => {
    throw new Error("needs Linux perf: apt-get install -y linux-perf");
  });
  const seconds = Number(values.seconds);
  process.env.MINIFLARE_WORKERD_V8_FLAGS = "--perf-basic-prof --interpreted-frames-native-stack";
  await run("taskset", ["-a", "-cp", "0", String(process.pid)]).catch(() => undefined);
  const setup = await benchSetup();
  const dir = mkdtempSync(join(tmpdir(), "ward-perf-"));
  try {
    for (const name of names) {
      const variant = await startVariant(setup, name);
      const mapFile = `/tmp/perf-${variant.pid}.map`;
      try {
        for (let i = 0; i < 3; i++) await load(setup, variant, 4); // the benchmark's warm-up
        const data = join(dir, `${name}.data`);
        const recorder = spawn("perf", ["record", "-F", String(HZ), "-g", "-p", String(variant.pid), "-o", data], {
          stdio: "ignore",
        });
        await new Promise((r) => setTimeout(r, 300));
        const measured = await load(setup, variant, seconds);
        recorder.kill("SIGINT");
        await new Promise((r) => recorder.once("exit", r));
        if (existsSync(mapFile)) latestEntriesOnly(mapFile);
        const { stdout } = await run("perf", ["script", "-i", data, "-F", "ip,sym"], { maxBuffer: 1 << 30 });
        report(name, stacks(stdout), measured.rps * seconds, seconds, measured.cpuUsPerRequest);
      } finally {
        await variant.mf.dispose();
        rmSync(mapFile, { force: true });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
