// Pushed SETs the generated SSF differential found mishandled: an optional event_timestamp with a fraction (a
// NumericDate) refused the SET; one SET disabling and enabling a person refused them or not by the order its events
// were written in; a SET differing from a seen one only by a `__proto__` member hashed alike (a "duplicate").
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { EVENT_URIS } from "../../../policy/index.ts";
import { DENYLIST_NAME } from "../../../worker/denylist/store.ts";
import { activate } from "../support/harness.ts";
import { eventSet, push, signRaw, signSet } from "../support/transmitter.ts";
import { ssfPolicy } from "./policy.ts";

const transmitter = inject("transmitterPrivateJwk");
const open = async (who: string) =>
  (await env.DENYLIST.getByName(DENYLIST_NAME).list(false, Date.now()))
    .filter((e) => e.value === who)
    .map((e) => e.signal?.event);

beforeAll(async () => {
  const { d: _p, ...pub } = transmitter;
  await activate(ssfPolicy({ ...pub, use: "sig" }));
});

describe("pushed SETs: timestamps, event order, __proto__ members", () => {
  it("a session-revoked whose optional event_timestamp has a fraction (a NumericDate) is taken", async () => {
    const who = "fractional@example.com";
    const set = eventSet(
      EVENT_URIS["session-revoked"],
      { event_timestamp: 1615304991.5 },
      { format: "email", email: who },
    );
    const res = await push(await signSet(set, transmitter));
    expect(res.status).toBe(202);
    expect(await open(who)).toEqual(["session-revoked"]);
  });

  it("a SET that disables and enables a person refuses them, whichever event it wrote first", async () => {
    const D = EVENT_URIS["account-disabled"];
    const E = EVENT_URIS["account-enabled"];
    const a = "order-a@example.com";
    const b = "order-b@example.com";
    const setA = eventSet(D, {}, { format: "email", email: a });
    setA.events = { [D]: {}, [E]: {} };
    const setB = eventSet(D, {}, { format: "email", email: b });
    setB.events = { [E]: {}, [D]: {} };
    const ra = await push(await signSet(setA, transmitter));
    const rb = await push(await signSet(setB, transmitter));
    expect([ra.status, rb.status]).toEqual([202, 202]);
    expect(await open(a)).toEqual(["account-disabled"]);
    expect(await open(b)).toEqual(["account-disabled"]);
  });

  it("another SET under a seen jti that differs only by a __proto__ member is refused, not a duplicate", async () => {
    const set = eventSet(EVENT_URIS["session-revoked"], {}, { format: "email", email: "proto-dup@example.com" });
    expect((await push(await signSet(set, transmitter))).status).toBe(202);
    const other = JSON.stringify(set).replace(/}$/, ',"__proto__":{"iss":"https://evil.example/"}}');
    const res = await push(await signRaw(other, transmitter));
    expect(res.status).toBe(400);
  });
});
