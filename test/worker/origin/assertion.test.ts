// Ward's identity assertion, verified the way an origin would: with nothing but the JWKS Ward publishes.
import { env, exports } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import app from "../../../worker/index.ts";
import { createLocalJWKSet, jwtVerify } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import {
  ASSERTION_REUSE_SECONDS,
  assertionFor,
  assertionKeys,
  reuseCacheSize,
  type AssertionFacts,
} from "../../../worker/origin/assertion.ts";
import { KEY_SET_PATH as JWKS_PATH } from "../../../policy/index.ts";
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from "jose";
import { activate, marker, originSaw } from "../support/harness.ts";
import { CERTS, tlsClientAuth } from "../support/client-certs.ts";

let version = "";

beforeAll(async () => {
  version = await activate(demoPolicy);
});

describe("identity assertion", () => {
  it("publishes every key's public part, and no private part", async () => {
    const res = await exports.default.fetch(`https://orders.localhost${JWKS_PATH}`);
    expect(res.status).toBe(200);
    const jwks = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(["assert-1", "assert-0"]);
    for (const key of jwks.keys) expect(key.d).toBeUndefined();
  });

  it("tells the origin who called, for this service only, bound to the client certificate", async () => {
    const m = `m-${crypto.randomUUID()}`;
    const auth = await tlsClientAuth(CERTS.checkout);
    const res = await exports.default.fetch(`https://orders.localhost/v1/orders/7?${m}`, {
      cf: { tlsClientAuth: auth },
      headers: { "Ward-Assertion": "forged-by-client" },
    });
    expect(res.status).toBe(200);
    const [seen] = await originSaw(m);
    const token = seen!.headers["ward-assertion"] as string;
    expect(token).not.toBe("forged-by-client");

    const jwks = (await (await exports.default.fetch(`https://orders.localhost${JWKS_PATH}`)).json()) as { keys: [] };
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: "ward",
      audience: "orders",
      algorithms: ["ES256"],
    });
    expect(protectedHeader.kid).toBe("assert-1");
    expect(payload.sub).toBe("workload:spiffe://demo.ward.internal/ns/shop/sa/checkout");
    expect(payload.workload).toBe("spiffe://demo.ward.internal/ns/shop/sa/checkout");
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.jti).not.toBe(res.headers.get("ward-request-id"));
    expect(payload.ward_route).toBe("orders/read");
    expect(payload.ward_rule).toBe("orders/read/shop-reads");
    // Bound to the request it was issued for: an origin compares these with the request it received.
    expect(payload.htm).toBe("GET");
    expect(payload.htu).toBe("https://orders.localhost/v1/orders/7");
    expect(payload.ward_would_deny).toBeUndefined();
    expect(payload.ward_policy).toBe(version);
    expect(payload.exp! - payload.iat!).toBe(60);
    const fingerprint = (auth.certFingerprintSHA256 as string).match(/../g)!.map((h) => parseInt(h, 16));
    const x5t = btoa(String.fromCharCode(...fingerprint))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
    expect(payload.cnf).toEqual({ "x5t#S256": x5t });
    // Only the claims this caller has, in one order: none written empty for what it lacks (a person, a grant, ...).
    expect(Object.keys(payload)).toEqual([
      ...["iss", "aud", "sub", "htm", "htu", "ward_route", "ward_rule", "ward_policy", "ward_mode", "workload"],
      ...["ward_credentials", "cnf", "jti", "iat", "exp"],
    ]);
    expect(payload.ward_credentials).toEqual([{ kind: "client-certificate" }]);

    // Replayed to another service, the audience no longer matches.
    await expect(jwtVerify(token, createLocalJWKSet(jwks), { issuer: "ward", audience: "payments" })).rejects.toThrow();
  });

  it.each([
    ["no secret", undefined],
    ["not JSON", "nope"],
    ["an empty set", '{"keys":[]}'],
    ["a public key only", '{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b","kid":"k"}]}'],
    ["two keys under one kid", "same-kid"],
    ["a P-384 key published beside", "p384"],
  ])("refuses to sign with %s (the gateway then answers 503)", async (_name, given) => {
    let secret = given;
    if (given === "same-kid" || given === "p384") {
      const signer = JSON.parse(env.ASSERTION_SIGNING_KEYS!).keys[0];
      const other =
        given === "same-kid"
          ? {
              ...(await exportJWK((await generateKeyPair("ES256", { extractable: true })).privateKey)),
              kid: signer.kid,
            }
          : { ...(await exportJWK((await generateKeyPair("ES384", { extractable: true })).privateKey)), kid: "p384" };
      secret = JSON.stringify({ keys: [signer, other] });
    }
    await expect(assertionKeys(secret)).rejects.toThrow();
  });

  it.each([
    ["missing", undefined],
    ["unparseable", "{not json"],
  ])("answers 503 and forwards nothing when the signing key secret is %s", async (_name, secret) => {
    const m = marker();
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request(`https://payments.localhost/healthz?${m}`),
      { ...env, ASSERTION_SIGNING_KEYS: secret },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect(await originSaw(m)).toEqual([]);
    // The same public route is forwarded when the key is usable, so the 503 came from the key.
    const ok = marker();
    expect((await exports.default.fetch(`https://payments.localhost/healthz?${ok}`)).status).toBe(200);
    expect(await originSaw(ok)).toHaveLength(1);
  });
});

