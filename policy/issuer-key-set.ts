// What counts in a workload-token issuer's key set, and where OIDC discovery says the set is. Pure, so the
// Worker (worker/identity/issuer-keys.ts, which fetches and verifies) and `ward doctor` (which fetches the
// same documents from the operator's machine) agree on which keys an issuer really has: a key doctor calls
// usable is one the gateway will verify with, and one it drops the gateway drops too.
import type { TokenAlgorithm } from "./token-issuers.ts";

/** A key set or discovery document larger than this is refused unread (GitHub's JWKS is about 2 KiB). */
export const MAX_KEY_DOCUMENT_BYTES = 65_536;
export const MAX_KEYS = 100;
/** Asymmetric key types only: an `oct` key in a key set would be an HMAC secret anyone could read. */
const KEY_TYPES = new Set(["RSA", "EC", "OKP"]);
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/** A public JWK as handed to the verifier: `use` is always `sig`, no certificates. */
export type PublicJwk = Readonly<Record<string, unknown>> & { kty: string; kid: string; use: "sig" };

/**
 * The keys of a set the issuer may use: public keys of an asymmetric type, with a `kid`, and the `use` its
 * source marks them with (`jwt-svid` in a SPIFFE bundle, where every other key must be ignored; `sig` or none
 * elsewhere). jose only takes keys marked `sig` (or unmarked), so a SPIFFE key is handed to it as one.
 * `undefined` for a document that is no key set at all (no `keys` array, or more than MAX_KEYS).
 */
export function usableKeys(document: unknown, use: "jwt-svid" | "sig"): PublicJwk[] | undefined {
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length > MAX_KEYS) return undefined;
  const usable: PublicJwk[] = [];
  for (const key of keys as unknown[]) {
    if (key === null || typeof key !== "object" || Array.isArray(key)) continue;
    const jwk = key as Record<string, unknown>;
    if (typeof jwk.kty !== "string" || !KEY_TYPES.has(jwk.kty)) continue;
    if (typeof jwk.kid !== "string" || jwk.kid.length === 0) continue;
    if (PRIVATE_MEMBERS.some((m) => Object.hasOwn(jwk, m))) continue;
    if (use === "jwt-svid" ? jwk.use !== "jwt-svid" : jwk.use !== undefined && jwk.use !== "sig") continue;
    // RFC 7517 4.3: distinct operations; a key published for `sign` and `verify` is a verifying key too. Checked
    // here and left out for jose: WebCrypto refuses to import a public key whose key_ops name `sign`.
    if (jwk.key_ops !== undefined && !verifies(jwk.key_ops)) continue;
    // x5c/x5u in a key set are certificates jose does not read; dropped so no later reader trusts them instead.
    const { use: _use, x5c: _x5c, x5u: _x5u, key_ops: _ops, ...rest } = jwk;
    usable.push({ ...rest, kty: jwk.kty, kid: jwk.kid, use: "sig" });
  }
  return usable;
}

/** `key_ops` as RFC 7517 4.3 writes it (strings, none twice) holding `verify`. */
const verifies = (ops: unknown): boolean =>
  Array.isArray(ops) &&
  ops.every((op) => typeof op === "string") &&
  new Set(ops).size === ops.length &&
  ops.includes("verify");

/** The curve each ECDSA algorithm signs on (RFC 7518 3.4). */
const EC_CURVES: Readonly<Record<string, string>> = { ES256: "P-256", ES384: "P-384", ES512: "P-521" };

/** The fewest bytes of RSA modulus the verifier takes (jose refuses keys under 2,048 bits). */
const MIN_RSA_MODULUS_BYTES = 256;

/**
 * Why the gateway's verifier (jose) refuses to verify with a key of an asymmetric type; undefined when it does not.
 * `stored`: a version stored before `key_ops` were read as usableKeys reads them is judged as it was then (only a
 * list without `verify` refused), so it still loads; its issuer verifies nothing with such a key all the same.
 */
export function keyTheVerifierRefuses(key: Readonly<Record<string, unknown>>, stored = false): string | undefined {
  if (stored) {
    if (Array.isArray(key.key_ops) && !key.key_ops.includes("verify")) return "its key_ops leave out verify";
  } else if (key.key_ops !== undefined && !verifies(key.key_ops))
    // As usableKeys reads them: a key it leaves out must not pass validation as one that verifies.
    return "its key_ops are not distinct strings including verify";
  // Base64url of the modulus, 4 characters to 3 bytes.
  if (key.kty === "RSA" && !(typeof key.n === "string" && Math.floor((key.n.length * 3) / 4) >= MIN_RSA_MODULUS_BYTES))
    return "an RSA key of fewer than 2,048 bits";
  if (key.kty === "OKP" && key.crv !== "Ed25519") return `an OKP key on ${String(key.crv)}, where EdDSA is on Ed25519`;
  return undefined;
}

/**
 * Whether a usable key can verify a token signed with one of `algorithms`, as the gateway's verifier (jose) takes
 * keys: its type (and curve) fits one, and its `alg`, when it names one, is among them; an RSA modulus of at
 * least 2,048 bits; EdDSA on Ed25519 only; `key_ops`, when given, holding `verify`. A set whose keys all fail
 * this verifies no token of the issuer (an RSA-only set for an issuer allowed ES256 alone, a 1,024-bit key).
 */
export function keyFitsAlgorithms(key: PublicJwk, algorithms: readonly TokenAlgorithm[]): boolean {
  if (keyTheVerifierRefuses(key) !== undefined) return false;
  const fits = algorithms.filter((alg) => {
    if (key.kty === "RSA") return /^(RS|PS)\d+$/.test(alg);
    if (key.kty === "EC") return EC_CURVES[alg] !== undefined && (key.crv === undefined || key.crv === EC_CURVES[alg]);
    return alg === "EdDSA";
  });
  return key.alg === undefined ? fits.length > 0 : fits.some((alg) => alg === key.alg);
}

export type JwksUri = { ok: true; url: string } | { ok: false; problem: "discovery-issuer" | "discovery-jwks-uri" };

/**
 * OIDC Discovery 1.0 4.3: the document's `issuer` must be exactly the issuer it was asked for, or a document
 * served for one issuer could vouch keys for another. Its `jwks_uri` must be https.
 */
export function jwksUriOf(document: unknown, issuer: string): JwksUri {
  const doc = document as { issuer?: unknown; jwks_uri?: unknown } | null;
  if (doc === null || typeof doc !== "object" || doc.issuer !== issuer)
    return { ok: false, problem: "discovery-issuer" };
  if (typeof doc.jwks_uri !== "string" || !doc.jwks_uri.startsWith("https://"))
    return { ok: false, problem: "discovery-jwks-uri" };
  return { ok: true, url: doc.jwks_uri };
}

/** The kids more than one usable key of a set carries: the verifier refuses every token naming one of them. */
export function repeatedKids(keys: readonly PublicJwk[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const key of keys) (seen.has(key.kid) ? repeated : seen).add(key.kid);
  return [...repeated];
}
