// AccessVerifier in workerd with real RS256 tokens. The key set is served by an injected fetch standing in
// for the Access team domain (the true outside edge), which also counts how often keys are fetched.
import { base64url, exportJWK, generateKeyPair, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { inject } from "vitest";
import { AccessVerifier } from "../../worker/identity/access-jwt.ts";
import { AUD, TEAM, accessToken } from "./access-tokens.ts";

const signing = inject("accessPrivateJwk");
const published = inject("accessJwks");
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

function keyServer(keys: () => { keys: JWK[] }) {
  const calls: string[] = [];
  const fetchImpl = async (url: string | URL) => {
    calls.push(String(url));
    return new Response(JSON.stringify(keys()), { headers: { "content-type": "application/json" } });
  };
  return { calls, fetchImpl: fetchImpl as unknown as typeof fetch };
}

function verifier(keys = () => published) {
  const server = keyServer(keys);
  return { server, v: new AccessVerifier({ teamDomain: TEAM, audiences: [AUD] }, server.fetchImpl) };
}

describe("AccessVerifier", () => {
  it("turns a valid user token into a user identity with scopes and claims, from the team domain's keys", async () => {
    const { server, v } = verifier();
    const token = await accessToken(signing, { email: "ann@example.com", sub: "u-1", scope: "a b" }, { now: NOW });
    const result = await v.verify(token, NOW);
    expect(result.ok && result.identity.user).toEqual({ email: "ann@example.com", sub: "u-1" });
    expect(result.ok && result.identity.scopes).toEqual(["a", "b"]);
    expect(server.calls).toEqual([`${TEAM}/cdn-cgi/access/certs`]);
  });

  it("turns a service token into a service-token identity by common_name", async () => {
    const { v } = verifier();
    const token = await accessToken(signing, { common_name: "ci.access", sub: "" }, { now: NOW });
    const result = await v.verify(token, NOW);
    expect(result.ok && result.identity.serviceToken).toEqual({ clientId: "ci.access" });
    expect(result.ok && result.identity.user).toBeUndefined();
  });

  it.each([
    ["expired beyond the skew", { exp: NOW / 1000 - 31 }],
    ["not yet valid beyond the skew", { nbf: NOW / 1000 + 31 }],
    ["a wrong audience", { aud: ["f".repeat(64)] }],
    ["aud as a bare string of another app", { aud: "f".repeat(64) }],
    ["a slash-suffixed issuer", { iss: `${TEAM}/` }],
    ["another team's issuer", { iss: "https://other.cloudflareaccess.com" }],
    ["type org", { type: "org" }],
    ["no principal", { email: undefined, common_name: undefined }],
  ])("rejects %s", async (_name, override) => {
    const { v } = verifier();
    const token = await accessToken(signing, { email: "ann@example.com", ...override }, { now: NOW });
    expect((await v.verify(token, NOW)).ok).toBe(false);
  });

  it("accepts exp and nbf within the 30 s skew", async () => {
    const { v } = verifier();
    const token = await accessToken(signing, { email: "ann@example.com", exp: NOW / 1000 - 29, nbf: NOW / 1000 + 29 }, { now: NOW });
    expect((await v.verify(token, NOW)).ok).toBe(true);
  });

  it("rejects a token without exp", async () => {
    const { v } = verifier();
    const token = await accessToken(signing, { email: "ann@example.com", exp: undefined }, { now: NOW });
    expect((await v.verify(token, NOW)).ok).toBe(false);
  });

  it("rejects alg none, HS256 keyed with the public key, and a tampered signature", async () => {
    const { v } = verifier();
    const good = await accessToken(signing, { email: "ann@example.com" }, { now: NOW });
    const [header, payload, signature] = good.split(".") as [string, string, string];
    const none = `${base64url.encode(JSON.stringify({ alg: "none", kid: signing.kid }))}.${payload}.`;
    const publicJwk = published.keys[0]!;
    const hmacKey = await crypto.subtle.importKey("raw", new TextEncoder().encode(JSON.stringify(publicJwk)), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const hsHeader = base64url.encode(JSON.stringify({ alg: "HS256", kid: signing.kid }));
    const hsSig = base64url.encode(new Uint8Array(await crypto.subtle.sign("HMAC", hmacKey, new TextEncoder().encode(`${hsHeader}.${payload}`))));
    const tampered = `${header}.${payload}.${signature.slice(0, -4)}AAAA`;
    for (const token of [none, `${hsHeader}.${payload}.${hsSig}`, tampered, `${header}.${payload}.`, "x".repeat(9000)]) {
      expect((await v.verify(token, NOW)).ok, token.slice(0, 40)).toBe(false);
    }
  });

  it("follows key rotation: the new key verifies once published, the old one while still listed", async () => {
    const next = await generateKeyPair("RS256", { extractable: true });
    const nextPrivate = { ...(await exportJWK(next.privateKey)), kid: "b".repeat(64) };
    const nextPublic = { ...(await exportJWK(next.publicKey)), kid: "b".repeat(64), alg: "RS256" };
    let keys = published;
    const { v } = verifier(() => keys);
    expect((await v.verify(await accessToken(signing, { email: "ann@example.com" }, { now: NOW }), NOW)).ok).toBe(true);
    keys = { keys: [...published.keys, nextPublic] };
    // An unknown kid triggers a refetch (the first one after the cooldown would; the set is new here).
    const rotated = await accessToken(nextPrivate, { email: "ann@example.com" }, { now: NOW });
    const verifierAfterCooldown = new AccessVerifier({ teamDomain: TEAM, audiences: [AUD] }, keyServer(() => keys).fetchImpl);
    expect((await verifierAfterCooldown.verify(rotated, NOW)).ok).toBe(true);
    expect((await verifierAfterCooldown.verify(await accessToken(signing, { email: "bob@example.com" }, { now: NOW }), NOW)).ok).toBe(true);
  });

  it("does not let a flood of unknown kids become a flood of key fetches", async () => {
    const { server, v } = verifier();
    await v.verify(await accessToken(signing, { email: "ann@example.com" }, { now: NOW }), NOW);
    for (let i = 0; i < 50; i++) {
      const forged = await accessToken(signing, { email: "ann@example.com" }, { now: NOW, kid: `${i}`.padStart(64, "0") });
      expect((await v.verify(forged, NOW)).ok).toBe(false);
    }
    expect(server.calls.length).toBeLessThanOrEqual(2);
  });

  it("remembers a verified token but never past its exp", async () => {
    const { v } = verifier();
    const token = await accessToken(signing, { email: "ann@example.com" }, { now: NOW, ttl: 60 });
    expect((await v.verify(token, NOW)).ok).toBe(true);
    expect((await v.verify(token, NOW + 60_000)).ok).toBe(true); // within the skew
    expect((await v.verify(token, NOW + 91_000)).ok).toBe(false);
  });
});
