// An admin call reads the Denylist object as it is now (catchUpExactly), before it is let in and again right
// before a write (readmit). From a review: that read had no bound, so an object that never answered held every
// admin call until the runtime gave up. Now it is held at most COLD_READ_WAIT_MS: then refused as when the store
// cannot be read (503, nothing changed), with a line saying the store did not answer in time.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { COLD_READ_WAIT_MS, resetDenylistCache } from "../../../worker/denylist/cache.ts";
import { DENYLIST_NAME } from "../../../worker/denylist/store.ts";
import type { Env } from "../../../worker/env.ts";
import { hang, hangEachTest } from "../support/hanging-call.ts";
import { activate } from "../support/harness.ts";
import { adminCaller } from "./admin-calls.ts";
import { withAdmin } from "./policies.ts";

/**
 * Past the bound, with room for a loaded machine (the bound plus 2 s was overrun next to busy loops in the gateway's
 * test of the same bound, hung-store.test.ts); far short of the runtime giving up.
 */
const HELD_AT_MOST = 3 * COLD_READ_WAIT_MS;
const call = adminCaller("n-hung");

/** The real Denylist object, whose `changes` never answers once `answered` pages have been (its writes do). */
function hungAfter(answered: number): Env {
  const store = env.DENYLIST.getByName(DENYLIST_NAME);
  let pages = 0;
  const changes = async (...args: Parameters<typeof store.changes>) => {
    if (pages++ >= answered) return hang();
    return store.changes(...args);
  };
  const stub = new Proxy(store, { get: (target, key) => (key === "changes" ? changes : Reflect.get(target, key)) });
  return { ...env, DENYLIST: { getByName: () => stub } } as unknown as Env;
}

/** The real Denylist object, whose `changes` fails at once: a store that answers, with an error. */
function failing(): Env {
  const store = env.DENYLIST.getByName(DENYLIST_NAME);
  const changes = async () => {
    throw new Error("the store refused the read");
  };
  const stub = new Proxy(store, { get: (target, key) => (key === "changes" ? changes : Reflect.get(target, key)) });
  return { ...env, DENYLIST: { getByName: () => stub } } as unknown as Env;
}

/** An admin call's answer, or undefined status if it is still waiting well past the bound. */
async function timed(answer: Promise<Response>): Promise<{ status: number | undefined; ms: number }> {
  const started = Date.now();
  const res = await Promise.race([answer, new Promise<undefined>((r) => setTimeout(r, HELD_AT_MOST + 2_000))]);
  return { status: res?.status, ms: Date.now() - started };
}

function lines(spy: { mock: { calls: unknown[][] } }): Record<string, unknown>[] {
  return spy.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
}

beforeAll(async () => {
  await activate(withAdmin("hung denylist", "carol@example.com"));
  // Warm: the policy and Access's keys are in the isolate, so a call reaches its denylist read at once. The
  // objects' first calls start their isolates: seconds on a loaded machine, past the hook's default 10 s with others.
  expect((await call("carol@example.com", "/policy")).status).toBe(200);
}, 60_000);

hangEachTest(resetDenylistCache);

describe("an admin call while the Denylist object never answers", () => {
  it("is refused with 503 once the bound has passed, and logged as not answering in time", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const answered = await timed(call("carol@example.com", "/policy", {}, hungAfter(0)));
    expect(answered.status).toBe(503);
    expect(answered.ms).toBeGreaterThanOrEqual(COLD_READ_WAIT_MS - 100);
    expect(answered.ms).toBeLessThan(HELD_AT_MOST);
    expect(lines(error).find((l) => l.event === "denylist-unavailable")).toMatchObject({
      level: "error",
      error: `the denylist store did not answer within ${COLD_READ_WAIT_MS} ms`,
    });
  }, 30_000);

  it("logs a read that failed at once as that failure, once, not as one that did not answer", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const answered = await timed(call("carol@example.com", "/policy", {}, failing()));
    expect(answered.status).toBe(503);
    // Refused well before the bound: nothing was waited for.
    expect(answered.ms).toBeLessThan(COLD_READ_WAIT_MS);
    const unavailable = lines(error).filter((l) => l.event === "denylist-unavailable");
    expect(unavailable).toEqual([
      expect.objectContaining({ level: "error", error: expect.stringContaining("the store refused the read") }),
    ]);
  }, 30_000);

  it("refuses a write whose readmission finds it hung, within the bound, and nothing is written", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    vi.spyOn(console, "warn").mockImplementation(() => {});
    vi.spyOn(console, "error").mockImplementation(() => {});
    // Admitted by the object's one page; the readmission before the write then finds the object hung.
    const answered = await timed(
      call(
        "carol@example.com",
        "/revocations",
        {
          method: "POST",
          body: JSON.stringify({ match: "email", value: "hung-write@example.com", reason: "test" }),
        },
        hungAfter(1),
      ),
    );
    expect(answered.status).toBe(503);
    expect(answered.ms).toBeLessThan(HELD_AT_MOST);
    // Refused at the readmission, for want of the denylist (not as a failed call whose outcome is unknown).
    const refused = lines(log).filter((l) => l.event === "admin-request" && l.allowed === false);
    expect(refused).toEqual([expect.objectContaining({ level: "warn", denylist: "unknown" })]);
    const open = await env.DENYLIST.getByName(DENYLIST_NAME).list(false, Date.now());
    expect(open.some((e) => e.value === "hung-write@example.com")).toBe(false);
  }, 30_000);
});
