// `npm run bench:pair -- <checkout> [variant...] [--rounds N] [--seconds S] [--callgrind N] [--repeat R]`:
// this Ward's bundle against another checkout's (a `git worktree add /tmp/old <commit>`, say), the same
// variants of the gateway benchmark side by side, to tell a regression from the machine's noise.
//
// Timed (default): each variant of both bundles in its own workerd pinned to core 1, wrk on core 0, warmed up
// and then run in interleaved rounds (order reversed every other round), as gateway-bench.ts does; each
// round's ratio that/this is taken within the round and the median over rounds reported.
//
// --callgrind N: instructions per request instead of time, repeatable whatever else the machine runs.
// Each workerd runs under `valgrind --tool=callgrind` with instrumentation off; after --warmup requests
// (JIT, caches, leases settled) it is switched on for N requests, one at a time, and dumped. The bundles
// alternate, --repeat times each. Dumps stay in bench-results/callgrind/ for callgrind_annotate (workerd's
// native functions have names; the Worker's JIT code shows as addresses).
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { benchSetup, load, ROOT, run, startVariant, type BenchSetup, type VariantName } from "./gateway/setup.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const range = (xs: number[], digits = 2) => `${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)}`;

interface Side {
  label: "this" | "that";
  setup: BenchSetup;
}

async function timed(sides: Side[], names: VariantName[], rounds: number, seconds: number): Promise<void> {
  const runs = [];
  for (const name of names) for (const side of sides) runs.push({ ...side, v: await startVariant(side.setup, name) });
  const rps = new Map<string, number[]>();
  const cpu = new Map<string, number[]>();
  try {
    for (let pass = 0; pass < 3; pass++) for (const r of runs) await load(r.setup, r.v, 4);
    for (let round = 0; round < rounds; round++)
      for (const r of round % 2 === 0 ? runs : [...runs].reverse()) {
        const m = await load(r.setup, r.v, seconds);
        if (m.non2xx > 0) throw new Error(`${r.v.name} (${r.label}): ${m.non2xx} non-2xx answers`);
        const key = `${r.v.name} ${r.label}`;
        rps.set(key, [...(rps.get(key) ?? []), m.rps]);
        cpu.set(key, [...(cpu.get(key) ?? []), m.cpuUsPerRequest]);
      }
  } finally {
    await Promise.all(runs.map((r) => r.v.mf.dispose()));
  }
  console.log(`timed, ${rounds} interleaved rounds of ${seconds} s (medians; ratios within rounds, then median)`);
  console.log("variant        side   req/s  CPU µs/req");
  for (const key of rps.keys()) {
    const [name, label] = key.split(" ");
    console.log(
      `${name!.padEnd(14)} ${label!.padEnd(5)} ${String(Math.round(median(rps.get(key)!))).padStart(6)} ${String(Math.round(median(cpu.get(key)!))).padStart(11)}`,
    );
  }
  for (const name of names) {
    const within = (m: Map<string, number[]>) => m.get(`${name} that`)!.map((x, i) => x / m.get(`${name} this`)![i]!);
    const r = within(rps);
    const c = within(cpu);
    console.log(
      `${name}: that/this req/s ${median(r).toFixed(3)} (rounds ${range(r)}), CPU/req ${median(c).toFixed(3)} (rounds ${range(c)})`,
    );
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

async function callgrind(sides: Side[], names: VariantName[], count: number, warmup: number, repeat: number) {
  const dir = mkdtempSync(join(tmpdir(), "ward-pair-"));
  const out = join(ROOT, "bench-results/callgrind");
  mkdirSync(out, { recursive: true });
  process.env.MINIFLARE_WORKERD_PATH = callgrindWorkerd(dir, out);
  const per = new Map<string, number[]>();
  try {
    for (const name of names)
      for (let i = 0; i < repeat; i++)
        for (const side of i % 2 === 0 ? sides : [...sides].reverse()) {
          const v = await startVariant(side.setup, name);
          try {
            await sequential(side.setup, v.port, v.path, warmup);
            execFileSync("callgrind_control", ["-i", "on", String(v.pid)], { stdio: "ignore" });
            await sequential(side.setup, v.port, v.path, count);
            execFileSync("callgrind_control", [`--dump=${name}-${side.label}-${i}`, String(v.pid)], {
              stdio: "ignore",
            });
          } finally {
            await v.mf.dispose();
          }
          const dump = readdirSync(out).find((f) => f.startsWith(`${v.pid}.out.`))!;
          const total = Number(/^(?:summary|totals): (\d+)/m.exec(readFileSync(join(out, dump), "utf8"))?.[1]);
          const key = `${name} ${side.label}`;
          per.set(key, [...(per.get(key) ?? []), total / count]);
          console.log(`${key}: ${Math.round(total / count)} instructions/request (${dump})`);
        }
  } finally {
    delete process.env.MINIFLARE_WORKERD_PATH;
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\ncallgrind, ${count} requests after ${warmup}, ${repeat} runs each (instructions per request)`);
  for (const name of names) {
    const [a, b] = [per.get(`${name} this`)!, per.get(`${name} that`)!];
    const k = (xs: number[]) => xs.map((x) => `${Math.round(x / 1000)}k`).join(" ");
    console.log(`${name}: this ${k(a)}; that ${k(b)}; that/this ${(median(b) / median(a)).toFixed(3)}`);
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      rounds: { type: "string", default: "12" },
      seconds: { type: "string", default: "2" },
      callgrind: { type: "string" },
      warmup: { type: "string", default: "2000" },
      repeat: { type: "string", default: "2" },
    },
  });
  const [checkout, ...rest] = positionals;
  if (!checkout) throw new Error("usage: npm run bench:pair -- <other checkout> [variant...] [--callgrind N]");
  const names = (rest.length > 0 ? rest : ["full", "ratelimited"]) as VariantName[];
  await run("taskset", ["-a", "-cp", "0", String(process.pid)]).catch(() => undefined);
  // Under valgrind a request takes ~50 times as long, so re-reads on a timer (the denylist every 2 s, the
  // policy pointer every 5 s) would be charged to 50 times fewer requests than under load, and vary with the
  // machine's load: the counts keep them rare (25 s: the denylist copy's stale limit is 60 s).
  const vars = values.callgrind ? { DENYLIST_REFRESH_SECONDS: "25", POLICY_REFRESH_SECONDS: "3600" } : undefined;
  const sides: Side[] = [
    { label: "this", setup: await benchSetup({ checkout: ROOT, ...(vars ? { vars } : {}) }) },
    { label: "that", setup: await benchSetup({ checkout: resolve(checkout), ...(vars ? { vars } : {}) }) },
  ];
  console.log(`this: ${ROOT}\nthat: ${resolve(checkout)}`);
  if (values.callgrind)
    await callgrind(sides, names, Number(values.callgrind), Number(values.warmup), Number(values.repeat));
  else await timed(sides, names, Number(values.rounds), Number(values.seconds));
}

await main();
