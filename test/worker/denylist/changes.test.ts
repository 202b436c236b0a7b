// The isolate's copy brought up to date by what changed (store.ts changes(), cache.ts), against the real Denylist
// Durable Object: a warm copy learns of a revocation, a release and a longer entry's end from the changes alone,
// a cold copy pages through a list longer than one page, and a copy only part brought up to date does not count
// as fresh: past the stale limit it fails closed.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { Identity } from "../../../policy/index.ts";
import { denylistCopySize, denylistVerdict, resetDenylistCache } from "../../../worker/denylist/cache.ts";
import { CHANGES_PAGE, DENYLIST_NAME, type DenylistChanges } from "../../../worker/denylist/store.ts";
import type { Env } from "../../../worker/env.ts";

const gatewayEnv = env as unknown as Env;
const list = () => gatewayEnv.DENYLIST.getByName(DENYLIST_NAME);
const ann: Identity = { user: { email: "ann@example.com", sub: "u-ann" } };

const background: Promise<unknown>[] = [];
const verdict = (who: Identity, principal: string, now: number, store: Env = gatewayEnv) =>
  denylistVerdict(store, who, undefined, principal, now, (p) => background.push(p));
const annAt = (now: number) => verdict(ann, "user:ann@example.com", now);
/** As a busy isolate: the copy is past the refresh interval (0.05 s here), so a read starts in the background. */
async function afterBackgroundRead(now: number): Promise<void> {
  await annAt(now);
  await Promise.allSettled(background.splice(0));
}
const revoke = (value: string, now: number, expiresAt: number | null = null) =>
  list().add({ kind: "revocation", match: "email", value, reason: "test", expiresAt }, "test", now);

/**
 * The gateway's store, asked for pages of at most `page` facts (a real page is thousands: a list longer than a few
 * pages would take thousands of adds here), each ask counted in `asks.pages`.
 */
function pagedStore(page: number, asks = { pages: 0 }): Env {
  return {
    ...gatewayEnv,
    DENYLIST: {
      getByName: (name: string) => {
        const stub = gatewayEnv.DENYLIST.getByName(name);
        return {
          changes: (since: number, now: number, limit: number) => {
            asks.pages++;
            return stub.changes(since, now, Math.min(limit, page));
          },
        };
      },
    },
  } as unknown as Env;
}
/** The page size the tests below read with: their lists are a few pages long. */
const TEST_PAGE = 20;

const opened: string[] = [];
afterEach(async () => {
  await Promise.allSettled(background.splice(0));
  for (const id of opened.splice(0)) await list().release(id, "test", Date.now());
  resetDenylistCache();
});

describe("a warm copy, brought up to date by the changes since it was taken", () => {
  it("refuses a revocation added after the copy was taken, and lets the person back once it is lifted", async () => {
    const t0 = Date.now();
    expect(await annAt(t0)).toEqual({ state: "clear" });
    const { id } = await revoke("Ann@Example.com", t0);
    opened.push(id);
    await afterBackgroundRead(t0 + 100);
    expect(await annAt(t0 + 101)).toMatchObject({ state: "denied", entry: { id } });
    await list().release(id, "test", t0 + 150);
    await afterBackgroundRead(t0 + 200);
    expect(await annAt(t0 + 201)).toEqual({ state: "clear" });
  });

  it("keeps the shorter of two entries for one fact in force when the longer one is lifted", async () => {
    const t0 = Date.now();
    const { id: permanent } = await revoke("ann@example.com", t0);
    const { id: brief } = await revoke("ann@example.com", t0 + 1, t0 + 60_000);
    opened.push(permanent, brief);
    expect(await annAt(t0 + 2)).toMatchObject({ state: "denied", entry: { id: permanent } });
    await list().release(permanent, "test", t0 + 50);
    await afterBackgroundRead(t0 + 100);
    expect(await annAt(t0 + 101)).toMatchObject({ state: "denied", entry: { id: brief } });
  });
});

describe("expired entries", () => {
  it("are dropped from the copy by a read a minute on, not kept until their fact changes again", async () => {
    const t0 = Date.now();
    const { id } = await revoke("ann@example.com", t0, t0 + 1_000);
    opened.push(id);
    expect(await annAt(t0 + 10)).toMatchObject({ state: "denied", entry: { id } });
    const held = denylistCopySize();
    expect(held).toBeGreaterThan(0);
    // Past its expiry the entry is ignored at once, and a read a minute on drops it from the copy.
    expect(await annAt(t0 + 1_001)).toEqual({ state: "clear" });
    await afterBackgroundRead(t0 + 61_000);
    expect(denylistCopySize()).toBe(held - 1);
    expect(await annAt(t0 + 61_001)).toEqual({ state: "clear" });
  });
});

