// WorkloadTokenVerifier in workerd with real signed tokens shaped as SPIRE, a Kubernetes cluster and GitHub
// Actions shape theirs. The key documents are served by an injected fetch standing in for the issuers (the
// true outside edge), which also counts how often, and how, keys are fetched.
import { base64url, exportJWK, generateKeyPair, type JWK } from "jose";
import { describe, expect, inject, it } from "vitest";
import { compileTokenIssuer, TokenIssuer, type CompiledTokenIssuer } from "../../../policy/index.ts";
import { WorkloadTokenVerifier } from "../../../worker/identity/workload-token.ts";
import { ABANDONED_LOAD_MS, KEYS_MAX_AGE_MS, REFETCH_COOLDOWN_MS } from "../../../worker/identity/issuer-keys.ts";
import { claimedIssuers, MAX_CLAIMED_PAYLOADS, MAX_CLAIMED_RUNS, peekToken } from "../../../worker/identity/bearer.ts";
import { issuerKey, signParts, tokenParts, workloadToken, type WorkloadTokenSpec } from "../support/workload-tokens.ts";

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const issuers = inject("workloadIssuers");
const SPIRE = "https://spire.demo.ward.internal";
const CLUSTER = "https://kubernetes.demo.ward.internal";
const GITHUB = "https://token.actions.githubusercontent.com";
const PAYMENTS = "https://payments.localhost";
const ORDERS = "https://orders.localhost";
const CHECKOUT = "spiffe://demo.ward.internal/ns/shop/sa/checkout";

/** The demo policy's issuers, as identity.tokenIssuers writes them. */
const SOURCES = {
  spire: {
    name: "demo-spire",
    kind: "spiffe-jwt-svid",
    issuer: SPIRE,
    keys: { jwksUrl: `${SPIRE}/bundle` },
    trustDomain: "demo.ward.internal",
    maxLifetime: "5m",
  },
  cluster: {
    name: "demo-cluster",
    kind: "kubernetes",
    issuer: CLUSTER,
    keys: { discovery: `${CLUSTER}/.well-known/openid-configuration` },
    trustDomain: "demo.ward.internal",
    maxLifetime: "1h",
  },
  github: {
    name: "github-actions",
    kind: "oidc",
    issuer: GITHUB,
    keys: { discovery: `${GITHUB}/.well-known/openid-configuration` },
    requireClaims: { repository_owner: "ward-demo" },
    maxLifetime: "10m",
  },
} as const;

function compiled(name: keyof typeof SOURCES, over: object = {}): CompiledTokenIssuer {
  return compileTokenIssuer(TokenIssuer.parse({ ...SOURCES[name], ...over }));
}

/** Serves the issuers' documents at the URLs the policy names, counting every fetch and how it was asked. */
function issuerServer(overrides: Record<string, () => Response> = {}) {
  const calls: { url: string; redirect?: RequestInit["redirect"] }[] = [];
  const documents: Record<string, () => unknown> = {
    [`${SPIRE}/bundle`]: () => issuers.spire.published,
    [`${CLUSTER}/.well-known/openid-configuration`]: () => ({ issuer: CLUSTER, jwks_uri: `${CLUSTER}/openid/v1/jwks` }),
    [`${CLUSTER}/openid/v1/jwks`]: () => issuers.cluster.published,
    [`${GITHUB}/.well-known/openid-configuration`]: () => ({ issuer: GITHUB, jwks_uri: `${GITHUB}/.well-known/jwks` }),
    [`${GITHUB}/.well-known/jwks`]: () => issuers.github.published,
  };
  const fetchImpl = async (url: string, init: RequestInit) => {
    calls.push({ url, redirect: init.redirect });
    const override = overrides[url];
    if (override) return override();
    const document = documents[url];
    return document ? Response.json(document()) : new Response("not found", { status: 404 });
  };
  return { calls, fetchImpl };
}

function verifierFor(name: keyof typeof SOURCES, over: object = {}, server = issuerServer()) {
  return { server, v: new WorkloadTokenVerifier(compiled(name, over), server.fetchImpl) };
}

async function verify(v: WorkloadTokenVerifier, token: string, audience: string, now = NOW) {
  const peeked = peekToken(token);
  if (!peeked.ok) throw new Error(peeked.problem);
  return v.verify(token, peeked.header, audience, now);
}

/** `depth` arrays, one within the other. */
const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);
const b64 = (text: string) => base64url.encode(new TextEncoder().encode(text));
const problemOf = (result: { ok: boolean; problem?: string }) => (result.ok ? "ok" : result.problem);

