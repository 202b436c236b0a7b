// Ward's signed identity assertion: how an origin learns who called. A short-lived ES256 JWT whose `aud` is
// the service, so an assertion captured at one origin cannot be replayed to another. Keys come from the
// secret ASSERTION_SIGNING_KEYS (a JWK set of private keys): the first signs, all are published, so a new
// key can be published before it signs and an old one kept until assertions signed with it have expired.
import { importJWK, SignJWT, type JWK } from "jose";
import type { Decision, Identity } from "../policy/index.ts";

export const ASSERTION_HEADER = "ward-assertion";
export const JWKS_PATH = "/.well-known/ward/jwks.json";
/** Seconds an assertion is valid: long enough for one hop, short enough that a leaked one soon dies. */
export const ASSERTION_TTL_SECONDS = 60;

interface SigningKeys {
  signer: { key: CryptoKey; kid: string };
  published: { keys: JWK[] };
}

let cached: { secret: string; keys: Promise<SigningKeys> } | undefined;

async function parseKeys(secret: string): Promise<SigningKeys> {
  const set = JSON.parse(secret) as { keys?: JWK[] };
  const keys = set.keys ?? [];
  const first = keys[0];
  if (!first || !first.kid || first.kty !== "EC" || first.crv !== "P-256" || !first.d) {
    throw new Error("ASSERTION_SIGNING_KEYS must be {\"keys\":[private P-256 JWKs with kid, ...]}");
  }
  const published = keys.map(({ d: _private, ...publicPart }) => ({ ...publicPart, alg: "ES256", use: "sig" }));
  if (published.some((k) => !k.kid || k.kty !== "EC")) throw new Error("every assertion key needs a kid and must be EC P-256");
  const key = (await importJWK(first, "ES256")) as CryptoKey;
  return { signer: { key, kid: first.kid }, published: { keys: published } };
}

/** The keys, imported once per isolate (and again only when the secret changes). Rejects on a bad secret. */
export function assertionKeys(secret: string | undefined): Promise<SigningKeys> {
  if (!secret) return Promise.reject(new Error("ASSERTION_SIGNING_KEYS is not set"));
  if (cached?.secret !== secret) {
    const keys = parseKeys(secret);
    cached = { secret, keys };
    keys.catch(() => (cached = undefined));
  }
  return cached.keys;
}

function hexToBase64url(hex: string): string {
  const bytes = hex.match(/../g)!.map((h) => parseInt(h, 16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export interface AssertionFacts {
  identity: Identity;
  decision: Decision;
  requestId: string;
  issuer: string;
  /** SHA-256 fingerprint (hex) of the client certificate, for the `cnf` binding. */
  certificateSha256?: string;
  now: number;
}

export async function signAssertion(keys: SigningKeys, facts: AssertionFacts): Promise<string> {
  const { identity, decision } = facts;
  const iat = Math.floor(facts.now / 1000);
  const claims: Record<string, unknown> = {
    ward_route: decision.route,
    ward_rule: decision.rule,
    ward_policy: decision.policyVersion,
    ward_mode: decision.mode,
  };
  // A request no rule allowed but a time-bounded grant did: the origin can tell, and say no itself.
  if (decision.exception) claims.ward_exception = `${decision.exception.kind}:${decision.exception.id}`;
  if (identity.workload) claims.workload = identity.workload.id;
  if (identity.user) claims.email = identity.user.email;
  if (identity.serviceToken) claims.service_token = identity.serviceToken.clientId;
  // RFC 8705 §3.1: binds the assertion to the client certificate the workload presented.
  if (facts.certificateSha256) claims.cnf = { "x5t#S256": hexToBase64url(facts.certificateSha256) };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid: keys.signer.kid, typ: "ward-assertion+jwt" })
    .setIssuer(facts.issuer)
    .setAudience(decision.service!)
    .setSubject(decision.principal)
    .setJti(facts.requestId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ASSERTION_TTL_SECONDS)
    .sign(keys.signer.key);
}
