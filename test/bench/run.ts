// `npm run bench`: every benchmark, in sequence; exits non-zero if any misses its targets.
// Each benchmark prints its own table and writes bench-results/<name>.json.
import { runDeoptBench } from "./deopts.ts";
import { runGatewayBench } from "./gateway-bench.ts";
import { runHostileValidationBench } from "./hostile-validation.ts";
import { runPolicyBench, type BenchOutcome } from "./policy-bench.ts";
import { runPushMemoryBench } from "./push-memory.ts";
import { runScalingBench } from "./scaling.ts";

// The gateway benchmark last: its closing line is the one the issue asks for (`ratios: ...`).
const benchmarks: (() => Promise<BenchOutcome>)[] = [
  runPolicyBench,
  runPushMemoryBench,
  runHostileValidationBench,
  runScalingBench,
  runDeoptBench,
  runGatewayBench,
];

const outcomes: BenchOutcome[] = [];
for (const [i, bench] of benchmarks.entries()) {
  if (i > 0) console.log("");
  outcomes.push(await bench());
}

const failed = outcomes.filter((o) => !o.ok);
console.error(
  failed.length === 0
    ? `bench: all ${outcomes.length} passed`
    : `bench: FAILED ${failed.map((o) => o.name).join(", ")}`,
);
if (failed.length > 0) process.exitCode = 1;
