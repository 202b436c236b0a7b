// The cooldown after a failed key-set fetch (worker/ssf/keys.ts withFailureCooldown): jose's own starts only after
// a fetch that succeeds, so while a transmitter's key endpoint is down a SET is verified against the set in hand
// only, and one it cannot verify is answered 503 without a fetch for 30 s: whatever kid a forged SET names (one
// in the set whose key does not fit included) and however the fetch failed; a genuine SET the fresh set in hand
// verifies is taken.
import { exportJWK, generateKeyPair, type JWTVerifyGetKey } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { SsfTransmitter } from "../../../policy/index.ts";
import { KEYS_RETRY_LATER, resetTransmitterKeys, transmitterKeys } from "../../../worker/ssf/keys.ts";

afterEach(() => {
  vi.useRealTimers();
  resetTransmitterKeys();
});

const transmitter = (algorithms: string[]): SsfTransmitter =>
  ({
    issuer: "https://idp.rev-g.example/",
    jwksUri: "https://idp.rev-g.example/jwks.json",
    algorithms,
    events: ["session-revoked"],
  }) as unknown as SsfTransmitter;

/** The code a getKey call ends with, or "ok". */
async function codeOf(keys: JWTVerifyGetKey, header: Record<string, unknown>): Promise<string> {
  try {
    await keys(header as never, { payload: "", signature: "" } as never);
    return "ok";
  } catch (error) {
    return (error as { code?: string }).code ?? `uncoded ${String(error)}`;
  }
}

describe("the failure cooldown", () => {
  it("a key set with an encryption key (as Keycloak publishes): forged SETs naming its kid fetch nothing while the endpoint is down", async () => {
    const sig = { ...(await exportJWK((await generateKeyPair("RS256", { extractable: true })).publicKey)) };
    const enc = { ...(await exportJWK((await generateKeyPair("RSA-OAEP", { extractable: true })).publicKey)) };
    const published = {
      keys: [
        { ...sig, kid: "sig-1", alg: "RS256", use: "sig" },
        { ...enc, kid: "enc-1", alg: "RSA-OAEP", use: "enc" },
      ],
    };
    let down = false;
    let fetches = 0;
    resetTransmitterKeys(async () => {
      fetches++;
      return down ? new Response("unavailable", { status: 503 }) : Response.json(published);
    });
    let at = Date.now();
    vi.useFakeTimers({ now: at, toFake: ["Date"] });
    const keys = transmitterKeys(transmitter(["RS256"]));
    // The set is fetched (a genuine SET under sig-1).
    expect(await codeOf(keys, { alg: "RS256", kid: "sig-1" })).toBe("ok");
    // 40 s later the endpoint goes down; a SET with a made-up kid finds it down: the failure cooldown starts.
    down = true;
    vi.setSystemTime((at += 40_000));
    expect(await codeOf(keys, { alg: "RS256", kid: "made-up" })).toBe("ERR_JOSE_GENERIC");
    expect(await codeOf(keys, { alg: "RS256", kid: "made-up-2" })).toBe(KEYS_RETRY_LATER);
    const before = fetches;
    // Within the cooldown: forged SETs naming the encryption key's kid (in the set in hand, so "known").
    for (let i = 0; i < 10; i++) {
      vi.setSystemTime((at += 1_000));
      await codeOf(keys, { alg: "RS256", kid: "enc-1" });
    }
    // No fetch within 30 s of the last failure.
    expect(fetches - before).toBe(0);
  });

  it("while a fetch is in flight, forged SETs naming a kid whose key does not fit start none of their own", async () => {
    // Review finding: a kid in the set in hand counted as "no fetch", but jose fetches again for a key that does
    // not fit the header (an encryption key, another algorithm) as it does for an unknown kid.
    const sig = { ...(await exportJWK((await generateKeyPair("RS256", { extractable: true })).publicKey)) };
    const enc = { ...(await exportJWK((await generateKeyPair("RSA-OAEP", { extractable: true })).publicKey)) };
    const published = {
      keys: [
        { ...sig, kid: "sig-1", alg: "RS256", use: "sig" },
        { ...enc, kid: "enc-1", alg: "RSA-OAEP", use: "enc" },
      ],
    };
    let hang = false;
    let fetches = 0;
    resetTransmitterKeys(async () => {
      fetches++;
      return hang ? new Promise<Response>(() => {}) : Response.json(published);
    });
    let at = Date.now();
    vi.useFakeTimers({ now: at, toFake: ["Date"] });
    const keys = transmitterKeys(transmitter(["RS256"]));
    expect(await codeOf(keys, { alg: "RS256", kid: "sig-1" })).toBe("ok");
    // Past jose's cooldown, a forged SET with a made-up kid starts a fetch that does not end (a slow endpoint).
    hang = true;
    vi.setSystemTime((at += 40_000));
    void codeOf(keys, { alg: "RS256", kid: "made-up" });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fetches).toBe(2);
    // Within the in-flight window: forged SETs naming the encryption key's kid are answered without a fetch.
    for (let i = 0; i < 5; i++) {
      vi.setSystemTime((at += 500));
      expect(await codeOf(keys, { alg: "RS256", kid: "enc-1" })).toBe(KEYS_RETRY_LATER);
    }
    expect(fetches).toBe(2);
    // A genuine SET the set in hand verifies is still taken meanwhile.
    expect(await codeOf(keys, { alg: "RS256", kid: "sig-1" })).toBe("ok");
  });

  it("a fetch that rejects (a network error, not a JOSE error) starts the cooldown too", async () => {
    let fetches = 0;
    resetTransmitterKeys(async () => {
      fetches++;
      throw new TypeError("fetch failed: connection refused");
    });
    const keys = transmitterKeys(transmitter(["ES256"]));
    const codes: string[] = [];
    for (let i = 0; i < 10; i++) codes.push(await codeOf(keys, { alg: "ES256", kid: `made-up-${i}` }));
    // receive.ts takes an uncoded error as keys-unavailable (503), as it does a failed fetch.
    expect(codes[0]).toMatch(/^uncoded TypeError/);
    expect(fetches).toBe(1);
  });

  it("a genuine SET without kid, verifiable by the fresh set in hand, is taken within the cooldown", async () => {
    const { publicKey } = await generateKeyPair("ES256", { extractable: true });
    // A key set without kid (RFC 7517: kid is optional), SETs without kid (checkSetHeader does not need one).
    const published = { keys: [{ ...(await exportJWK(publicKey)), alg: "ES256", use: "sig" }] };
    let down = false;
    resetTransmitterKeys(async () => (down ? new Response("", { status: 502 }) : Response.json(published)));
    let at = Date.now();
    vi.useFakeTimers({ now: at, toFake: ["Date"] });
    const keys = transmitterKeys(transmitter(["ES256"]));
    expect(await codeOf(keys, { alg: "ES256" })).toBe("ok");
    // A blip 40 s later: one forged SET with a made-up kid meets it.
    down = true;
    vi.setSystemTime((at += 40_000));
    expect(await codeOf(keys, { alg: "ES256", kid: "forged" })).toBe("ERR_JOSE_GENERIC");
    down = false;
    // The set in hand is fresh (fetched 41 s ago, kept 10 minutes) and verifies this SET: it must be taken.
    vi.setSystemTime((at += 1_000));
    expect(await codeOf(keys, { alg: "ES256" })).toBe("ok");
  });
});
