// Subjects a transmitter may well send that refused the whole SET, and with it a revocation (a 400 is never sent
// again, RFC 8935): an e-mail at an internationalised domain written in Unicode (`ann@bücher.example`).
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { EVENT_URIS } from "../../../policy/index.ts";
import { DENYLIST_NAME } from "../../../worker/denylist/store.ts";
import { activate, marker, originSaw } from "../support/harness.ts";
import { eventSet, push, signSet } from "../support/transmitter.ts";
import { ssfPolicy } from "./policy.ts";

const transmitter = inject("transmitterPrivateJwk");
const REVOKED = EVENT_URIS["session-revoked"];
const open = async (who: string) =>
  (await env.DENYLIST.getByName(DENYLIST_NAME).list(false, Date.now()))
    .filter((e) => e.value === who)
    .map((e) => e.signal?.event);

beforeAll(async () => {
  const { d: _p, ...pub } = transmitter;
  await activate(ssfPolicy({ ...pub, use: "sig" }));
});

async function revoke(subject: Record<string, unknown>): Promise<number> {
  const m = marker();
  const res = await push(await signSet(eventSet(REVOKED, {}, subject), transmitter), { marker: m });
  expect(await originSaw(m)).toEqual([]);
  return res.status;
}

describe("e-mail subjects at internationalised domains", () => {
  it("a domain in Unicode is read in its ASCII form, as Access tokens carry it: the person is refused", async () => {
    expect(await revoke({ format: "email", email: "ann@bücher.example" })).toBe(202);
    expect(await open("ann@xn--bcher-kva.example")).toEqual(["session-revoked"]);
  });

  it("in any case, and the ASCII form itself alike", async () => {
    expect(await revoke({ format: "email", email: "Bob@BÜCHER.example" })).toBe(202);
    expect(await open("bob@xn--bcher-kva.example")).toEqual(["session-revoked"]);
    expect(await revoke({ format: "email", email: "cy@XN--BCHER-KVA.example" })).toBe(202);
    expect(await open("cy@xn--bcher-kva.example")).toEqual(["session-revoked"]);
  });

  it("a domain no IDNA form exists for, or a local part beyond ASCII, is still no address (400)", async () => {
    expect(await revoke({ format: "email", email: "dee@b\u00fccher..example" })).toBe(400);
    expect(await revoke({ format: "email", email: "d\u00e9e@example.com" })).toBe(400);
  });
});
