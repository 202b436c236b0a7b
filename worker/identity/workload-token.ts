// Workload-token verification for one issuer of identity.tokenIssuers: a header that names no key of its
// own, an algorithm the issuer is allowed, the issuer's key, exact `iss`, the service's audience in `aud`,
// `exp`/`nbf` within the issuer's skew; then what jose does not check (policy/token-claims.ts: whole-second
// times, the issuer's maximum lifetime, the subject its kind defines, scopes). Never denies by itself: a
// refused token is no credential, and the reason is for the gateway's log only.
import { jwtVerify, type JWSHeaderParameters, type JWTPayload } from "jose";
import {
  MAX_CLAIMS_DEPTH,
  MAX_CLAIMS_VALUES,
  valuesWithin,
  workloadTokenOf,
  type CompiledTokenIssuer,
  type VerifiedWorkloadToken,
} from "../../policy/index.ts";
import { SizedCache } from "../shared/bounded-cache.ts";
import { canonicalSignature } from "./bearer.ts";
import { IssuerKeys, type KeyFetch } from "./issuer-keys.ts";
import { joseCode } from "../shared/jose-code.ts";

/**
 * Verified tokens remembered per issuer and isolate, so a token costs one signature check while it lives.
 * Well above the callers one isolate serves in rotation (as access-jwt.ts's): past it every request verifies.
 */
const VERIFIED_CACHE_LIMIT = 5000;
/**
 * And at most this many characters (~4 MB): a workload mints its own tokens, up to 8 KiB each, and a verified
 * token's claims are kept with it, so a count alone would let one keep ~70 MB.
 */
const VERIFIED_CACHE_CHARACTERS = 4_000_000;
/** What one parsed claim value (a string, number, object or array, with its slot) costs the heap, about. */
const HEAP_PER_VALUE = 64;
/** A `kid` is an opaque name, not a path or a query: long or odd ones are refused before any look-up. */
const KID = /^[\x21-\x7e]{1,256}$/;
/**
 * Header members that say where a key is, or carry one: trusting any of them lets whoever made the token
 * pick the key that verifies it (the `jku`/`x5u`/`jwk`/`x5c` attacks). Ward takes keys only from the policy.
 */
const KEY_LOCATORS = ["jku", "x5u", "jwk", "x5c"];
/** The only members a JWT-SVID header may have (JWT-SVID 2: "Any header not described here ... MUST NOT"). */
const JWT_SVID_HEADER = new Set(["alg", "kid", "typ"]);

export type WorkloadTokenResult =
  | (VerifiedWorkloadToken & { ok: true; expiresAt: number })
  | { ok: false; problem: string };

interface Cached {
  result: Extract<WorkloadTokenResult, { ok: true }>;
  /** Until when the cached result is used: the token's end (exp plus the skew). */
  expiresAt: number;
  /**
   * The key set that verified it (IssuerKeys.vouches): once that set is replaced or stale, the token is verified
   * again, so a key the issuer withdraws stops counting for tokens already seen as well as for new ones.
   */
  generation: number;
}

/** `typ`, when present: a JWT (RFC 7519 5.1), or for OIDC issuers also an OAuth access token (RFC 9068 2.1). */
function typeAllowed(typ: unknown, kind: CompiledTokenIssuer["kind"]): boolean {
  if (typ === undefined) return true;
  if (typeof typ !== "string") return false;
  const t = typ.toLowerCase().replace(/^application\//, "");
  return t === "jwt" || t === "jose" || (kind === "oidc" && t === "at+jwt");
}

/** Why a header is refused before any key is looked up, or undefined. */
export function headerProblem(header: Record<string, unknown>, issuer: CompiledTokenIssuer): string | undefined {
  if (KEY_LOCATORS.some((name) => Object.hasOwn(header, name))) return "key-in-token";
  if (issuer.kind === "spiffe-jwt-svid" && Object.keys(header).some((name) => !JWT_SVID_HEADER.has(name)))
    return "header-member";
  // An extension the token says must be understood (or an unencoded payload) is none Ward knows.
  if (Object.hasOwn(header, "crit") || Object.hasOwn(header, "b64")) return "header-member";
  if (typeof header.alg !== "string" || !(issuer.algorithms as readonly string[]).includes(header.alg))
    return "algorithm";
  // Without a kid every key of the set would have to be tried: one token, many signature checks.
  if (typeof header.kid !== "string" || !KID.test(header.kid)) return "kid";
  if (!typeAllowed(header.typ, issuer.kind)) return "token-type";
  return undefined;
}

export class WorkloadTokenVerifier {
  readonly issuer: CompiledTokenIssuer;
  readonly keys: IssuerKeys;
  private readonly verified = new SizedCache<Cached>(VERIFIED_CACHE_LIMIT, VERIFIED_CACHE_CHARACTERS);

  constructor(issuer: CompiledTokenIssuer, fetchImpl?: KeyFetch) {
    this.issuer = issuer;
    this.keys = new IssuerKeys(issuer, fetchImpl);
  }

  /** `header`: the token's header as bearer.ts read it; `audience`: the service's (policy/token-issuers.ts). */
  async verify(
    token: string,
    header: Record<string, unknown>,
    audience: string,
    now: number,
  ): Promise<WorkloadTokenResult> {
    // The audience is part of the key: a token verified for one service says nothing about another.
    const key = `${audience}\n${token}`;
    const cached = this.verified.get(key);
    if (cached) {
      if (now < cached.expiresAt && this.keys.vouches(cached.generation, now)) return cached.result;
      this.verified.delete(key);
    }
    const problem = headerProblem(header, this.issuer);
    if (problem) return { ok: false, problem };
    // One spelling per token (the Bearer form already holds only base64url), so one token is one cache entry.
    if (!canonicalSignature(token)) return { ok: false, problem: "malformed-token" };
    const skew = this.issuer.clockSkewSeconds;
    let payload: JWTPayload;
    const from = { generation: -1 };
    try {
      ({ payload } = await jwtVerify(token, (h: JWSHeaderParameters) => this.keys.keyFor(h, now, from), {
        algorithms: [...this.issuer.algorithms],
        issuer: this.issuer.issuer,
        audience,
        clockTolerance: skew,
        currentDate: new Date(now),
        requiredClaims: ["exp", "iat", "sub"],
      }));
    } catch (error) {
      return { ok: false, problem: joseCode(error) ?? "invalid-token" };
    }
    const checked = workloadTokenOf(this.issuer, payload as Record<string, unknown>, now / 1000);
    if (!checked.ok) return checked;
    const expiresAt = (checked.value.exp + skew) * 1000;
    const result: Extract<WorkloadTokenResult, { ok: true }> = { ok: true, ...checked.value, expiresAt };
    // The claims are kept as parsed: each value an object on the heap, counted as HEAP_PER_VALUE characters.
    const claims = valuesWithin(payload, MAX_CLAIMS_DEPTH, MAX_CLAIMS_VALUES) ?? MAX_CLAIMS_VALUES;
    this.verified.set(key, { result, expiresAt, generation: from.generation }, token.length + claims * HEAP_PER_VALUE);
    return result;
  }
}
