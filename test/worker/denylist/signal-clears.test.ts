// The clears a transmitter sent (account-enabled, compliant again), kept so that an older refusal of theirs
// delivered later is not applied: kept per transmitter and person, as long as a SET may be old, and at most
// MAX_CLEARS of them. Past the bound a clear still lifts, but is not kept: an older refusal delivered after it
// then refuses, failing closed. Against the real Denylist object.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_SET_AGE_SECONDS } from "../../../policy/index.ts";
import { Denylist, MAX_CLEARS } from "../../../worker/denylist/store.ts";

const person = (i: number) => ({ match: "email" as const, value: `p${i}@example.com` });
const clears = (sql: SqlStorage) => sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM signal_clears").one().n;

describe("signal clears", () => {
  it("are bounded: past MAX_CLEARS a clear is not kept, and an older refusal then refuses", async () => {
    const stub = env.DENYLIST.getByName("signal-clears-bound");
    const NOW = Date.now();
    await runInDurableObject(stub, async (_instance, state) => {
      const list = new Denylist(state, env as never);
      const lifts = Array.from({ length: MAX_CLEARS }, (_, i) => ({
        op: "lift" as const,
        fact: person(i),
        event: "account-disabled" as const,
        issuedAt: NOW,
      }));
      await list.applySignals({ transmitter: "idp", jti: "j-all" }, lifts, NOW);
      expect(clears(state.storage.sql)).toBe(MAX_CLEARS);
      // One more person: lifted (nothing to lift), not kept, and said so.
      const extra = person(MAX_CLEARS);
      expect(
        await list.applySignals(
          { transmitter: "idp", jti: "j-extra" },
          [{ op: "lift", fact: extra, event: "account-disabled", issuedAt: NOW }],
          NOW,
        ),
      ).toMatchObject({ ok: true, clearsFull: true });
      expect(clears(state.storage.sql)).toBe(MAX_CLEARS);
      const refuse = (fact: { match: "email"; value: string }, jti: string) =>
        list.applySignals(
          { transmitter: "idp", jti },
          [
            {
              op: "refuse",
              fact,
              event: "account-disabled",
              until: NOW + 60_000,
              reason: "test",
              issuedAt: NOW - 1000,
            },
          ],
          NOW,
        );
      // A person whose clear was kept: the older disable is not applied.
      expect(await refuse(person(0), "j-old-0")).toEqual({ ok: true, changes: 0, refused: 0, superseded: 1 });
      // The one past the bound: it is, failing closed.
      expect(await refuse(extra, "j-old-extra")).toEqual({ ok: true, changes: 1, refused: 1, superseded: 0 });
    });
    // MAX_CLEARS clears written and read back: about 2 s alone, more on a loaded machine (5.4 s was seen).
  }, 30_000);

  it("are kept while a SET that old could be taken, per kind of refusal they clear", async () => {
    const stub = env.DENYLIST.getByName("signal-clears-kept");
    const NOW = Date.now();
    const sixDays = NOW - 6 * 86_400_000;
    await runInDurableObject(stub, async (_instance, state) => {
      const list = new Denylist(state, env as never);
      await list.applySignals(
        { transmitter: "idp", jti: "j-enable" },
        [{ op: "lift", fact: person(1), event: "account-disabled", issuedAt: sixDays }],
        sixDays,
      );
      // Compliant again (a posture clear) for another person; it prunes the clears past their age, now.
      await list.applySignals(
        { transmitter: "idp", jti: "j-compliant" },
        [{ op: "release-posture", fact: person(2), issuedAt: NOW }],
        NOW,
      );
      const disable = (fact: { match: "email"; value: string }, jti: string, issuedAt: number) =>
        list.applySignals(
          { transmitter: "idp", jti },
          [{ op: "refuse", fact, event: "account-disabled", until: NOW + 60_000, reason: "test", issuedAt }],
          NOW,
        );
      // Six days on, the enable still answers a disable issued before it.
      expect(await disable(person(1), "j-d1", sixDays - 1000)).toMatchObject({ refused: 0, superseded: 1 });
      // A posture clear answers no account-disabled: each kind of clear answers its own refusal.
      expect(await disable(person(2), "j-d2", NOW - 1000)).toMatchObject({ refused: 1, superseded: 0 });
    });
  });

  it("are forgotten once no SET that old could be taken", async () => {
    const stub = env.DENYLIST.getByName("signal-clears-age");
    const NOW = Date.now();
    await runInDurableObject(stub, async (_instance, state) => {
      const list = new Denylist(state, env as never);
      const lift = (i: number, at: number) =>
        list.applySignals(
          { transmitter: "idp", jti: `j-${i}` },
          [{ op: "lift", fact: person(i), event: "account-disabled", issuedAt: at }],
          at,
        );
      await lift(1, NOW - MAX_SET_AGE_SECONDS * 1000 - 120_000);
      expect(clears(state.storage.sql)).toBe(1);
      await lift(2, NOW);
      expect(clears(state.storage.sql)).toBe(1);
    });
  });
});
