// How large a policy the Worker can take in a push: the admin API parses the YAML source, validates and
// compiles it inside its isolate (128 MB, with its own policy and caches beside), and the YAML parser's peak
// heap is far larger than the text. Each size of the generated policy is loaded (loadPolicy, as a push does)
// in a child Node process whose V8 heap is capped with --max-old-space-size: it either finishes or dies out of
// memory. Target: a policy of MAX_POLICY_BYTES (push's bound) loads within HEAP_FOR_A_PUSH_MIB. Miniflare does
// not enforce Workers' memory limit, so this is measured in Node, the same V8.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { MAX_POLICY_BYTES } from "../../policy/index.ts";
import { generatePolicy } from "./generate-policy.ts";
import type { BenchOutcome } from "./policy-bench.ts";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/**
 * V8's old generation a push may take: Workers' 128 MB less the young generation (16 MiB), what the Worker
 * keeps meanwhile (its policy and caches: 35-45 MiB with 1,000 routes under load, scaling.ts) and a margin.
 */
const HEAP_FOR_A_PUSH_MIB = 64;
const CAPS_MIB = [HEAP_FOR_A_PUSH_MIB, 128];

/** The child: loads the file as the admin API loads a push, and says whether it is a valid policy. */
const CHILD = `
const { readFileSync } = await import("node:fs");
const { loadPolicy } = await import(process.argv[1]);
const loaded = await loadPolicy(readFileSync(process.argv[2], "utf8"));
if (!loaded.ok) { console.error(JSON.stringify(loaded.issues.slice(0, 3))); process.exit(3); }
`;

/** Whether `file` loads with V8's heap capped at `capMib`, and how long it took. */
async function loadsWithin(file: string, capMib: number): Promise<{ ok: boolean; ms: number }> {
  const started = performance.now();
  try {
    await run(
      process.execPath,
      [`--max-old-space-size=${capMib}`, "--input-type=module", "-e", CHILD, join(ROOT, "policy/load.ts"), file],
      { maxBuffer: 1 << 20 },
    );
    return { ok: true, ms: performance.now() - started };
  } catch (error) {
    // Exit 3: not a valid policy, a bug in this benchmark rather than a measurement.
    if ((error as { code?: number }).code === 3) throw new Error(`generated policy refused: ${String(error)}`);
    return { ok: false, ms: performance.now() - started };
  }
}

/** The most routes of the generated shape whose YAML is within `bytes`. */
function routesWithin(bytes: number): { routes: number; text: string } {
  const size = (n: number) => Buffer.byteLength(stringify(generatePolicy(n)));
  const perRoute = size(1000) / 1000;
  let routes = Math.floor(bytes / perRoute);
  let text = stringify(generatePolicy(routes));
  while (Buffer.byteLength(text) > bytes) text = stringify(generatePolicy(--routes));
  return { routes, text };
}

export async function runPushMemoryBench(): Promise<BenchOutcome> {
  const dir = mkdtempSync(join(tmpdir(), "ward-push-memory-"));
  try {
    const atBound = routesWithin(MAX_POLICY_BYTES);
    const sizes = [
      { label: "push's bound", ...atBound },
      ...[1500, 3000].map((routes) => ({ label: "", routes, text: stringify(generatePolicy(routes)) })),
    ];
    const rows = [];
    for (const size of sizes) {
      const file = join(dir, `${size.routes}.yaml`);
      writeFileSync(file, size.text);
      const within: Record<string, boolean> = {};
      for (const cap of CAPS_MIB) within[`${cap} MiB`] = (await loadsWithin(file, cap)).ok;
      rows.push({ label: size.label, routes: size.routes, bytes: Buffer.byteLength(size.text), within });
    }
    console.log(`push memory (Node ${process.version}; loadPolicy in a child whose V8 heap is capped)`);
    console.log(`routes   YAML MiB   ${CAPS_MIB.map((c) => `loads within ${c} MiB`.padEnd(22)).join("")}`);
    for (const r of rows)
      console.log(
        `${String(r.routes).padEnd(8)} ${(r.bytes / 1048576).toFixed(2).padStart(8)}   ${Object.values(r.within)
          .map((ok) => (ok ? "yes" : "no (out of memory)").padEnd(22))
          .join("")}${r.label ? `  ${r.label}` : ""}`,
      );
    const ok = rows[0]!.within[`${HEAP_FOR_A_PUSH_MIB} MiB`] === true;
    console.log(
      `${ok ? "PASS" : "FAIL"}  a policy at push's bound (${MAX_POLICY_BYTES} bytes, ${atBound.routes} routes) loads within ${HEAP_FOR_A_PUSH_MIB} MiB of heap`,
    );
    mkdirSync(join(ROOT, "bench-results"), { recursive: true });
    writeFileSync(
      join(ROOT, "bench-results/push-memory.json"),
      `${JSON.stringify({ caps: CAPS_MIB, rows }, null, 2)}\n`,
    );
    return { name: "push-memory", ok };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) process.exitCode = (await runPushMemoryBench()).ok ? 0 : 1;
