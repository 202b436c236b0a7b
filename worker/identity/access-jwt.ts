// Cloudflare Access JWT verification: RS256 only, exact `iss`, `aud` among the configured audiences,
// `exp`/`nbf` with a small skew, `type` "app". Never denies by itself: it yields verified facts or none,
// and the policy decides.
import { createRemoteJWKSet, customFetch, jwtVerify, type FetchImplementation, type JWTPayload } from "jose";
import type { Identity } from "../../policy/index.ts";
import { setBounded } from "../bounded-cache.ts";

/** Clock skew tolerated on `exp`/`nbf`/`iat`, in seconds (Access and Workers clocks are both NTP-synced). */
export const CLOCK_SKEW_SECONDS = 30;
/** Verified tokens remembered per isolate, so a token costs one RSA verification while it is valid. */
const VERIFIED_CACHE_LIMIT = 1000;
/** Tokens above this size are refused before any parsing (Access tokens are ~1 KiB). */
const MAX_TOKEN_LENGTH = 8192;

export interface AccessConfig {
  teamDomain: string;
  audiences: readonly string[];
}

export type AccessIdentity = Pick<Identity, "user" | "serviceToken" | "claims" | "scopes">;

export type AccessResult =
  | { ok: true; identity: AccessIdentity; expiresAt: number; lifetimeSeconds: number; nonce?: string }
  | { ok: false; problem: string };

interface CachedVerification {
  result: Extract<AccessResult, { ok: true }>;
  expiresAt: number;
}

function scopesOf(payload: JWTPayload): string[] | undefined {
  if (typeof payload.scope === "string") return payload.scope.split(" ").filter(Boolean);
  if (Array.isArray(payload.scp) && payload.scp.every((s) => typeof s === "string")) return payload.scp as string[];
  return undefined;
}

export function identityFromPayload(payload: JWTPayload): AccessIdentity | undefined {
  const claims = payload as Record<string, unknown>;
  const scopes = scopesOf(payload);
  const base: AccessIdentity = scopes ? { claims, scopes } : { claims };
  if (typeof claims.email === "string" && claims.email.length > 0) {
    return { ...base, user: { email: claims.email, sub: typeof payload.sub === "string" ? payload.sub : undefined } };
  }
  // Service tokens carry their client id in common_name and an empty sub.
  if (typeof claims.common_name === "string" && claims.common_name.length > 0) {
    return { ...base, serviceToken: { clientId: claims.common_name } };
  }
  return undefined;
}

export class AccessVerifier {
  private readonly config: AccessConfig;
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;
  private readonly verified = new Map<string, CachedVerification>();

  constructor(config: AccessConfig, fetchImpl?: FetchImplementation) {
    this.config = config;
    const url = new URL(`${config.teamDomain}/cdn-cgi/access/certs`);
    // One key set per isolate: cached 10 min; an unknown `kid` refetches at most every 30 s, so a flood
    // of made-up kids cannot become a flood of requests to the team domain.
    this.keys = createRemoteJWKSet(url, {
      cooldownDuration: 30_000,
      cacheMaxAge: 600_000,
      timeoutDuration: 5_000,
      ...(fetchImpl ? { [customFetch]: fetchImpl } : {}),
    });
  }

  async verify(token: string, now: number): Promise<AccessResult> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return { ok: false, problem: "token-size" };
    // Keyed by the token itself: only verified tokens are kept, so the map holds at most
    // VERIFIED_CACHE_LIMIT × MAX_TOKEN_LENGTH bytes, and a lookup costs no hashing beyond V8's own.
    const key = token;
    const cached = this.verified.get(key);
    if (cached) {
      // Never honoured past `exp`, whatever the cache holds.
      if (now < cached.expiresAt) return cached.result;
      this.verified.delete(key);
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        algorithms: ["RS256"],
        issuer: this.config.teamDomain,
        audience: [...this.config.audiences],
        clockTolerance: CLOCK_SKEW_SECONDS,
        currentDate: new Date(now),
        requiredClaims: ["exp", "iat"],
      }));
    } catch (error) {
      return { ok: false, problem: (error as { code?: string }).code ?? "invalid-token" };
    }
    if (payload.type !== "app") return { ok: false, problem: "token-type" };
    // jose checks exp and nbf, not iat: a token "issued" later than now (beyond the skew) is not one Access made.
    if (payload.iat! > now / 1000 + CLOCK_SKEW_SECONDS) return { ok: false, problem: "issued-in-the-future" };
    const identity = identityFromPayload(payload);
    if (!identity) return { ok: false, problem: "no-principal" };
    const expiresAt = (payload.exp! + CLOCK_SKEW_SECONDS) * 1000;
    const nonce = typeof payload.identity_nonce === "string" ? payload.identity_nonce : undefined;
    // How long the credential was issued for (exp - iat): the lateral-movement metrics report it.
    const lifetimeSeconds = payload.exp! - payload.iat!;
    const result: Extract<AccessResult, { ok: true }> = nonce
      ? { ok: true, identity, expiresAt, lifetimeSeconds, nonce }
      : { ok: true, identity, expiresAt, lifetimeSeconds };
    setBounded(this.verified, key, { result, expiresAt }, VERIFIED_CACHE_LIMIT);
    return result;
  }
}
