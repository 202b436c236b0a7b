// Forgetting facts with nothing in force (store.ts forget()) against the copies that may still need them: a
// cold build that a forgetting overtakes starts again from 0, the number below which copies start again only
// ever rises, and a posture hold an older release kept (a rollback) still stands against other transmitters.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { Identity } from "../../../policy/index.ts";
import { denylistVerdict, resetDenylistCache } from "../../../worker/denylist/cache.ts";
import { CHANGES_PAGE, Denylist, FORGET_AFTER_MS } from "../../../worker/denylist/store.ts";
import type { Env } from "../../../worker/env.ts";

const gatewayEnv = env as unknown as Env;
const background: Promise<unknown>[] = [];

afterEach(async () => {
  await Promise.allSettled(background.splice(0));
  resetDenylistCache();
});

describe("a cold isolate's build from 0 while another isolate's read forgets facts", () => {
  it("starts the build again and completes it, rather than asking the same page 1,000 times and failing", async () => {
    // Its own object (the cache asks for DENYLIST_NAME; the wrapper below sends that to this one).
    const stub = gatewayEnv.DENYLIST.getByName("rev-e-forget-mid-build");
    const t0 = Date.now();
    const add = (value: string) =>
      stub.add({ kind: "revocation", match: "email", value, reason: "test", expiresAt: null }, "test", t0);
    const kept = await add("kept@example.com");
    // A list a few pages long (pages of 5 here), most of it lifted: what forgetting is for.
    for (let i = 0; i < 30; i++) {
      const gone = await add(`lifted-${i}@example.com`);
      await stub.release(gone.id, "test", t0);
    }
    const newest = await add("newest@example.com");
    await stub.release(newest.id, "test", t0);

    let asks = 0;
    let otherIsolateRead = false;
    const store = {
      ...gatewayEnv,
      DENYLIST: {
        getByName: () => ({
          changes: async (since: number, now: number, limit: number, generation?: number) => {
            asks++;
            const page = await stub.changes(since, now, Math.min(limit, 5), generation);
            if (!otherIsolateRead) {
              // Between this build's first and second page, another isolate's cold read (more than an hour
              // after these facts last changed, and more than 10 minutes after the last look) forgets them.
              otherIsolateRead = true;
              await stub.changes(0, t0 + FORGET_AFTER_MS + 60_000);
            }
            return page;
          },
        }),
      },
    } as unknown as Env;

    const who: Identity = { user: { email: "kept@example.com" } };
    const verdict = await denylistVerdict(store, who, undefined, "user:kept@example.com", t0 + 1, (p) =>
      background.push(p),
    );
    // Expected: the build starts again from 0 and the revocation in force is found, in a handful of pages.
    const firstAsks = asks;
    // And it is not stuck for good: a request a few seconds later (past the build stall) gets a copy too.
    const again = await denylistVerdict(store, who, undefined, "user:kept@example.com", t0 + 5_000, (p) =>
      background.push(p),
    );
    expect({ verdict: verdict.state, again: again.state, firstAsks }).toEqual({
      verdict: "denied",
      again: "denied",
      firstAsks: expect.any(Number),
    });
    expect(firstAsks).toBeLessThan(50);
    expect(kept.id).toBeTruthy();
  }, 60_000);
});

/** A list of `inForce` revocations, two facts lifted, then (over an hour later) a cold read that forgets one. */
async function listWithAForgottenFact(name: string, inForce: number) {
  const stub = gatewayEnv.DENYLIST.getByName(name);
  const t0 = Date.now();
  const add = (value: string) =>
    stub.add({ kind: "revocation", match: "email", value, reason: "test", expiresAt: null }, "test", t0);
  for (let i = 0; i < inForce; i++) await add(`in-force-${i}@example.com`);
  for (let i = 0; i < 2; i++) {
    const lifted = await add(`lifted-${i}@example.com`);
    await stub.release(lifted.id, "test", t0);
  }
  const later = t0 + FORGET_AFTER_MS + 120_000;
  const cold = await stub.changes(0, later);
  expect(cold.facts.map((f) => f.value)).not.toContain("lifted-0@example.com");
  return { stub, later };
}

