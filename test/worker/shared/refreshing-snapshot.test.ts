// The isolate copies of durable state share one set of rules (worker/shared/refreshing-snapshot.ts): newest wins,
// a stale limit, one background read at a time, and a read abandoned by its cancelled request does not stop
// the refreshes for good. The grants and denylist copies have their own tests; here the helper itself, and
// the policy copy, which had no abandoned-read guard before.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { currentPolicy, resetPolicyCache } from "../../../worker/policy-store/store.ts";
import { ABANDONED_READ_MS, RefreshingSnapshot } from "../../../worker/shared/refreshing-snapshot.ts";
import { activate } from "../support/harness.ts";

describe("RefreshingSnapshot", () => {
  it("newest wins: a read started earlier that finishes later does not put its copy back", () => {
    const snapshot = new RefreshingSnapshot<string>();
    expect(snapshot.store("newer", 2000)).toBe(true);
    expect(snapshot.store("older", 1000)).toBe(false);
    expect(snapshot.latest()).toBe("newer");
  });

  it("a copy past the stale limit is not used; latest() still has it", () => {
    const snapshot = new RefreshingSnapshot<string>(30_000);
    snapshot.store("copy", 1000);
    expect(snapshot.current(31_000)).toBe("copy");
    expect(snapshot.current(31_001)).toBeUndefined();
    expect(snapshot.age(31_001)).toBe(30_001);
    expect(snapshot.latest()).toBe("copy");
    expect(new RefreshingSnapshot<string>().age(5)).toBe(Infinity);
  });

  it("a failed read sets the copy aside until a read started later stores one", () => {
    const snapshot = new RefreshingSnapshot<string>(30_000);
    snapshot.store("copy", 1000);
    // A read that started before the copy's and failed says nothing against it.
    snapshot.failed(500);
    expect(snapshot.current(1500)).toBe("copy");
    snapshot.failed(3000);
    expect(snapshot.current(3100)).toBeUndefined();
    // Its age is the copy's: the next caller reads again.
    expect(snapshot.age(3100)).toBe(2100);
    // A read that started before the failed one and finishes now does not bring it back.
    expect(snapshot.store("slow", 2000)).toBe(true);
    expect(snapshot.current(3200)).toBeUndefined();
    expect(snapshot.store("fresh", 4000)).toBe(true);
    expect(snapshot.current(4100)).toBe("fresh");
  });

  it("a read taken for overdue sets the copy aside until it, or a later read, stores one", () => {
    const snapshot = new RefreshingSnapshot<string>(30_000);
    snapshot.store("copy", 1000);
    snapshot.overdue(500);
    expect(snapshot.current(1500)).toBe("copy");
    snapshot.overdue(3000);
    expect(snapshot.current(3100)).toBeUndefined();
    expect(snapshot.store("older", 2000)).toBe(true);
    expect(snapshot.current(3200)).toBeUndefined();
    // The overdue read answers after all: its copy is the store's as of that read.
    expect(snapshot.store("late", 3000)).toBe(true);
    expect(snapshot.current(4100)).toBe("late");
  });

  it("one read at a time; a read that never settles is abandoned after ABANDONED_READ_MS", async () => {
    const snapshot = new RefreshingSnapshot<string>();
    let started = 0;
    const never = () => {
      started++;
      return new Promise<void>(() => {});
    };
    expect(snapshot.startRead(0, never)).toBeDefined();
    expect(snapshot.startRead(ABANDONED_READ_MS - 1, never)).toBeUndefined();
    expect(started).toBe(1);
    expect(snapshot.startRead(ABANDONED_READ_MS, never)).toBeDefined();
    expect(started).toBe(2);
    // A read that settles frees the slot at once.
    const quick = new RefreshingSnapshot<string>();
    await quick.startRead(0, async () => void quick.store("x", 0));
    expect(quick.reading(1)).toBe(false);
    expect(quick.startRead(1, async () => {})).toBeDefined();
  });
});

describe("the policy copy", () => {
  beforeEach(() => resetPolicyCache());

  it("re-checks KV again after a background re-check whose request was cancelled mid-read", async () => {
    const v1 = await activate(demoPolicy);
    let hang = false;
    let gets = 0;
    const kv = {
      get: (key: string) => {
        gets++;
        return hang ? new Promise(() => {}) : env.POLICY.get(key);
      },
      put: (...args: Parameters<KVNamespace["put"]>) => env.POLICY.put(...args),
    } as unknown as KVNamespace;
    const background: Promise<unknown>[] = [];
    const waitUntil = (p: Promise<unknown>) => void background.push(p);
    const t0 = Date.now();
    // A 20 s interval: the re-checks below stay in the background (a check two intervals old, 40 s, would be
    // made by the request itself: test/worker/policy-store/idle-isolate.test.ts).
    expect((await currentPolicy(kv, 20, t0, waitUntil))?.version).toBe(v1);

    hang = true; // the next re-check's reads never answer: its request was cancelled
    expect((await currentPolicy(kv, 20, t0 + 21_000, waitUntil))?.version).toBe(v1);
    const v2 = await activate(demoPolicy.replace("Ward local demo", "Ward local demo, v2"));
    expect(v2).not.toBe(v1);
    hang = false;
    const before = gets;
    expect((await currentPolicy(kv, 20, t0 + 22_000, waitUntil))?.version).toBe(v1);
    expect(gets).toBe(before); // that re-check is still taken as in flight

    // Past the abandoned-read limit, a request starts a new re-check, which finds v2.
    await currentPolicy(kv, 20, t0 + 21_000 + ABANDONED_READ_MS, waitUntil);
    expect(gets).toBeGreaterThan(before);
    await background.at(-1);
    expect((await currentPolicy(kv, 20, t0 + 21_001 + ABANDONED_READ_MS, waitUntil))?.version).toBe(v2);
  });
});
