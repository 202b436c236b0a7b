// From a review: an origin whose 101 names a WebSocket extension the client did not offer (Ward offers the origin
// none) fails the runtime's handshake, and the runtime's own 502 went to the client as if the origin had answered
// it: `Cache-Control: private` where every answer Ward makes on its own is `no-store`, the runtime's message in it.
import { exports } from "cloudflare:workers";
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";
import { captureLog, upgrade, WS_POLICY } from "./support.ts";

const signing = inject("accessPrivateJwk");
let log: ReturnType<typeof captureLog>;

beforeAll(async () => {
  await activate(WS_POLICY);
});

beforeEach(() => {
  log = captureLog();
});

afterEach(() => log.stop());

describe("an origin's 101 with a WebSocket extension the client did not offer", () => {
  it("is refused with Ward's own 502, no-store, and logged as an origin error", async () => {
    const m = marker();
    const field = encodeURIComponent("Sec-WebSocket-Extensions: permessage-deflate");
    const { res, client } = await upgrade(`https://wiki.localhost/live?field=${field}&${m}`, {
      "cf-access-jwt-assertion": await accessToken(signing, { email: "ann@example.com", identity_nonce: "n-ext" }),
    });
    const body = await res.text();
    expect({ status: res.status, cacheControl: res.headers.get("cache-control"), client }).toEqual({
      status: 502,
      cacheControl: "no-store",
      client: undefined,
    });
    expect(body).not.toContain("Sec-WebSocket-Extensions");
    const id = res.headers.get("ward-request-id");
    expect(log.lines.find((l) => l.event === "decision" && l.requestId === id)).toMatchObject({
      outcome: "origin-error",
    });
    expect(await originSaw(m)).toHaveLength(1);
  });

  it("logs what the runtime said of the handshake, which the client is not sent", async () => {
    const m = marker();
    const field = encodeURIComponent("Sec-WebSocket-Extensions: permessage-deflate");
    const { res } = await upgrade(`https://wiki.localhost/live?field=${field}&${m}`, {
      "cf-access-jwt-assertion": await accessToken(signing, { email: "ann@example.com", identity_nonce: "n-ext" }),
    });
    expect(await res.text()).not.toMatch(/handshake/i);
    const id = res.headers.get("ward-request-id");
    const line = log.lines.find((l) => l.event === "websocket-handshake-failed" && l.requestId === id);
    expect(line).toMatchObject({ level: "warn", status: 502 });
    // The runtime's own words (an operator's diagnosis): the extension the origin added unasked.
    expect(line?.body).toMatch(/Sec-WebSocket-Extensions/);
  });
});

describe("an upgrade its origin answers without a socket", () => {
  const annUpgrades = async (query: string) => {
    const m = marker();
    const { res, client } = await upgrade(`https://wiki.localhost/live?${query}&${m}`, {
      "cf-access-jwt-assertion": await accessToken(signing, { email: "ann@example.com", identity_nonce: "n-refuse" }),
    });
    return { res, client, body: await res.text(), seen: (await originSaw(m)).length };
  };

  it("is Ward's own 502 when the origin answers 502, what it said logged and not sent", async () => {
    const { res, client, body, seen } = await annUpgrades("refuse=502");
    expect({ status: res.status, cacheControl: res.headers.get("cache-control"), client, seen }).toEqual({
      status: 502,
      cacheControl: "no-store",
      client: undefined,
      seen: 1,
    });
    expect(body).not.toContain("origin refused it");
    const id = res.headers.get("ward-request-id");
    const line = log.lines.find((l) => l.event === "websocket-handshake-failed" && l.requestId === id);
    expect(line).toMatchObject({ status: 502, body: "origin refused it" });
  });

  it("is the origin's own answer when it is not a 502, as any answer is", async () => {
    const { res, client, body, seen } = await annUpgrades("refuse=403");
    expect({ status: res.status, cacheControl: res.headers.get("cache-control"), client, body, seen }).toEqual({
      status: 403,
      cacheControl: "private",
      client: undefined,
      body: "origin refused it",
      seen: 1,
    });
    expect(log.lines.filter((l) => l.event === "websocket-handshake-failed")).toEqual([]);
  });
});

describe("a request that is no upgrade, answered 502 by its origin", () => {
  it("is the origin's own answer: only an upgrade's 502 is Ward's", async () => {
    const m = marker();
    const fields = btoa(JSON.stringify([["x-origin-said", "bad gateway"]])).replaceAll("=", "");
    const res = await exports.default.fetch(`https://wiki.localhost/__answer?fields=${fields}&status=502&${m}`, {
      headers: {
        "cf-access-jwt-assertion": await accessToken(signing, { email: "ann@example.com", identity_nonce: "n-502" }),
      },
    });
    await res.text();
    expect({ status: res.status, said: res.headers.get("x-origin-said"), seen: (await originSaw(m)).length }).toEqual({
      status: 502,
      said: "bad gateway",
      seen: 1,
    });
    expect(log.lines.filter((l) => l.event === "websocket-handshake-failed")).toEqual([]);
  });
});
