// A verified token is cached, but never for longer than its issuer's key set is kept: once the issuer withdraws
// the key that signed it (a rotation after a leak), a token already seen stops counting as new ones do, within
// about two key-set ages, rather than for the rest of its life (24 h for an Access token by default). Found by
// an independent review.
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { compileAccess, compileTokenIssuer, IdentitySources, TokenIssuer } from "../../../policy/index.ts";
import { AccessVerifier } from "../../../worker/identity/access-jwt.ts";
import { peekToken } from "../../../worker/identity/bearer.ts";
import { WorkloadTokenVerifier } from "../../../worker/identity/workload-token.ts";
import { AUD, TEAM, accessToken } from "../support/access-tokens.ts";
import { workloadToken } from "../support/workload-tokens.ts";

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const MINUTE = 60_000;
const issuers = inject("workloadIssuers");
const signing = inject("accessPrivateJwk");
const published = inject("accessJwks");
const CLUSTER = "https://kubernetes.demo.ward.internal";
const ORDERS = "https://orders.localhost";

afterEach(() => {
  vi.useRealTimers();
});

async function otherRsaPublicKey(kid: string): Promise<JWK> {
  const pair = await generateKeyPair("RS256", { extractable: true });
  return { ...(await exportJWK(pair.publicKey)), kid, alg: "RS256", use: "sig" };
}

describe("a verified token whose signing key the issuer withdrew", () => {
  it("workload token: still served from the cache within 10 minutes, refused after", async () => {
    const issuer = compileTokenIssuer(
      TokenIssuer.parse({
        name: "demo-cluster",
        kind: "kubernetes",
        issuer: CLUSTER,
        keys: { discovery: `${CLUSTER}/.well-known/openid-configuration` },
        trustDomain: "demo.ward.internal",
        maxLifetime: "1h",
      }),
    );
    let keys: { keys: JWK[] } = issuers.cluster.published;
    let fetches = 0;
    const fetchImpl = async (url: string) => {
      fetches++;
      if (url.endsWith("openid-configuration"))
        return Response.json({ issuer: CLUSTER, jwks_uri: `${CLUSTER}/openid/v1/jwks` });
      return Response.json(keys);
    };
    const verifier = new WorkloadTokenVerifier(issuer, fetchImpl);
    const verify = (token: string, now: number) => {
      const peeked = peekToken(token);
      if (!peeked.ok) throw new Error(peeked.problem);
      return verifier.verify(token, peeked.header, ORDERS, now);
    };
    const token = await workloadToken({ issuer: "cluster", claims: { exp: 3600, iat: 0, nbf: 0, jti: "one" } }, NOW);
    expect((await verify(token, NOW)).ok).toBe(true);
    expect(fetches).toBe(2);

    keys = { keys: [await otherRsaPublicKey("rotated-after-compromise")] };
    // Within the key set's age: the cached verification stands, and nothing is fetched for it.
    expect((await verify(token, NOW + 9 * MINUTE)).ok).toBe(true);
    expect(fetches).toBe(2);
    // Past it: verified again against the set as it is now, which no longer holds the key.
    expect(await verify(token, NOW + 11 * MINUTE)).toMatchObject({ ok: false });
    expect(await verify(token, NOW + 59 * MINUTE)).toMatchObject({ ok: false });
  });

  it("Access token: still served from the cache within 10 minutes, refused after", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOW);
    let keys = published;
    let fetches = 0;
    const fetchImpl = (async () => {
      fetches++;
      return Response.json(keys);
    }) as unknown as typeof fetch;
    const config = compileAccess(IdentitySources.parse({ access: { teamDomain: TEAM, audiences: [AUD] } }).access!);
    const verifier = new AccessVerifier(config, fetchImpl);
    const token = await accessToken(signing, { email: "ann@example.com", jti: "one" }, { now: NOW, ttl: 86_400 });
    expect((await verifier.verify(token, NOW)).ok).toBe(true);

    keys = { keys: [await otherRsaPublicKey("c".repeat(64))] };
    vi.setSystemTime(NOW + 9 * MINUTE);
    expect((await verifier.verify(token, NOW + 9 * MINUTE)).ok).toBe(true);
    expect(fetches).toBe(1);
    // jose keeps the team's certs 10 minutes too: the verification after that reads them again.
    vi.setSystemTime(NOW + 11 * MINUTE);
    expect(await verifier.verify(token, NOW + 11 * MINUTE)).toMatchObject({ ok: false });
    vi.setSystemTime(NOW + 23 * 60 * MINUTE);
    expect(await verifier.verify(token, NOW + 23 * 60 * MINUTE)).toMatchObject({ ok: false });
  });
});
