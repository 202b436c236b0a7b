// Policy benchmark: decision latency as the policy grows (10, 1,000 and 10,000 routes) and the cost of
// validate + compile for 10,000 routes. Targets (from the issue): the median decision at 10,000 routes is
// under 20 µs and within 2x of 10 routes; compiling 10,000 routes takes under 200 ms (validation, a stage of
// its own, is measured and reported beside it).
//
// Method: every size gets the same fixed mix of requests (allowed, denied by rule, no matching rule, route
// not found, host not found, bad request), spread over the policy's services. Each is checked once for the
// decision it must give, then evaluated in batches of BATCH_SIZE timed with process.hrtime.bigint(); the
// figure is the median of the batch means. Sizes are measured in interleaved rounds after a warm-up so that
// JIT tiering, GC and CPU frequency drift affect them alike.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  compilePolicy,
  evaluate,
  validatePolicy,
  buildIndexes,
  policyHash,
  type CompiledPolicy,
  type Identity,
  type PolicyInput,
  type Reason,
  type RequestFacts,
} from "../../policy/index.ts";
import {
  PEOPLE,
  ROUTES_PER_SERVICE,
  TEAMS,
  countRoutes,
  generatePolicy,
  resourceName,
  serviceHost,
  teamName,
  teamOf,
  teamWorkload,
  wildcardSuffix,
} from "./generate-policy.ts";

const SIZES = [10, 1_000, 10_000] as const;
const BATCH_SIZE = 1_000;
const WARMUP_BATCHES = 300;
const ROUNDS = 10;
const BATCHES_PER_ROUND = 40;
const COMPILE_RUNS = 7;
const COMPILE_SIZE = 10_000;
/** Wednesday 2025-06-11 10:00 UTC: inside the auditors' office hours. */
const NOW = Date.UTC(2025, 5, 11, 10, 0, 0);

const TARGETS = { decision10000Us: 20, ratio10000To10: 2, compile10000Ms: 200 };

const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../bench-results");

export type Category =
  | "allowed"
  | "denied-by-rule"
  | "no-matching-rule"
  | "route-not-found"
  | "host-not-found"
  | "bad-request";
const CATEGORIES: readonly Category[] = [
  "allowed",
  "denied-by-rule",
  "no-matching-rule",
  "route-not-found",
  "host-not-found",
  "bad-request",
];
const EXPECTED_REASON: Record<Category, Reason> = {
  allowed: "allowed-by-rule",
  "denied-by-rule": "denied-by-rule",
  "no-matching-rule": "no-matching-rule",
  "route-not-found": "route-not-found",
  "host-not-found": "host-not-found",
  "bad-request": "bad-request",
};

interface BenchRequest {
  category: Category;
  label: string;
  facts: RequestFacts;
}

function person(email: string, groups: string[], scopes: string[]): Identity {
  return { user: { email, groups }, claims: { email }, scopes };
}

/**
 * A team's workload presenting its JWT-SVID, which holds the scopes: a rule reads scopes from a credential its
 * principals match (policy/grant-holders.ts), and certificates and Access tokens grant none.
 */
function scopedWorkload(team: number, scopes: string[], also: Identity = {}): Identity {
  const id = teamWorkload(team);
  return {
    ...also,
    workloadToken: { issuer: "spire", kind: "spiffe-jwt-svid", subject: id, spiffeId: id, claims: {} },
    scopes,
  };
}

/**
 * The fixed mix. Request j goes to a service spread evenly over the policy (all to service 0 when there
 * is only one), always to its first resource, which every service has whatever its size.
 */
