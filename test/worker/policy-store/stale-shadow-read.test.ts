// The shadow candidate, read as the active version is: a cold isolate's burst reads it once per request, at once.
// A carried note from a review: a request whose read of the candidate was slower, and began before another saw it
// cleared, put the cleared candidate back when it finished, and shadow lines were logged for it until the next
// refresh. The newest read wins, as for the active copy (stale-read.test.ts).
import { describe, expect, it } from "vitest";
import { ACTIVE_KEY, documentKey, SHADOW_KEY, storedDocument } from "../../../policy/index.ts";
import { currentPolicy, resetPolicyCache, shadowPolicy } from "../../../worker/policy-store/store.ts";
import { compiledLabelled as compiled } from "../admin/policies.ts";

/** A KV of the active version and a candidate, whose read of the candidate's document waits for `release`. */
async function store() {
  const active = await compiled("active");
  const candidate = await compiled("candidate");
  const values = new Map<string, string>([
    [ACTIVE_KEY, active.version],
    [SHADOW_KEY, candidate.version],
    [documentKey(active.version), storedDocument(active)],
    [documentKey(candidate.version), storedDocument(candidate)],
  ]);
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let candidateAsked!: () => void;
  const asked = new Promise<void>((resolve) => (candidateAsked = resolve));
  const kv = {
    async get(key: string) {
      if (key === documentKey(candidate.version)) {
        candidateAsked();
        await gate;
      }
      return values.get(key) ?? null;
    },
  } as unknown as KVNamespace;
  return { kv, values, active, candidate, asked, release };
}

describe("the isolate's shadow candidate", () => {
  it("is not put back by a slower read that began before a later one saw it cleared", async () => {
    resetPolicyCache();
    const { kv, values, active, asked, release } = await store();
    const waitUntil = () => undefined;
    const t0 = 1_000_000;
    // The burst's first request reads the pointer to the candidate; its read of the candidate's document is slow.
    const first = currentPolicy(kv, 5, t0, waitUntil);
    await asked;
    // The candidate is cleared; the burst's next request reads that, and answers.
    values.delete(SHADOW_KEY);
    expect((await currentPolicy(kv, 5, t0 + 1, waitUntil))?.version).toBe(active.version);
    expect(shadowPolicy()).toBeUndefined();
    // The first request's slow read ends now: what it read is older than what the isolate knows.
    release();
    expect((await first)?.version).toBe(active.version);
    expect(shadowPolicy()).toBeUndefined();
  });

  it("is still set by a read that began later than the one that cleared it", async () => {
    resetPolicyCache();
    const { kv, values, active, candidate, release } = await store();
    release();
    const waitUntil = () => undefined;
    const t0 = 1_000_000;
    values.delete(SHADOW_KEY);
    expect((await currentPolicy(kv, 5, t0, waitUntil))?.version).toBe(active.version);
    expect(shadowPolicy()).toBeUndefined();
    // Set again, and read on the next due re-check (two intervals on: the request waits for it).
    values.set(SHADOW_KEY, candidate.version);
    expect((await currentPolicy(kv, 5, t0 + 10_000, waitUntil))?.version).toBe(active.version);
    expect(shadowPolicy()?.version).toBe(candidate.version);
  });
});
