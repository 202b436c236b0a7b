// A re-read of a service's grants that is slow (past READ_WAIT_MS) but answers: the other requests of a burst set
// the old copy aside meanwhile, but the copy the slow read brings is the store's as of that read, and is used
// (from a review: it stayed set aside, so the request that waited on the read was refused the grant it had just
// read, and its refusal counted toward quarantine as the caller's own).
import { afterEach, expect, it } from "vitest";
import type { TimedGrant } from "../../../policy/index.ts";
import type { Env } from "../../../worker/env.ts";
import { grantsToDecide, READ_WAIT_MS, resetGrantsCache } from "../../../worker/grants/cache.ts";

const T0 = Date.UTC(2026, 11, 5, 12, 0, 0);
const grant = { id: "g1", service: "wiki" } as unknown as TimedGrant;

afterEach(() => resetGrantsCache());

it("uses the copy a slow re-read brings, though others gave up waiting on it", async () => {
  let delayMs = 0;
  const env = {
    GRANTS_REFRESH_SECONDS: "2",
    GRANTS: {
      getByName: () => ({
        active: async () => {
          await new Promise((r) => setTimeout(r, delayMs));
          return [grant];
        },
      }),
    },
  } as unknown as Env;
  expect((await grantsToDecide(env, "wiki", T0)).grants).toEqual([grant]);
  // A quiet spell, then two requests: the first re-reads (slowly), the second waits READ_WAIT_MS on it.
  delayMs = READ_WAIT_MS + 400;
  const reader = grantsToDecide(env, "wiki", T0 + 5_000);
  const other = await grantsToDecide(env, "wiki", T0 + 5_001);
  expect(other).toEqual({ grants: undefined, storeFailed: false });
  // The read answered with the grant in force: the request that waited for it has it, and so do the next ones.
  expect(await reader).toEqual({ grants: [grant], storeFailed: false });
  expect((await grantsToDecide(env, "wiki", T0 + 5_500)).grants).toEqual([grant]);
});
