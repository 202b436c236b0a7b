// Cloudflare Access JWT verification: RS256 only, exact `iss`, `aud` among the configured audiences,
// `exp`/`nbf` with a small skew, `type` "app"; then what jose does not check (access-claims.ts: whole-second
// times in range, the lifetime and age the policy allows, identity claims of the right shape) and no
// duplicate member names in the header or payload (json-members.ts). Never denies by itself: it yields
// verified facts or none, and the policy decides.
import { jwtVerify, type JWTPayload } from "jose";
import type { CompiledAccess, Identity } from "../../policy/index.ts";
import { SizedCache } from "../shared/bounded-cache.ts";
import { canonicalSignature, COMPACT_JWS } from "./bearer.ts";
import { CLOCK_SKEW_SECONDS, checkLifetime, checkTimes, identityFromPayload } from "./access-claims.ts";
import { hasUniqueMembers } from "../../policy/json-members.ts";
import { IssuerKeys, type KeyFetch } from "./issuer-keys.ts";
import { joseCode } from "../shared/jose-code.ts";

/**
 * Verified tokens remembered per isolate, so a token costs one RSA verification while it is valid. FIFO: with
 * more callers in rotation than this, every request would verify again, so it is well above what one isolate
 * serves (only tokens the team's key signed get here: ~1 KiB each, ~5 MiB at the bound).
 */
const VERIFIED_CACHE_LIMIT = 5000;
/**
 * And at most this many characters of tokens (~4 MB): Access's are about 1 K, so the count bounds it; a caller
 * padding tokens to 8 KiB could otherwise keep ~40 MB alive.
 */
const VERIFIED_CACHE_CHARACTERS = 4_000_000;
/** Tokens above this size are refused before any parsing (Access tokens are ~1 KiB). */
const MAX_TOKEN_LENGTH = 8192;
/** `identity_nonce` is a short random string (16 characters in Access's tokens); it keys a cache. */
const MAX_NONCE_LENGTH = 128;

/** The team, audiences and token limits, compiled from identity.access (policy/access-limits.ts). */
export type AccessConfig = CompiledAccess;

export type AccessIdentity = Pick<Identity, "user" | "serviceToken" | "claims">;

/** Who a token's directory facts belong to: get-identity answers are cached under all of it. */
export interface DirectorySubject {
  issuer: string;
  subject: string;
  email: string;
  nonce: string;
}

export type AccessResult =
  | {
      ok: true;
      identity: AccessIdentity;
      expiresAt: number;
      lifetimeSeconds: number;
      /** The token's `exp` (seconds). */
      exp: number;
      /** The token's `aud`, among the configured audiences: a service may count only some of them. */
      audiences: readonly string[];
      directorySubject?: DirectorySubject;
    }
  | { ok: false; problem: string };

interface CachedVerification {
  result: Extract<AccessResult, { ok: true }>;
  /** Until when the cached result is used: the token's own end (or its maximum age). */
  expiresAt: number;
  /** The team's key set that verified it (IssuerKeys.vouches): verified again once that set is replaced or stale. */
  generation: number;
}

const textDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** A base64url segment as JSON text with unique member names; false for anything else. */
function uniqueMembers(segment: string): boolean {
  try {
    const binary = atob(segment.replace(/-/g, "+").replace(/_/g, "/"));
    return hasUniqueMembers(textDecoder.decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  } catch {
    return false;
  }
}

export class AccessVerifier {
  private readonly config: AccessConfig;
  private readonly keys: IssuerKeys;
  private readonly verified = new SizedCache<CachedVerification>(VERIFIED_CACHE_LIMIT, VERIFIED_CACHE_CHARACTERS);

  constructor(config: AccessConfig, fetchImpl?: KeyFetch) {
    this.config = config;
    // One key set per isolate, held as a workload issuer's is (issuer-keys.ts): kept 10 min; an unknown `kid`
    // fetches it again at most every 30 s, whether the fetch succeeds or not, so a flood of made-up kids (or a
    // certs endpoint that fails) cannot become a flood of requests to the team domain; a load is shared.
    this.keys = new IssuerKeys(
      {
        issuer: config.teamDomain,
        keys: { kind: "jwks-url", url: `${config.teamDomain}/cdn-cgi/access/certs` },
        keyUse: "sig",
      },
      fetchImpl,
    );
  }

  async verify(token: string, now: number): Promise<AccessResult> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return { ok: false, problem: "token-size" };
    // Keyed by the token itself (only verified tokens are kept, bounded by count and characters): a lookup
    // costs no hashing beyond V8's own.
    const key = token;
    const cached = this.verified.get(key);
    if (cached) {
      // Never honoured past `exp` (or the maximum age), whatever the cache holds; verified again once it is as
      // old as the key set may be.
      if (now < cached.expiresAt && this.keys.vouches(cached.generation, now)) return cached.result;
      this.verified.delete(key);
    }
    // One spelling per token: the signature is not signed, and base64 decoders skip spaces and padding, so
    // otherwise each respelling of one token would verify anew and take its own place in the cache. (After the
    // look-up: only tokens that passed are kept, so a cached one needs no second look.)
    if (!COMPACT_JWS.test(token) || !canonicalSignature(token)) return { ok: false, problem: "malformed-token" };
    let payload: JWTPayload;
    // The key set that verified it: once that set is replaced or stale (a key Access rotated away after a leak),
    // the token is verified again, as a new one would be.
    const from = { generation: -1 };
    try {
      ({ payload } = await jwtVerify(token, (header) => this.keys.keyFor(header, now, from), {
        algorithms: ["RS256"],
        issuer: this.config.teamDomain,
        audience: [...this.config.audiences],
        clockTolerance: CLOCK_SKEW_SECONDS,
        currentDate: new Date(now),
        requiredClaims: ["exp", "iat"],
      }));
    } catch (error) {
      return { ok: false, problem: joseCode(error) ?? "invalid-token" };
    }
    // Once per token and isolate (verified tokens are cached), and only for one the team's key signed.
    const [header, body] = token.split(".") as [string, string];
    if (!uniqueMembers(header) || !uniqueMembers(body)) return { ok: false, problem: "duplicate-members" };
    if (payload.type !== "app") return { ok: false, problem: "token-type" };
    const times = checkTimes(payload, this.config, now / 1000);
    if (!times.ok) return times;
    const identity = identityFromPayload(payload);
    if (!identity.ok) return identity;
    const lifetimeProblem = checkLifetime(times.value, identity.value, this.config);
    if (lifetimeProblem) return { ok: false, problem: lifetimeProblem };
    const { exp, iat } = times.value;
    // Good until `exp`, or until it grows older than the maximum age, whichever comes first.
    const until = this.config.maxAgeSeconds === undefined ? exp : Math.min(exp, iat + this.config.maxAgeSeconds);
    const expiresAt = (until + CLOCK_SKEW_SECONDS) * 1000;
    // How long the credential was issued for (exp - iat): the lateral-movement metrics report it.
    const result: Extract<AccessResult, { ok: true }> = {
      ok: true,
      identity: identity.value,
      expiresAt,
      lifetimeSeconds: exp - iat,
      exp,
      // Only the configured ones, as the type says: a token may name others besides (jose asks for one match).
      audiences: (typeof payload.aud === "string" ? [payload.aud] : (payload.aud ?? [])).filter((aud) =>
        this.config.audiences.includes(aud),
      ),
    };
    const user = identity.value.user;
    const nonce = payload.identity_nonce;
    if (user && typeof nonce === "string" && nonce.length > 0 && nonce.length <= MAX_NONCE_LENGTH) {
      result.directorySubject = {
        issuer: this.config.teamDomain,
        subject: user.sub ?? "",
        email: user.email.toLowerCase(),
        nonce,
      };
    }
    this.verified.set(key, { result, expiresAt, generation: from.generation });
    return result;
  }
}
