// A revoked grant stops within GRANTS_REFRESH_SECONDS, plus a read's wait, also while the grant store is slow to
// answer rather than failing (from a review: the copy was used up to its 30 s stale limit while the re-read
// hung). Drives the isolate's cache against a stand-in store whose answers can be held back.
import { afterEach, expect, it } from "vitest";
import type { TimedGrant } from "../../../policy/index.ts";
import type { Env } from "../../../worker/env.ts";
import { READ_WAIT_MS, readableGrants, resetGrantsCache } from "../../../worker/grants/cache.ts";

const T0 = Date.UTC(2026, 11, 5, 12, 0, 0);
const grant = { id: "g1", service: "wiki" } as unknown as TimedGrant;

afterEach(() => resetGrantsCache());

/** A grant store (GRANTS_REFRESH_SECONDS 2) that answers the one grant once `before` settles. */
const storeAnswering = (before: () => Promise<void>): Env =>
  ({
    GRANTS_REFRESH_SECONDS: "2",
    GRANTS: { getByName: () => ({ active: async () => (await before(), [grant]) }) },
  }) as unknown as Env;

it("honours the copy for at most the refresh interval and a read's wait while the re-read hangs", async () => {
  let hang = false;
  let reads = 0;
  const env = storeAnswering(async () => {
    reads++;
    if (hang) await new Promise(() => {});
  });
  expect(await readableGrants(env, "wiki", T0)).toEqual([grant]);
  // Revoked now, and the store stops answering: the request that re-reads waits for it (not awaited here), the
  // others answer from the copy only just past its interval, then from none.
  hang = true;
  void readableGrants(env, "wiki", T0 + 2_000);
  expect(reads).toBe(2);
  expect(await readableGrants(env, "wiki", T0 + 2_000 + READ_WAIT_MS - 1)).toEqual([grant]);
  for (const t of [T0 + 2_000 + READ_WAIT_MS, T0 + 5_000, T0 + 9_000, T0 + 11_900])
    expect(await readableGrants(env, "wiki", t), `at ${t - T0} ms`).toBeUndefined();
  expect(reads).toBe(2);
  // The abandoned read is tried again after ABANDONED_READ_MS, and that one hangs too: the copy stays set aside.
  void readableGrants(env, "wiki", T0 + 12_500);
  expect(reads).toBe(3);
  expect(await readableGrants(env, "wiki", T0 + 12_600)).toBeUndefined();
  // Once the store answers again, the next read is honoured.
  hang = false;
  expect(await readableGrants(env, "wiki", T0 + 23_000)).toEqual([grant]);
});

it("lets a burst after a quiet spell have the grants of a quick re-read (a review of the first fix)", async () => {
  let reads = 0;
  const env = storeAnswering(async () => {
    reads++;
    await new Promise((r) => setTimeout(r, 5));
  });
  expect(await readableGrants(env, "wiki", T0)).toEqual([grant]);
  // Nothing denied for a while, then several at once: one re-reads, none is refused a grant in force.
  const burst = await Promise.all([0, 1, 2, 3].map((i) => readableGrants(env, "wiki", T0 + 5_000 + i)));
  expect(burst).toEqual([[grant], [grant], [grant], [grant]]);
  expect(reads).toBe(2);
});

it("never answers a burst after a quiet spell from a copy that predates a revocation", async () => {
  // From a review of the fix above: the burst's other requests used the 28 s old copy while the re-read ran,
  // and six of eight honoured a grant revoked 1.5 s before.
  let revoked = false;
  const env = {
    GRANTS_REFRESH_SECONDS: "2",
    GRANTS: {
      getByName: () => ({
        active: async () => {
          const answer = revoked ? [] : [grant];
          await new Promise((r) => setTimeout(r, 30));
          return answer;
        },
      }),
    },
  } as unknown as Env;
  expect(await readableGrants(env, "wiki", T0)).toEqual([grant]);
  revoked = true;
  const burst = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => readableGrants(env, "wiki", T0 + 28_000 + i)));
  expect(burst).toEqual([[], [], [], [], [], [], [], []]);
});

it("refuses a burst's other requests, after a read's wait, a copy older than the interval while the re-read hangs", async () => {
  let hang = false;
  const env = storeAnswering(async () => {
    if (hang) await new Promise(() => {});
  });
  expect(await readableGrants(env, "wiki", T0)).toEqual([grant]);
  hang = true;
  void readableGrants(env, "wiki", T0 + 10_000);
  const waited = Date.now();
  expect(await readableGrants(env, "wiki", T0 + 10_001)).toBeUndefined();
  // It waited on the read (what was left of READ_WAIT_MS) before giving up on it.
  expect(Date.now() - waited).toBeGreaterThanOrEqual(READ_WAIT_MS - 50);
});
