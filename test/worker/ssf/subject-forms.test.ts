// Subjects a transmitter may well send that refused the whole SET, and with it a revocation (a 400 is never sent
// again, RFC 8935): an e-mail at an internationalised domain written in Unicode (`ann@bücher.example`), and an
// `aliases` subject with one identifier Ward cannot read beside good ones, a complex subject whose device member
// it cannot read beside a good user. Each names a person Ward can act on.
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

  it("a spelling IDNA maps onto another address (full-width, ignored marks) is no address", async () => {
    // From a review: UTS #46 maps compatibility forms and drops default-ignorable code points, so a transmitter's
    // user whose e-mail is `fay@ｅｘａｍｐｌｅ.com` (another string to its directory) would have refused fay@example.com.
    for (const email of [
      "fay@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com",
      "fay@exa\u034fmple.com",
      "fay@exam\ufe0fple.com",
      "fay@\u2168.example",
      "fay@b\u00fc\ufe0fcher.example",
    ])
      expect([email, await revoke({ format: "email", email })]).toEqual([email, 400]);
    for (const who of ["fay@example.com", "fay@ix.example", "fay@xn--bcher-kva.example"])
      expect(await open(who)).toEqual([]);
  });

  it("a domain that is ASCII but for its dots, or not NFC as written, is no address either", async () => {
    // From a review: the round trip compared labels only, each NFC-normalised first. `gus@example。com` (an
    // ideographic full stop) became gus@example.com, the Kelvin sign's `gus@\u212Aexample.com` gus@kexample.com,
    // and a decomposed `bu\u0308cher` bücher: to the sender's directory each is another string than the victim's.
    for (const email of [
      "gus@example\u3002com",
      "gus@example\uff0ecom",
      "gus@example\uff61com",
      "gus@\u212Aexample.com",
      "gus@bu\u0308cher.example",
      "gus@\u2126.example",
    ])
      expect([email, await revoke({ format: "email", email })]).toEqual([email, 400]);
    for (const who of ["gus@example.com", "gus@kexample.com", "gus@xn--bcher-kva.example", "gus@xn--bya.example"])
      expect(await open(who)).toEqual([]);
  });

  it("a domain no IDNA form exists for, or a local part beyond ASCII, is still no address (400)", async () => {
    expect(await revoke({ format: "email", email: "dee@b\u00fccher..example" })).toBe(400);
    expect(await revoke({ format: "email", email: "d\u00e9e@example.com" })).toBe(400);
  });
});

describe("aliases with an identifier Ward cannot read", () => {
  it("acts on the good identifiers: the revocation is not lost for one bad alias", async () => {
    const subject = {
      format: "aliases",
      identifiers: [
        { format: "email", email: "not an address" },
        { format: "email", email: "eve@example.com" },
      ],
    };
    expect(await revoke(subject)).toBe(202);
    expect(await open("eve@example.com")).toEqual(["session-revoked"]);
  });

  it("refuses the SET when no identifier can be read", async () => {
    const subject = { format: "aliases", identifiers: [{ format: "email", email: "x" }, { format: "iss_sub" }] };
    expect(await revoke(subject)).toBe(400);
  });
});

describe("complex subjects with a member Ward cannot read", () => {
  it("acts on the user when another member (a device) cannot be read", async () => {
    const subject = {
      format: "complex",
      user: { format: "email", email: "fay@example.com" },
      device: { format: "opaque" },
    };
    expect(await revoke(subject)).toBe(202);
    expect(await open("fay@example.com")).toEqual(["session-revoked"]);
  });

  it("refuses the SET when the user cannot be read", async () => {
    const subject = { format: "complex", user: { format: "email", email: "x" }, device: { format: "opaque", id: "d" } };
    expect(await revoke(subject)).toBe(400);
  });
});