describe("tokens as the real issuers shape them", () => {
  it("a SPIRE JWT-SVID: its SPIFFE ID from a SPIFFE bundle's jwt-svid key, and its scopes", async () => {
    const { server, v } = verifierFor("spire");
    const result = await verify(v, await workloadToken({ issuer: "spire" }, NOW), PAYMENTS);
    expect(result.ok && result.identity).toMatchObject({
      issuer: "demo-spire",
      kind: "spiffe-jwt-svid",
      subject: CHECKOUT,
      spiffeId: CHECKOUT,
    });
    expect(result.ok && result.scopes).toEqual(["payments:charge"]);
    expect(result.ok && result.exp - result.iat).toBe(300);
    expect(server.calls).toEqual([{ url: `${SPIRE}/bundle`, redirect: "manual" }]);
  });

  it("a Kubernetes projected token: the service account, named as Istio names the workload; no scopes read", async () => {
    const { server, v } = verifierFor("cluster");
    const token = await workloadToken({ issuer: "cluster", claims: { scope: "orders:admin" } }, NOW);
    const result = await verify(v, token, ORDERS);
    expect(result.ok && result.identity).toMatchObject({
      issuer: "demo-cluster",
      kind: "kubernetes",
      subject: "system:serviceaccount:shop:frontend",
      spiffeId: "spiffe://demo.ward.internal/ns/shop/sa/frontend",
    });
    // The API server writes no scopes: a `scope` claim in its token grants none.
    expect(result.ok && result.scopes).toBeUndefined();
    expect(server.calls.map((c) => c.url)).toEqual([
      `${CLUSTER}/.well-known/openid-configuration`,
      `${CLUSTER}/openid/v1/jwks`,
    ]);
    expect(server.calls.every((c) => c.redirect === "manual")).toBe(true);
  });

  it("a Kubernetes token without a trust domain: the service account is the subject, no SPIFFE ID", async () => {
    const { v } = verifierFor("cluster", { trustDomain: undefined });
    const result = await verify(v, await workloadToken({ issuer: "cluster" }, NOW), ORDERS);
    expect(result.ok && result.identity.spiffeId).toBeUndefined();
    expect(result.ok && result.identity.subject).toBe("system:serviceaccount:shop:frontend");
  });

  it("a GitHub Actions token: its claims for claims matchers, nbf before iat, a string aud", async () => {
    const { v } = verifierFor("github");
    const result = await verify(v, await workloadToken({ issuer: "github" }, NOW), ORDERS);
    expect(result.ok && result.identity).toMatchObject({
      kind: "oidc",
      subject: "repo:ward-demo/orders:ref:refs/heads/main",
      claims: { repository: "ward-demo/orders", ref: "refs/heads/main", repository_owner: "ward-demo" },
    });
    expect(result.ok && result.identity.spiffeId).toBeUndefined();
  });

  it("a token pushed with the policy verifies with no fetch at all", async () => {
    const server = issuerServer();
    const bundle = issuers.spire.published;
    const { v } = verifierFor("spire", { keys: { jwks: bundle } }, server);
    expect(problemOf(await verify(v, await workloadToken({ issuer: "spire" }, NOW), PAYMENTS))).toBe("ok");
    expect(server.calls).toEqual([]);
  });
});

describe("what the token says about its key", () => {
  const spire = (header: Record<string, unknown>) => workloadToken({ issuer: "spire", header }, NOW);
  it.each<[string, Record<string, unknown>, string]>([
    ["a jku", { jku: "https://evil.example/keys" }, "key-in-token"],
    ["an x5u", { x5u: "https://evil.example/cert.pem" }, "key-in-token"],
    ["an embedded jwk", { jwk: { kty: "EC", crv: "P-256", x: "AA", y: "AA" } }, "key-in-token"],
    ["an x5c", { x5c: ["MIIB"] }, "key-in-token"],
    ["a member JWT-SVID headers may not have", { cty: "JWT" }, "header-member"],
    ["no kid", { kid: null }, "kid"],
    ["a kid with spaces", { kid: "../../ etc/passwd" }, "kid"],
    ["typ JOSE+JSON", { typ: "JOSE+JSON" }, "token-type"],
    // RFC 9068's access-token type is an OIDC issuer's (GitHub's); a SPIRE or cluster token is never one.
    ["typ at+jwt", { typ: "at+jwt" }, "token-type"],
  ])("refuses %s before fetching any key", async (_name, header, problem) => {
    const { server, v } = verifierFor("spire");
    expect(problemOf(await verify(v, await spire(header), PAYMENTS))).toBe(problem);
    expect(server.calls).toEqual([]);
  });

  // A header or payload has members only as a JSON object: an array header read as one would reach the verifier
  // as the token of the issuer its payload names, rather than as a value that is no token.
  it("reads a header or payload that is a JSON array as no token at all", async () => {
    const [h, p, sig] = (await spire({})).split(".") as [string, string, string];
    expect(peekToken(`${b64('[{"alg":"ES256"}]')}.${p}.${sig}`)).toEqual({ ok: false, problem: "malformed-token" });
    expect(peekToken(`${h}.${b64(`[${JSON.stringify({ iss: SPIRE })}]`)}.${sig}`)).toEqual({
      ok: false,
      problem: "malformed-token",
    });
    expect(peekToken(`${h}.${p}.${sig}`)).toMatchObject({ ok: true, issuer: SPIRE });
  });

  it("refuses crit and b64 in any issuer's tokens, and takes GitHub's x5t", async () => {
    const { v } = verifierFor("github");
    const github = (header: Record<string, unknown>) => workloadToken({ issuer: "github", header }, NOW);
    expect(problemOf(await verify(v, await github({ crit: ["exp"] }), ORDERS))).toBe("header-member");
    expect(problemOf(await verify(v, await github({ b64: false }), ORDERS))).toBe("header-member");
    expect(problemOf(await verify(v, await github({}), ORDERS))).toBe("ok");
  });

  it("refuses an algorithm the issuer is not allowed, HS256 keyed with its public key, and alg none", async () => {
    const { v } = verifierFor("spire", { algorithms: ["ES256"] });
    const rs = await workloadToken({ issuer: "spire", signedBy: "cluster" }, NOW);
    expect(problemOf(await verify(v, rs, PAYMENTS))).toBe("algorithm");
    const { header, payload } = tokenParts({ issuer: "spire", header: { alg: "HS256" } }, NOW);
    const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
    // The classic confusion: the published public key as an HMAC secret.
    const secret = new TextEncoder().encode(JSON.stringify(issuers.spire.published.keys[1]));
    const hmac = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", hmac, new TextEncoder().encode(input)));
    expect(problemOf(await verify(v, `${input}.${base64url.encode(mac)}`, PAYMENTS))).toBe("algorithm");
    const none = `${b64(JSON.stringify({ ...header, alg: "none" }))}.${b64(JSON.stringify(payload))}.`;
    // A token without a signature is not even a Bearer credential (bearer.ts wants three non-empty parts).
    expect(peekToken(`${none}x`).ok).toBe(true);
    expect(problemOf(await verify(v, `${none}x`, PAYMENTS))).toBe("algorithm");
  });

  it("uses only a SPIFFE bundle's jwt-svid keys: a token signed by its X.509 authority's key does not count", async () => {
    const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
    const authority = { ...(await exportJWK(publicKey)), kid: "x509-1", use: "x509-svid" };
    const server = issuerServer({
      [`${SPIRE}/bundle`]: () => Response.json({ keys: [...issuers.spire.published.keys, authority] }),
    });
    const { v } = verifierFor("spire", {}, server);
    const signer = { ...(await exportJWK(privateKey)), kid: "x509-1", alg: "ES256" } as JWK;
    const { header, payload } = tokenParts({ issuer: "spire", header: { kid: "x509-1" } }, NOW);
    const token = await signParts(signer, JSON.stringify(header), JSON.stringify(payload));
    expect(problemOf(await verify(v, token, PAYMENTS))).toBe("ERR_JWKS_NO_MATCHING_KEY");
  });

  it("never follows a redirect for keys, and takes no discovery document of another issuer", async () => {
    const moved = issuerServer({
      [`${SPIRE}/bundle`]: () =>
        new Response(null, { status: 302, headers: { location: "https://evil.example/keys" } }),
    });
    const { v } = verifierFor("spire", {}, moved);
    expect(problemOf(await verify(v, await workloadToken({ issuer: "spire" }, NOW), PAYMENTS))).toBe("keys-redirected");
    expect(moved.calls.map((c) => c.url)).toEqual([`${SPIRE}/bundle`]);

    const foreign = issuerServer({
      [`${GITHUB}/.well-known/openid-configuration`]: () =>
        Response.json({ issuer: "https://evil.example", jwks_uri: `${GITHUB}/.well-known/jwks` }),
    });
    const { v: github } = verifierFor("github", {}, foreign);
    expect(problemOf(await verify(github, await workloadToken({ issuer: "github" }, NOW), ORDERS))).toBe(
      "discovery-issuer",
    );
    const plain = issuerServer({
      [`${GITHUB}/.well-known/openid-configuration`]: () =>
        Response.json({ issuer: GITHUB, jwks_uri: "http://token.actions.githubusercontent.com/.well-known/jwks" }),
    });
    const { v: http } = verifierFor("github", {}, plain);
    expect(problemOf(await verify(http, await workloadToken({ issuer: "github" }, NOW), ORDERS))).toBe(
      "discovery-jwks-uri",
    );
  });

  it("refuses a key document larger than 64 KiB, whatever its Content-Length says", async () => {
    const big = JSON.stringify({ keys: issuers.spire.published.keys, padding: "x".repeat(70_000) });
    const server = issuerServer({
      [`${SPIRE}/bundle`]: () => new Response(big, { headers: { "content-type": "application/json" } }),
    });
    const { v } = verifierFor("spire", {}, server);
    expect(problemOf(await verify(v, await workloadToken({ issuer: "spire" }, NOW), PAYMENTS))).toBe("keys-too-large");
  });

  it("calls a key document cut off mid-body unreachable, not malformed", async () => {
    // The connection lost after the first bytes (or the body stalled until the fetch's timeout aborted it): the
    // read fails, which says where to look (the network, the issuer's server), not that the document is bad.
    const text = JSON.stringify(issuers.spire.published);
    const cut = () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(new TextEncoder().encode(text.slice(0, 20)));
            c.error(new TypeError("Network connection lost."));
          },
        }),
        { headers: { "content-type": "application/json" } },
      );
    const { v } = verifierFor("spire", {}, issuerServer({ [`${SPIRE}/bundle`]: cut }));
    expect(problemOf(await verify(v, await workloadToken({ issuer: "spire" }, NOW), PAYMENTS))).toBe(
      "keys-unreachable",
    );
    // A whole body that is not a key document is still malformed.
    const junk = () => new Response(text.slice(0, 20), { headers: { "content-type": "application/json" } });
    const { v: other } = verifierFor("spire", {}, issuerServer({ [`${SPIRE}/bundle`]: junk }));
    expect(problemOf(await verify(other, await workloadToken({ issuer: "spire" }, NOW), PAYMENTS))).toBe(
      "keys-malformed",
    );
  });
});

