// AccessVerifier in workerd with real RS256 tokens. The key set is served by an injected fetch standing in
// for the Access team domain (the true outside edge), which also counts how often keys are fetched.
import { base64url, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from "jose";
import { describe, expect, inject, it, vi } from "vitest";
import { AccessVerifier } from "../../../worker/identity/access-jwt.ts";
import { accessVerifier, KEPT_CONFIGURATIONS, resetAccessVerifiers } from "../../../worker/identity/verifiers.ts";
import { compileAccess, IdentitySources, type CompiledAccess } from "../../../policy/index.ts";
import { AUD, TEAM, accessToken, rawAccessToken } from "../support/access-tokens.ts";
import userFixture from "../../fixtures/access-tokens/user.json?raw";
import serviceTokenFixture from "../../fixtures/access-tokens/service-token.json?raw";

const signing = inject("accessPrivateJwk");
const published = inject("accessJwks");
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
/** A service token's client id as Cloudflare makes them (policy/service-token-id.ts). */
const CI = "5c1d0b3a9e7f4c2d8b6a0e1f3d5c7b9a.access";

function keyServer(keys: () => { keys: JWK[] }) {
  const calls: string[] = [];
  const fetchImpl = async (url: string | URL) => {
    calls.push(String(url));
    return new Response(JSON.stringify(keys()), { headers: { "content-type": "application/json" } });
  };
  return { calls, fetchImpl: fetchImpl as unknown as typeof fetch };
}

/** identity.access as a policy writes it (defaults filled in by the schema), compiled as the gateway does. */
function accessConfig(
  limits: { maxTokenLifetime?: string; serviceTokenMaxLifetime?: string; maxTokenAge?: string } = {},
): CompiledAccess {
  return compileAccess(IdentitySources.parse({ access: { teamDomain: TEAM, audiences: [AUD], ...limits } }).access!);
}

function verifier(keys = () => published, config = accessConfig()) {
  const server = keyServer(keys);
  return { server, v: new AccessVerifier(config, server.fetchImpl) };
}

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** The signature's last character with `bits` in its spare low bits: a 342-character one carries 4 of them. */
const sameBytes = (signature: string, bits: number) => BASE64URL[(BASE64URL.indexOf(signature.at(-1)!) & ~15) | bits]!;

describe("AccessVerifier", () => {
  it("turns a valid user token into a user identity with claims, from the team domain's keys, and grants no scopes", async () => {
    const { server, v } = verifier();
    const token = await accessToken(signing, { email: "ann@example.com", sub: "u-1", scope: "a b" }, { now: NOW });
    const result = await v.verify(token, NOW);
    expect(result.ok && result.identity.user).toEqual({ email: "ann@example.com", sub: "u-1" });
    expect(result.ok && result.identity.claims?.scope).toBe("a b");
    // Access issues no scopes: a `scope` claim in an Access token grants nothing (workload tokens carry them).
    expect(result.ok && "scopes" in result.identity).toBe(false);
    expect(result.ok && result.audiences).toEqual([AUD]);
    expect(server.calls).toEqual([`${TEAM}/cdn-cgi/access/certs`]);
  });

  it("gives only the configured audiences of a token that names others besides", async () => {
    const { v } = verifier();
    const other = "b".repeat(64);
    const token = await accessToken(signing, { email: "ann@example.com", aud: [other, AUD] }, { now: NOW });
    const result = await v.verify(token, NOW);
    expect(result.ok && result.audiences).toEqual([AUD]);
  });

  it("turns a service token into a service-token identity by common_name", async () => {
    const { v } = verifier();
    const token = await accessToken(signing, { common_name: CI, sub: "" }, { now: NOW });
    const result = await v.verify(token, NOW);
    expect(result.ok && result.identity.serviceToken).toEqual({ clientId: CI });
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
    const token = await accessToken(
      signing,
      { email: "ann@example.com", iat: NOW / 1000 - 3600, exp: NOW / 1000 - 29, nbf: NOW / 1000 + 29 },
      { now: NOW },
    );
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
    const hmacKey = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(JSON.stringify(publicJwk)),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const hsHeader = base64url.encode(JSON.stringify({ alg: "HS256", kid: signing.kid }));
    const hsSig = base64url.encode(
      new Uint8Array(await crypto.subtle.sign("HMAC", hmacKey, new TextEncoder().encode(`${hsHeader}.${payload}`))),
    );
    const tampered = `${header}.${payload}.${signature.slice(0, -4)}AAAA`;
    for (const token of [
      none,
      `${hsHeader}.${payload}.${hsSig}`,
      tampered,
      `${header}.${payload}.`,
      "x".repeat(9000),
    ]) {
      expect((await v.verify(token, NOW)).ok, token.slice(0, 40)).toBe(false);
    }
  });

  // Access signs with RS256 and its certs name the algorithm, but a key set that leaves `alg` out lets jose's
  // key selection pair the team's RSA key with any RSA algorithm: the verifier itself must hold it to RS256.
  it("refuses a PS256 token of the team's own key when the published key names no algorithm", async () => {
    const { v } = verifier(() => ({ keys: published.keys.map(({ alg: _alg, ...key }) => key) }));
    expect((await v.verify(await accessToken(signing, { email: "ann@example.com" }, { now: NOW }), NOW)).ok).toBe(true);
    const pss = await new SignJWT({ type: "app", email: "ann@example.com", iss: TEAM, aud: [AUD] })
      .setIssuedAt(NOW / 1000)
      .setExpirationTime(NOW / 1000 + 3600)
      .setProtectedHeader({ alg: "PS256", kid: signing.kid! })
      .sign(await importJWK(signing, "PS256"));
    expect(await v.verify(pss, NOW)).toEqual({ ok: false, problem: "ERR_JOSE_ALG_NOT_ALLOWED" });
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
    const verifierAfterCooldown = new AccessVerifier(accessConfig(), keyServer(() => keys).fetchImpl);
    expect((await verifierAfterCooldown.verify(rotated, NOW)).ok).toBe(true);
    expect(
      (await verifierAfterCooldown.verify(await accessToken(signing, { email: "bob@example.com" }, { now: NOW }), NOW))
        .ok,
    ).toBe(true);
  });

  // A verified token is cached no longer than the team's key set (10 minutes): a key rotated away after a leak
  // stops counting for tokens already seen too, not only at their exp (24 h by default).
  it("verifies a cached token again once the key set may have changed: refused after its key was withdrawn", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(NOW);
      const { publicKey } = await generateKeyPair("RS256", { extractable: true });
      let keys = published;
      const { server, v } = verifier(() => keys);
      const token = await accessToken(signing, { email: "ann@example.com" }, { now: NOW, ttl: 86_400 });
      expect((await v.verify(token, NOW)).ok).toBe(true);
      keys = { keys: [{ ...(await exportJWK(publicKey)), kid: "c".repeat(64), alg: "RS256", use: "sig" }] };
      const at = async (ms: number) => {
        vi.setSystemTime(ms);
        return (await v.verify(token, ms)).ok;
      };
      expect(await at(NOW + 9 * 60_000)).toBe(true);
      expect(server.calls).toHaveLength(1);
      // jose keeps the certs 10 minutes too: the verification after that reads them again.
      expect(await at(NOW + 11 * 60_000)).toBe(false);
      expect(await at(NOW + 23 * 3_600_000)).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it("refuses a cached token once the set that verified it is stale, however late in the set's life it was first seen", async () => {
    const { publicKey } = await generateKeyPair("RS256", { extractable: true });
    const withdrawn = { keys: [{ ...(await exportJWK(publicKey)), kid: "d".repeat(64), alg: "RS256", use: "sig" }] };
    let keys = published;
    const { server, v } = verifier(() => keys);
    // The set is fetched at NOW; Access then withdraws the key (a leak). A token first shown 9 minutes in still
    // verifies against the set in hand, and is remembered.
    expect((await v.verify(await accessToken(signing, { email: "bob@example.com" }, { now: NOW }), NOW)).ok).toBe(true);
    keys = withdrawn;
    const leaked = await accessToken(signing, { email: "ann@example.com" }, { now: NOW, ttl: 86_400 });
    expect((await v.verify(leaked, NOW + 9 * 60_000)).ok).toBe(true);
    // 11 minutes after the set was fetched it is stale: the remembered token counts no more than a new one.
    expect((await v.verify(leaked, NOW + 11 * 60_000)).ok).toBe(false);
    expect(server.calls).toHaveLength(2);
  });

  it("refuses a cached token as soon as a fetch for an unknown kid brings a set without its key", async () => {
    const { publicKey } = await generateKeyPair("RS256", { extractable: true });
    const rotated = { keys: [{ ...(await exportJWK(publicKey)), kid: "e".repeat(64), alg: "RS256", use: "sig" }] };
    let keys = published;
    const { server, v } = verifier(() => keys);
    const leaked = await accessToken(signing, { email: "ann@example.com" }, { now: NOW, ttl: 86_400 });
    expect((await v.verify(leaked, NOW)).ok).toBe(true);
    keys = rotated;
    // A token of the new key, a minute later (past the refetch cooldown): the set is fetched again, without the old key.
    const [, payload] = (await accessToken(signing, { email: "cy@example.com" }, { now: NOW })).split(".");
    const header = base64url.encode(JSON.stringify({ alg: "RS256", kid: "e".repeat(64), typ: "JWT" }));
    expect((await v.verify(`${header}.${payload}.${"A".repeat(342)}`, NOW + 60_000)).ok).toBe(false);
    expect(server.calls).toHaveLength(2);
    expect((await v.verify(leaked, NOW + 61_000)).ok).toBe(false);
  });

  it("does not let a flood of unknown kids become a flood of key fetches", async () => {
    const { server, v } = verifier();
    await v.verify(await accessToken(signing, { email: "ann@example.com" }, { now: NOW }), NOW);
    for (let i = 0; i < 50; i++) {
      const forged = await accessToken(
        signing,
        { email: "ann@example.com" },
        { now: NOW, kid: `${i}`.padStart(64, "0") },
      );
      expect((await v.verify(forged, NOW)).ok).toBe(false);
    }
    expect(server.calls.length).toBeLessThanOrEqual(2);
  });

  it("nor, while the certs endpoint fails, a fetch per token: at most one every 30 s, failed or not", async () => {
    // Review finding: jose's own cooldown started only after a fetch that succeeded.
    let up = true;
    const { server, v } = verifier(() => {
      if (!up) throw new Error("certs endpoint down");
      return published;
    });
    expect((await v.verify(await accessToken(signing, { email: "ann@example.com" }, { now: NOW }), NOW)).ok).toBe(true);
    up = false;
    const later = NOW + 40_000;
    for (let i = 0; i < 20; i++) {
      const forged = await accessToken(signing, { email: `x${i}@example.com` }, { now: later, kid: `made-up-${i}` });
      expect((await v.verify(forged, later + i)).ok).toBe(false);
    }
    expect(server.calls).toHaveLength(2);
    // The set in hand still verifies the team's own tokens meanwhile.
    const good = await accessToken(signing, { email: "ann@example.com" }, { now: later });
    expect((await v.verify(good, later + 100)).ok).toBe(true);
    // Once the endpoint answers again, the next unknown kid after the cooldown fetches once more.
    up = true;
    const forged = await accessToken(signing, { email: "y@example.com" }, { now: later, kid: "made-up-late" });
    expect((await v.verify(forged, later + 31_000)).ok).toBe(false);
    expect(server.calls).toHaveLength(3);
  });

  it("takes a token only as Access spells it: spaces or padding, which base64 decoders skip, are refused", async () => {
    const { v } = verifier();
    const good = await accessToken(signing, { email: "ann@example.com" }, { now: NOW });
    expect((await v.verify(good, NOW)).ok).toBe(true);
    const [header, payload, signature] = good.split(".") as [string, string, string];
    // The signature is not signed: each respelling would verify anew and take its own place in the cache.
    for (const token of [
      `${header}.${payload}.${signature.slice(0, 10)} ${signature.slice(10)}`,
      `${header}.${payload}.${signature}==`,
      `${header}.${payload}.${signature}\t`,
      `${header}.${payload}.${signature.replace(/-/g, "+").replace(/_/g, "/")}`,
      // The same 256 bytes: the last character's 4 spare bits set (decoders drop them).
      ...Array.from({ length: 15 }, (_, i) => `${good.slice(0, -1)}${sameBytes(signature, i + 1)}`),
    ]) {
      if (token === good) continue;
      expect(await v.verify(token, NOW), JSON.stringify(token.slice(-12))).toEqual({
        ok: false,
        problem: "malformed-token",
      });
    }
  });

  it("remembers a verified token but never past its exp", async () => {
    const { v } = verifier();
    const token = await accessToken(signing, { email: "ann@example.com" }, { now: NOW, ttl: 60 });
    expect((await v.verify(token, NOW)).ok).toBe(true);
    expect((await v.verify(token, NOW + 60_000)).ok).toBe(true); // within the skew
    expect((await v.verify(token, NOW + 91_000)).ok).toBe(false);
  });
});

/** A documented Access payload, re-timed to `now` (its lifetime kept) and put under the test team. */
function fromFixture(text: string, now: number): Record<string, unknown> {
  const payload = JSON.parse(text) as Record<string, unknown>;
  const shift = Math.floor(now / 1000) - (payload.iat as number);
  for (const claim of ["iat", "nbf", "exp"])
    if (typeof payload[claim] === "number") payload[claim] = (payload[claim] as number) + shift;
  return { ...payload, iss: TEAM, aud: [AUD] };
}

/** The user fixture's payload as text, with `exp`/`iat`/`nbf` as given (raw JSON number text). */
function rawPayload(times: { iat?: string; nbf?: string; exp?: string }, extra = ""): string {
  const now = NOW / 1000;
  const t = { iat: String(now), nbf: String(now), exp: String(now + 3600), ...times };
  return `{"type":"app","iss":"${TEAM}","aud":["${AUD}"],"email":"ann@example.com","sub":"u-1","identity_nonce":"n-1","iat":${t.iat},"nbf":${t.nbf},"exp":${t.exp}${extra}}`;
}

/** Characters of base64url (unpadded) for `bytes` bytes. */
const base64urlLength = (bytes: number) => Math.ceil((bytes * 4) / 3);

/**
 * A validly signed user token of exactly `length` characters: a `pad` claim grows the payload. Unpadded base64 is
 * never 4k+1 characters long, so when the payload cannot make up the length, a space in the header's JSON does.
 */
async function tokenOfLength(length: number): Promise<string> {
  const signatureLength = (await rawAccessToken(signing, rawPayload({}))).split(".")[2]!.length;
  const encoder = new TextEncoder();
  for (const space of ["", " ", "  "]) {
    const header = `{"alg":"RS256",${space}"kid":"${signing.kid}","typ":"JWT"}`;
    for (let pad = 0; pad < length; pad++) {
      const payload = rawPayload({}, `,"pad":"${"p".repeat(pad)}"`);
      const total =
        base64urlLength(encoder.encode(header).length) + base64urlLength(encoder.encode(payload).length) + 2;
      if (total + signatureLength === length) return rawAccessToken(signing, payload, header);
      if (total + signatureLength > length) break;
    }
  }
  throw new Error(`no token of ${length} characters`);
}

describe("AccessVerifier: what an issuer can honestly produce", () => {
  it("takes the token shapes Access documents, for a person and for a service token", async () => {
    const { v } = verifier();
    const user = await v.verify(await accessToken(signing, fromFixture(userFixture, NOW), { now: NOW }), NOW);
    expect(user.ok && user.identity.user).toEqual({
      email: "user@example.com",
      sub: "7335d417-61da-459d-899c-0a01c76a2f94",
    });
    expect(user.ok && user.directorySubject).toEqual({
      issuer: TEAM,
      subject: "7335d417-61da-459d-899c-0a01c76a2f94",
      email: "user@example.com",
      nonce: "6ei69kawdKzMIAPF",
    });
    const service = await v.verify(
      await accessToken(signing, fromFixture(serviceTokenFixture, NOW), { now: NOW }),
      NOW,
    );
    expect(service.ok && service.identity.serviceToken).toEqual({
      clientId: "e367826f93b8d71185e03fe518aff3b4.access",
    });
    expect(service.ok && service.directorySubject).toBeUndefined();
  });

  it.each([
    ["exp 1e309 (Infinity)", { exp: "1e309" }],
    ["exp -1e309", { exp: "-1e309" }],
    ["iat -1e309", { iat: "-1e309" }],
    ["nbf -1e309", { nbf: "-1e309" }],
    ["exp with a fraction", { exp: String(NOW / 1000 + 3600.5) }],
    ["iat with a fraction", { iat: String(NOW / 1000 - 0.25) }],
    ["nbf with a fraction", { nbf: String(NOW / 1000 - 0.25) }],
    ["exp at 2^32", { exp: String(2 ** 32) }],
    ["iat negative", { iat: "-1" }],
    ["exp before iat", { iat: String(NOW / 1000 + 10), exp: String(NOW / 1000 + 5) }],
  ])("refuses %s", async (_name, times) => {
    const { v } = verifier();
    expect(await v.verify(await rawAccessToken(signing, rawPayload(times)), NOW)).toMatchObject({ ok: false });
  });

  it("takes a token without nbf (Access's service-token tokens have none), and a whole number written with a fraction", async () => {
    const { v } = verifier();
    const noNbf = await accessToken(signing, { common_name: CI, sub: "", nbf: undefined }, { now: NOW });
    expect((await v.verify(noNbf, NOW)).ok).toBe(true);
    expect((await v.verify(await rawAccessToken(signing, rawPayload({ exp: `${NOW / 1000 + 3600}.0` })), NOW)).ok).toBe(
      true,
    );
  });

  // The bounds of checkTimes, each at its edge: jose checks none of them (iat against now, exp against iat).
  it("takes an iat up to the 30 s skew ahead of now, and refuses one a second further", async () => {
    const { v } = verifier();
    // nbf now: jose refuses an nbf past the skew before Ward reads iat.
    const at = (ahead: number) =>
      rawAccessToken(
        signing,
        rawPayload({ iat: String(NOW / 1000 + ahead), nbf: String(NOW / 1000), exp: String(NOW / 1000 + 3600) }),
      );
    expect((await v.verify(await at(30), NOW)).ok).toBe(true);
    expect(await v.verify(await at(31), NOW)).toEqual({ ok: false, problem: "issued-in-the-future" });
  });

  it("takes an exp equal to its iat (a lifetime of nothing), and refuses one a second before", async () => {
    const { v } = verifier();
    const iat = String(NOW / 1000 - 10);
    const same = await v.verify(await rawAccessToken(signing, rawPayload({ iat, nbf: iat, exp: iat })), NOW);
    expect(same).toMatchObject({ ok: true, lifetimeSeconds: 0 });
    const before = rawPayload({ iat, nbf: iat, exp: String(NOW / 1000 - 11) });
    expect(await v.verify(await rawAccessToken(signing, before), NOW)).toEqual({
      ok: false,
      problem: "expires-before-issued",
    });
  });

  it("takes a token first seen maxTokenAge and the skew after its iat, and not a millisecond later", async () => {
    const config = accessConfig({ maxTokenAge: "1h" });
    const token = await accessToken(signing, { email: "ann@example.com" }, { now: NOW, ttl: 86_400 });
    const edge = NOW + (3600 + 30) * 1000;
    // Separate verifiers: a verified token is remembered, and these are first sightings.
    expect((await verifier(undefined, config).v.verify(token, edge)).ok).toBe(true);
    expect(await verifier(undefined, config).v.verify(token, edge + 1)).toEqual({ ok: false, problem: "too-old" });
  });

  it("refuses a person's token issued for longer than maxTokenLifetime (24h by default), and takes exactly 24h", async () => {
    const { v } = verifier();
    const day = await accessToken(signing, { email: "ann@example.com" }, { now: NOW, ttl: 86_400 });
    const longer = await accessToken(signing, { email: "ann@example.com" }, { now: NOW, ttl: 86_401 });
    expect((await v.verify(day, NOW)).ok).toBe(true);
    expect(await v.verify(longer, NOW)).toEqual({ ok: false, problem: "lifetime-too-long" });
  });

  it("holds service tokens to serviceTokenMaxLifetime and people to maxTokenLifetime", async () => {
    const { v } = verifier(undefined, accessConfig({ maxTokenLifetime: "8h", serviceTokenMaxLifetime: "48h" }));
    const service30h = await accessToken(signing, { common_name: CI, sub: "" }, { now: NOW, ttl: 30 * 3600 });
    const person30h = await accessToken(signing, { email: "ann@example.com" }, { now: NOW, ttl: 30 * 3600 });
    const service49h = await accessToken(signing, { common_name: CI, sub: "" }, { now: NOW, ttl: 49 * 3600 });
    expect((await v.verify(service30h, NOW)).ok).toBe(true);
    expect(await v.verify(person30h, NOW)).toEqual({ ok: false, problem: "lifetime-too-long" });
    expect(await v.verify(service49h, NOW)).toEqual({ ok: false, problem: "lifetime-too-long" });
  });

  it("refuses a token issued longer ago than maxTokenAge, also once it is cached", async () => {
    const { v } = verifier(undefined, accessConfig({ maxTokenAge: "1h" }));
    const old = await accessToken(signing, { email: "ann@example.com" }, { now: NOW - 2 * 3600_000, ttl: 86_400 });
    expect(await v.verify(old, NOW)).toEqual({ ok: false, problem: "too-old" });
    const fresh = await accessToken(signing, { email: "ann@example.com" }, { now: NOW, ttl: 86_400 });
    expect((await v.verify(fresh, NOW)).ok).toBe(true);
    expect((await v.verify(fresh, NOW + 3600_000 + 29_000)).ok).toBe(true); // within the skew
    expect((await v.verify(fresh, NOW + 3600_000 + 31_000)).ok).toBe(false);
  });

  it.each([
    ["the header names alg twice", rawPayload({}), `{"alg":"none","kid":"${signing.kid}","typ":"JWT","alg":"RS256"}`],
    ["the payload names email twice", rawPayload({}, ',"email":"mallory@evil.io"'), undefined],
    ["the payload names email twice, once escaped", rawPayload({}, ',"\\u0065mail":"mallory@evil.io"'), undefined],
    [
      "a nested object names a member twice",
      rawPayload({}, ',"custom":{"team":{"role":"reader","role":"admin"}}'),
      undefined,
    ],
    [
      "an object in an array names a member twice",
      rawPayload({}, ',"custom":[{"role":"reader","role":"admin"}]'),
      undefined,
    ],
  ])("refuses a token where %s", async (_name, payload, header) => {
    const { v } = verifier();
    expect(await v.verify(await rawAccessToken(signing, payload, header), NOW)).toEqual({
      ok: false,
      problem: "duplicate-members",
    });
  });

  it("takes the same member name in different objects", async () => {
    const { v } = verifier();
    const token = await rawAccessToken(
      signing,
      rawPayload({}, ',"custom":[{"role":"a"},{"role":"b"}],"team":{"role":{"role":"c"}}'),
    );
    expect((await v.verify(token, NOW)).ok).toBe(true);
  });

  // The bound is on the token as sent, and inclusive: one character more is refused before anything is decoded
  // (no key is fetched for it).
  it("takes a token of exactly 8,192 characters and refuses one of 8,193 unparsed", async () => {
    const { server, v } = verifier();
    const exact = await tokenOfLength(8192);
    expect(exact.length).toBe(8192);
    expect(await v.verify(exact, NOW)).toMatchObject({ ok: true, identity: { user: { email: "ann@example.com" } } });
    const over = await tokenOfLength(8193);
    expect(over.length).toBe(8193);
    expect(await v.verify(over, NOW)).toEqual({ ok: false, problem: "token-size" });
    expect(server.calls).toHaveLength(1);
  });

  it("refuses claims nested past 8 levels or holding over 1,024 values, and takes them within", async () => {
    const { v } = verifier();
    const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
    // The payload is level 0: `custom` at 1, and 7 arrays in it reach level 7, the deepest an object may be.
    const within = await rawAccessToken(signing, rawPayload({}, `,"custom":${nested(7)}`));
    expect((await v.verify(within, NOW)).ok).toBe(true);
    const many = (value: string) => `[${Array(1_100).fill(value).join(",")}]`;
    for (const custom of [nested(8), nested(2_500), many("0"), many("[]")]) {
      const token = await rawAccessToken(signing, rawPayload({}, `,"custom":${custom}`));
      expect(token.length).toBeLessThanOrEqual(8192);
      expect(await v.verify(token, NOW)).toEqual({ ok: false, problem: "claims-too-complex" });
    }
    // An IdP's few hundred groups passed on as a custom claim are well within.
    const groups = JSON.stringify({ groups: Array.from({ length: 300 }, (_, i) => `g${i}`) });
    expect((await v.verify(await rawAccessToken(signing, rawPayload({}, `,"custom":${groups}`)), NOW)).ok).toBe(true);
  });

  it.each([
    ["an email with two @", { email: "mallory@evil.io@example.com" }, "malformed-email"],
    ["an email with a quoted local part", { email: '"mallory@evil.io"@example.com' }, "malformed-email"],
    ["an email with a LF", { email: "ann@example.com\nx" }, "malformed-email"],
    ["an email that is not a string", { email: ["ann@example.com"], common_name: CI }, "malformed-email"],
    ["a sub with CR LF", { email: "ann@example.com", sub: "u-1\r\nx: y" }, "malformed-sub"],
    ["a sub with NUL", { email: "ann@example.com", sub: "u-1\u0000" }, "malformed-sub"],
    ["a sub with a bidi override", { email: "ann@example.com", sub: "u-\u202e1" }, "malformed-sub"],
    ["a sub that is a number", { email: "ann@example.com", sub: 7 }, "malformed-sub"],
    ["a sub of 256 characters", { email: "ann@example.com", sub: "u".repeat(256) }, "malformed-sub"],
    ["a common_name with DEL", { common_name: `${CI}\u007f`, sub: "" }, "malformed-common-name"],
    [
      "a common_name with a paragraph separator",
      { common_name: `${CI.slice(0, 8)}\u2029${CI.slice(8)}`, sub: "" },
      "malformed-common-name",
    ],
    ["a common_name that is an object", { common_name: { cn: CI }, sub: "" }, "malformed-common-name"],
    // Access's identity record calls an mTLS client certificate's CN `common_name` too: a token carrying one
    // must not pass for a service token of that name (policy/service-token-id.ts).
    [
      "a common_name that is a certificate's CN",
      { common_name: "checkout.payments.svc", sub: "" },
      "common-name-not-a-client-id",
    ],
    [
      "a common_name that is a name ending in .access",
      { common_name: "ci.access", sub: "" },
      "common-name-not-a-client-id",
    ],
    [
      "a common_name in capitals",
      { common_name: CI.toUpperCase().replace(".ACCESS", ".access"), sub: "" },
      "common-name-not-a-client-id",
    ],
    ["a common_name with a client id inside", { common_name: `cn=${CI}`, sub: "" }, "common-name-not-a-client-id"],
  ])("refuses %s", async (_name, claims, problem) => {
    const { v } = verifier();
    const token = await accessToken(signing, { email: undefined, ...claims } as never, { now: NOW });
    expect(await v.verify(token, NOW)).toEqual({ ok: false, problem });
  });

  it("keys directory look-ups by issuer, subject, e-mail and nonce, and leaves a token without a nonce uncached", async () => {
    const { v } = verifier();
    const withNonce = await v.verify(
      await accessToken(signing, { email: "Ann@Example.com", sub: "u-1", identity_nonce: "n-1" }, { now: NOW }),
      NOW,
    );
    expect(withNonce.ok && withNonce.directorySubject).toEqual({
      issuer: TEAM,
      subject: "u-1",
      email: "ann@example.com",
      nonce: "n-1",
    });
    const without = await v.verify(
      await accessToken(signing, { email: "ann@example.com", sub: "u-1" }, { now: NOW }),
      NOW,
    );
    expect(without.ok && without.directorySubject).toBeUndefined();
  });
});

describe("accessVerifier (one per isolate and configuration)", () => {
  it("shares a verifier between versions with the same team, audiences and limits, and never across limits", () => {
    resetAccessVerifiers();
    const day = accessVerifier(accessConfig());
    expect(accessVerifier(accessConfig())).toBe(day);
    // A token cached as verified under a longer lifetime or age must not count under a version allowing less.
    expect(accessVerifier(accessConfig({ maxTokenLifetime: "48h" }))).not.toBe(day);
    expect(accessVerifier(accessConfig({ serviceTokenMaxLifetime: "48h" }))).not.toBe(day);
    expect(accessVerifier(accessConfig({ maxTokenAge: "1h" }))).not.toBe(day);
    expect(accessVerifier(accessConfig({ maxTokenAge: "1h" }))).not.toBe(
      accessVerifier(accessConfig({ maxTokenAge: "2h" })),
    );
    resetAccessVerifiers();
  });

  it("keeps the verifiers of the last KEPT_CONFIGURATIONS configurations only, and an active one's for good", () => {
    resetAccessVerifiers();
    const active = accessConfig();
    const first = accessVerifier(active);
    // Pushes that each changed the token age: every configuration a verified-token cache of its own.
    for (let hours = 1; hours <= KEPT_CONFIGURATIONS; hours++)
      accessVerifier(accessConfig({ maxTokenAge: `${hours}h` }));
    // A version configured like the first no longer finds it (its cache was let go)...
    expect(accessVerifier(accessConfig())).not.toBe(first);
    // ...but the version still holding that config object keeps its verifier.
    expect(accessVerifier(active)).toBe(first);
    resetAccessVerifiers();
  });
});
