// failOpen's allowance (from a review): while a rule's object does not answer, an isolate admits at most `limit`
// uncounted requests of a window. The allowances were kept in a map bounded at 10,000 keys that dropped its
// oldest entry to make room, so a caller who made 10,000 other keys fail open pushed its own spent allowance out
// and got a fresh one, as often as it liked. A full map now first forgets windows that are over and otherwise
// admits nothing more uncounted (fail closed). Its own file: the test fills this isolate's map for the window.
import { describe, expect, it } from "vitest";
import { checkWithStoreDown as check, failOpenObligation } from "./store-down.ts";

/** The map's bound (limiter.ts). */
const KEYS = 10_000;

const obligation = (counter: string, periodSeconds = 3_600) => failOpenObligation(counter, periodSeconds);

/** One request on each of `n` keys of their own, in batches. */
async function failOpenOn(prefix: string, n: number, now: number, periodSeconds?: number): Promise<number> {
  let admitted = 0;
  for (let i = 0; i < n; i += 500) {
    const batch = Array.from({ length: Math.min(500, n - i) }, (_, j) =>
      obligation(`${prefix}-${i + j}`, periodSeconds),
    );
    admitted += (await Promise.all(batch.map((o) => check(o, now)))).filter((r) => r.ok).length;
  }
  return admitted;
}

describe("failOpen's allowance per isolate", () => {
  it("is not renewed by pushing it out of the isolate's map with other keys that fail open", async () => {
    // Windows of an hour, aligned: the test's `now` stays inside one.
    const now = Math.floor(Date.now() / 3_600_000) * 3_600_000 + 1_000;
    // A minute's windows that are over by `later`: what a full map forgets first.
    await failOpenOn("short", 100, now, 60);
    const mine = obligation(`mine-${crypto.randomUUID()}`);
    expect((await check(mine, now)).ok).toBe(true);
    expect(await check(mine, now)).toMatchObject({ ok: false, reason: "rate-limit-unavailable" });
    await failOpenOn("other", KEYS, now);
    // Spent for the window, whatever came after it.
    expect(await check(mine, now)).toMatchObject({ ok: false, reason: "rate-limit-unavailable" });
    // The minute's windows are over: their room goes to new keys, and once it is used, nothing more goes uncounted.
    const later = now + 120_000;
    expect(await failOpenOn("after", 200, later)).toBe(100);
    expect(await check(mine, later)).toMatchObject({ ok: false, reason: "rate-limit-unavailable" });
    // A new window of the caller's own is a new allowance, as documented.
    const next = now + 3_600_000;
    expect((await check(mine, next)).ok).toBe(true);
  }, 60_000);
});
