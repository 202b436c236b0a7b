// Ward's signed identity assertion: how an origin learns who called. A short-lived ES256 JWT whose `aud` is
// the service, so an assertion captured at one origin cannot be replayed to another. Keys come from the
// secret ASSERTION_SIGNING_KEYS (a JWK set of private keys): the first signs, all are published, so a new
// key can be published before it signs and an old one kept until assertions signed with it have expired.
import { importJWK, SignJWT, type JWK } from "jose";
import { readAssertionKeySet } from "../../policy/assertion-key-set.ts";
import {
  exceptionClaim,
  wouldDenyClaim,
  type CredentialSeen,
  type Decision,
  type Identity,
} from "../../policy/index.ts";
import { SizedCache, setBounded } from "../shared/bounded-cache.ts";

export const ASSERTION_HEADER = "ward-assertion";
/** Seconds an assertion is valid: long enough for one hop, short enough that a leaked one soon dies. */
export const ASSERTION_TTL_SECONDS = 60;

/**
 * The `iss` the environment signs with: ASSERTION_ISSUER, or "ward" when it is unset or blank (read as unset,
 * as every blank var is; a blank `iss` would say nothing of whose gateway vouched). ward doctor reads it so too.
 */
export function assertionIssuer(configured: unknown): string {
  return typeof configured === "string" && configured.trim() !== "" ? configured : "ward";
}

interface SigningKeys {
  signer: { key: CryptoKey; kid: string };
  published: { keys: JWK[] };
}

let cached: { secret: string; keys: Promise<SigningKeys> } | undefined;

