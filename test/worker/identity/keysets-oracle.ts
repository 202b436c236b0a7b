// The oracle of the key-set differential, written from the docs (policy.md "Its keys" under
// identity.tokenIssuers, architecture.md, operations.md on Access's key set) and RFC 7517/7518/8725, not from
// Ward's code. It models one isolate's copy of one issuer's key set over simulated time.
//
// - A fetched document counts when it is a 200 answer itself (no redirect followed), at most 64 KiB, a JSON
//   object whose `keys` is an array (RFC 7517 5). Anything else is a failed fetch: the set in hand stays.
// - In a set, a key counts when it is an RSA, EC or OKP public key (no private member) with a `kid`, `use`
//   `jwt-svid` in a SPIFFE bundle and `sig` or none elsewhere, `key_ops` (if any) with `verify`, its members
//   those of its `kty` (RFC 7518 6.2.1, 6.3.1: an EC key has `crv`, `x`, `y`; an RSA key `n`, `e`); entries that
//   are no key are ignored (RFC 7517 5: "SHOULD ignore").
// - A token verifies when its alg is the issuer's, exactly one counting key has its kid, that key fits the alg
//   (RSA of at least 2,048 bits for RS*, EC on the alg's curve for ES*, its own alg member if any equal to the
//   token's) and signed it; and the set is under 10 minutes old.
// - Keys are fetched when there is no set, the set is 10 minutes old, or the token's kid is in no key of the
//   set; at most once every 30 s whatever the fetch gives.
import type { Pool, PoolName, VerifierKind } from "./keysets-cases.ts";

export const MAX_AGE_MS = 600_000;
export const COOLDOWN_MS = 30_000;
export const MAX_BYTES = 65_536;
/**
 * Doc gap: the docs set no bound on how many keys a set may hold; Ward refuses a set of more than 100 (a failed
 * fetch, as a set too large is). Taken here as Ward has it.
 */
export const MAX_KEYS = 100;
const PRIVATE = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

export type FetchOutcome = { ok: true; keys: unknown[] } | { ok: false };

