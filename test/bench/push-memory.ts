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
import { MAX_JSON_POLICY_BYTES, MAX_POLICY_BYTES, MAX_ROUTES } from "../../policy/index.ts";
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

/**
 * The child: loads the file as the admin API loads a push, and says whether it is a valid policy. A `.body` file
 * is a whole push as the admin API receives it (the text as a JSON string): read, parsed, loaded, its document
 * made and hashed for storing, all of which the isolate holds at once.
 */
const CHILD = `
const { readFileSync } = await import("node:fs");
const { loadPolicy, MAX_POLICY_BYTES, sha256Hex, storedDocument } = await import(process.argv[1]);
const file = process.argv[2];
const body = file.endsWith(".body");
const text = body ? JSON.parse(readFileSync(file, "utf8")).text : readFileSync(file, "utf8");
const loaded = await loadPolicy(text, body ? { yamlUpTo: MAX_POLICY_BYTES } : {});
if (!loaded.ok) { console.error(JSON.stringify(loaded.issues.slice(0, 3))); process.exit(3); }
if (body) await sha256Hex(storedDocument(loaded.policy));
`;

/** Whether `file` loads with V8's heap capped at `capMib`, and how long it took. */
async function loadsWithin(file: string, capMib: number): Promise<{ ok: boolean; ms: number }> {
  const started = performance.now();
  try {
    await run(
      process.execPath,
      [`--max-old-space-size=${capMib}`, "--input-type=module", "-e", CHILD, join(ROOT, "policy/index.ts"), file],
      { maxBuffer: 1 << 20 },
    );
    return { ok: true, ms: performance.now() - started };
  } catch (error) {
    // Exit 3: not a valid policy, a bug in this benchmark rather than a measurement.
    if ((error as { code?: number }).code === 3) throw new Error(`generated policy refused: ${String(error)}`);
    return { ok: false, ms: performance.now() - started };
  }
}

/** The most routes of the generated shape whose text (YAML, or compact JSON) is within `bytes`. */
function routesWithin(bytes: number, write: (policy: unknown) => string = stringify): { routes: number; text: string } {
  const perRoute = Buffer.byteLength(write(generatePolicy(1000))) / 1000;
  let routes = Math.floor(bytes / perRoute);
  let text = write(generatePolicy(routes));
  while (Buffer.byteLength(text) > bytes) text = write(generatePolicy((routes -= Math.max(1, routes >> 9))));
  return { routes, text };
}

/**
 * Shapes that cost the isolate more per byte than the generated one (a review found them): the smallest valid
 * routes (a public GET each), and routes whose rules each name their own principals (no shared set).
 */
function costlyPolicy(shape: "smallest" | "own-principals", routes: number): unknown {
  const rule = (i: number, r: string) => ({
    id: r,
    effect: "allow",
    principals: [{ spiffe: `spiffe://demo.ward.internal/ns/${r}/sa/w${i}` }, { email: `${r}${i}@example.com` }],
    when: { scopes: [`x:${r}`] },
  });
  return {
    version: 1,
    metadata: { environment: "dev", owners: ["a@example.com"], trustDomains: ["demo.ward.internal"] },
    identity: {
      mtls: {
        issuers: [
          { ski: "3A:45:F8:48:C6:05:0C:D8:6D:58:FE:6D:A7:72:C4:F3:C3:CE:F5:C2", trustDomains: ["demo.ward.internal"] },
        ],
        spiffe: true,
      },
      access: { teamDomain: "https://bench.cloudflareaccess.com", audiences: ["ab".repeat(32)] },
    },
    services: {
      api: {
        hosts: ["api.example.com"],
        origin: { tunnel: "API" },
        owner: "a@example.com",
        routes: Array.from({ length: routes }, (_, i) =>
          shape === "smallest"
            ? {
                id: `r${i}`,
                methods: ["GET"],
                path: `/p${i}`,
                rules: [{ id: "a", effect: "allow", principals: [{ public: true }] }],
              }
            : { id: `r${i}`, methods: ["GET", "POST"], path: `/p${i}`, rules: [rule(i, "a"), rule(i, "b")] },
        ),
      },
    },
  };
}