describe("the store's changes", () => {
  it("pages what changed, oldest first, says when the asker is up to date, and sends nothing more then", async () => {
    const t0 = Date.now();
    const { seq: start } = await list().changes(0, t0, CHANGES_PAGE);
    const a = await revoke("pa@example.com", t0);
    const b = await revoke("pb@example.com", t0);
    await list().release(a.id, "test", t0);
    opened.push(b.id);
    // pa's change (its release) is now the latest: pb first, then pa with nothing left in force.
    const first = await list().changes(start, t0, 1);
    expect(first).toMatchObject({ from: start, complete: false, refreshes: [] });
    // Only what a refusal needs: every isolate holds the whole list, so reasons and authors stay in the store.
    expect(first.facts).toEqual([
      { match: "email", value: "pb@example.com", entry: { id: b.id, kind: "revocation", expiresAt: null } },
    ]);
    const second = await list().changes(first.seq, t0, 1);
    expect(second).toMatchObject({ complete: true, facts: [{ match: "email", value: "pa@example.com", entry: null }] });
    expect(await list().changes(second.seq, t0, 1)).toMatchObject({ seq: second.seq, facts: [], complete: true });
    // A sequence the store never reached (a new store): the answer starts from 0.
    expect(await list().changes(second.seq + 1_000, t0, 1)).toMatchObject({ from: 0, complete: false });
  });
});

describe("facts with nothing in force", () => {
  it("are forgotten an hour after their last change: a read from 0 no longer carries them", async () => {
    // Its own object: what the others tests' store holds is not part of this count.
    const store = gatewayEnv.DENYLIST.getByName("forgetting");
    const t0 = Date.now();
    const add = (value: string) =>
      store.add({ kind: "revocation", match: "email", value, reason: "test", expiresAt: null }, "test", t0);
    const kept = await add("still-revoked@example.com");
    // A transmitter disabling made-up people and enabling them again: each a fact with nothing in force.
    for (let i = 0; i < 20; i++) {
      const gone = await add(`made-up-${i}@example.com`);
      await store.release(gone.id, "test", t0);
    }
    const lastChange = await add("latest@example.com");
    await store.release(lastChange.id, "test", t0);
    const warm = await store.changes(0, t0);
    expect(warm.facts).toHaveLength(22);
    // An hour on, a cold read: what is in force, and the newest change (the sequence only grows).
    const later = t0 + 3_600_000 + 60_000;
    const cold = await store.changes(0, later);
    expect(cold.facts.map((f) => [f.value, f.entry?.id ?? null])).toEqual([
      ["still-revoked@example.com", kept.id],
      ["latest@example.com", null],
    ]);
    expect(cold.seq).toBe(warm.seq);
    // A copy from before may lack a lift among what was forgotten: it starts again from 0; one up to date does not.
    expect(await store.changes(1, later, CHANGES_PAGE, warm.generation)).toMatchObject({ from: 0 });
    // One begun since (a build from 0 paging on, with the generation its first page named) goes on.
    expect(await store.changes(1, later, CHANGES_PAGE, cold.generation)).toMatchObject({ from: 1 });
    expect(cold.generation).toBe(warm.generation + 1);
    expect(await store.changes(warm.seq, later)).toMatchObject({ from: warm.seq, facts: [], complete: true });
    // Nothing revoked lives on: a lift after the forgetting still reaches an up-to-date copy.
    await store.release(kept.id, "test", later);
    expect((await store.changes(warm.seq, later)).facts).toEqual([
      { match: "email", value: "still-revoked@example.com", entry: null },
    ]);
  });
});

describe("a cold copy", () => {
  it("reads all of a list longer than one page before answering", async () => {
    const t0 = Date.now();
    const ids: string[] = [];
    for (let i = 0; i <= 2 * TEST_PAGE; i++) ids.push((await revoke(`p${i}@example.com`, t0)).id);
    opened.push(...ids);
    resetDenylistCache();
    const asks = { pages: 0 };
    const store = pagedStore(TEST_PAGE, asks);
    const first = { user: { email: "p0@example.com" } };
    const last = { user: { email: `p${2 * TEST_PAGE}@example.com` } };
    expect(await verdict(first, "user:p0@example.com", t0 + 1, store)).toMatchObject({
      state: "denied",
      entry: { id: ids[0] },
    });
    expect(asks.pages).toBeGreaterThanOrEqual(3);
    expect(await verdict(last, `user:${last.user.email}`, t0 + 1, store)).toMatchObject({
      state: "denied",
      entry: { id: ids.at(-1) },
    });
  });
});

describe("a cold isolate's requests at once", () => {
  it("build one copy: the others wait for it rather than ask the object for every page again", async () => {
    const t0 = Date.now();
    const ids: string[] = [];
    for (let i = 0; i <= 2 * TEST_PAGE; i++) ids.push((await revoke(`c${i}@example.com`, t0)).id);
    opened.push(...ids);
    resetDenylistCache();
    const asks = { pages: 0 };
    const counting = pagedStore(TEST_PAGE, asks);
    const who = (i: number) => ({ user: { email: `c${i * 10}@example.com` } });
    // What one request alone asks for (the list is more than one page long)...
    expect(await verdict(who(0), "user:c0@example.com", t0 + 1, counting)).toMatchObject({ state: "denied" });
    const alone = asks.pages;
    expect(alone).toBeGreaterThan(1);
    resetDenylistCache();
    asks.pages = 0;
    // ...is what five at once ask for, not five times as much.
    const verdicts = await Promise.all(
      [0, 1, 2, 3, 4].map((i) => verdict(who(i), `user:${who(i).user.email}`, t0 + 1, counting)),
    );
    expect(verdicts.map((v) => v.state)).toEqual(["denied", "denied", "denied", "denied", "denied"]);
    expect(asks.pages).toBe(alone);
  });
});

