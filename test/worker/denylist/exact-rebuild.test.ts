// The admin API's read of the denylist "as the store has it now" (catchUpExactly) when the store no longer knows
// the isolate's copy (facts forgotten since, or a new store), so the copy is built again from 0: the verdict is
// the one of the copy this call brought up to date, not of another request's copy stored meanwhile that was read
// before the revocation (from a review: a revoked admin got through while two rebuilds overlapped).
import { afterEach, describe, expect, it } from "vitest";
import type { Identity } from "../../../policy/index.ts";
import { catchUpExactly, denylistVerdict, exactVerdict, resetDenylistCache } from "../../../worker/denylist/cache.ts";
import type { DenylistChanges } from "../../../worker/denylist/store.ts";
import type { Env } from "../../../worker/env.ts";

const ann: Identity = { user: { email: "ann@example.com", sub: "u-ann" } };
const PRINCIPAL = "user:ann@example.com";

afterEach(() => resetDenylistCache());

describe("an admin call whose copy is built again from 0 while another request builds one too", () => {
  it("is refused by a revocation its own read carried, though the other copy was stored last", async () => {
    let forgotten = false;
    let revoked = false;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let gated = false;
    const page = (from: number, seq: number, complete: boolean, facts: DenylistChanges["facts"] = []) =>
      ({ from, generation: forgotten ? 1 : 0, seq, facts, complete, refreshes: [] }) satisfies DenylistChanges;
    const store = {
      DENYLIST_REFRESH_SECONDS: "2",
      DENYLIST: {
        getByName: () => ({
          changes: async (since: number, _now: number, _limit: number, generation?: number) => {
            if (!forgotten) return page(since, 10, true);
            const listed = {
              match: "email",
              value: "ann@example.com",
              entry: { id: "rev-ann", kind: "revocation", expiresAt: null },
            } as const;
            // Facts were forgotten: a copy begun before starts again from 0, in two pages.
            if (since === 0 || generation !== 1) return page(0, 5, false);
            if (since === 5 && !gated) {
              // The admin call's second page waits until another request has stored its copy and Ann is revoked.
              gated = true;
              await gate;
            }
            return page(since, revoked ? 12 : 11, true, revoked && since < 12 ? [listed] : []);
          },
        }),
      },
    } as unknown as Env;
    const t0 = Date.now();
    expect(await denylistVerdict(store, ann, undefined, PRINCIPAL, t0, () => {})).toEqual({ state: "clear" });
    forgotten = true;
    // The admin call starts first and stops at its second page.
    const admin = catchUpExactly(store, t0 + 2_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(gated).toBe(true);
    // A request of later instant rebuilds its own copy, complete before the revocation, and stores it.
    const background: Promise<unknown>[] = [];
    await denylistVerdict(store, ann, undefined, PRINCIPAL, t0 + 3_000, (p) => background.push(p));
    await Promise.all(background);
    revoked = true;
    release();
    const caughtUp = await admin;
    expect(caughtUp).toBeTruthy();
    expect(exactVerdict(caughtUp, ann, undefined, PRINCIPAL, t0 + 2_000)).toMatchObject({ state: "denied" });
  });
});