describe("one assertion for many requests", () => {
  it("gives the same caller's requests for the same resource one token, and another resource or service its own", async () => {
    const auth = await tlsClientAuth(CERTS.checkout);
    const tokens: string[] = [];
    const requestIds: string[] = [];
    for (const url of [
      "https://orders.localhost/v1/orders/7",
      "https://orders.localhost/v1/orders/7",
      "https://payments.localhost/healthz",
      "https://orders.localhost/v1/orders/8",
    ]) {
      const m = marker();
      const res = await exports.default.fetch(`${url}?${m}`, { cf: { tlsClientAuth: auth } });
      expect(res.status).toBe(200);
      const [seen] = await originSaw(m);
      tokens.push(seen!.headers["ward-assertion"] as string);
      requestIds.push(seen!.headers["ward-request-id"] as string);
    }
    // Two reads of one resource share the token (or, across a second boundary at worst, differ only in time).
    const [first, second, other, eight] = tokens.map((t) => decodeJwt(t!));
    expect(second!.htu).toBe(first!.htu);
    if (tokens[0] !== tokens[1]) expect(second!.iat! - first!.iat!).toBeGreaterThan(0);
    // The request ids stay per request.
    expect(new Set(requestIds).size).toBe(4);
    expect(other!.ward_route).not.toBe(first!.ward_route);
    expect(tokens[2]).not.toBe(tokens[0]);
    // Another order of the same route: its own token, so neither can be replayed for the other.
    expect(eight!.ward_route).toBe(first!.ward_route);
    expect(eight!.htu).toBe("https://orders.localhost/v1/orders/8");
    expect(tokens[3]).not.toBe(tokens[0]);
  });

  const facts = (now: number, over: Partial<AssertionFacts["decision"]> = {}): AssertionFacts => ({
    identity: { workload: { id: "spiffe://demo.ward.internal/ns/shop/sa/checkout" } },
    decision: {
      effect: "allow",
      status: 200,
      mode: "enforce",
      principal: "workload:spiffe://demo.ward.internal/ns/shop/sa/checkout",
      service: "orders",
      route: "orders/read",
      rule: "orders/read/shop-reads",
      policyVersion: "v1",
      reasons: ["allowed-by-rule"],
      target: { method: "GET", host: "orders.localhost", path: "/v1/orders/7", segments: ["v1", "orders", "7"] },
      obligations: { rateLimits: [], headers: {} },
      ...over,
    } as AssertionFacts["decision"],
    issuer: "ward",
    certificateSha256: "ab".repeat(32),
    now,
  });

  // From a review: such a key kept `key_ops: ["sign"]` in the published set, and jose found no key to verify with.
  it("publishes keys an origin verifies with, for a private key as WebCrypto exports it (key_ops, ext)", async () => {
    const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ])) as CryptoKeyPair;
    const jwk = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
    expect(jwk.key_ops).toEqual(["sign"]);
    const keys = await assertionKeys(JSON.stringify({ keys: [{ ...jwk, kid: "webcrypto-1" }] }));
    const token = await assertionFor(keys, facts(Date.now()));
    // What /.well-known/ward/jwks.json serves, verified as docs/origin-assertion.md tells origins to.
    const published = JSON.parse(JSON.stringify(keys.published)) as { keys: Record<string, unknown>[] };
    expect(Object.keys(published.keys[0]!).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x", "y"]);
    const verified = await jwtVerify(token, createLocalJWKSet(published as never), {
      issuer: "ward",
      audience: "orders",
      algorithms: ["ES256"],
    });
    expect(verified.payload.sub).toBe("workload:spiffe://demo.ward.internal/ns/shop/sa/checkout");
  });

  it(`reuses a token for ${ASSERTION_REUSE_SECONDS} s of its 60, then signs a new one`, async () => {
    const keys = await assertionKeys(env.ASSERTION_SIGNING_KEYS);
    const t0 = Date.UTC(2026, 11, 1, 10, 0, 0);
    const first = await assertionFor(keys, facts(t0));
    expect(await assertionFor(keys, facts(t0 + (ASSERTION_REUSE_SECONDS - 1) * 1000 + 999))).toBe(first);
    const later = await assertionFor(keys, facts(t0 + ASSERTION_REUSE_SECONDS * 1000));
    expect(later).not.toBe(first);
    expect(decodeJwt(later).iat).toBe(decodeJwt(first).iat! + ASSERTION_REUSE_SECONDS);
    expect(decodeJwt(later).jti).not.toBe(decodeJwt(first).jti);
    // An origin always gets at least 30 s of life.
    expect(decodeJwt(first).exp! - (decodeJwt(first).iat! + ASSERTION_REUSE_SECONDS - 1)).toBeGreaterThanOrEqual(30);
  });

  it("never reuses a token across any difference in its claims", async () => {
    const keys = await assertionKeys(env.ASSERTION_SIGNING_KEYS);
    const t0 = Date.UTC(2026, 11, 1, 11, 0, 0);
    const base = await assertionFor(keys, facts(t0));
    const variants: Partial<AssertionFacts["decision"]>[] = [
      { rule: "orders/read/other" },
      { route: "orders/write" },
      { policyVersion: "v2" },
      { mode: "audit" },
      { service: "payments" },
      { principal: "workload:spiffe://demo.ward.internal/ns/shop/sa/cart" },
      { rule: undefined, exception: { kind: "exception", id: "ex-1" } } as Partial<AssertionFacts["decision"]>,
      // The request it is for: another method, host or path is another token.
      { target: { method: "HEAD", host: "orders.localhost", path: "/v1/orders/7", segments: ["v1", "orders", "7"] } },
      { target: { method: "GET", host: "orders2.localhost", path: "/v1/orders/7", segments: ["v1", "orders", "7"] } },
      { target: { method: "GET", host: "orders.localhost", path: "/v1/orders/8", segments: ["v1", "orders", "8"] } },
      { wouldDeny: { status: 403, reasons: ["denied-by-rule"], rule: "orders/read/no-cart" } },
    ];
    for (const over of variants) expect(await assertionFor(keys, facts(t0, over))).not.toBe(base);
    expect(await assertionFor(keys, { ...facts(t0), certificateSha256: "cd".repeat(32) })).not.toBe(base);
    expect(await assertionFor(keys, { ...facts(t0), issuer: "ward-staging" })).not.toBe(base);
    expect(await assertionFor(keys, { ...facts(t0), identity: { workload: { id: "spiffe://x/y" } } })).not.toBe(base);
    expect(await assertionFor(keys, facts(t0))).toBe(base);
  });

  // Found by mutation testing: only clocks going forward were tried. A token signed at a later instant (a clock
  // stepped back) would reach the origin with an `iat` in its future, and live past the 60 s from now.
  it("never reuses a token signed later than now: it signs anew", async () => {
    const keys = await assertionKeys(env.ASSERTION_SIGNING_KEYS);
    const t0 = Date.UTC(2026, 11, 1, 14, 0, 0);
    const later = await assertionFor(keys, facts(t0 + 10_000, { route: "orders/clock" }));
    const now = await assertionFor(keys, facts(t0, { route: "orders/clock" }));
    expect(now).not.toBe(later);
    expect(decodeJwt(now).iat).toBe(t0 / 1000);
  });

  // Found by mutation testing: `scope` is written "when it carried any" (docs/origin-assertion.md), and
  // `ward_credentials` lists those present: with none, neither claim is there at all (not "" nor []).
  it("writes scope and ward_credentials only when there are some", async () => {
    const keys = await assertionKeys(env.ASSERTION_SIGNING_KEYS);
    const base = facts(Date.UTC(2026, 11, 1, 15, 0, 0));
    const claims = async (scopes: string[], credentials: AssertionFacts["credentials"]) =>
      decodeJwt(await assertionFor(keys, { ...base, identity: { ...base.identity, scopes }, credentials }));
    const none = await claims([], []);
    expect(none).not.toHaveProperty("scope");
    expect(none).not.toHaveProperty("ward_credentials");
    const some = await claims(["orders.read"], [{ kind: "client-certificate", lifetimeSeconds: 3600 }]);
    expect(some.scope).toBe("orders.read");
    expect(some.ward_credentials).toEqual([{ kind: "client-certificate" }]);
  });

  it("keeps at most ~8 million characters of reusable tokens: long URLs cannot fill the isolate", async () => {
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const keys = await assertionKeys(JSON.stringify({ keys: [{ ...(await exportJWK(privateKey)), kid: "bound" }] }));
    const t0 = Date.UTC(2026, 11, 1, 13, 0, 0);
    const long = (i: number) => {
      const path = `/v1/${"x".repeat(4_000)}/${i}`;
      return facts(t0, { target: { method: "GET", host: "orders.localhost", path, segments: ["v1", "x", `${i}`] } });
    };
    const first = await assertionFor(keys, long(0));
    for (let i = 1; i < 1_000; i++) await assertionFor(keys, long(i));
    const held = reuseCacheSize(keys);
    expect(held.characters).toBeLessThanOrEqual(8_000_000);
    expect(held.entries).toBeGreaterThan(500);
    expect(held.entries).toBeLessThan(1_000);
    // The oldest went first; the newest is still reused.
    expect(await assertionFor(keys, long(0))).not.toBe(first);
    const newest = await assertionFor(keys, long(999));
    expect(await assertionFor(keys, long(999))).toBe(newest);
  });

  it("signs with a rotated key at once instead of reusing the old key's tokens", async () => {
    const t0 = Date.UTC(2026, 11, 1, 12, 0, 0);
    const before = await assertionFor(await assertionKeys(env.ASSERTION_SIGNING_KEYS), facts(t0));
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const rotated = JSON.stringify({ keys: [{ ...(await exportJWK(privateKey)), kid: "assert-2" }] });
    const after = await assertionFor(await assertionKeys(rotated), facts(t0));
    expect(decodeProtectedHeader(before).kid).toBe("assert-1");
    expect(decodeProtectedHeader(after).kid).toBe("assert-2");
    // Back to the original secret: that key set is imported anew, so nothing kept from before is reused.
    expect(await assertionFor(await assertionKeys(env.ASSERTION_SIGNING_KEYS), facts(t0))).not.toBe(before);
  });
});