describe("a long DENYLIST_REFRESH_SECONDS", () => {
  it("an isolate idle past the stale limit reads the list before answering, not refuses for want of a copy", async () => {
    // Twice 40 s is past the minute a copy counts for: waiting for that would leave a minute with no copy.
    const slow = { ...env, DENYLIST_REFRESH_SECONDS: "40" } as Env;
    const identity: Identity = { user: { email: "idle-65@example.com", groups: [] } };
    const t0 = Date.now();
    const waits: Promise<unknown>[] = [];
    const verdict = (now: number) =>
      denylistVerdict(slow, identity, undefined, "user:idle-65@example.com", now, (p) => waits.push(p));
    expect(await verdict(t0)).toEqual({ state: "clear" });
    expect(await verdict(t0 + 65_000)).toEqual({ state: "clear" });
    await Promise.allSettled(waits);
  });

  it("of 300 s is read as 30: a busy isolate refreshes its copy in the background well before it stops counting", async () => {
    // From a review: no bound, so a busy isolate never refreshed in the background; each minute its copy stopped
    // counting, and its requests waited for a read (refused, were it to fail) rather than answer from a fresh copy.
    const slow = { ...env, DENYLIST_REFRESH_SECONDS: "300" } as Env;
    const identity: Identity = { user: { email: "busy-300@example.com", groups: [] } };
    const t0 = Date.now();
    const waits: Promise<unknown>[] = [];
    const verdict = (now: number) =>
      denylistVerdict(slow, identity, undefined, "user:busy-300@example.com", now, (p) => waits.push(p));
    expect(await verdict(t0)).toEqual({ state: "clear" });
    await Promise.allSettled(waits.splice(0)); // the cold isolate's first read
    expect(await verdict(t0 + 29_000)).toEqual({ state: "clear" });
    expect(waits).toHaveLength(0);
    expect(await verdict(t0 + 30_000)).toEqual({ state: "clear" });
    expect(waits).toHaveLength(1);
    await Promise.allSettled(waits);
  });
});

describe("a copy only part brought up to date", () => {
  it("is not fresh: when the rest cannot be read, identified callers are refused past the stale limit", async () => {
    let reads = 0;
    const page = (from: number, complete: boolean): DenylistChanges => ({
      from,
      generation: 0,
      seq: from + 1,
      facts: [],
      complete,
      refreshes: [],
    });
    const store = {
      DENYLIST_REFRESH_SECONDS: "2",
      DENYLIST: {
        getByName: () => ({
          // The first read completes; the next gets one page of two, then the store is down.
          changes: async (since: number) => {
            reads++;
            if (reads === 1) return page(since, true);
            if (reads === 2) return page(since, false);
            throw new Error("overloaded");
          },
        }),
      },
    } as unknown as Env;
    const t0 = Date.now();
    expect(await verdict(ann, "user:ann@example.com", t0, store)).toEqual({ state: "clear" });
    expect(await verdict(ann, "user:ann@example.com", t0 + 30_000, store)).toEqual({ state: "clear" }); // 30 s: read first
    expect(reads).toBe(3);
    expect(await verdict(ann, "user:ann@example.com", t0 + 61_000, store)).toEqual({ state: "unknown" });
  });
});

describe("a copy the store no longer knows", () => {
  it("is built again from 0 when the store's sequence is behind it (a new store), not laid over", async () => {
    const entry = {
      id: "rev-old",
      kind: "revocation",
      match: "email",
      value: "ann@example.com",
      reason: "test",
      createdAt: 0,
      createdBy: "test",
      expiresAt: null,
      releasedAt: null,
      releasedBy: null,
    } as const;
    let reads = 0;
    const store = {
      DENYLIST_REFRESH_SECONDS: "2",
      DENYLIST: {
        getByName: () => ({
          // First an old store at sequence 500 that revoked Ann; then a new one, empty, at sequence 3.
          changes: async (since: number): Promise<DenylistChanges> =>
            ++reads === 1
              ? {
                  from: since,
                  generation: 0,
                  seq: 500,
                  facts: [{ match: "email", value: "ann@example.com", entry }],
                  complete: true,
                  refreshes: [],
                }
              : { from: since <= 3 ? since : 0, generation: 0, seq: 3, facts: [], complete: true, refreshes: [] },
        }),
      },
    } as unknown as Env;
    const t0 = Date.now();
    expect(await verdict(ann, "user:ann@example.com", t0, store)).toMatchObject({ state: "denied" });
    expect(await verdict(ann, "user:ann@example.com", t0 + 5000, store)).toEqual({ state: "clear" });
    expect(reads).toBe(2);
  });
});