describe("a read from 0 longer than one page, once facts were forgotten", () => {
  it("the store: the pages after the first follow on (the build was begun after the forgetting)", async () => {
    const { stub, later } = await listWithAForgottenFact("forgot-page-two", 12);
    const first = await stub.changes(0, later + 1, 5);
    expect(first.complete).toBe(false);
    // Its page boundary is below the floor: only the generation tells it from a copy that predates the forgetting.
    const second = await stub.changes(first.seq, later + 1, 5, first.generation);
    expect(second.from).toBe(first.seq);
  });

  it("the cache: a cold isolate builds its copy in a few pages", async () => {
    const { stub, later } = await listWithAForgottenFact("forgot-cold-build", 12);
    let asks = 0;
    const store = {
      ...gatewayEnv,
      DENYLIST: {
        getByName: () => ({
          changes: (since: number, now: number, limit: number, generation?: number) => {
            asks++;
            return stub.changes(since, now, Math.min(limit, 5), generation); // pages of 5, as if of 5,000
          },
        }),
      },
    } as unknown as Env;
    const who: Identity = { user: { email: "in-force-0@example.com" } };
    const verdict = await denylistVerdict(store, who, undefined, "user:in-force-0@example.com", later + 1, (p) =>
      background.push(p),
    );
    expect({ state: verdict.state, asks }).toEqual({ state: "denied", asks: 3 });
  }, 60_000);
});

describe("the floor below which copies start again (forgotten_upto)", () => {
  it("never goes down: a copy from before a forgotten lift is still sent back to 0", async () => {
    const stub = gatewayEnv.DENYLIST.getByName("rev-e-floor-down");
    const t0 = Date.now();
    // Three cold reads, ten minutes apart (a read from 0 looks for facts to forget at most every 10 minutes).
    const t1 = t0 + 10 * 60_000;
    const t2 = t1 + 10 * 60_000;
    const revoke = (value: string, expiresAt: number | null) =>
      stub.add({ kind: "revocation", match: "email", value, reason: "test", expiresAt }, "test", t0);
    // A is revoked, then E (a session-revoked style entry, ending 5 minutes after the second read).
    const a = await revoke("a@example.com", null);
    await revoke("e@example.com", t1 + 5 * 60_000);
    // An isolate copies the list: its copy refuses A and has reached this sequence.
    const copy = await stub.changes(0, t0);
    expect(copy.facts.map((f) => [f.value, f.entry !== null])).toEqual([
      ["a@example.com", true],
      ["e@example.com", true],
    ]);
    // A is let back in (a lift), then an unrelated fact changes (the newest, never forgotten).
    await stub.release(a.id, "test", t0);
    const n = await revoke("n@example.com", null);
    await stub.release(n.id, "test", t0);
    // When each last changed, as `at` would say: A and E two hours before the second read, N 30 minutes.
    await runInDurableObject(stub, async (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec("UPDATE fact_changes SET at = ? WHERE value IN ('a@example.com', 'e@example.com')", t1 - 2 * 3_600_000);
      sql.exec("UPDATE fact_changes SET at = ? WHERE value = 'n@example.com'", t1 - 30 * 60_000);
    });
    // The second cold read forgets A (nothing in force); E is still in force.
    const cold = await stub.changes(0, t1);
    expect(cold.facts.map((f) => f.value)).not.toContain("a@example.com");
    // The old copy is sent back to 0 now, as it must be: it lacks A's lift.
    expect((await stub.changes(copy.seq, t1, CHANGES_PAGE, copy.generation)).from).toBe(0);
    // The third cold read: E has ended and is forgotten (N is 50 minutes old: not yet).
    await stub.changes(0, t2);
    // The old copy still lacks A's lift (A is forgotten): it must still start again from 0.
    const resumed = await stub.changes(copy.seq, t2, CHANGES_PAGE, copy.generation);
    expect({ from: resumed.from, facts: resumed.facts.map((f) => f.value) }).toMatchObject({ from: 0 });
  });
});