async function parseKeys(secret: string): Promise<SigningKeys> {
  const read = readAssertionKeySet(secret);
  if (!read.ok) throw new Error(read.problem);
  const key = (await importJWK(read.signer, "ES256")) as CryptoKey;
  return { signer: { key, kid: read.signer.kid }, published: { keys: read.published } };
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
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** `x5t#S256` per certificate fingerprint, converted once per isolate (bounded; the oldest goes first). */
const thumbprints = new Map<string, string>();
function thumbprintOf(fingerprintHex: string): string {
  let thumbprint = thumbprints.get(fingerprintHex);
  if (thumbprint === undefined)
    setBounded(thumbprints, fingerprintHex, (thumbprint = hexToBase64url(fingerprintHex)), 5000);
  return thumbprint;
}

export interface AssertionFacts {
  identity: Identity;
  decision: Decision;
  issuer: string;
  /** SHA-256 fingerprint (hex) of the client certificate, for the `cnf` binding. */
  certificateSha256?: string;
  /** The credentials verified on the request: the origin is told their kinds and issuers. */
  credentials?: readonly CredentialSeen[];
  /** When it is made (ms), not when the request arrived: its `iat`, and what reuse is measured against. */
  now: number;
}

/**
 * Everything an assertion says except its time and id: two requests with the same claims share a token. One
 * literal, a claim the request has none of left undefined (JSON.stringify, jose's too, does not write it): the
 * text is as if only the claims present were set, and every request's claims are an object of one shape.
 */
function claimsOf(facts: AssertionFacts): Record<string, unknown> {
  const { identity, decision } = facts;
  const target = decision.target!;
  const workloadToken = identity.workloadToken;
  return {
    iss: facts.issuer,
    aud: decision.service!,
    sub: decision.principal,
    // The request it was issued for (as DPoP's htm and htu, RFC 9449), so a token seen at one route cannot
    // be replayed to another within its life: the origin compares them with the request it received.
    htm: target.method,
    htu: `https://${target.host}${target.path}`,
    ward_route: decision.route,
    // The rule that allowed it: in audit mode a would-deny's decision names the deny rule, which ward_would_deny
    // carries (from a generated test: an origin reading ward_rule as "allowed by" was told a deny rule).
    ward_rule: decision.reasons[0] === "allowed-by-rule" ? decision.rule : undefined,
    ward_policy: decision.policyVersion,
    ward_mode: decision.mode,
    // A request no rule allowed but a time-bounded grant did: the origin can tell, and say no itself.
    ward_exception: exceptionClaim(decision.exception),
    // Audit mode forwards what enforcement would refuse: say so, with the rule (or reason) that would have.
    ward_would_deny: wouldDenyClaim(decision),
    workload: identity.workload?.id ?? workloadToken?.spiffeId,
    email: identity.user?.email,
    service_token: identity.serviceToken?.clientId,
    // The origin no longer sees the workload token (Ward consumed it): what it granted comes from here.
    scope: identity.scopes && identity.scopes.length > 0 ? identity.scopes.join(" ") : undefined,
    // Which credentials vouched for the caller, and who issued each: a bearer token is weaker evidence than a
    // certificate, and an origin may want to tell them apart.
    ward_credentials:
      facts.credentials && facts.credentials.length > 0
        ? facts.credentials.map((c) => ({
            kind: c.kind,
            iss: c.issuer,
            sub: c.kind === "workload-token" ? workloadToken?.subject : undefined,
          }))
        : undefined,
    // RFC 8705 §3.1: binds the assertion to the client certificate the workload presented.
    cnf: facts.certificateSha256 ? { "x5t#S256": thumbprintOf(facts.certificateSha256) } : undefined,
  };
}

/** A freshly signed assertion: `jti` names the assertion (the request id travels in Ward-Request-Id). */
async function signAssertion(keys: SigningKeys, facts: AssertionFacts): Promise<string> {
  const iat = Math.floor(facts.now / 1000);
  return new SignJWT(claimsOf(facts))
    .setProtectedHeader({ alg: "ES256", kid: keys.signer.kid, typ: "ward-assertion+jwt" })
    .setJti(crypto.randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + ASSERTION_TTL_SECONDS)
    .sign(keys.signer.key);
}

/**
 * Seconds an assertion is reused for the same claims. Signing costs more than the rest of Ward's decision,
 * and a caller's next request to the same route usually follows within seconds; the origin still always
 * receives an assertion with at least ASSERTION_TTL_SECONDS - ASSERTION_REUSE_SECONDS (30 s) to live.
 */
export const ASSERTION_REUSE_SECONDS = 30;
/** Assertions kept per isolate (and per signing key set); the oldest goes first. */
const REUSE_LIMIT = 10_000;
/**
 * And at most this many characters of claims and tokens together (~8 MB): the claims hold the request's URL, so a
 * caller sending 10,000 distinct long paths would otherwise keep ~100 MB alive, near the isolate's 128 MB.
 * Usual entries (~1.5 K) fit some 5,000 at once; past that the oldest go first.
 */
const REUSE_CHARACTERS = 8_000_000;

interface Reusable {
  token: string;
  issuedAt: number;
}

/** Per signing key set, so a rotated secret never serves a token signed with the old key. */
const reusable = new WeakMap<SigningKeys, SizedCache<Reusable>>();

/** The assertion for these facts: one signed earlier for exactly the same claims, while young enough, else a new one. */
export async function assertionFor(keys: SigningKeys, facts: AssertionFacts): Promise<string> {
  let cache = reusable.get(keys);
  if (!cache) reusable.set(keys, (cache = new SizedCache(REUSE_LIMIT, REUSE_CHARACTERS)));
  // The claims themselves are the key, so no claim can ever be left out of the comparison.
  const key = JSON.stringify(claimsOf(facts));
  const nowSeconds = Math.floor(facts.now / 1000);
  const kept = cache.get(key);
  if (kept && nowSeconds >= kept.issuedAt && nowSeconds - kept.issuedAt < ASSERTION_REUSE_SECONDS) return kept.token;
  const token = await signAssertion(keys, facts);
  cache.set(key, { token, issuedAt: nowSeconds }, token.length);
  return token;
}

/** Characters and entries the reuse cache holds for these keys (tests check its bounds). */
export function reuseCacheSize(keys: SigningKeys): { entries: number; characters: number } {
  const cache = reusable.get(keys);
  return cache?.held ?? { entries: 0, characters: 0 };
}