describe("key rotation and the unknown-kid storm", () => {
  it("follows rotation: a key published later verifies after one refetch", async () => {
    const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
    const next = { ...(await exportJWK(publicKey)), kid: "next", use: "jwt-svid" };
    let published: JWK[] = [...issuers.spire.published.keys];
    const server = issuerServer({ [`${SPIRE}/bundle`]: () => Response.json({ keys: published }) });
    const { v } = verifierFor("spire", {}, server);
    expect(problemOf(await verify(v, await workloadToken({ issuer: "spire" }, NOW), PAYMENTS))).toBe("ok");
    published = [...published, next];
    const signer = { ...(await exportJWK(privateKey)), kid: "next", alg: "ES256" } as JWK;
    const { header, payload } = tokenParts({ issuer: "spire", header: { kid: "next" } }, NOW);
    const rotated = await signParts(signer, JSON.stringify(header), JSON.stringify(payload));
    const later = NOW + REFETCH_COOLDOWN_MS;
    expect(problemOf(await verify(v, rotated, PAYMENTS, later))).toBe("ok");
    expect(server.calls).toHaveLength(2);
  });

  it("fetches keys at most once per 30 s however many unknown kids arrive", async () => {
    const { server, v } = verifierFor("spire");
    expect(problemOf(await verify(v, await workloadToken({ issuer: "spire" }, NOW), PAYMENTS))).toBe("ok");
    for (let i = 0; i < 50; i++) {
      const token = await workloadToken({ issuer: "spire", header: { kid: `made-up-${i}` } }, NOW);
      expect(problemOf(await verify(v, token, PAYMENTS, NOW + i * 100))).toBe("ERR_JWKS_NO_MATCHING_KEY");
    }
    // The first fetch, then none within the cooldown (the flood above spans 5 s).
    expect(server.calls).toHaveLength(1);
    const token = await workloadToken({ issuer: "spire", header: { kid: "made-up-late" } }, NOW);
    await verify(v, token, PAYMENTS, NOW + REFETCH_COOLDOWN_MS + 1);
    expect(server.calls).toHaveLength(2);
  });

  // A verified token is cached no longer than the key set is kept: once the issuer withdraws the key that
  // signed it (a rotation after a leak), a token already seen stops counting too, not only at its exp.
  it("verifies a cached token again once the key set may have changed: refused after its key was withdrawn", async () => {
    const { publicKey } = await generateKeyPair("RS256", { extractable: true });
    let keys: { keys: JWK[] } = issuers.cluster.published;
    const server = issuerServer({ [`${CLUSTER}/openid/v1/jwks`]: () => Response.json(keys) });
    const { v } = verifierFor("cluster", {}, server);
    const token = await workloadToken({ issuer: "cluster", claims: { exp: 3600, iat: 0, nbf: 0 } }, NOW);
    expect(problemOf(await verify(v, token, ORDERS))).toBe("ok");
    expect(server.calls).toHaveLength(2);
    keys = { keys: [{ ...(await exportJWK(publicKey)), kid: "rotated-after-compromise", alg: "RS256" }] };
    // Within the set's age the cached verification stands, and nothing is fetched for it.
    expect(problemOf(await verify(v, token, ORDERS, NOW + KEYS_MAX_AGE_MS - 60_000))).toBe("ok");
    expect(server.calls).toHaveLength(2);
    // Past it: verified against the set as it is now, which no longer holds the key.
    expect(problemOf(await verify(v, token, ORDERS, NOW + KEYS_MAX_AGE_MS + 60_000))).not.toBe("ok");
    expect(problemOf(await verify(v, token, ORDERS, NOW + 59 * 60_000))).not.toBe("ok");
  });

  it("refuses a cached token once the set that verified it is stale, however late in the set's life it was first seen", async () => {
    const { publicKey } = await generateKeyPair("RS256", { extractable: true });
    let keys: { keys: JWK[] } = issuers.cluster.published;
    const server = issuerServer({ [`${CLUSTER}/openid/v1/jwks`]: () => Response.json(keys) });
    const { v } = verifierFor("cluster", {}, server);
    // The set is fetched at NOW (by some token); the issuer then withdraws its key (a rotation after a leak).
    expect(problemOf(await verify(v, await workloadToken({ issuer: "cluster" }, NOW), ORDERS))).toBe("ok");
    keys = { keys: [{ ...(await exportJWK(publicKey)), kid: "rotated-after-compromise", alg: "RS256" }] };
    // A leaked token first shown 9 minutes in verifies against the set in hand, and is remembered ...
    const leakedAt = NOW + KEYS_MAX_AGE_MS - 60_000;
    const leaked = await workloadToken({ issuer: "cluster", claims: { exp: 3000, iat: 0, nbf: 0 } }, leakedAt);
    expect(problemOf(await verify(v, leaked, ORDERS, leakedAt))).toBe("ok");
    // ... and counts no more than a new token once that set is stale, 11 minutes after it was fetched.
    expect(problemOf(await verify(v, leaked, ORDERS, NOW + KEYS_MAX_AGE_MS + 60_000))).not.toBe("ok");
  });

  it("refuses a cached token as soon as a fetch for an unknown kid brings a set without its key", async () => {
    const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
    let keys: { keys: JWK[] } = issuers.cluster.published;
    const server = issuerServer({ [`${CLUSTER}/openid/v1/jwks`]: () => Response.json(keys) });
    const { v } = verifierFor("cluster", {}, server);
    const leaked = await workloadToken({ issuer: "cluster", claims: { exp: 3000, iat: 0, nbf: 0 } }, NOW);
    expect(problemOf(await verify(v, leaked, ORDERS))).toBe("ok");
    const kid = "rotated-after-compromise";
    keys = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: "RS256" }] };
    // A token of the new key past the refetch cooldown: the set is fetched again, without the old key.
    const later = NOW + REFETCH_COOLDOWN_MS + 1_000;
    const { header, payload } = tokenParts({ issuer: "cluster" }, later);
    const signer = { ...(await exportJWK(privateKey)), kid, alg: "RS256" };
    const rotated = await signParts(signer, JSON.stringify({ ...header, kid }), JSON.stringify(payload));
    expect(problemOf(await verify(v, rotated, ORDERS, later))).toBe("ok");
    expect(problemOf(await verify(v, leaked, ORDERS, later))).not.toBe("ok");
  });

  // Review finding: each refetch counted as a new set, so made-up kids (one refetch per cooldown) had every cached
  // token of the issuer verified again. The same keys, in another order and spelling, are the set in use.
  it("keeps cached tokens when a refetch for an unknown kid brings the keys already in use", async () => {
    const published = issuers.cluster.published.keys as JWK[];
    let keys: JWK[] = published;
    const server = issuerServer({ [`${CLUSTER}/openid/v1/jwks`]: () => Response.json({ keys }) });
    const { v } = verifierFor("cluster", {}, server);
    const token = await workloadToken({ issuer: "cluster", claims: { exp: 3600, iat: 0, nbf: 0 } }, NOW);
    const first = await verify(v, token, ORDERS);
    expect(problemOf(first)).toBe("ok");
    const reordered = (key: JWK) => Object.fromEntries(Object.entries(key).reverse()) as JWK;
    keys = [...published].reverse().map(reordered);
    const madeUp = await workloadToken({ issuer: "cluster", header: { kid: "made-up" } }, NOW);
    const later = NOW + REFETCH_COOLDOWN_MS + 1_000;
    expect(problemOf(await verify(v, madeUp, ORDERS, later))).toBe("ERR_JWKS_NO_MATCHING_KEY");
    expect(server.calls).toHaveLength(4);
    // Not verified again: the very result remembered, and the set counts as fetched at the refetch.
    expect(await verify(v, token, ORDERS, later)).toBe(first);
    expect(await verify(v, token, ORDERS, later + KEYS_MAX_AGE_MS - 60_000)).toBe(first);
    // Any change to the usable keys is a new set: the token is verified again.
    keys = [...published, { ...published[0]!, kid: "added" }];
    const again = later + REFETCH_COOLDOWN_MS + 1_000;
    expect(problemOf(await verify(v, madeUp, ORDERS, again))).toBe("ERR_JWKS_NO_MATCHING_KEY");
    const reverified = await verify(v, token, ORDERS, again);
    expect(problemOf(reverified)).toBe("ok");
    expect(reverified).not.toBe(first);
  });

  it("a key-set load whose request went away holds up no later token for good", async () => {
    // Workers tie a fetch to its request: a cancelled request's fetch (and its timeout) never settles.
    let fetches = 0;
    const fetchImpl = (_url: string, _init: RequestInit): Promise<Response> =>
      ++fetches === 2 ? new Promise<Response>(() => {}) : Promise.resolve(Response.json(issuers.spire.published));
    const v = new WorkloadTokenVerifier(compiled("spire"), fetchImpl);
    expect(problemOf(await verify(v, await workloadToken({ issuer: "spire" }, NOW), PAYMENTS))).toBe("ok");
    // Anyone can start a load: a token naming the issuer with a made-up kid, then gone.
    const madeUp = await workloadToken({ issuer: "spire", header: { kid: "made-up" } }, NOW);
    void verify(v, madeUp, PAYMENTS, NOW + REFETCH_COOLDOWN_MS + 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(fetches).toBe(2);
    // The set goes stale: the next token's load replaces the abandoned one (within the cooldown) and verifies.
    const later = NOW + KEYS_MAX_AGE_MS + 60_000;
    const answer = await Promise.race([
      verify(v, await workloadToken({ issuer: "spire" }, later), PAYMENTS, later),
      new Promise<"waiting">((r) => setTimeout(() => r("waiting"), 2_000)),
    ]);
    expect(answer === "waiting" ? answer : problemOf(answer)).toBe("ok");
    expect(fetches).toBe(3);
  });

  it("a caller who abandons a load at each replacement mark keeps no later token refused", async () => {
    // Review finding: only a request arriving after the 12 s mark replaced an abandoned load, so a caller who was
    // always first after the mark (a made-up kid, then gone) left every other token waiting, then refused.
    let abandon = false;
    let fetches = 0;
    const fetchImpl = (_url: string, _init: RequestInit): Promise<Response> => {
      fetches++;
      return abandon ? new Promise<Response>(() => {}) : Promise.resolve(Response.json(issuers.spire.published));
    };
    const v = new WorkloadTokenVerifier(compiled("spire"), fetchImpl);
    expect(problemOf(await verify(v, await workloadToken({ issuer: "spire" }, NOW), PAYMENTS))).toBe("ok");
    const madeUp = await workloadToken({ issuer: "spire", header: { kid: "made-up" } }, NOW);
    let at = NOW + KEYS_MAX_AGE_MS + 1; // the set has gone stale
    for (let round = 0; round < 5; round++) {
      abandon = true;
      void verify(v, madeUp, PAYMENTS, at);
      await new Promise((r) => setTimeout(r, 10));
      abandon = false;
      // A workload arriving just before the mark waits out the abandoned load, then loads the set itself.
      const legit = at + ABANDONED_LOAD_MS - 15;
      expect(problemOf(await verify(v, await workloadToken({ issuer: "spire" }, legit), PAYMENTS, legit))).toBe("ok");
      at += ABANDONED_LOAD_MS;
    }
    // The first set, the abandoned load and its replacement; then the set is fresh, and the made-up kid may start
    // a load once per cooldown (30 s: in the fifth round), which holds up no token the set in hand verifies.
    expect(fetches).toBe(4);
  });

  it("does not let an issuer that is down become a fetch per request, and drops a set past its age", async () => {
    let up = true;
    const server = issuerServer({
      [`${SPIRE}/bundle`]: () => (up ? Response.json(issuers.spire.published) : new Response("down", { status: 503 })),
    });
    const { v } = verifierFor("spire", {}, server);
    const token = await workloadToken({ issuer: "spire" }, NOW);
    expect(problemOf(await verify(v, token, PAYMENTS))).toBe("ok");
    up = false;
    // Past the set's age it no longer counts: the issuer may have withdrawn the key.
    const stale = NOW + KEYS_MAX_AGE_MS + 1;
    const fresh = await workloadToken({ issuer: "spire" }, stale);
    for (let i = 0; i < 20; i++) expect(problemOf(await verify(v, fresh, PAYMENTS, stale + i))).toBe("keys-status");
    expect(server.calls).toHaveLength(2);
  });
});

