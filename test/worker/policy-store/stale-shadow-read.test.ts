// The shadow candidate, read as the active version is: a cold isolate's burst reads it once per request, at once.
// A carried note from a review: a request whose read of the candidate was slower, and was made before another saw
// it cleared, put the cleared candidate back when it finished, and shadow lines were logged for it until the next
// refresh. The read made last wins: numbered as made, since a burst's requests share one `now` (workerd's clock
// stands still between I/O) and a request reads the shadow pointer only after the active version is loaded.
import { describe, expect, it } from "vitest";
import { ACTIVE_KEY, documentKey, SHADOW_KEY, storedDocument } from "../../../policy/index.ts";
import { currentPolicy, resetPolicyCache, shadowPolicy } from "../../../worker/policy-store/store.ts";
import { compiledLabelled as compiled } from "../admin/policies.ts";

const T0 = 1_000_000;
const waitUntil = () => undefined;

/** A gate: `reached` once something waits at it, which goes on when `open` is called. */
function gate() {
  let open!: () => void;
  let reach!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const reached = new Promise<void>((resolve) => (reach = resolve));
  return { reached, open, wait: () => (reach(), opened) };
}

/** A KV of the active version and a candidate, whose first read of `held` ("active" or "candidate") waits at a gate. */
async function store(held: "active" | "candidate") {
  const active = await compiled("active");
  const candidate = await compiled("candidate");
  const values = new Map<string, string>([
    [ACTIVE_KEY, active.version],
    [SHADOW_KEY, candidate.version],
    [documentKey(active.version), storedDocument(active)],
    [documentKey(candidate.version), storedDocument(candidate)],
  ]);
  const slow = gate();
  const heldKey = documentKey((held === "active" ? active : candidate).version);
  let heldOnce = false;
  const kv = {
    async get(key: string) {
      if (key === heldKey && !heldOnce) {
        heldOnce = true;
        await slow.wait();
      }
      return values.get(key) ?? null;
    },
  } as unknown as KVNamespace;
  return { kv, values, active, candidate, slow };
}

describe("the isolate's shadow candidate", () => {
  it("is not put back by a slower read made before a later one saw it cleared", async () => {
    resetPolicyCache();
    const { kv, values, active, slow } = await store("candidate");
    // The burst's first request reads the pointer to the candidate; its read of the candidate's document is slow.
    const first = currentPolicy(kv, 5, T0, waitUntil);
    await slow.reached;
    // The candidate is cleared; the burst's next request reads that, and answers.
    values.delete(SHADOW_KEY);
    expect((await currentPolicy(kv, 5, T0 + 1, waitUntil))?.version).toBe(active.version);
    expect(shadowPolicy()).toBeUndefined();
    // The first request's slow read ends now: what it read is older than what the isolate knows.
    slow.open();
    expect((await first)?.version).toBe(active.version);
    expect(shadowPolicy()).toBeUndefined();
  });

  it("nor when the burst's requests share one `now`, as they do in workerd", async () => {
    resetPolicyCache();
    const { kv, values, slow } = await store("candidate");
    const first = currentPolicy(kv, 5, T0, waitUntil);
    await slow.reached;
    values.delete(SHADOW_KEY);
    await currentPolicy(kv, 5, T0, waitUntil);
    expect(shadowPolicy()).toBeUndefined();
    slow.open();
    await first;
    expect(shadowPolicy()).toBeUndefined();
  });

  it("is cleared by a request that began first but read the shadow pointer last (its active load was slow)", async () => {
    resetPolicyCache();
    const { kv, values, candidate, slow } = await store("active");
    // The first request's load of the active version is slow: it has not read the shadow pointer yet.
    const first = currentPolicy(kv, 5, T0, waitUntil);
    await slow.reached;
    // A later request reads everything at once and sets the candidate.
    await currentPolicy(kv, 5, T0 + 1, waitUntil);
    expect(shadowPolicy()?.version).toBe(candidate.version);
    // The candidate is cleared; only then does the first request read the shadow pointer, and see it cleared.
    values.delete(SHADOW_KEY);
    slow.open();
    await first;
    expect(shadowPolicy()).toBeUndefined();
  });

  it("is still set by a read made later than the one that cleared it", async () => {
    resetPolicyCache();
    const { kv, values, active, candidate, slow } = await store("candidate");
    slow.open();
    values.delete(SHADOW_KEY);
    expect((await currentPolicy(kv, 5, T0, waitUntil))?.version).toBe(active.version);
    expect(shadowPolicy()).toBeUndefined();
    // Set again, and read on the next due re-check (two intervals on: the request waits for it).
    values.set(SHADOW_KEY, candidate.version);
    expect((await currentPolicy(kv, 5, T0 + 10_000, waitUntil))?.version).toBe(active.version);
    expect(shadowPolicy()?.version).toBe(candidate.version);
  });

  it("is not set by a read still under way when the isolate's copy was forgotten (resetPolicyCache)", async () => {
    resetPolicyCache();
    const { kv, slow } = await store("candidate");
    const first = currentPolicy(kv, 5, T0, waitUntil);
    await slow.reached;
    resetPolicyCache();
    slow.open();
    await first;
    expect(shadowPolicy()).toBeUndefined();
  });
});
