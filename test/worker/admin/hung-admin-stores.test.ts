// The admin API's calls to the Grants and Denylist objects (a grant's creation, listing, history and revocation; a
// credential's revocation, the denylist's listing, a lift or release). From a review: they had no bound, so an
// object that never answered held the admin call (and `ward` behind it) until the runtime gave up. Now a read is
// given ADMIN_STORE_READ_MS (worker/admin/stores.ts): past it the call is answered as when the object fails (503,
// Retry-After, nothing changed), and logged so. A write is waited for, and what follows it done: cut off, it could
// still be made, with none of that (from a review). The gateway's calls to them have their own bounds
// (denylist/hung-store, grants/grants-hung-store).
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_STORE_READ_MS } from "../../../worker/admin/stores.ts";
import { DENYLIST_NAME } from "../../../worker/denylist/store.ts";
import { grantsShard } from "../../../worker/grants/store.ts";
import { hangEachTest } from "../support/hanging-call.ts";
import { activate } from "../support/harness.ts";
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
import { withAdmin } from "./policies.ts";

const call = adminCaller("n-hung-stores");
const post = (body: unknown): RequestInit => ({ method: "POST", body: JSON.stringify(body) });

/** An exception on the wiki for `email`, as an approver asks for one. */
const exception = (email: string) => ({
  principal: { email },
  service: "wiki",
  reason: "a grant the store answers late",
  ticket: "SEC-1",
  requestedBy: "ann@example.com",
  approvedBy: "carol@example.com",
  notAfter: new Date(Date.now() + 3_600_000).toISOString(),
});

/** A grant made through the admin API (its Grants object answering), for a test to read or end. */
async function granted(): Promise<string> {
  const res = await call("carol@example.com", "/exceptions", post(exception(`${crypto.randomUUID()}@example.com`)));
  expect(res.status).toBe(201);
  return ((await res.json()) as { grant: { id: string } }).grant.id;
}

beforeAll(async () => {
  await activate(withAdmin("hung admin stores", "carol@example.com"));
  // Warm: the policy and Access's keys are in the isolate, and the objects' isolates started (seconds on a loaded
  // machine), so a call reaches its object at once.
  expect((await call("carol@example.com", "/grants?service=wiki")).status).toBe(200);
  expect((await call("carol@example.com", "/denylist")).status).toBe(200);
}, 60_000);

hangEachTest(() => {});
captureLogEachTest();

describe("an admin call while a Grants object does not answer", () => {
  it("a listing (its page never answering): 503 once the read bound has passed, nothing changed", async () => {
    const answered = await timed(
      call("carol@example.com", "/grants?service=wiki", {}, heldObject("GRANTS", "page")),
      3 * ADMIN_STORE_READ_MS,
    );
    await expectStoreFault(expectAnsweredAtBound(answered, ADMIN_STORE_READ_MS), "no", ADMIN_STORE_READ_MS, "grants");
  }, 30_000);

  it("an exception granted late, past a read's bound: waited for, made, and logged", async () => {
    const late = ADMIN_STORE_READ_MS + 1_000;
    const answered = await timed(
      call(
        "carol@example.com",
        "/exceptions",
        post(exception("late-grant@example.com")),
        heldObject("GRANTS", "create", heldFor(late)),
      ),
      3 * late,
    );
    expectWaitedFor(answered, late, "exception-granted");
  }, 30_000);

  it("a grant's history (its events never answering): 503 once the read bound has passed, no change", async () => {
    const id = await granted();
    const answered = await timed(
      call("carol@example.com", `/grants/wiki/${id}/events`, {}, heldObject("GRANTS", "events")),
      3 * ADMIN_STORE_READ_MS,
    );
    await expectStoreFault(expectAnsweredAtBound(answered, ADMIN_STORE_READ_MS), "no", ADMIN_STORE_READ_MS, "grants");
  }, 30_000);

  it("a grant revoked late, past a read's bound: waited for, made, and logged", async () => {
    const id = await granted();
    const late = ADMIN_STORE_READ_MS + 1_000;
    const answered = await timed(
      call(
        "carol@example.com",
        `/grants/wiki/${id}?reason=answered%20late`,
        { method: "DELETE" },
        heldObject("GRANTS", "revoke", heldFor(late)),
      ),
      3 * late,
    );
    expectWaitedFor(answered, late, "grant-revoked");
    const grants = await env.GRANTS.getByName(grantsShard("wiki")).list(true);
    expect(grants.find((g) => g.id === id)?.status).toBe("revoked");
  }, 30_000);
});

describe("an admin call while the Denylist object does not answer (its reads for admission do)", () => {
  const denylist = () => env.DENYLIST.getByName(DENYLIST_NAME);

  it("a listing (its page never answering): 503 once the read bound has passed, nothing changed", async () => {
    const answered = await timed(
      call("carol@example.com", "/denylist", {}, heldObject("DENYLIST", "page")),
      3 * ADMIN_STORE_READ_MS,
    );
    await expectStoreFault(expectAnsweredAtBound(answered, ADMIN_STORE_READ_MS), "no", ADMIN_STORE_READ_MS, "denylist");
  }, 30_000);

  it("a revocation answered late, past a read's bound: waited for, made, and logged", async () => {
    const late = ADMIN_STORE_READ_MS + 1_000;
    const value = `late-${crypto.randomUUID()}@example.com`;
    const answered = await timed(
      call(
        "carol@example.com",
        "/revocations",
        post({ match: "email", value, reason: "answered late" }),
        heldObject("DENYLIST", "revoke", heldFor(late)),
      ),
      3 * late,
    );
    expectWaitedFor(answered, late, "credential-revoked");
    expect((await denylist().list(false, Date.now())).some((e) => e.value === value)).toBe(true);
  }, 30_000);

  it("a lift (its release answered late, past a read's bound): waited for, made, and logged", async () => {
    const made = await call(
      "carol@example.com",
      "/revocations",
      post({ match: "email", value: `release-${crypto.randomUUID()}@example.com`, reason: "to be released" }),
    );
    expect(made.status).toBe(201);
    const { id } = ((await made.json()) as { entry: { id: string } }).entry;
    const late = ADMIN_STORE_READ_MS + 1_000;
    const answered = await timed(
      call(
        "carol@example.com",
        `/denylist/${id}`,
        { method: "DELETE" },
        heldObject("DENYLIST", "release", heldFor(late)),
      ),
      3 * late,
    );
    expectWaitedFor(answered, late, "revocation-lifted");
    const entry = (await denylist().list(true, Date.now())).find((e) => e.id === id);
    expect(entry).toMatchObject({ releasedAt: expect.any(Number), releasedBy: "user:carol@example.com" });
  }, 30_000);
});
