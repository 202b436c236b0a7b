// Delivery may be out of order (a push retried after Ward answered 503; RFC 8935 and 8936 allow it): an
// account-enabled issued before an account-disabled, and delivered after it, must not lift it, and an
// account-disabled issued before an account-enabled, delivered after it, must not refuse. The transmitter's last
// word (by iat) decides.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { EVENT_URIS } from "../../../policy/index.ts";
import { DENYLIST_NAME } from "../../../worker/denylist/store.ts";
import { activate } from "../support/harness.ts";
import { afterRefresh, asPerson, eventually } from "../support/person-requests.ts";
import { eventSet, push, signSet } from "../support/transmitter.ts";
import { ssfPolicy } from "./policy.ts";

const transmitter = inject("transmitterPrivateJwk");
const send = async (payload: Record<string, unknown>) =>
  push(await signSet(payload, transmitter), { transmitter: "idp" });
const email = (address: string) => ({ format: "email", email: address });

beforeAll(async () => {
  const { d: _private, ...publicKey } = transmitter;
  await activate(ssfPolicy({ ...publicKey, use: "sig" }));
});

describe("account-enabled delivered late", () => {
  it("does not lift an account-disabled the transmitter issued after it", async () => {
    const who = "late-enable@example.com";
    const now = Math.floor(Date.now() / 1000);
    expect(await asPerson(who)).toEqual({ status: 200, seen: 1 });
    // 10:00 the IdP re-enables the account (this SET is held up: a 503, a retry queue); 10:05 it disables it.
    const enabled = eventSet(EVENT_URIS["account-enabled"], { event_timestamp: now - 300 }, email(who), {
      iat: now - 300,
    });
    const disabled = eventSet(EVENT_URIS["account-disabled"], { event_timestamp: now }, email(who), { iat: now });
    expect((await send(disabled)).status).toBe(202);
    expect(await eventually(() => asPerson(who), 403)).toEqual({ status: 403, seen: 0 });
    // The older enable arrives last.
    expect((await send(enabled)).status).toBe(202);
    // The account's last state at the IdP is disabled: the person must still be refused.
    const open = (await env.DENYLIST.getByName(DENYLIST_NAME).list(false, Date.now())).filter((e) => e.value === who);
    expect(open.map((e) => e.signal?.event)).toEqual(["account-disabled"]);
    expect(await afterRefresh(() => asPerson(who))).toEqual({ status: 403, seen: 0 });
  });

  it("lifts an account-disabled issued before it", async () => {
    const who = "enabled-later@example.com";
    const now = Math.floor(Date.now() / 1000);
    const disabled = eventSet(EVENT_URIS["account-disabled"], {}, email(who), { iat: now - 300 });
    const enabled = eventSet(EVENT_URIS["account-enabled"], {}, email(who), { iat: now });
    expect((await send(disabled)).status).toBe(202);
    expect(await eventually(() => asPerson(who), 403)).toEqual({ status: 403, seen: 0 });
    expect((await send(enabled)).status).toBe(202);
    const open = (await env.DENYLIST.getByName(DENYLIST_NAME).list(false, Date.now())).filter((e) => e.value === who);
    expect(open).toEqual([]);
    expect(await eventually(() => asPerson(who), 200)).toEqual({ status: 200, seen: 1 });
  });

  // The other way round: the enable was the transmitter's last word, and the older disable is not applied.
  it("an account-disabled issued before an enable, delivered after it, refuses nobody", async () => {
    const who = "late-disable@example.com";
    const now = Math.floor(Date.now() / 1000);
    const disabled = eventSet(EVENT_URIS["account-disabled"], {}, email(who), { iat: now - 300 });
    const enabled = eventSet(EVENT_URIS["account-enabled"], {}, email(who), { iat: now - 60 });
    expect((await send(enabled)).status).toBe(202);
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((l: string) => void lines.push(l));
    try {
      expect((await send(disabled)).status).toBe(202);
    } finally {
      spy.mockRestore();
    }
    // Taken, not applied, and the log says so (ward ssf delivered, and ward metrics' time to refusal, read it).
    expect(lines.map((l) => JSON.parse(l)).find((l) => l.event === "ssf-event")).toMatchObject({
      outcome: "superseded",
      superseded: 1,
      changes: 0,
    });
    const open = () => env.DENYLIST.getByName(DENYLIST_NAME).list(false, Date.now());
    expect((await open()).filter((e) => e.value === who)).toEqual([]);
    expect(await afterRefresh(() => asPerson(who))).toEqual({ status: 200, seen: 1 });
    // A disable issued after that enable still refuses, and so does one of the same second (iat is whole
    // seconds: within one, the order of arrival decides, failing closed).
    const again = eventSet(EVENT_URIS["account-disabled"], {}, email(who), { iat: now - 60 });
    expect((await send(again)).status).toBe(202);
    expect(await eventually(() => asPerson(who), 403)).toEqual({ status: 403, seen: 0 });
  });

  it("an enable dated ahead of Ward's clock does not outrank a disable sent after it", async () => {
    const who = "fast-clock@example.com";
    const now = Math.floor(Date.now() / 1000);
    // The node that sent the enable runs 50 s fast; the disable, sent after it, comes from a correct clock.
    const enabled = eventSet(EVENT_URIS["account-enabled"], {}, email(who), { iat: now + 50 });
    const disabled = eventSet(EVENT_URIS["account-disabled"], {}, email(who), { iat: now + 1 });
    expect((await send(enabled)).status).toBe(202);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await send(disabled)).status).toBe(202);
    expect(await eventually(() => asPerson(who), 403)).toEqual({ status: 403, seen: 0 });
  });
});