export function requestMix(services: number): BenchRequest[] {
  const templates: {
    category: Category;
    label: string;
    build: (s: number) => Omit<RequestFacts, "host"> & { host?: string };
  }[] = [
    {
      category: "allowed",
      label: "team workload reads an item (scope)",
      build: (s) => ({
        method: "GET",
        path: `/v1/${resourceName(s, 0)}/ord-48213`,
        identity: scopedWorkload(teamOf(s), [`${resourceName(s, 0)}:read`]),
      }),
    },
    {
      category: "allowed",
      label: "team workload creates (scope, rate limit)",
      build: (s) => ({
        method: "POST",
        path: `/v1/${resourceName(s, 0)}`,
        identity: scopedWorkload(teamOf(s), [`${resourceName(s, 0)}:read`, `${resourceName(s, 0)}:write`]),
      }),
    },
    {
      category: "allowed",
      label: "on-call exports (pathPrefix)",
      build: (s) => ({
        method: "GET",
        path: `/v1/${resourceName(s, 0)}/export/2025/q2.csv`,
        identity: person(PEOPLE.oncall, ["sre"], []),
      }),
    },
    {
      category: "allowed",
      label: "team workload lists via wildcard host (mTLS + token)",
      // Service 0 always has a wildcard host.
      build: () => ({
        host: `tenant-a.${wildcardSuffix(0)}`,
        method: "GET",
        path: `/v1/${resourceName(0, 0)}`,
        identity: scopedWorkload(teamOf(0), [`${resourceName(0, 0)}:read`], {
          workload: { id: teamWorkload(teamOf(0)) },
          serviceToken: { clientId: "3c086f596b4aee58e1d71b3626fefc87.access" },
        }),
      }),
    },
    {
      category: "denied-by-rule",
      label: "suspended member reads an item",
      build: (s) => ({
        method: "GET",
        path: `/v1/${resourceName(s, 0)}/ord-48213`,
        identity: person(PEOPLE.suspended, [teamName(teamOf(s))], [`${resourceName(s, 0)}:read`]),
      }),
    },
    {
      category: "denied-by-rule",
      label: "contractor updates an item",
      build: (s) => ({
        method: "PATCH",
        path: `/v1/${resourceName(s, 0)}/ord-48213`,
        identity: person(`bob@${PEOPLE.contractorDomain}`, [teamName(teamOf(s))], [`${resourceName(s, 0)}:write`]),
      }),
    },
    {
      category: "no-matching-rule",
      label: "member of another team reads an item",
      build: (s) => ({
        method: "GET",
        path: `/v1/${resourceName(s, 0)}/ord-48213`,
        identity: person("carol@example.com", [teamName((teamOf(s) + 1) % TEAMS)], [`${resourceName(s, 0)}:read`]),
      }),
    },
    {
      category: "no-matching-rule",
      label: "team member deletes without write scope",
      build: (s) => ({
        method: "DELETE",
        path: `/v1/${resourceName(s, 0)}/ord-48213`,
        identity: person("alice@example.com", [teamName(teamOf(s))], [`${resourceName(s, 0)}:read`]),
      }),
    },
    {
      category: "route-not-found",
      label: "unknown path",
      build: (s) => ({
        method: "GET",
        path: `/v2/${resourceName(s, 0)}/ord-48213/lines`,
        identity: person("alice@example.com", [teamName(teamOf(s))], []),
      }),
    },
    {
      category: "route-not-found",
      label: "known path, method not routed",
      build: (s) => ({
        method: "DELETE",
        path: `/v1/${resourceName(s, 0)}`,
        identity: person("alice@example.com", [teamName(teamOf(s))], []),
      }),
    },
    {
      category: "host-not-found",
      label: "unknown host",
      build: (s) => ({
        host: "unknown.internal.example.com",
        method: "GET",
        path: `/v1/${resourceName(s, 0)}`,
        identity: person("alice@example.com", [], []),
      }),
    },
    {
      category: "host-not-found",
      label: "too deep for a wildcard host",
      build: () => ({
        host: `a.b.${wildcardSuffix(0)}`,
        method: "GET",
        path: `/v1/${resourceName(0, 0)}`,
        identity: person("alice@example.com", [], []),
      }),
    },
    {
      category: "bad-request",
      label: "encoded separator in path",
      build: (s) => ({
        method: "GET",
        path: `/v1/${resourceName(s, 0)}/..%2F..%2Fadmin`,
        identity: person("alice@example.com", [], []),
      }),
    },
    {
      category: "bad-request",
      label: "unaccepted method",
      build: (s) => ({
        method: "TRACE",
        path: `/v1/${resourceName(s, 0)}`,
        identity: person("alice@example.com", [], []),
      }),
    },
  ];
  return templates.map((t, j) => {
    const s = Math.floor(((j + 0.5) * services) / templates.length);
    const built = t.build(s);
    return {
      category: t.category,
      label: t.label,
      facts: { ...built, host: built.host ?? serviceHost(s), country: "DE" },
    };
  });
}

// ---- measurement --------------------------------------------------------------------------------------

// A full collection before each timed compile, so that a run pays for its own garbage, not the last one's.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

let sink = 0;

