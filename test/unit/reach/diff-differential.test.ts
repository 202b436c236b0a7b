// `ward diff` finds every widening: for random pairs of valid policies (OLD, and NEW a random mutation of it),
// every sampled request that NEW allows and OLD does not must come with a diff that widens (what `ward diff`
// exits 4 on). The requests are evaluated by the core's own `evaluate`, so what is checked is the gateway's
// decision, not a model of it.
//
// Seeded: a failure names its seed; replay it with WARD_DIFF_SEED=<seed> (and WARD_DIFF_PAIRS for more or
// fewer pairs). Without the variable every run draws a new seed, so CI keeps exploring.
import { describe, expect, it } from "vitest";
import {
  buildIndexes,
  type CompiledPolicy,
  type Decision,
  diffReach,
  diffWidens,
  evaluate,
  type PolicyDiff,
  type PolicyDocument,
  reach,
} from "../../../policy/index.ts";
import { randomBase, randomMutant } from "./policy-pairs.ts";
import { pairSeed, random } from "./random.ts";
import { type Sample, sampleRequests } from "./random-requests.ts";

const SEED = process.env.WARD_DIFF_SEED ? Number(process.env.WARD_DIFF_SEED) : (Date.now() ^ (process.pid << 16)) >>> 0;
const PAIRS = Number(process.env.WARD_DIFF_PAIRS ?? 2000);
/** Each random policy is the OLD of this many pairs: validating and compiling it once is most of a pair's cost. */
const MUTANTS = 6;
const REQUESTS_PER_PAIR = 50;

interface Witness {
  round: number;
  /** What each policy decided for the request: its reasons and the route and rule that decided. */
  decisions: { old: Pick<Decision, "reasons" | "route" | "rule">; new: Pick<Decision, "reasons" | "route" | "rule"> };
  mutations: string[];
  sample: Sample;
  old: PolicyDocument;
  new: PolicyDocument;
  diff: PolicyDiff;
}

/** The first sampled request NEW allows and OLD does not, if any. */
function widening(before: CompiledPolicy, after: CompiledPolicy, samples: readonly Sample[], counts: Counts) {
  for (const sample of samples) {
    counts.requests++;
    const now = evaluate(after, sample.request, sample.now);
    if (now.effect !== "allow") continue;
    counts.allowed++;
    if (evaluate(before, sample.request, sample.now).effect !== "allow") return sample;
  }
  return undefined;
}

interface Counts {
  pairs: number;
  requests: number;
  allowed: number;
  /** Pairs where sampling found a request NEW allows and OLD does not. */
  witnessed: number;
  /** Pairs the diff reports as widening. */
  reported: number;
}

function describeWitness(w: Witness): string {
  return [
    `ward diff missed a widening: replay with WARD_DIFF_SEED=${SEED} (it is round ${w.round})`,
    `mutations: ${w.mutations.join(", ")}`,
    `request: ${JSON.stringify(w.sample.request)} at ${new Date(w.sample.now).toISOString()}`,
    `OLD decided: ${JSON.stringify(w.decisions.old)}; NEW: ${JSON.stringify(w.decisions.new)}`,
    `diff: ${JSON.stringify(w.diff)}`,
    `OLD: ${JSON.stringify(w.old)}`,
    `NEW: ${JSON.stringify(w.new)}`,
  ].join("\n");
}

describe("ward diff against sampled requests", () => {
  it("reports a widening wherever NEW allows a request OLD denies", () => {
    const counts: Counts = { pairs: 0, requests: 0, allowed: 0, witnessed: 0, reported: 0 };
    let missed: Witness | undefined;
    for (let round = 0; counts.pairs < PAIRS && !missed; round++) {
      const r = random(pairSeed(SEED, round));
      const base = randomBase(r);
      if (!base) continue;
      const before = buildIndexes(base.doc, "old");
      const old = reach(before);
      for (let k = 0; k < MUTANTS && !missed; k++) {
        const mutant = randomMutant(r, base);
        if (!mutant) continue;
        counts.pairs++;
        const after = buildIndexes(mutant.doc, "new");
        const diff = diffReach(old, reach(after));
        const widened = diffWidens(diff);
        if (widened) counts.reported++;
        const samples = sampleRequests(r, [base.doc, mutant.doc], REQUESTS_PER_PAIR);
        const sample = widening(before, after, samples, counts);
        if (!sample) continue;
        counts.witnessed++;
        if (widened) continue;
        const decided = (p: CompiledPolicy) => {
          const { reasons, route, rule } = evaluate(p, sample.request, sample.now);
          return { reasons, route, rule };
        };
        const decisions = { old: decided(before), new: decided(after) };
        missed = { round, decisions, mutations: mutant.mutations, sample, old: base.doc, new: mutant.doc, diff };
      }
    }
    expect(missed && describeWitness(missed)).toBeUndefined();
    const replay = `replay: WARD_DIFF_SEED=${SEED}; ${JSON.stringify(counts)}`;
    // The test proves something only if the requests hit the rules and the mutations do widen ...
    expect(counts.allowed / counts.requests, replay).toBeGreaterThan(0.15);
    expect(counts.witnessed / counts.pairs, replay).toBeGreaterThan(0.1);
    // ... and only if the diff is not "widened" for everything (the gate would be useless).
    expect(counts.reported / counts.pairs, replay).toBeLessThan(0.9);
  }, 60_000);
});