/** The most routes of a costly shape within the JSON bound and MAX_ROUTES. */
function costlyWithin(shape: "smallest" | "own-principals"): { routes: number; text: string } {
  const perRoute = JSON.stringify(costlyPolicy(shape, 1000)).length / 1000;
  let routes = Math.min(MAX_ROUTES, Math.floor(MAX_JSON_POLICY_BYTES / perRoute));
  let text = JSON.stringify(costlyPolicy(shape, routes));
  while (Buffer.byteLength(text) > MAX_JSON_POLICY_BYTES) text = JSON.stringify(costlyPolicy(shape, (routes -= 100)));
  return { routes, text };
}

export async function runPushMemoryBench(): Promise<BenchOutcome> {
  const dir = mkdtempSync(join(tmpdir(), "ward-push-memory-"));
  try {
    const atBound = routesWithin(MAX_POLICY_BYTES);
    // Compact JSON holds the most routes in the bytes: the most objects to build, the largest heap.
    const atJsonBound = routesWithin(MAX_JSON_POLICY_BYTES, (policy) => JSON.stringify(policy));
    const sizes = [
      { label: "push's bound (YAML)", format: "YAML", ...atBound },
      ...[1500, 3000].map((routes) => ({ label: "", format: "YAML", routes, text: stringify(generatePolicy(routes)) })),
      { label: "push's bound (JSON), a whole push", format: "JSON", ...atJsonBound },
      { label: "the smallest routes, at MAX_ROUTES", format: "JSON", ...costlyWithin("smallest") },
      { label: "rules with their own principals, at the bound", format: "JSON", ...costlyWithin("own-principals") },
    ];
    const rows: { label: string; format: string; routes: number; bytes: number; within: Record<string, boolean> }[] =
      [];
    for (const size of sizes) {
      const json = size.format === "JSON";
      const file = join(dir, `${size.routes}.${json ? "body" : "yaml"}`);
      writeFileSync(file, json ? JSON.stringify({ text: size.text, expected: null, message: "" }) : size.text);
      const within: Record<string, boolean> = {};
      for (const cap of CAPS_MIB) within[`${cap} MiB`] = (await loadsWithin(file, cap)).ok;
      const bytes = Buffer.byteLength(size.text);
      rows.push({ label: size.label, format: size.format, routes: size.routes, bytes, within });
    }
    console.log(`push memory (Node ${process.version}; loadPolicy in a child whose V8 heap is capped)`);
    console.log(`routes   text MiB   ${CAPS_MIB.map((c) => `loads within ${c} MiB`.padEnd(22)).join("")}`);
    for (const r of rows)
      console.log(
        `${String(r.routes).padEnd(8)} ${(r.bytes / 1048576).toFixed(2).padStart(5)} ${r.format}   ${Object.values(
          r.within,
        )
          .map((ok) => (ok ? "yes" : "no (out of memory)").padEnd(22))
          .join("")}${r.label ? `  ${r.label}` : ""}`,
      );
    const fits = (row: (typeof rows)[number]) => row.within[`${HEAP_FOR_A_PUSH_MIB} MiB`] === true;
    const ok = fits(rows[0]!) && rows.filter((r) => r.format === "JSON").every(fits);
    console.log(
      `${ok ? "PASS" : "FAIL"}  a policy at push's bounds (${MAX_POLICY_BYTES} bytes of YAML, ${atBound.routes} routes; ` +
        `${MAX_JSON_POLICY_BYTES} of JSON, ${atJsonBound.routes} routes; the costlier shapes beside) loads within ${HEAP_FOR_A_PUSH_MIB} MiB of heap`,
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
