// The admin API asks the PolicyControl object (the one writer of the active pointer) for the version it admits
// by, the state it shows, and every move and shadow change. From a review: those calls had no bound, so an object
// that never answered held the admin call (and `ward` behind it) until the runtime gave up. Now a read is given
// POLICY_CONTROL_READ_MS: past it the call is answered as when the object fails (a store fault: 503, Retry-After),
// and logged so. A write is waited for.
import { runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { POLICY_CONTROL_READ_MS } from "../../../worker/admin/policy-control.ts";
import { hang, hangEachTest } from "../support/hanging-call.ts";
import { activate } from "../support/harness.ts";
import { adminCaller } from "./admin-calls.ts";
import {
  captureLogEachTest,
  expectAnsweredAtBound,
  expectStoreFault as expectFault,
  expectWaitedFor,
  heldFor,
  heldObject,
  linesOf,
  timed,
} from "./held-object.ts";
import { versionOf, withAdmin } from "./policies.ts";
import { control } from "./racing-push.ts";

const call = adminCaller("n-hung-control");
const STORE = "policy control";

/** The real PolicyControl, except that each call of `method` after its first `answered` waits for `hold`. */
const heldControl = (method: string, hold: () => Promise<void> = hang, answered = 0) =>
  heldObject("POLICY_CONTROL", method, hold, answered);

const expectStoreFault = (res: Response, changed: "no" | "unknown", bound: number) =>
  expectFault(res, changed, bound, STORE);

const active = async () => (await control().state(1)).active;

beforeAll(async () => {
  await activate(withAdmin("hung policy control", "carol@example.com"));
  // Warm: the policy and Access's keys are in the isolate, and the objects' isolates started (seconds on a loaded
  // machine), so a call reaches PolicyControl at once.
  expect((await call("carol@example.com", "/policy")).status).toBe(200);
}, 60_000);

hangEachTest(() => {});
captureLogEachTest();

describe("an admin read queued behind another admin's write", () => {
  it("waits for a slow write, and is answered", async () => {
    // What activate() and setShadow() do: blockConcurrencyWhile around a KV write, here one of 8 s. From a review:
    // at a 3 s read bound, every admin call failed meanwhile.
    const writeMs = 8_000;
    const write = runInDurableObject(control(), (_instance, state) =>
      state.blockConcurrencyWhile(() => new Promise<void>((r) => setTimeout(r, writeMs))),
    );
    await new Promise((r) => setTimeout(r, 100));
    const answered = await timed(call("carol@example.com", "/policy"), POLICY_CONTROL_READ_MS);
    await write;
    expect(answered.res?.status).toBe(200);
    // It was held back by the write, not answered around it.
    expect(answered.ms).toBeGreaterThanOrEqual(writeMs - 500);
  }, 60_000);
});

describe("an admin call while the PolicyControl object does not answer", () => {
  it("a read (GET /policy, its state never answering): 503 once the read bound has passed, nothing changed", async () => {
    const answered = await timed(
      call("carol@example.com", "/policy", {}, heldControl("state")),
      3 * POLICY_CONTROL_READ_MS,
    );
    await expectStoreFault(expectAnsweredAtBound(answered, POLICY_CONTROL_READ_MS), "no", POLICY_CONTROL_READ_MS);
  }, 60_000);

  it("a push whose move answers late, past a read's bound: waited for, made, and logged", async () => {
    // Cut off at a bound, the move could still be made, with none of what follows it (its line, the pollers a push
    // starts): from a review, writes are waited for.
    const late = POLICY_CONTROL_READ_MS + 1_000;
    const from = await active();
    const text = withAdmin(`late push ${crypto.randomUUID()}`, "carol@example.com");
    const answered = await timed(
      call(
        "carol@example.com",
        "/policy",
        { method: "PUT", body: JSON.stringify({ text, expected: from, message: "late" }) },
        heldControl("activate", heldFor(late)),
      ),
      3 * late,
    );
    expectWaitedFor(answered, late, "policy-activated");
    expect(await active()).toBe(await versionOf(text));
  }, 60_000);

  it("a write whose re-check of the authority never answers: 503 once the read bound has passed", async () => {
    // The middleware's authority() answers (the caller is admitted); the one right before the write does not.
    // A write's failure does not say at which of its calls it stopped: not known, as for any write.
    const answered = await timed(
      call("carol@example.com", "/policy/shadow", { method: "DELETE" }, heldControl("authority", hang, 1)),
      3 * POLICY_CONTROL_READ_MS,
    );
    await expectStoreFault(expectAnsweredAtBound(answered, POLICY_CONTROL_READ_MS), "unknown", POLICY_CONTROL_READ_MS);
  }, 60_000);

  it("at admission (the authority never answering): 503, as when the version cannot be had, once the bound has passed", async () => {
    const answered = await timed(
      call("carol@example.com", "/policy", {}, heldControl("authority")),
      3 * POLICY_CONTROL_READ_MS,
    );
    const res = expectAnsweredAtBound(answered, POLICY_CONTROL_READ_MS);
    // The caller is an admin by the isolate's copy (nobody else reaches the object); the answer names no store, the
    // error is only in the log: one line, an outage's.
    expect(res.status).toBe(503);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ error: "service unavailable", requestId: body.requestId });
    const { own, internalErrors } = linesOf(String(body.requestId));
    expect(internalErrors).toHaveLength(0);
    expect(own.filter((l) => l.event === "decision")).toEqual([
      expect.objectContaining({
        level: "error",
        reasons: ["policy-unavailable"],
        status: 503,
        principal: "user:carol@example.com",
        error: `Error: the policy control store did not answer within ${POLICY_CONTROL_READ_MS} ms`,
      }),
    ]);
  }, 60_000);
});