describe("the claims of a validly signed token", () => {
  it.each<[string, WorkloadTokenSpec, string]>([
    ["another service's audience", { issuer: "spire", claims: { aud: [ORDERS] } }, "ERR_JWT_CLAIM_VALIDATION_FAILED"],
    ["no audience", { issuer: "spire", claims: { aud: null } }, "ERR_JWT_CLAIM_VALIDATION_FAILED"],
    ["another issuer's iss", { issuer: "spire", claims: { iss: CLUSTER } }, "ERR_JWT_CLAIM_VALIDATION_FAILED"],
    [
      "an iss with a trailing slash",
      { issuer: "spire", claims: { iss: `${SPIRE}/` } },
      "ERR_JWT_CLAIM_VALIDATION_FAILED",
    ],
    ["expired beyond the skew", { issuer: "spire", claims: { iat: -400, exp: -31 } }, "ERR_JWT_EXPIRED"],
    ["no iat", { issuer: "spire", claims: { iat: null } }, "ERR_JWT_CLAIM_VALIDATION_FAILED"],
    ["no exp", { issuer: "spire", claims: { exp: null } }, "ERR_JWT_CLAIM_VALIDATION_FAILED"],
    ["a lifetime over the issuer's 5 min", { issuer: "spire", claims: { exp: 301 } }, "lifetime-too-long"],
    ["an iat in the future", { issuer: "spire", claims: { iat: 31, exp: 300 } }, "issued-in-the-future"],
    ["a fractional exp", { issuer: "spire", claims: { exp: NOW / 1000 + 100.5 } }, "malformed-time"],
    [
      "a SPIFFE ID of another trust domain",
      { issuer: "spire", claims: { sub: "spiffe://partner.ward.internal/ns/shop/sa/checkout" } },
      "issuer-trust-domain-mismatch",
    ],
    [
      "a SPIFFE ID in upper case",
      { issuer: "spire", claims: { sub: "spiffe://Demo.ward.internal/ns/shop/sa/checkout" } },
      "malformed-spiffe-id",
    ],
    ["a SPIFFE ID with a trailing slash", { issuer: "spire", claims: { sub: `${CHECKOUT}/` } }, "malformed-spiffe-id"],
    [
      "a SPIFFE ID with a dot segment",
      { issuer: "spire", claims: { sub: "spiffe://demo.ward.internal/ns/./shop/sa/checkout" } },
      "malformed-spiffe-id",
    ],
    [
      "a SPIFFE ID percent-encoded",
      { issuer: "spire", claims: { sub: "spiffe://demo.ward.internal/ns/shop/sa/check%6Fut" } },
      "malformed-spiffe-id",
    ],
    [
      "the trust domain's own ID",
      { issuer: "spire", claims: { sub: "spiffe://demo.ward.internal" } },
      "malformed-spiffe-id",
    ],
    ["a sub with a newline", { issuer: "github", claims: { sub: "repo:ward-demo/orders\nadmin" } }, "malformed-sub"],
    // Shown in logs and pages as `repo:ward-demo/orders`, and matched by a prefix naming it.
    [
      "a sub with a zero-width space",
      { issuer: "github", claims: { sub: "repo:ward-demo/orders\u200B" } },
      "malformed-sub",
    ],
    ["a sub with a BOM", { issuer: "github", claims: { sub: "\uFEFFrepo:ward-demo/orders" } }, "malformed-sub"],
    ["a sub with a soft hyphen", { issuer: "github", claims: { sub: "repo:ward-demo/or\u00ADders" } }, "malformed-sub"],
    ["scope and scp both", { issuer: "spire", claims: { scp: ["payments:charge"] } }, "malformed-scope"],
    ["a scope with a quote", { issuer: "spire", claims: { scope: 'payments:charge "x"' } }, "malformed-scope"],
    ["scp that is no list", { issuer: "spire", claims: { scope: null, scp: "payments:charge" } }, "malformed-scope"],
    ["another owner's repository", { issuer: "github", claims: { repository_owner: "mallory" } }, "required-claims"],
    [
      "a service account the kubernetes.io claim does not name",
      { issuer: "cluster", claims: { sub: "system:serviceaccount:shop:checkout" } },
      "service-account-mismatch",
    ],
    [
      "no kubernetes.io claim (a legacy secret token)",
      { issuer: "cluster", claims: { "kubernetes.io": null } },
      "service-account-mismatch",
    ],
    [
      "a sub that is no service account",
      { issuer: "cluster", claims: { sub: "system:node:node-a" } },
      "malformed-service-account",
    ],
    // Kept as parsed in the verified-token cache: 8 KiB of `[[[...]]]` would be ~160 KiB of heap there.
    ["claims nested past 8 levels", { issuer: "spire", claims: { x: nested(9) } }, "claims-too-complex"],
    [
      "more than 512 claim values",
      { issuer: "spire", claims: { x: Array.from({ length: 512 }, () => 0) } },
      "claims-too-complex",
    ],
  ])("refuses %s", async (_name, spec, problem) => {
    const audience = spec.issuer === "spire" ? PAYMENTS : ORDERS;
    const { v } = verifierFor(spec.issuer);
    expect(problemOf(await verify(v, await workloadToken(spec, NOW), audience))).toBe(problem);
  });

  it("takes the issuers' own nesting (Kubernetes' kubernetes.io), and claims up to the bounds", async () => {
    const { v } = verifierFor("spire");
    const deep = await workloadToken({ issuer: "spire", claims: { x: nested(7) } }, NOW);
    expect(problemOf(await verify(v, deep, PAYMENTS))).toBe("ok");
    const cluster = verifierFor("cluster").v;
    expect(problemOf(await verify(cluster, await workloadToken({ issuer: "cluster" }, NOW), ORDERS))).toBe("ok");
  });

  it("takes a token only as its issuer spelt it: the signature's spare bits set are refused", async () => {
    const { v } = verifierFor("spire");
    const good = await workloadToken({ issuer: "spire" }, NOW);
    expect(problemOf(await verify(v, good, PAYMENTS))).toBe("ok");
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const signature = good.slice(good.lastIndexOf(".") + 1);
    // An ES256 signature is 64 bytes, 86 characters: the last carries 4 bits decoders drop.
    expect(signature.length % 4).toBe(2);
    const last = alphabet.indexOf(signature.at(-1)!);
    for (let bits = 1; bits < 16; bits++)
      expect(problemOf(await verify(v, `${good.slice(0, -1)}${alphabet[(last & ~15) | bits]}`, PAYMENTS))).toBe(
        "malformed-token",
      );
  });

  it("takes scp as a list, an aud list that names the service, and exp within the 30 s skew", async () => {
    const { v } = verifierFor("spire");
    const scp = await workloadToken(
      { issuer: "spire", claims: { scope: null, scp: ["payments:read", "payments:charge"] } },
      NOW,
    );
    const result = await verify(v, scp, PAYMENTS);
    expect(result.ok && result.scopes).toEqual(["payments:read", "payments:charge"]);
    const two = await workloadToken({ issuer: "spire", claims: { aud: [ORDERS, PAYMENTS] } }, NOW);
    expect(problemOf(await verify(v, two, PAYMENTS))).toBe("ok");
    const late = await workloadToken({ issuer: "spire", claims: { iat: -310, exp: -29 } }, NOW);
    expect(problemOf(await verify(v, late, PAYMENTS))).toBe("ok");
  });

  it("remembers a verified token per audience, never past its exp", async () => {
    const server = issuerServer();
    const { v } = verifierFor("spire", {}, server);
    const token = await workloadToken({ issuer: "spire" }, NOW);
    expect(problemOf(await verify(v, token, PAYMENTS))).toBe("ok");
    expect(problemOf(await verify(v, token, ORDERS))).toBe("ERR_JWT_CLAIM_VALIDATION_FAILED");
    expect(problemOf(await verify(v, token, PAYMENTS, NOW + 300_000 + 31_000))).toBe("ERR_JWT_EXPIRED");
  });

  it("reads the issuer from the token only to choose its keys: the signature must still be that issuer's", async () => {
    const { v } = verifierFor("spire");
    // The issuer's iss and kid, signed by a key of the attacker's own.
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const attacker = { ...(await exportJWK(privateKey)), kid: issuerKey("spire").kid, alg: "ES256" } as JWK;
    const { header, payload } = tokenParts({ issuer: "spire" }, NOW);
    const forged = await signParts(attacker, JSON.stringify(header), JSON.stringify(payload));
    expect(problemOf(await verify(v, forged, PAYMENTS))).toBe("ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
  });
});

// Whether an Authorization value that is not one Bearer token still carries a token meant for Ward.
describe("claimedIssuers", () => {
  it("finds each payload's iss however the tokens around it are wrapped", async () => {
    const a = await workloadToken({ issuer: "cluster" }, NOW);
    const b = await workloadToken({ issuer: "spire" }, NOW);
    expect(claimedIssuers(`Bearer "${a}==", Token ${b};`)).toEqual([CLUSTER, SPIRE]);
    expect(claimedIssuers(`Basic dXNlcjpwYXNz`)).toEqual([]);
  });

  it("finds a payload in the value's other readings, alone and combined (from two reviews)", async () => {
    // A claim whose base64url holds `-` and `_` (`>>>` and `???` in any alignment), for the standard-base64 forms.
    const t = await workloadToken({ issuer: "cluster", claims: { note: ">>>>>>??????" } }, NOW);
    const [h, p, sig] = t.split(".") as [string, string, string];
    expect(p).toMatch(/[-_]/);
    const std = p.replaceAll("-", "+").replaceAll("_", "/");
    // JSON's escape of the ninth letter: no run of letters holds the payload as sent.
    const jsonEscaped = (payload: string) =>
      `${payload.slice(0, 8)}\\u00${payload.charCodeAt(8).toString(16)}${payload.slice(9)}`;
    const base64url = (text: string) => btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    const forms = {
      "JSON serialization": `Bearer ${JSON.stringify({ protected: h, payload: p, signature: sig })}`,
      "general JSON serialization": `Bearer ${JSON.stringify({ payload: p, signatures: [{ protected: h, signature: sig }] })}`,
      "JSON serialization, escaped": `Bearer {"payload":"${jsonEscaped(p)}","protected":"${h}","signature":"${sig}"}`,
      "JSON, escaped, standard base64": `Bearer {"payload":"${jsonEscaped(std)}","protected":"${h}","signature":"${sig}"}`,
      "JSON after a stray brace": `Bearer { {"payload":"${jsonEscaped(p)}"}`,
      "JSON with its slashes escaped": `Bearer {"payload":"${std.replaceAll("/", "\\/")}"}`,
      "dots percent-encoded": `Bearer ${h}%2E${p}%2E${sig}`,
      "dots percent-encoded twice": `Bearer ${h}%252E${p}%252e${sig}`,
      "dots percent-encoded, standard base64": `Bearer ${h}%2E${std}%2E${sig}`,
      "+ and / percent-encoded": `Bearer ${h}.${std.replaceAll("+", "%2B").replaceAll("/", "%2F")}.${sig}`,
      "payload padded": `Bearer ${h}.${p}=.${sig}`,
      "parts joined with commas": `Bearer ${h},${p},${sig}`,
      "parts joined with slashes": `Bearer ${h}/${p}/${sig}`,
      "standard base64": `Bearer ${h}.${std}.${sig}`,
      "Basic, the token as password": `Basic ${btoa(`x-access-token:${t}`)}`,
      // Node's Buffer decodes either alphabet (express's basic-auth takes `-` and `_`).
      "Basic in base64url letters": `Basic ${base64url(`~~~:${t}`)}`,
      "Basic beside a second Basic": `Basic ${btoa(`x-access-token:${t}`)}, Basic Zm9vOmJhcg==`,
      "base64 of the token under another scheme": `Token ${btoa(t)}`,
    };
    const missed = Object.entries(forms).filter(([, v]) => !(claimedIssuers(v) ?? []).includes(CLUSTER));
    expect(missed.map(([name]) => name)).toEqual([]);
    // An app's own credentials hold no payload of any issuer.
    for (const own of ["Bearer app-session-1", "Basic dXNlcjpwYXNz", "Bearer %7B%22a%22%3A1%7D", 'Bearer {"a":"b"}'])
      expect(claimedIssuers(own), own).toEqual([]);
  });

  it("counts a payload once however many readings hold it: an app's own six tokens are six (from a review)", () => {
    const part = (o: object) => btoa(JSON.stringify(o)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    const own = Array.from(
      { length: 6 },
      (_, i) => `${part({ alg: "HS256" })}.${part({ iss: `https://app.example/${i}` })}.c2ln`,
    );
    // A path percent-encoded beside them: the value has two readings, each holding the six payloads.
    expect(claimedIssuers(`Custom path=/a%20b, ${own.join(", ")}`)).toHaveLength(6);
  });

  it("looks at no more than MAX_CLAIMED_RUNS runs, repeats included: past them the value is Ward's, unread", () => {
    const runs = (n: number) => `x ${Array.from({ length: n }, (_, i) => `r${String(i).padStart(13, "0")}`).join(",")}`;
    expect(claimedIssuers(runs(MAX_CLAIMED_RUNS))).toEqual([]);
    expect(claimedIssuers(runs(MAX_CLAIMED_RUNS + 1))).toBeUndefined();
    expect(claimedIssuers(`x ${"abcdefghijklmn,".repeat(MAX_CLAIMED_RUNS + 1)}`)).toBeUndefined();
    // Shorter runs cannot be a payload naming an issuer: never looked at, however many.
    expect(claimedIssuers(`x ${"abcdefghijklm,".repeat(40_000)}`)).toEqual([]);
  });

  it("takes an honest Negotiate (Kerberos) ticket of a person in many groups for the app's: 12-48 KB (from a review)", () => {
    // Deterministic bytes standing in for a ticket's encrypted part (xorshift32): standard base64, whose `+` and `/`
    // split it into hundreds of base64url runs of 14 letters or more.
    const ticket = (n: number) => {
      const bytes = new Uint8Array(n);
      let x = 0x9e3779b9;
      for (let i = 0; i < n; i++) {
        x ^= x << 13;
        x >>>= 0;
        x ^= x >>> 17;
        x ^= x << 5;
        x >>>= 0;
        bytes[i] = x & 0xff;
      }
      let binary = "";
      for (const byte of bytes) binary += String.fromCharCode(byte);
      return btoa(binary);
    };
    for (const size of [12_000, 48_000]) expect(claimedIssuers(`Negotiate ${ticket(size)}`), String(size)).toEqual([]);
  });

  it("reads a Basic credential as base64 of text though a run before it held it (from a review)", async () => {
    const t = await workloadToken({ issuer: "cluster" }, NOW);
    const basic = btoa(`x-access-token:${t}`);
    expect(claimedIssuers(`Basic ${basic}`)).toEqual([CLUSTER]);
    // Met first inside another run's decoding, where it is not decoded further.
    expect(claimedIssuers(`Foo ${btoa(`a:${basic}`)}, Basic ${basic}`)).toEqual([CLUSTER]);
  });

  it("parses at most four tokens' worth of payload letters: one huge payload-shaped run is Ward's, unread", () => {
    const base64url = (text: string) => btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    // A 96 KiB object naming an issuer (parsing such took 20-50 ms, from a review), as Basic or as a payload.
    const huge = `{"iss":"x","a":${"[".repeat(48_000)}${"]".repeat(48_000)}}`;
    expect(claimedIssuers(`Basic ${base64url(huge)}`)).toBeUndefined();
    expect(claimedIssuers(`Bearer h.${base64url(huge)}.s`)).toBeUndefined();
    // A token over the size bound is still read, and named.
    const padded = `{"iss":"x","pad":"${"p".repeat(9_000)}"}`;
    expect(claimedIssuers(`Bearer h.${base64url(padded)}.s`)).toEqual(["x"]);
  });

  it("reads hostile values of Cloudflare's largest headers without throwing: deep JSON, percent and escape chains", () => {
    expect(claimedIssuers(`Bearer {"a":${"[".repeat(50_000)}${"]".repeat(50_000)}}`)).toEqual([]);
    expect(claimedIssuers(`Bearer ${"%25".repeat(40_000)}2E`)).toEqual([]);
    expect(claimedIssuers(`Bearer ${"\\u0041".repeat(20_000)}`)).toEqual([]);
    expect(claimedIssuers(`Bearer ${"%u".repeat(60_000)}`)).toEqual([]);
  });

  it("skips a byte order mark before a payload, as decoders do (from a review)", async () => {
    const { header, payload } = tokenParts({ issuer: "cluster" }, NOW);
    const t = await signParts(issuerKey("cluster"), JSON.stringify(header), `\uFEFF${JSON.stringify(payload)}`);
    expect(claimedIssuers(`Bearer ${t}, Bearer app-1`)).toEqual([CLUSTER]);
    // Split at slashes, the payload is a run of base64url letters inside a longer one: its base64 starts `77u`.
    const [h, p, sig] = t.split(".") as [string, string, string];
    expect(p.startsWith("77u")).toBe(true);
    expect(claimedIssuers(`Bearer ${h}/${p}/${sig}`)).toEqual([CLUSTER]);
  });

  it("reads a hostile value of many short segments once, finding nothing", () => {
    for (const piece of ["ab.", "e30.", "eyJ9.", "{}.", "eyx9."])
      expect(claimedIssuers(`x.${piece.repeat(40_000)}`)).toEqual([]);
  });

  it("parses at most MAX_CLAIMED_PAYLOADS payloads: past them, undefined (the value is Ward's, unread)", async () => {
    // Distinct payloads (a repeated one is read once).
    const distinct = await Promise.all(
      Array.from({ length: MAX_CLAIMED_PAYLOADS + 1 }, (_, i) =>
        workloadToken({ issuer: "cluster", claims: { n: i } }, NOW),
      ),
    );
    const payload = distinct[0]!.split(".")[1]!;
    const payloads = (n: number) =>
      `Bearer x.${distinct
        .slice(0, n)
        .map((t) => t.split(".")[1])
        .join(".")}.y`;
    expect(claimedIssuers(payloads(MAX_CLAIMED_PAYLOADS))).toEqual(Array(MAX_CLAIMED_PAYLOADS).fill(CLUSTER));
    expect(claimedIssuers(payloads(MAX_CLAIMED_PAYLOADS + 1))).toBeUndefined();
    // Segments that cannot name an issuer are not parsed, and count for nothing.
    expect(claimedIssuers(`x.${"e30.".repeat(40_000)}${payload}.y`)).toEqual([CLUSTER]);
  });

  it("finds an iss spelt with an escape", async () => {
    const { header, payload } = tokenParts({ issuer: "cluster" }, NOW);
    const text = JSON.stringify(payload).replace('"iss"', '"\\u0069ss"');
    expect(text).toContain("u0069ss");
    const t = await signParts(issuerKey("cluster"), JSON.stringify(header), text);
    expect(claimedIssuers(`Bearer ${t}, Bearer app-1`)).toEqual([CLUSTER]);
  });
});
