// A request the policy denies reads the service's grants (one may allow it). From a review: when the Grants
// Durable Object never answered, that request waited on it with no bound, on a cold isolate (each request reads
// for itself) and on the request that re-reads a copy past its interval. Now the read is given STORE_TIMEOUT_MS:
// past it the store counts as failed for that request (logged `grants-unavailable`), and the request stays denied.
import { env, exports } from "cloudflare:workers";
import { beforeAll, expect, inject, it, vi } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import type { Env } from "../../../worker/env.ts";
import { resetGrantsCache, STORE_TIMEOUT_MS } from "../../../worker/grants/cache.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";

const signing = inject("accessPrivateJwk");
const EMAIL = "grants-hung@example.com";
/**
 * What the upper bound proves is that the request is not held until the runtime gives up: three times the bound
 * says so, and leaves a loaded machine room (with 2 s, a cold request took 5.8 s next to busy loops on 2 cores).
 */
const HELD_AT_MOST = 3 * STORE_TIMEOUT_MS;

/** A denied edit of the wiki (the caller is no editor), with how long it took; `undefined` status: still waiting. */
async function edit(): Promise<{ status: number | undefined; seen: number; ms: number }> {
  const m = marker();
  const started = Date.now();
  const answer = exports.default.fetch(`https://wiki.localhost/page?${m}`, {
    method: "POST",
    headers: {
      "cf-access-jwt-assertion": await accessToken(signing, { email: EMAIL, identity_nonce: "n-grants-hung" }),
    },
  });
  const res = await Promise.race([answer, new Promise<undefined>((r) => setTimeout(r, HELD_AT_MOST + 2_000))]);
  return { status: res?.status, seen: (await originSaw(m)).length, ms: Date.now() - started };
}

/** The grant store answers nothing, ever, while `during` runs. */
async function whileHung<T>(during: () => Promise<T>): Promise<T> {
  const spy = vi
    .spyOn(env.GRANTS, "getByName")
    .mockImplementation(
      () => ({ active: () => new Promise(() => {}) }) as unknown as ReturnType<Env["GRANTS"]["getByName"]>,
    );
  try {
    return await during();
  } finally {
    spy.mockRestore();
  }
}

beforeAll(async () => {
  await activate(demoPolicy);
  // An isolate's first request also fetches the key set and reads the policy: seconds on a loaded machine, which
  // the bound is not about. Then no grants copy again, for the cold request.
  expect(await edit()).toMatchObject({ status: 403, seen: 0 });
  resetGrantsCache();
}, 60_000);

it("answers a denied request within the grant read's bound when the store never answers, and logs it", async () => {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  const error = vi.spyOn(console, "error").mockImplementation(() => {});
  try {
    // A cold isolate: no copy, the request reads for itself.
    const cold = await whileHung(edit);
    expect(cold).toMatchObject({ status: 403, seen: 0 });
    expect(cold.ms).toBeLessThan(HELD_AT_MOST);
    // With a copy past its interval (GRANTS_REFRESH_SECONDS 0.05): the request that re-reads it.
    expect(await edit()).toMatchObject({ status: 403, seen: 0 });
    await new Promise((r) => setTimeout(r, 120));
    const due = await whileHung(edit);
    expect(due).toMatchObject({ status: 403, seen: 0 });
    expect(due.ms).toBeLessThan(HELD_AT_MOST);
    const unavailable = error.mock.calls
      .map(([line]) => JSON.parse(String(line)) as Record<string, unknown>)
      .filter((l) => l.event === "grants-unavailable");
    expect(unavailable.length).toBeGreaterThanOrEqual(2);
    expect(unavailable[0]).toMatchObject({ level: "error", service: "wiki" });
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}, 30_000);
