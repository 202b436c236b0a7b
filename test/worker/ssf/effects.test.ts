// What security events do, in workerd with a local transmitter signing SETs as the specifications show and the
// real Denylist and SsfReplay Durable Objects: each event type's effect on the person's next request (a refused
// request never reaches the origin), account-enabled lifting only what account-disabled put there, dropped
// groups and held posture, and the specifications' examples that name nobody Ward knows changing nothing.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { EVENT_URIS, type DenyEntry } from "../../../policy/index.ts";
import { resetDenylistCache } from "../../../worker/denylist/cache.ts";
import { DENYLIST_NAME } from "../../../worker/denylist/store.ts";
import { activate } from "../support/harness.ts";
import { afterRefresh, asPerson, eventually } from "../support/person-requests.ts";
import { eventSet, example, push, signSet } from "../support/transmitter.ts";
import { ssfPolicy } from "./policy.ts";
import { postureOf } from "../support/posture.ts";
import { setPersonAnswer } from "../support/directory.ts";

const transmitter = inject("transmitterPrivateJwk");

async function send(payload: Record<string, unknown>, transmitterName = "idp"): Promise<Response> {
  return push(await signSet(payload, transmitter), { transmitter: transmitterName });
}

const email = (address: string) => ({ format: "email", email: address });
const entries = async (): Promise<DenyEntry[]> => env.DENYLIST.getByName(DENYLIST_NAME).list(true, Date.now());

beforeAll(async () => {
  const { d: _private, ...publicKey } = transmitter;
  await activate(ssfPolicy({ ...publicKey, use: "sig" }));
});

