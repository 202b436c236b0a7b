// `npm run bench`: every benchmark, in sequence; exits non-zero if any misses its targets.
// Each benchmark prints its own table and writes bench-results/<name>.json.
import { runPolicyBench, type BenchOutcome } from "./policy-bench.ts";

const benchmarks: (() => Promise<BenchOutcome>)[] = [runPolicyBench];

const outcomes: BenchOutcome[] = [];
for (const bench of benchmarks) {
  outcomes.push(await bench());
  console.log("");
}

const failed = outcomes.filter((o) => !o.ok);
console.log(failed.length === 0 ? `bench: all ${outcomes.length} passed` : `bench: FAILED ${failed.map((o) => o.name).join(", ")}`);
if (failed.length > 0) process.exitCode = 1;
