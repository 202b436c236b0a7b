// The admin API's calls to the security-event receiver's object (`ward ssf verify|status|poll`). From a review:
// they had no bound, so an object that never answered held the admin call (and `ward` behind it) until the runtime
// gave up. Now a read is given ADMIN_STORE_READ_MS (worker/admin/stores.ts), and past it the call is answered as
// when the object fails (503, Retry-After, nothing changed), and logged so. A write is waited for, and what follows
// it done: cut off, it could still be made, with none of that (from a review).
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { ADMIN_STORE_READ_MS } from "../../../worker/admin/stores.ts";
import { hangEachTest } from "../support/hanging-call.ts";
import { activate } from "../support/harness.ts";
import { POLL_ISSUER, ssfPolicy } from "../ssf/policy.ts";
import { adminCaller } from "./admin-calls.ts";
import {
  captureLogEachTest,
  expectAnsweredAtBound,
  expectStoreFault,
  expectWaitedFor,
  heldFor,
  heldObject,
  timed,
} from "./held-object.ts";

const call = adminCaller("n-hung-ssf");
const STORE = "SSF receiver";

beforeAll(async () => {
  const { d: _private, ...publicKey } = inject("transmitterPrivateJwk");
  await activate(
    ssfPolicy({ ...publicKey, use: "sig" })
      .replace("services:\n", "admin:\n  principals: [{ email: carol@example.com }]\nservices:\n")
      // Polled at a path the test transmitter does not serve (404): a poll this file starts takes no SET another
      // file's test queued there, and changes nothing of it.
      .replace("https://poll.ward-demo.test/poll", "https://poll.ward-demo.test/not-served"),
  );
  // Warm: the policy and Access's keys are in the isolate, and the objects' isolates started (seconds on a loaded
  // machine), so a call reaches the receiver's object at once.
  expect((await call("carol@example.com", "/ssf/status?transmitter=idp")).status).toBe(200);
}, 60_000);

hangEachTest(() => {});
captureLogEachTest();

describe("an admin call while the receiver's object does not answer", () => {
  it("its status (never answering): 503 once the read bound has passed, nothing changed", async () => {
    const answered = await timed(
      call("carol@example.com", "/ssf/status?transmitter=idp", {}, heldObject("SSF_REPLAY", "status")),
      3 * ADMIN_STORE_READ_MS,
    );
    await expectStoreFault(expectAnsweredAtBound(answered, ADMIN_STORE_READ_MS), "no", ADMIN_STORE_READ_MS, STORE);
  }, 30_000);

  it("a verification's state recorded late, past a read's bound: waited for, made, and logged", async () => {
    const late = ADMIN_STORE_READ_MS + 1_000;
    const answered = await timed(
      call(
        "carol@example.com",
        "/ssf/verification",
        { method: "POST", body: JSON.stringify({ transmitter: "idp", state: "aHVuZy1yZWNlaXZlci1zdGF0ZQ" }) },
        heldObject("SSF_REPLAY", "expectVerification", heldFor(late)),
      ),
      3 * late,
    );
    expectWaitedFor(answered, late, "ssf-verification-requested");
  }, 30_000);

  it("polling started late, past a read's bound: waited for, and made (the poller polls)", async () => {
    const receiver = env.SSF_REPLAY.getByName(POLL_ISSUER);
    expect((await receiver.status()).poll).toBeNull();
    const late = ADMIN_STORE_READ_MS + 1_000;
    const answered = await timed(
      call(
        "carol@example.com",
        "/ssf/poll?transmitter=poller",
        { method: "POST" },
        heldObject("SSF_REPLAY", "startPolling", heldFor(late)),
      ),
      3 * late,
    );
    expectWaitedFor(answered, late, "ssf-polling-started");
    // Its first poll is at once; the path is not served, so it fails, and the receiver says so.
    await vi.waitFor(
      async () => expect((await receiver.status()).poll).toMatchObject({ failures: 1, lastError: "poll-status-404" }),
      { timeout: 10_000, interval: 50 },
    );
  }, 30_000);
});