describe("posture holds stored while a release before per-transmitter holds ran (a rollback)", () => {
  it("another transmitter's hold and compliant do not end a hold kept the earlier way", async () => {
    const stub = gatewayEnv.DENYLIST.getByName("rev-e-posture-rollback");
    const NOW = Date.now();
    const fact = { match: "email" as const, value: "held-during-rollback@example.com" };
    const until = NOW + 3_600_000;
    await runInDurableObject(stub, async (_instance, state) => {
      // Upgraded to the current layout once (posture_holds exists, upkeep says the current version)...
      new Denylist(state, env as never);
      // ...then rolled back: the older release held posture the earlier way, in directory_refresh alone.
      state.storage.sql.exec(
        "INSERT INTO directory_refresh (match, value, at, posture_until, posture_by) VALUES ('email', ?, ?, ?, 'idp')",
        fact.value,
        NOW,
        until,
      );
      // Rolled forward again: the object wakes under this release.
      const woken = new Denylist(state, env as never);
      const held = async () =>
        (await woken.changes(0, NOW)).refreshes.find((r) => r.value === fact.value)?.postureUntil ?? null;
      expect(await held()).toBe(until);
      // Another transmitter holds and then says compliant: the IdP's hold must stand.
      await woken.applySignals(
        { transmitter: "mdm", jti: "j-1" },
        [{ op: "hold-posture", fact, until: NOW + 60_000, issuedAt: NOW }],
        NOW,
      );
      await woken.applySignals(
        { transmitter: "mdm", jti: "j-2" },
        [{ op: "release-posture", fact, issuedAt: NOW }],
        NOW,
      );
      expect(await held()).toBe(until);
    });
  });

  it("a hold the IdP extended while rolled back keeps its new end after another transmitter's hold", async () => {
    const stub = env.DENYLIST.getByName("posture-extended");
    const NOW = Date.now();
    const fact = { match: "email" as const, value: "extended-during-rollback@example.com" };
    await runInDurableObject(stub, async (_instance, state) => {
      const current = new Denylist(state, env as never);
      // This release: the IdP holds the person's posture for 10 minutes.
      await current.applySignals(
        { transmitter: "idp", jti: "j-1" },
        [{ op: "hold-posture", fact, until: NOW + 600_000, issuedAt: NOW }],
        NOW,
      );
      // Rolled back: the older release's hold-posture for a new non-compliant event from the IdP, for an hour
      // (posture_until = MAX(...), posture_by = the holder: as that release wrote it).
      const extended = NOW + 3_600_000;
      state.storage.sql.exec(
        `UPDATE directory_refresh SET at = ?, posture_until = MAX(COALESCE(posture_until, 0), ?), posture_by = 'idp'
         WHERE match = 'email' AND value = ?`,
        NOW,
        extended,
        fact.value,
      );
      // Rolled forward: the object wakes under this release.
      const woken = new Denylist(state, env as never);
      const held = async (at: number) =>
        (await woken.changes(0, at)).refreshes.find((r) => r.value === fact.value)?.postureUntil ?? null;
      expect(await held(NOW)).toBe(extended);
      // The MDM holds the same person for a minute.
      await woken.applySignals(
        { transmitter: "mdm", jti: "m-1" },
        [{ op: "hold-posture", fact, until: NOW + 60_000, issuedAt: NOW }],
        NOW,
      );
      // The IdP's hour-long hold stands.
      expect(await held(NOW)).toBe(extended);
    });
  });

  it("a hold the IdP ended (compliant) while rolled back does not come back with another transmitter's hold", async () => {
    const stub = env.DENYLIST.getByName("posture-released");
    const NOW = Date.now();
    const fact = { match: "email" as const, value: "released-during-rollback@example.com" };
    await runInDurableObject(stub, async (_instance, state) => {
      const current = new Denylist(state, env as never);
      await current.applySignals(
        { transmitter: "idp", jti: "j-1" },
        [{ op: "hold-posture", fact, until: NOW + 3_600_000, issuedAt: NOW }],
        NOW,
      );
      // Rolled back: the IdP says compliant; the older release ends the hold as it did.
      state.storage.sql.exec(
        "UPDATE directory_refresh SET posture_until = NULL, posture_by = NULL WHERE match = 'email' AND value = ? AND posture_by = 'idp'",
        fact.value,
      );
      const woken = new Denylist(state, env as never);
      const held = async (at: number) =>
        (await woken.changes(0, at)).refreshes.find((r) => r.value === fact.value)?.postureUntil ?? null;
      expect(await held(NOW)).toBeNull();
      // The MDM holds for a minute, then says compliant.
      await woken.applySignals(
        { transmitter: "mdm", jti: "m-1" },
        [{ op: "hold-posture", fact, until: NOW + 60_000, issuedAt: NOW }],
        NOW,
      );
      await woken.applySignals(
        { transmitter: "mdm", jti: "m-2" },
        [{ op: "release-posture", fact, issuedAt: NOW }],
        NOW,
      );
      // No hold is in force any more.
      expect(await held(NOW)).toBeNull();
    });
  });
});
