// Posture holds of several transmitters: a device-compliance-change "not-compliant" makes the person's device
// posture unknown until the transmitter that said so says "compliant" (or holdFor ends), and one transmitter's
// "compliant" never ends the hold another put there (an MDM's view does not lift the IdP's).
import { beforeAll, describe, expect, inject, it } from "vitest";
import { EVENT_URIS } from "../../../policy/index.ts";
import { activate } from "../support/harness.ts";
import { afterRefresh, asPerson, eventually } from "../support/person-requests.ts";
import { eventSet, push, signSet } from "../support/transmitter.ts";
import { ssfPolicy } from "./policy.ts";
import { postureOf } from "../support/posture.ts";
import { setPersonAnswer } from "../support/directory.ts";

const transmitter = inject("transmitterPrivateJwk");
const DCC = EVENT_URIS["device-compliance-change"];
const NARROW_ISSUER = "https://narrow.example.com/";

beforeAll(async () => {
  const { d: _private, ...publicKey } = transmitter;
  const policy = ssfPolicy({ ...publicKey, use: "sig" }).replace(
    "      events: [session-revoked]\n",
    "      events: [session-revoked, device-compliance-change]\n",
  );
  expect(policy).toContain("events: [session-revoked, device-compliance-change]");
  await activate(policy);
});

const user = (who: string) => ({ format: "complex", user: { format: "email", email: who } });
const status = (current: string, previous: string) => ({ current_status: current, previous_status: previous });
const idp = (s: Record<string, string>, who: string) => eventSet(DCC, s, user(who));
const narrow = (s: Record<string, string>, who: string) => eventSet(DCC, s, user(who), { iss: NARROW_ISSUER });

async function send(set: Record<string, unknown>, name: string): Promise<number> {
  return (await push(await signSet(set, transmitter), { transmitter: name })).status;
}

/** A person whose device Access says is encrypted: /secure/doc needs that posture. */
async function compliantPerson(who: string): Promise<() => ReturnType<typeof asPerson>> {
  await setPersonAnswer(who, { groups: [], devicePosture: postureOf({ "disk-encryption": true }) });
  const secure = () => asPerson(who, undefined, "/secure/doc");
  expect(await secure()).toEqual({ status: 200, seen: 1 });
  return secure;
}

describe("posture holds of two transmitters", () => {
  it("one transmitter's compliant does not end the hold another transmitter put there", async () => {
    const who = "two-holds@example.com";
    const secure = await compliantPerson(who);
    expect(await send(idp(status("not-compliant", "compliant"), who), "idp")).toBe(202);
    expect(await eventually(secure, 403)).toEqual({ status: 403, seen: 0 });
    expect(await send(narrow(status("not-compliant", "compliant"), who), "narrow")).toBe(202);
    expect(await send(narrow(status("compliant", "not-compliant"), who), "narrow")).toBe(202);
    // The IdP never said compliant: its hold stands.
    expect(await afterRefresh(secure)).toEqual({ status: 403, seen: 0 });
    // Once it does, nothing holds the posture any more.
    expect(await send(idp(status("compliant", "not-compliant"), who), "idp")).toBe(202);
    expect(await eventually(secure, 200)).toEqual({ status: 200, seen: 1 });
  });

  it("each holds until its own compliant, in either order", async () => {
    const who = "two-holds-reversed@example.com";
    const secure = await compliantPerson(who);
    expect(await send(narrow(status("not-compliant", "compliant"), who), "narrow")).toBe(202);
    expect(await send(idp(status("not-compliant", "compliant"), who), "idp")).toBe(202);
    expect(await eventually(secure, 403)).toEqual({ status: 403, seen: 0 });
    expect(await send(idp(status("compliant", "not-compliant"), who), "idp")).toBe(202);
    expect(await afterRefresh(secure)).toEqual({ status: 403, seen: 0 });
    expect(await send(narrow(status("compliant", "not-compliant"), who), "narrow")).toBe(202);
    expect(await eventually(secure, 200)).toEqual({ status: 200, seen: 1 });
  });

  // Delivery may be out of order: a "compliant" issued before the "not compliant" it arrives after ends nothing.
  it("a compliant issued before the hold, delivered after it, ends nothing", async () => {
    const who = "late-compliant@example.com";
    const secure = await compliantPerson(who);
    const now = Math.floor(Date.now() / 1000);
    const early = eventSet(DCC, status("compliant", "not-compliant"), user(who), { iat: now - 300 });
    const late = eventSet(DCC, status("not-compliant", "compliant"), user(who), { iat: now });
    expect(await send(late, "idp")).toBe(202);
    expect(await eventually(secure, 403)).toEqual({ status: 403, seen: 0 });
    expect(await send(early, "idp")).toBe(202);
    expect(await afterRefresh(secure)).toEqual({ status: 403, seen: 0 });
  });

  // And a "not compliant" issued before a "compliant" of the same transmitter, delivered after it, holds nothing;
  // another transmitter's "compliant" does not speak for this one.
  it("a not-compliant issued before a compliant, delivered after it, holds nothing", async () => {
    const who = "late-not-compliant@example.com";
    const secure = await compliantPerson(who);
    const now = Math.floor(Date.now() / 1000);
    const compliant = eventSet(DCC, status("compliant", "not-compliant"), user(who), { iat: now - 60 });
    const earlier = eventSet(DCC, status("not-compliant", "compliant"), user(who), { iat: now - 300 });
    expect(await send(compliant, "idp")).toBe(202);
    expect(await send(earlier, "idp")).toBe(202);
    expect(await afterRefresh(secure)).toEqual({ status: 200, seen: 1 });
    const fromNarrow = eventSet(DCC, status("not-compliant", "compliant"), user(who), {
      iat: now - 300,
      iss: NARROW_ISSUER,
    });
    expect(await send(fromNarrow, "narrow")).toBe(202);
    expect(await eventually(secure, 403)).toEqual({ status: 403, seen: 0 });
  });
});