/** What a fetched answer gives, judged from its status and bytes alone. */
export function judgeAnswer(status: number, bodyText: string | undefined, bytes: number): FetchOutcome {
  if (status !== 200 || bodyText === undefined) return { ok: false };
  if (bytes > MAX_BYTES) return { ok: false };
  let doc: unknown;
  try {
    doc = JSON.parse(bodyText);
  } catch {
    return { ok: false };
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return { ok: false };
  const keys = (doc as { keys?: unknown }).keys;
  return Array.isArray(keys) && keys.length <= MAX_KEYS ? { ok: true, keys } : { ok: false };
}

/** An OIDC discovery document (OIDC Discovery 4.3): exactly the configured issuer, an https jwks_uri. */
export function judgeDiscovery(
  status: number,
  bodyText: string | undefined,
  issuer: string,
): { ok: true; jwksUri: string } | { ok: false } {
  if (status !== 200 || bodyText === undefined || bodyText.length > MAX_BYTES) return { ok: false };
  let doc: unknown;
  try {
    doc = JSON.parse(bodyText);
  } catch {
    return { ok: false };
  }
  if (!isObject(doc) || doc.issuer !== issuer) return { ok: false };
  const uri = doc.jwks_uri;
  if (typeof uri !== "string" || !URL.canParse(uri) || new URL(uri).protocol !== "https:") return { ok: false };
  return { ok: true, jwksUri: uri };
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

function rsaBits(n: unknown): number {
  if (typeof n !== "string") return 0;
  const bytes = Uint8Array.from(atob(n.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0));
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  return (bytes.length - i) * 8;
}

/** Does this member of a set count as a verification key of the issuer (any alg)? */
export function counts(key: unknown, verifier: VerifierKind): boolean {
  if (!isObject(key)) return false;
  if (!["RSA", "EC", "OKP"].includes(key.kty as string)) return false;
  const members = { RSA: ["n", "e"], EC: ["crv", "x", "y"], OKP: ["crv", "x"] }[key.kty as "RSA" | "EC" | "OKP"];
  if (!members.every((m) => typeof key[m] === "string")) return false;
  if (typeof key.kid !== "string" || key.kid === "") return false;
  if (PRIVATE.some((m) => m in key)) return false;
  const use = key.use;
  if (verifier === "spire" ? use !== "jwt-svid" : use !== undefined && use !== "sig") return false;
  // RFC 7517 4.3: an array of distinct values; a verification key's holds "verify".
  const ops = key.key_ops;
  if (ops !== undefined && !(Array.isArray(ops) && ops.includes("verify") && new Set(ops).size === ops.length))
    return false;
  return true;
}

const CURVE: Record<string, string> = { ES256: "P-256", ES384: "P-384", ES512: "P-521" };

/** Does a counting key fit the token's alg (RFC 7518 3.1, 3.3, 3.4; RFC 8725 3.1)? */
export function fits(key: Record<string, unknown>, alg: string): boolean {
  if (key.alg !== undefined && key.alg !== alg) return false;
  if (/^(RS|PS)\d+$/.test(alg)) return key.kty === "RSA" && rsaBits(key.n) >= 2048;
  if (alg in CURVE) return key.kty === "EC" && key.crv === CURVE[alg];
  if (alg === "EdDSA") return key.kty === "OKP" && key.crv === "Ed25519";
  return false;
}

export function algorithmsOf(verifier: VerifierKind): string[] {
  return verifier === "access" ? ["RS256"] : ["RS256", "ES256"];
}

/** The public key that signed a token, and whether its signature is the one its alg names. */
export interface Signed {
  kid: string;
  alg: string;
  signer: PoolName;
  /** Is the signature what `alg` says (RS256 as PKCS #1 v1.5 of an RSA key, ES256 as ECDSA P-256 with SHA-256)? */
  honestAlg: boolean;
}

function samePublic(key: Record<string, unknown>, signer: PoolName, pool: Pool): boolean {
  const p = pool[signer].publicJwk as Record<string, unknown>;
  return p.kty === "RSA" ? key.n === p.n && key.e === p.e : key.x === p.x && key.y === p.y;
}

export type FetchExpectation = "must" | "may" | "must-not";

export class KeySetModel {
  private held?: { keys: unknown[]; fetchedAt: number };
  private lastAttempt?: number;
  private readonly verifier: VerifierKind;
  private readonly pool: Pool;
  constructor(verifier: VerifierKind, pool: Pool) {
    this.verifier = verifier;
    this.pool = pool;
  }

  private fresh(now: number): boolean {
    return this.held !== undefined && now - this.held.fetchedAt < MAX_AGE_MS;
  }

  /** The counting keys under a kid in the set in hand. */
  private byKid(kid: string): Record<string, unknown>[] {
    return (this.held?.keys ?? []).filter(
      (k): k is Record<string, unknown> => counts(k, this.verifier) && (k as { kid: string }).kid === kid,
    );
  }

  /** Whether presenting this token at `now` fetches keys. */
  fetchExpected(now: number, t: Signed): FetchExpectation {
    if (this.lastAttempt !== undefined && now - this.lastAttempt < COOLDOWN_MS) return "must-not";
    // A token whose alg the issuer does not take may be refused on its header alone (the docs do not say
    // whether before or after its keys are looked up).
    if (!algorithmsOf(this.verifier).includes(t.alg)) return "may";
    if (!this.fresh(now)) return "must";
    const named = (this.held?.keys ?? []).filter((k) => isObject(k) && k.kid === t.kid);
    if (named.length === 0) return "must";
    // The kid names a key, but not one that could verify this token: the docs say only that an unknown kid
    // fetches, not what a kid of an unusable key does.
    const usable = this.byKid(t.kid);
    if (usable.length === 1 && named.length === 1 && fits(usable[0]!, t.alg)) return "must-not";
    return "may";
  }

  fetched(now: number, outcome: FetchOutcome): void {
    this.lastAttempt = now;
    if (outcome.ok) this.held = { keys: outcome.keys, fetchedAt: now };
  }

  accepts(now: number, t: Signed): boolean {
    if (!this.fresh(now)) return false;
    if (!algorithmsOf(this.verifier).includes(t.alg)) return false;
    const candidates = this.byKid(t.kid);
    if (candidates.length !== 1) return false;
    const key = candidates[0]!;
    return t.honestAlg && fits(key, t.alg) && samePublic(key, t.signer, this.pool);
  }

  describe(now: number): string {
    const h = this.held;
    return h
      ? `set of ${h.keys.length} fetched ${(now - h.fetchedAt) / 1000}s ago (${h.keys
          .map((k) => (isObject(k) ? `${String(k.kid)}${counts(k, this.verifier) ? "" : "(x)"}` : "junk"))
          .join(
            ",",
          )}); last attempt ${this.lastAttempt === undefined ? "never" : `${(now - this.lastAttempt) / 1000}s ago`}`
      : `no set; last attempt ${this.lastAttempt === undefined ? "never" : `${(now - this.lastAttempt) / 1000}s ago`}`;
  }
}
