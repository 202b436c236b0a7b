// A clear about one device, session or tenant of a person (a complex subject with members beside `user`) ends
// only what a SET about that same one put there. Ward refuses or holds the whole person for an event about one
// device (it cannot tell devices apart), so a "compliant" about a second device, or an account-enabled about a
// second tenant, must not end the hold or refusal the first one's event put on the person.
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

beforeAll(async () => {
  const { d: _private, ...publicKey } = transmitter;
  await activate(ssfPolicy({ ...publicKey, use: "sig" }));
});

const scoped = (who: string, member: string, id: string) => ({
  format: "complex",
  user: { format: "email", email: who },
  [member]: { format: "opaque", id },
});
const status = (current: string, previous: string) => ({ current_status: current, previous_status: previous });

async function send(set: Record<string, unknown>): Promise<number> {
  return (await push(await signSet(set, transmitter))).status;
}

describe("a clear scoped to one device or tenant", () => {
  it("a compliant about another device leaves the hold a not-compliant device put there", async () => {
    const who = "two-devices@example.com";
    await setPersonAnswer(who, { groups: [], devicePosture: postureOf({ "disk-encryption": true }) });
    const secure = () => asPerson(who, undefined, "/secure/doc");
    expect(await secure()).toEqual({ status: 200, seen: 1 });
    expect(await send(eventSet(DCC, status("not-compliant", "compliant"), scoped(who, "device", "laptop")))).toBe(202);
    expect(await eventually(secure, 403)).toEqual({ status: 403, seen: 0 });
    // The phone came back into compliance; the laptop did not.
    expect(await send(eventSet(DCC, status("compliant", "not-compliant"), scoped(who, "device", "phone")))).toBe(202);
    expect(await afterRefresh(secure)).toEqual({ status: 403, seen: 0 });
    // The laptop's own compliant ends it.
    expect(await send(eventSet(DCC, status("compliant", "not-compliant"), scoped(who, "device", "laptop")))).toBe(202);
    expect(await eventually(secure, 200)).toEqual({ status: 200, seen: 1 });
  });

  it("an account-enabled about another tenant leaves the refusal a disabled tenant put there", async () => {
    const who = "two-tenants@example.com";
    expect(await asPerson(who)).toEqual({ status: 200, seen: 1 });
    const disabled = eventSet(EVENT_URIS["account-disabled"], {}, scoped(who, "tenant", "a"));
    expect(await send(disabled)).toBe(202);
    expect(await eventually(() => asPerson(who), 403)).toEqual({ status: 403, seen: 0 });
    expect(await send(eventSet(EVENT_URIS["account-enabled"], {}, scoped(who, "tenant", "b")))).toBe(202);
    expect(await afterRefresh(() => asPerson(who))).toEqual({ status: 403, seen: 0 });
    expect(await send(eventSet(EVENT_URIS["account-enabled"], {}, scoped(who, "tenant", "a")))).toBe(202);
    expect(await eventually(() => asPerson(who), 200)).toEqual({ status: 200, seen: 1 });
  });

  it("two tenants disabled: each tenant's enable lifts its own disable, both lift the person", async () => {
    const who = "tenants-a-b@example.com";
    for (const tenant of ["a", "b"])
      expect(await send(eventSet(EVENT_URIS["account-disabled"], {}, scoped(who, "tenant", tenant)))).toBe(202);
    expect(await eventually(() => asPerson(who), 403)).toEqual({ status: 403, seen: 0 });
    expect(await send(eventSet(EVENT_URIS["account-enabled"], {}, scoped(who, "tenant", "a")))).toBe(202);
    expect(await afterRefresh(() => asPerson(who))).toEqual({ status: 403, seen: 0 });
    expect(await send(eventSet(EVENT_URIS["account-enabled"], {}, scoped(who, "tenant", "b")))).toBe(202);
    expect(await eventually(() => asPerson(who), 200)).toEqual({ status: 200, seen: 1 });
  });

  it("a compliant about another device, issued later and delivered first, does not answer an older hold", async () => {
    const who = "late-laptop@example.com";
    await setPersonAnswer(who, { groups: [], devicePosture: postureOf({ "disk-encryption": true }) });
    const secure = () => asPerson(who, undefined, "/secure/doc");
    const now = Math.floor(Date.now() / 1000);
    const phone = eventSet(DCC, status("compliant", "not-compliant"), scoped(who, "device", "phone"), { iat: now });
    const laptop = eventSet(DCC, status("not-compliant", "compliant"), scoped(who, "device", "laptop"), {
      iat: now - 60,
    });
    expect(await send(phone)).toBe(202);
    expect(await send(laptop)).toBe(202);
    expect(await eventually(secure, 403)).toEqual({ status: 403, seen: 0 });
  });

  it("a compliant about the whole person ends every device's hold", async () => {
    const who = "whole-person@example.com";
    await setPersonAnswer(who, { groups: [], devicePosture: postureOf({ "disk-encryption": true }) });
    const secure = () => asPerson(who, undefined, "/secure/doc");
    for (const device of ["laptop", "phone"])
      expect(await send(eventSet(DCC, status("not-compliant", "compliant"), scoped(who, "device", device)))).toBe(202);
    expect(await eventually(secure, 403)).toEqual({ status: 403, seen: 0 });
    const whole = { format: "complex", user: { format: "email", email: who } };
    expect(await send(eventSet(DCC, status("compliant", "not-compliant"), whole))).toBe(202);
    expect(await eventually(secure, 200)).toEqual({ status: 200, seen: 1 });
  });
});