/** Evaluates `requests` round-robin in `batches` batches; returns the mean ns per decision of each batch. */
function timeBatches(policy: CompiledPolicy, requests: readonly RequestFacts[], batches: number, out: number[]): void {
  const n = requests.length;
  let k = 0;
  for (let b = 0; b < batches; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < BATCH_SIZE; i++) {
      sink += evaluate(policy, requests[k]!, NOW).status;
      if (++k === n) k = 0;
    }
    out.push(Number(process.hrtime.bigint() - start) / BATCH_SIZE);
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function prepare(doc: PolicyInput): Promise<CompiledPolicy> {
  const validated = validatePolicy(doc);
  if (!validated.ok) {
    const errors = validated.issues.filter((i) => i.severity === "error");
    throw new Error(
      `generated policy is invalid: ${errors
        .slice(0, 3)
        .map((i) => `${i.path}: ${i.message}`)
        .join("; ")}`,
    );
  }
  return compilePolicy(validated.policy);
}

/** Every request must give the decision its category names; otherwise the mix measures something else. */
export function checkMix(policy: CompiledPolicy, mix: readonly BenchRequest[], size: number): void {
  for (const r of mix) {
    const decision = evaluate(policy, r.facts, NOW);
    const want = EXPECTED_REASON[r.category];
    if (decision.reasons[0] !== want || (r.category === "allowed") !== (decision.effect === "allow")) {
      throw new Error(
        `${size} routes, "${r.label}": expected ${want}, got ${decision.effect} ${decision.reasons.join(",")}`,
      );
    }
  }
}

interface SizeResult {
  routes: number;
  services: number;
  medianUs: number;
  p10Us: number;
  p90Us: number;
  batches: number;
  byCategoryUs: Record<Category, number>;
}

interface CompileResult {
  routes: number;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Medians of the parts, from separate runs: validatePolicy, policyHash, buildIndexes. */
  partsMs: { validate: number; hash: number; buildIndexes: number };
}

async function measureDecisions(): Promise<SizeResult[]> {
  const setups = [];
  for (const routes of SIZES) {
    const doc = generatePolicy(routes);
    if (countRoutes(doc) !== routes) throw new Error(`generator gave ${countRoutes(doc)} routes, not ${routes}`);
    const policy = await prepare(doc);
    const services = Math.ceil(routes / ROUTES_PER_SERVICE);
    const mix = requestMix(services);
    checkMix(policy, mix, routes);
    setups.push({ routes, services, policy, mix, facts: mix.map((r) => r.facts), samples: [] as number[] });
  }

  collectGarbage();
  for (const s of setups) timeBatches(s.policy, s.facts, WARMUP_BATCHES, []);
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order so that no size always runs right after another's garbage.
    const order = round % 2 === 0 ? setups : [...setups].reverse();
    for (const s of order) timeBatches(s.policy, s.facts, BATCHES_PER_ROUND, s.samples);
  }

  // Per category (same method, fewer batches): where the time goes, for investigation.
  return setups.map((s) => {
    const byCategoryUs = {} as Record<Category, number>;
    for (const category of CATEGORIES) {
      const facts = s.mix.filter((r) => r.category === category).map((r) => r.facts);
      const samples: number[] = [];
      timeBatches(s.policy, facts, 20, []);
      timeBatches(s.policy, facts, 60, samples);
      byCategoryUs[category] = median(samples) / 1000;
    }
    return {
      routes: s.routes,
      services: s.services,
      medianUs: median(s.samples) / 1000,
      p10Us: percentile(s.samples, 0.1) / 1000,
      p90Us: percentile(s.samples, 0.9) / 1000,
      batches: s.samples.length,
      byCategoryUs,
    };
  });
}

const ms = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

async function measureCompile(): Promise<CompileResult> {
  const doc = generatePolicy(COMPILE_SIZE);
  const totals: number[] = [];
  // One warm-up run, then COMPILE_RUNS measured: compilePolicy (version hash + indexes) on a validated
  // document. Validation is its own stage (run once per push and once per version per isolate); its
  // time is reported beside it.
  const validated = validatePolicy(doc);
  if (!validated.ok) throw new Error("generated policy is invalid");
  for (let i = 0; i <= COMPILE_RUNS; i++) {
    collectGarbage();
    const start = process.hrtime.bigint();
    const policy = await compilePolicy(validated.policy);
    const elapsed = ms(start);
    sink += policy.hosts.size;
    if (i > 0) totals.push(elapsed);
  }
  // The parts, separately (compilePolicy is buildIndexes(doc, await policyHash(doc))).
  const parts = { validate: [] as number[], hash: [] as number[], buildIndexes: [] as number[] };
  for (let i = 0; i < 5; i++) {
    collectGarbage();
    let t = process.hrtime.bigint();
    const validated = validatePolicy(doc);
    parts.validate.push(ms(t));
    if (!validated.ok) throw new Error("generated policy is invalid");
    t = process.hrtime.bigint();
    const version = await policyHash(validated.policy);
    parts.hash.push(ms(t));
    t = process.hrtime.bigint();
    sink += buildIndexes(validated.policy, version).hosts.size;
    parts.buildIndexes.push(ms(t));
  }
  return {
    routes: COMPILE_SIZE,
    runs: totals.length,
    medianMs: median(totals),
    minMs: Math.min(...totals),
    maxMs: Math.max(...totals),
    partsMs: { validate: median(parts.validate), hash: median(parts.hash), buildIndexes: median(parts.buildIndexes) },
  };
}

