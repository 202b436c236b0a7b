// The admin API's calls to the security-event receiver's object (`ward ssf verify|status|poll`). From a review:
// they had no bound, so an object that never answered held the admin call (and `ward` behind it) until the runtime
// gave up. Now a read is given ADMIN_STORE_READ_MS and a write ADMIN_STORE_WRITE_MS (worker/admin/stores.ts), and
// past them the call is answered as when the object fails (503, Retry-After, nothing changed on a read, not known
// on a write), and logged so.
import { beforeAll, describe, expect, inject, it } from "vitest";
import { ADMIN_STORE_READ_MS, ADMIN_STORE_WRITE_MS } from "../../../worker/admin/stores.ts";
import { hangEachTest } from "../support/hanging-call.ts";
import { activate } from "../support/harness.ts";
import { ssfPolicy } from "../ssf/policy.ts";
import { adminCaller } from "./admin-calls.ts";
import { captureLogEachTest, expectAnsweredAtBound, expectStoreFault, heldObject, timed } from "./hung-store.ts";

const call = adminCaller("n-hung-ssf");
const STORE = "SSF receiver";

beforeAll(async () => {
  const { d: _private, ...publicKey } = inject("transmitterPrivateJwk");
  await activate(
    ssfPolicy({ ...publicKey, use: "sig" }).replace(
      "services:\n",
      "admin:\n  principals: [{ email: carol@example.com }]\nservices:\n",
    ),
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

  it("a verification's state recorded (never answering): 503 once the write bound has passed, not known", async () => {
    const answered = await timed(
      call(
        "carol@example.com",
        "/ssf/verification",
        { method: "POST", body: JSON.stringify({ transmitter: "idp", state: "aHVuZy1yZWNlaXZlci1zdGF0ZQ" }) },
        heldObject("SSF_REPLAY", "expectVerification"),
      ),
      3 * ADMIN_STORE_WRITE_MS,
    );
    await expectStoreFault(
      expectAnsweredAtBound(answered, ADMIN_STORE_WRITE_MS),
      "unknown",
      ADMIN_STORE_WRITE_MS,
      STORE,
    );
  }, 60_000);
});
