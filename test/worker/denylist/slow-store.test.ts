// An idle isolate re-reads the denylist before answering, but a slow Denylist object holds its requests at most
// a second while the copy it has still counts (review finding: the wait had no bound at all, where the policy's
// re-check gives up after 1 s and the rate-limit store after 3 s).
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Identity } from "../../../policy/index.ts";
import { COLD_READ_WAIT_MS, denylistVerdict, resetDenylistCache } from "../../../worker/denylist/cache.ts";
import { DENYLIST_NAME } from "../../../worker/denylist/store.ts";
import type { Env } from "../../../worker/env.ts";

const gatewayEnv = env as unknown as Env;
const who: Identity = { user: { email: "someone@example.com" } };
const PRINCIPAL = "user:someone@example.com";
/** Tests here wait out a bound of 1 or 3 s: vitest's 5 s default leaves a loaded machine too little room. */
const timeout = 30_000;

/** The gateway's env with a Denylist object that never answers (busy, or moving). */
const hanging = (asked: { n: number }) =>
  ({
    ...gatewayEnv,
    DENYLIST: {
      getByName: () => ({
        changes: () => {
          asked.n++;
          return new Promise(() => {});
        },
      }),
    },
  }) as unknown as Env;

// Each test first makes a copy by reading the real object, itself within the 3 s bound. The object's first read
// starts its isolate: more than 3 s on a loaded machine (the copy was refused, "unknown"), not these tests' subject.
beforeAll(async () => {
  await gatewayEnv.DENYLIST.getByName(DENYLIST_NAME).changes(0, Date.now());
}, 60_000);

afterEach(() => resetDenylistCache());

describe("an idle isolate whose copy still counts, when the Denylist object is slow", { timeout }, () => {
  it("answers from its copy after waiting a second, and the read it started goes on in the background", async () => {
    const t0 = Date.now();
    expect((await denylistVerdict(gatewayEnv, who, undefined, PRINCIPAL, t0, () => {})).state).toBe("clear");
    const asked = { n: 0 };
    const background: Promise<unknown>[] = [];
    const started = Date.now();
    // Idle 6 s: the next request reads before answering.
    const verdict = await denylistVerdict(hanging(asked), who, undefined, PRINCIPAL, t0 + 6_000, (p) =>
      background.push(p),
    );
    const waited = Date.now() - started;
    expect(verdict.state).toBe("clear");
    expect(asked.n).toBe(1);
    expect(background).toHaveLength(1);
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(4_000);
  });

  it("a burst of requests on an idle isolate is one read of the object, each request held at most a second", async () => {
    // Review finding: each request of the burst started its own read, so a slow object was asked once per request.
    const t0 = Date.now();
    expect((await denylistVerdict(gatewayEnv, who, undefined, PRINCIPAL, t0, () => {})).state).toBe("clear");
    const asked = { n: 0 };
    const background: Promise<unknown>[] = [];
    const started = Date.now();
    const burst = Array.from({ length: 8 }, (_, i) =>
      denylistVerdict(hanging(asked), who, undefined, PRINCIPAL, t0 + 6_000 + i, (p) => background.push(p)),
    );
    const verdicts = await Promise.all(burst);
    expect(verdicts.map((v) => v.state)).toEqual(Array(8).fill("clear"));
    expect(asked.n).toBe(1);
    expect(background).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(4_000);
    // Once that read is over a second old, the next idle request reads for itself (the first may have hung).
    await denylistVerdict(hanging(asked), who, undefined, PRINCIPAL, t0 + 7_100, (p) => background.push(p));
    expect(asked.n).toBe(2);
  });

  it("past the minute a copy counts, refuses to say (unknown) rather than answer from it", async () => {
    const t0 = Date.now();
    expect((await denylistVerdict(gatewayEnv, who, undefined, PRINCIPAL, t0, () => {})).state).toBe("clear");
    // The object fails outright now: a copy 61 s old is not used, and nothing is waited for in the background.
    const failing = {
      ...gatewayEnv,
      DENYLIST: { getByName: () => ({ changes: () => Promise.reject(new Error("overloaded")) }) },
    } as unknown as Env;
    const background: Promise<unknown>[] = [];
    const verdict = await denylistVerdict(failing, who, undefined, PRINCIPAL, t0 + 61_000, (p) => background.push(p));
    expect(verdict.state).toBe("unknown");
    // At most the read it waited for, kept alive for others that may share it, and over.
    expect(background.length).toBeLessThanOrEqual(1);
  });
});

describe("an isolate whose copy no longer counts (past the minute)", { timeout }, () => {
  // From a review: each request of a burst read the Denylist object itself (and again, each time another's read
  // had moved the copy on), where an idle isolate's burst shares one read.
  /** The gateway's store, its reads counted, each answered after `delayMs`; failing outright with `fail`. */
  const counted = (asked: { n: number }, delayMs: number, fail = false) =>
    ({
      ...gatewayEnv,
      DENYLIST: {
        getByName: (name: string) => {
          const stub = gatewayEnv.DENYLIST.getByName(name);
          return {
            changes: async (...args: Parameters<typeof stub.changes>) => {
              asked.n++;
              await new Promise((r) => setTimeout(r, delayMs));
              if (fail) throw new Error("overloaded");
              return stub.changes(...args);
            },
          };
        },
      },
    }) as unknown as Env;

  it("a burst of requests is one read of the object, and each is answered from it", async () => {
    const t0 = Date.now();
    expect((await denylistVerdict(gatewayEnv, who, undefined, PRINCIPAL, t0, () => {})).state).toBe("clear");
    const asked = { n: 0 };
    const verdicts = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        denylistVerdict(counted(asked, 50), who, undefined, PRINCIPAL, t0 + 61_000 + i, () => {}),
      ),
    );
    expect(verdicts.map((v) => v.state)).toEqual(Array(8).fill("clear"));
    expect(asked.n).toBe(1);
  });

  it("fails closed within COLD_READ_WAIT_MS when the object never answers, one read for the burst", async () => {
    // From a review: with no copy that counts, a request waited on the read with no bound of its own.
    const t0 = Date.now();
    expect((await denylistVerdict(gatewayEnv, who, undefined, PRINCIPAL, t0, () => {})).state).toBe("clear");
    const asked = { n: 0 };
    const started = Date.now();
    const verdicts = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        denylistVerdict(hanging(asked), who, undefined, PRINCIPAL, t0 + 61_000 + i, () => {}),
      ),
    );
    const waited = Date.now() - started;
    expect(verdicts.map((v) => v.state)).toEqual(Array(8).fill("unknown"));
    expect(asked.n).toBe(1);
    expect(waited).toBeGreaterThanOrEqual(COLD_READ_WAIT_MS - 100);
    // Not held until the runtime gives up; three times the bound leaves a loaded machine room.
    expect(waited).toBeLessThan(3 * COLD_READ_WAIT_MS);
  });

  it("fails closed for the whole burst when that one read fails", async () => {
    const t0 = Date.now();
    expect((await denylistVerdict(gatewayEnv, who, undefined, PRINCIPAL, t0, () => {})).state).toBe("clear");
    const asked = { n: 0 };
    const verdicts = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        denylistVerdict(counted(asked, 50, true), who, undefined, PRINCIPAL, t0 + 61_000 + i, () => {}),
      ),
    );
    expect(verdicts.map((v) => v.state)).toEqual(Array(8).fill("unknown"));
    expect(asked.n).toBe(1);
  });
});