describe("refusing events", () => {
  it("session-revoked (CAEP's example, a complex subject's user by iss_sub): refused from the next request on", async () => {
    const sub = "99beb27c-c1c2-4955-882a-e0dc4996fcbc";
    expect(await asPerson("jane.doe@example.com", sub)).toEqual({ status: 200, seen: 1 });
    const res = await send(example("caep-session-revoked-complex-user"));
    expect(res.status).toBe(202);
    expect(await res.text()).toBe("");
    expect(await eventually(() => asPerson("jane.doe@example.com", sub), 403)).toEqual({ status: 403, seen: 0 });
    // Someone else is not touched.
    expect(await asPerson("john.doe@example.com", "another-sub")).toEqual({ status: 200, seen: 1 });
    const entry = (await entries()).find((e) => e.value === sub)!;
    expect(entry).toMatchObject({
      kind: "revocation",
      match: "sub",
      createdBy: "ssf:idp",
      reason: expect.stringMatching(/^session-revoked from idp: Landspeed Policy Violation: C076E82F \(jti /),
      signal: { transmitter: "idp", event: "session-revoked" },
    });
    // For the policy's holdFor (1h), then the person may come back.
    expect(entry.expiresAt! - entry.createdAt).toBe(3600_000);
  });

  it("credential-change: a credential created (CAEP's example) ends nothing; one revoked or deleted refuses", async () => {
    const sub = "jane.smith@example.com"; // CAEP's example names her by iss_sub with this sub
    const res = await send(example("caep-credential-change-fido2"));
    expect(res.status).toBe(202);
    expect(await afterRefresh(() => asPerson("jane@example.com", sub))).toEqual({ status: 200, seen: 1 });
    for (const change_type of ["revoke", "delete"]) {
      const who = `cred-${change_type}@example.com`;
      expect(await asPerson(who)).toEqual({ status: 200, seen: 1 });
      const set = eventSet(EVENT_URIS["credential-change"], { credential_type: "x509", change_type }, email(who));
      expect((await send(set)).status).toBe(202);
      expect(await eventually(() => asPerson(who), 403)).toEqual({ status: 403, seen: 0 });
    }
  });

  it("credential-compromise (RISC's example) refuses the person", async () => {
    const sub = "joe.smith@example.com";
    expect(await asPerson("joe@example.com", sub)).toEqual({ status: 200, seen: 1 });
    expect((await send(example("risc-credential-compromise"))).status).toBe(202);
    expect(await eventually(() => asPerson("joe@example.com", sub), 403)).toEqual({ status: 403, seen: 0 });
  });

  it("account-purged refuses the person for a month", async () => {
    const who = "purged@example.com";
    const set = eventSet(EVENT_URIS["account-purged"], {}, email(who));
    expect((await send(set)).status).toBe(202);
    expect(await eventually(() => asPerson(who), 403)).toEqual({ status: 403, seen: 0 });
    const entry = (await entries()).find((e) => e.value === who)!;
    expect(entry.expiresAt! - entry.createdAt).toBe(730 * 3600_000);
  });

  it("a complex subject's user by e-mail, and aliases, name the person; the e-mail's case does not matter", async () => {
    const set = example("caep-session-revoked-user-device", {
      sub_id: { format: "complex", user: email("Complex.User@Example.com"), device: { format: "opaque", id: "d-1" } },
    });
    expect((await send(set)).status).toBe(202);
    expect(await eventually(() => asPerson("complex.user@example.com"), 403)).toEqual({ status: 403, seen: 0 });
    const aliases = eventSet(
      EVENT_URIS["session-revoked"],
      {},
      {
        format: "aliases",
        identifiers: [{ format: "phone_number", phone_number: "+12065550100" }, email("alias@example.com")],
      },
    );
    expect((await send(aliases)).status).toBe(202);
    expect(await eventually(() => asPerson("alias@example.com"), 403)).toEqual({ status: 403, seen: 0 });
  });

  it("the same event again extends the one entry rather than adding another", async () => {
    const who = "twice@example.com";
    for (let i = 0; i < 2; i++)
      expect((await send(eventSet(EVENT_URIS["session-revoked"], {}, email(who)))).status).toBe(202);
    expect((await entries()).filter((e) => e.value === who)).toHaveLength(1);
  });
});

describe("account-disabled and account-enabled", () => {
  it("disabled (RISC's example) until enabled; enabled (SSF's example) lifts only what disabled put there", async () => {
    const sub = "7375626A656374"; // RISC's example: iss_sub of https://idp.example.com/
    expect(await asPerson("risc@example.com", sub)).toEqual({ status: 200, seen: 1 });
    expect((await send(example("risc-account-disabled"))).status).toBe(202);
    expect(await eventually(() => asPerson("risc@example.com", sub), 403)).toEqual({ status: 403, seen: 0 });
    const enabled = example("ssf-account-enabled-email", {
      sub_id: { format: "iss_sub", iss: "https://idp.example.com/", sub },
    });
    expect((await send(enabled)).status).toBe(202);
    expect(await eventually(() => asPerson("risc@example.com", sub), 200)).toEqual({ status: 200, seen: 1 });
    const lifted = (await entries()).find((e) => e.value === sub)!;
    expect(lifted.releasedBy).toMatch(/^ssf:idp \(account-enabled, jti /);
  });

  it("account-enabled (SSF's example, foo@example.com) lifts neither a session revocation nor an operator's revocation", async () => {
    const who = "foo@example.com";
    expect((await send(eventSet(EVENT_URIS["account-disabled"], {}, email(who)))).status).toBe(202);
    expect((await send(eventSet(EVENT_URIS["session-revoked"], {}, email(who)))).status).toBe(202);
    expect(await eventually(() => asPerson(who), 403)).toEqual({ status: 403, seen: 0 });
    expect((await send(example("ssf-account-enabled-email"))).status).toBe(202);
    expect(await afterRefresh(() => asPerson(who))).toEqual({ status: 403, seen: 0 }); // session-revoked holds
    const open = (await entries()).filter((e) => e.value === who && e.releasedAt === null);
    expect(open.map((e) => e.signal?.event)).toEqual(["session-revoked"]);

    const operator = "operator-revoked@example.com";
    await env.DENYLIST.getByName(DENYLIST_NAME).add(
      { kind: "revocation", match: "email", value: operator, reason: "laptop stolen", expiresAt: null },
      "user:admin@example.com",
      Date.now(),
    );
    expect(await eventually(() => asPerson(operator), 403)).toEqual({ status: 403, seen: 0 });
    expect((await send(eventSet(EVENT_URIS["account-enabled"], {}, email(operator)))).status).toBe(202);
    expect(await afterRefresh(() => asPerson(operator))).toEqual({ status: 403, seen: 0 });
  });

  it("account-enabled from another transmitter lifts nothing", async () => {
    const who = "two-transmitters@example.com";
    expect((await send(eventSet(EVENT_URIS["account-disabled"], {}, email(who)))).status).toBe(202);
    expect(await eventually(() => asPerson(who), 403)).toEqual({ status: 403, seen: 0 });
    // "narrow" may not even send account-enabled; the lift is by transmitter in any case (see the store).
    const res = await send(
      eventSet(EVENT_URIS["account-enabled"], {}, email(who), { iss: "https://narrow.example.com/" }),
      "narrow",
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ err: "access_denied" });
    expect(await afterRefresh(() => asPerson(who))).toEqual({ status: 403, seen: 0 });
  });
});

describe("directory events", () => {
  it("token-claims-change (SSF's example, foo@example2.com): the cached groups are dropped, Access is asked again", async () => {
    const who = "foo@example2.com";
    await setPersonAnswer(who, { groups: [{ id: "g", name: "wiki-editors" }] });
    expect(await asPerson(who, undefined, "/editors/page")).toEqual({ status: 200, seen: 1 });
    await setPersonAnswer(who, { groups: [] });
    // Cached (for up to five minutes): the group still counts...
    expect(await asPerson(who, undefined, "/editors/page")).toEqual({ status: 200, seen: 1 });
    expect((await send(example("ssf-token-claims-change-email"))).status).toBe(202);
    // ...until the event: the next request asks get-identity again.
    expect(await eventually(() => asPerson(who, undefined, "/editors/page"), 403)).toEqual({ status: 403, seen: 0 });
    // The person is not refused otherwise.
    expect(await afterRefresh(() => asPerson(who))).toEqual({ status: 200, seen: 1 });
  });

  it("device-compliance-change: not compliant fails posture conditions though Access still says compliant, until compliant", async () => {
    const who = "laptop@example.com";
    await setPersonAnswer(who, { groups: [], devicePosture: postureOf({ "disk-encryption": true }) });
    expect(await asPerson(who, undefined, "/secure/doc")).toEqual({ status: 200, seen: 1 });
    // CAEP's example names a device only: no one Ward knows, nothing changes.
    expect((await send(example("caep-device-compliance-change"))).status).toBe(202);
    // With the user named too, the hold applies.
    const notCompliant = example("caep-device-compliance-change", {
      sub_id: { format: "complex", user: email(who), device: { format: "opaque", id: "laptop-7" } },
    });
    expect((await send(notCompliant)).status).toBe(202);
    expect(await eventually(() => asPerson(who, undefined, "/secure/doc"), 403)).toEqual({ status: 403, seen: 0 });
    expect(await afterRefresh(() => asPerson(who))).toEqual({ status: 200, seen: 1 }); // no posture asked there
    const compliant = eventSet(
      EVENT_URIS["device-compliance-change"],
      { current_status: "compliant", previous_status: "not-compliant" },
      { format: "complex", user: email(who) },
    );
    expect((await send(compliant)).status).toBe(202);
    expect(await eventually(() => asPerson(who, undefined, "/secure/doc"), 200)).toEqual({ status: 200, seen: 1 });
  });
});

describe("an idle isolate", () => {
  it("reads the denylist copy before identifying: a person with a compliant device is not refused for want of it", async () => {
    const who = "idle@example.com";
    await setPersonAnswer(who, { groups: [], devicePosture: postureOf({ "disk-encryption": true }) });
    resetDenylistCache(); // as an isolate with no copy, or one idle for longer than the copy is trusted
    expect(await asPerson(who, undefined, "/secure/doc")).toEqual({ status: 200, seen: 1 });
  });
});

describe("events that name nobody Ward knows", () => {
  it.each([
    ["caep-session-revoked-opaque", "a session id"],
    ["caep-token-claims-change-jwt-id", "a JWT id"],
    ["caep-token-claims-change-saml", "a SAML assertion"],
    ["ssf-account-disabled-phone", "a phone number"],
  ])("%s (%s): accepted, nothing changes", async (name) => {
    const before = (await entries()).length;
    const res = await send(example(name));
    expect(res.status).toBe(202);
    expect((await entries()).length).toBe(before);
  });
});

describe("the decision log links a refusal to the event behind it (for `ward metrics`)", () => {
  it("a request refused by an event's entry logs listedBy with the SET's jti and transmitter", async () => {
    const who = "linked@example.com";
    const set = eventSet(EVENT_URIS["session-revoked"], {}, email(who));
    expect((await send(set)).status).toBe(202);
    expect(await eventually(() => asPerson(who), 403)).toEqual({ status: 403, seen: 0 });
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((l: string) => void lines.push(l));
    try {
      expect(await asPerson(who)).toEqual({ status: 403, seen: 0 });
    } finally {
      spy.mockRestore();
    }
    const refused = lines.map((l) => JSON.parse(l)).find((l) => l.event === "decision" && l.status === 403);
    const entry = (await entries()).find((e) => e.value === who)!;
    expect(refused).toMatchObject({
      reasons: ["revoked"],
      listedBy: { entry: entry.id, jti: set.jti, transmitter: "idp" },
    });
  });
});
