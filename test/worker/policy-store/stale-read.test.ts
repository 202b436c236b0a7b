// From a review: "a slower read of an older pointer that finishes last does not put its version back" (store.ts). It
// does, when the later read found the pointer naming the version the isolate already holds: that read returns
// without storing anything, so the copy's read time stays old, and the slow read (abandoned after 10 s, then
// finishing) installs the version a rollback withdrew, after the isolate had already read the rollback.
import { describe, expect, it } from "vitest";
import { ACTIVE_KEY, documentKey, storedDocument } from "../../../policy/index.ts";
import { currentPolicy, resetPolicyCache } from "../../../worker/policy-store/store.ts";
import { compiledLabelled as compiled } from "../admin/policies.ts";

describe("the isolate's active copy", () => {
  it("is not replaced by a slow read of a pointer a later read saw moved back", async () => {
    resetPolicyCache();
    const good = await compiled("good");
    const bad = await compiled("bad");
    const values = new Map<string, string>([
      [ACTIVE_KEY, good.version],
      [documentKey(good.version), storedDocument(good)],
      [documentKey(bad.version), storedDocument(bad)],
    ]);
    let release: () => void = () => undefined;
    let gate: Promise<void> | undefined;
    const kv = {
      async get(key: string) {
        if (key === documentKey(bad.version) && gate) await gate;
        return values.get(key) ?? null;
      },
      async put(key: string, value: string) {
        values.set(key, value);
      },
    } as unknown as KVNamespace;
    const pending: Promise<unknown>[] = [];
    const waitUntil = (p: Promise<unknown>) => void pending.push(p);
    const interval = 5; // seconds, the default

    const t0 = 1_000_000;
    expect((await currentPolicy(kv, interval, t0, waitUntil))?.version).toBe(good.version);

    // The bad version is pushed; a background re-check starts and its read of the version hangs.
    values.set(ACTIVE_KEY, bad.version);
    gate = new Promise((resolve) => (release = resolve));
    expect((await currentPolicy(kv, interval, t0 + 5_000, waitUntil))?.version).toBe(good.version);

    // The operator rolls back. 10 s later the hung read is taken as abandoned and the isolate re-reads the pointer:
    // it names the good version again, which the isolate holds.
    values.set(ACTIVE_KEY, good.version);
    const afterRollback = t0 + 5_000 + 10_001;
    expect((await currentPolicy(kv, interval, afterRollback, waitUntil))?.version).toBe(good.version);

    // The hung read finishes now.
    release();
    await Promise.allSettled(pending);

    // The pointer has named the good version since the rollback, and the isolate's last read saw it so.
    expect((await currentPolicy(kv, interval, afterRollback + 1, waitUntil))?.version).toBe(good.version);
  });
});
