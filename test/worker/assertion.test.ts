// Ward's identity assertion, verified the way an origin would: with nothing but the JWKS Ward publishes.
import { env, exports } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import app from "../../worker/index.ts";
import { createLocalJWKSet, jwtVerify } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import demoPolicy from "../../policy/examples/demo.yaml?raw";
import { assertionKeys, JWKS_PATH } from "../../worker/assertion.ts";
import { activate, marker, originSaw } from "./harness.ts";
import { CERTS, tlsClientAuth } from "./client-certs.ts";

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
    expect(payload.jti).toBe(res.headers.get("ward-request-id"));
    expect(payload.ward_route).toBe("orders/read");
    expect(payload.ward_rule).toBe("orders/read/shop-reads");
    expect(payload.ward_policy).toBe(version);
    expect(payload.exp! - payload.iat!).toBe(60);
    const fingerprint = (auth.certFingerprintSHA256 as string).match(/../g)!.map((h) => parseInt(h, 16));
    const x5t = btoa(String.fromCharCode(...fingerprint)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    expect(payload.cnf).toEqual({ "x5t#S256": x5t });

    // Replayed to another service, the audience no longer matches.
    await expect(jwtVerify(token, createLocalJWKSet(jwks), { issuer: "ward", audience: "payments" })).rejects.toThrow();
  });

  it.each([
    ["no secret", undefined],
    ["not JSON", "nope"],
    ["an empty set", '{"keys":[]}'],
    ["a public key only", '{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b","kid":"k"}]}'],
  ])("refuses to sign with %s (the gateway then answers 503)", async (_name, secret) => {
    await expect(assertionKeys(secret)).rejects.toThrow();
  });

  it.each([
    ["missing", undefined],
    ["unparseable", "{not json"],
  ])("answers 503 and forwards nothing when the signing key secret is %s", async (_name, secret) => {
    const m = marker();
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`https://payments.localhost/healthz?${m}`), { ...env, ASSERTION_SIGNING_KEYS: secret }, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect(await originSaw(m)).toEqual([]);
    // The same public route is forwarded when the key is usable, so the 503 came from the key.
    const ok = marker();
    expect((await exports.default.fetch(`https://payments.localhost/healthz?${ok}`)).status).toBe(200);
    expect(await originSaw(ok)).toHaveLength(1);
  });
});