// ---- report -------------------------------------------------------------------------------------------

const fmt = (n: number, digits = 3): string => n.toFixed(digits);

export interface BenchOutcome {
  name: string;
  ok: boolean;
}

export async function runPolicyBench(): Promise<BenchOutcome> {
  const started = process.hrtime.bigint();
  console.log(`policy benchmark (node ${process.version}, batches of ${BATCH_SIZE} decisions, median of batch means)`);

  const sizes = await measureDecisions();
  const compile = await measureCompile();

  const [small, , large] = sizes as [SizeResult, SizeResult, SizeResult];
  const ratio = large.medianUs / small.medianUs;
  const checks = [
    {
      name: `decision at 10,000 routes < ${TARGETS.decision10000Us} µs`,
      ok: large.medianUs < TARGETS.decision10000Us,
      value: `${fmt(large.medianUs)} µs`,
    },
    {
      name: `decision at 10,000 routes within ${TARGETS.ratio10000To10}x of 10 routes`,
      ok: ratio <= TARGETS.ratio10000To10,
      value: `${fmt(ratio, 2)}x`,
    },
    {
      name: `compile of 10,000 routes < ${TARGETS.compile10000Ms} ms`,
      ok: compile.medianMs < TARGETS.compile10000Ms,
      value: `${fmt(compile.medianMs, 1)} ms`,
    },
  ];

  console.log("");
  console.log(
    `routes   services  median µs   p10 µs   p90 µs  batches  | ${CATEGORIES.map((c) => c.padStart(16)).join(" ")}`,
  );
  for (const s of sizes) {
    console.log(
      `${String(s.routes).padStart(6)}  ${String(s.services).padStart(9)}  ${fmt(s.medianUs).padStart(9)} ${fmt(s.p10Us).padStart(8)} ${fmt(s.p90Us).padStart(8)} ${String(s.batches).padStart(8)}  | ` +
        CATEGORIES.map((c) => fmt(s.byCategoryUs[c]).padStart(16)).join(" "),
    );
  }
  console.log("");
  console.log(
    `compile ${compile.routes} routes (compilePolicy, ${compile.runs} runs): median ${fmt(compile.medianMs, 1)} ms, ` +
      `min ${fmt(compile.minMs, 1)} ms, max ${fmt(compile.maxMs, 1)} ms; ` +
      `parts (medians of separate runs): validate ${fmt(compile.partsMs.validate, 1)} ms, hash ${fmt(compile.partsMs.hash, 1)} ms, ` +
      `buildIndexes ${fmt(compile.partsMs.buildIndexes, 1)} ms (validate + compile: ${fmt(compile.partsMs.validate + compile.partsMs.hash + compile.partsMs.buildIndexes, 1)} ms)`,
  );
  console.log("");
  for (const c of checks) console.log(`${c.ok ? "PASS" : "FAIL"}  ${c.name}: ${c.value}`);
  console.log(
    `policy: decision10=${fmt(small.medianUs)}µs decision1000=${fmt(sizes[1]!.medianUs)}µs decision10000=${fmt(large.medianUs)}µs ` +
      `ratio10000/10=${fmt(ratio, 2)} compile10000=${fmt(compile.medianMs, 1)}ms`,
  );

  const ok = checks.every((c) => c.ok);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, "policy.json");
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        benchmark: "policy",
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        method: {
          batchSize: BATCH_SIZE,
          warmupBatches: WARMUP_BATCHES,
          rounds: ROUNDS,
          batchesPerRound: BATCHES_PER_ROUND,
          statistic: "median of batch means",
          now: new Date(NOW).toISOString(),
        },
        mix: requestMix(1).map((r) => ({ category: r.category, label: r.label })),
        decision: sizes,
        ratio10000To10: ratio,
        compile,
        targets: TARGETS,
        checks: checks.map(({ name, ok: pass, value }) => ({ name, pass, value })),
        ok,
        durationSeconds: Number(process.hrtime.bigint() - started) / 1e9,
        sink,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`wrote ${file} (${fmt(Number(process.hrtime.bigint() - started) / 1e9, 1)} s)`);
  return { name: "policy", ok };
}

// Runnable on its own too: node test/bench/policy-bench.ts
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outcome = await runPolicyBench();
  if (!outcome.ok) process.exitCode = 1;
}
