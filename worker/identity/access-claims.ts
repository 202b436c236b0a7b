// What a verified Access token's claims must look like before they count: numbers an issuer can honestly
// produce, and identity claims that are the shape they claim to be. jose checks the signature, `iss`, `aud`,
// and that `exp`/`nbf` are numbers not past/before now; it takes `exp: 1e309` (Infinity: never expires),
// `iat: -1e309`, `exp: 1.5` and a ten-year lifetime. Pure functions: no clock (now comes in), no I/O.
import type { JWTPayload } from "jose";
import type { AccessIdentity } from "./access-jwt.ts";
import {
  canonicalEmail,
  isCleanText,
  isServiceTokenId,
  MAX_CLAIMS_DEPTH,
  valuesWithin,
  type CompiledAccess,
} from "../../policy/index.ts";

/** Clock skew tolerated on `exp`/`nbf`/`iat`, in seconds (Access and Workers clocks are both NTP-synced). */
export const CLOCK_SKEW_SECONDS = 30;
/** Instants are whole seconds in [0, 2^32): up to the year 2106, far beyond any honest token. */
const MAX_INSTANT = 2 ** 32 - 1;
/** `sub` (OIDC Core 2: at most 255 ASCII characters) and `common_name` (a client id such as `<32 hex>.access`). */
const MAX_NAME_LENGTH = 255;

export type ClaimsCheck<T> = { ok: true; value: T } | { ok: false; problem: string };

const isInstant = (v: unknown): v is number =>
  typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= MAX_INSTANT;

export interface TokenTimes {
  exp: number;
  iat: number;
}

/**
 * `exp`, `iat` (both required) and `nbf` (optional: Access's service-token tokens have none) as whole
 * seconds in range, `exp` not before `iat`, no `iat` in the future beyond the skew (jose checks `exp` and
 * `nbf` against now, not `iat`), and, when a maximum age is set, no `iat` older than it.
 */
export function checkTimes(payload: JWTPayload, limits: CompiledAccess, nowSeconds: number): ClaimsCheck<TokenTimes> {
  const { exp, iat, nbf } = payload;
  if (!isInstant(exp) || !isInstant(iat) || (nbf !== undefined && !isInstant(nbf)))
    return { ok: false, problem: "malformed-time" };
  if (iat > nowSeconds + CLOCK_SKEW_SECONDS) return { ok: false, problem: "issued-in-the-future" };
  if (exp < iat) return { ok: false, problem: "expires-before-issued" };
  if (limits.maxAgeSeconds !== undefined && nowSeconds - iat > limits.maxAgeSeconds + CLOCK_SKEW_SECONDS)
    return { ok: false, problem: "too-old" };
  return { ok: true, value: { exp, iat } };
}

/** The lifetime (`exp - iat`) the kind of caller may have been issued: a person's or a service token's. */
export function checkLifetime(times: TokenTimes, identity: AccessIdentity, limits: CompiledAccess): string | undefined {
  const max = identity.user ? limits.maxLifetimeSeconds : limits.serviceTokenMaxLifetimeSeconds;
  return times.exp - times.iat > max ? "lifetime-too-long" : undefined;
}

/**
 * How many values an Access token's claims may hold in all (their depth is a workload token's, MAX_CLAIMS_DEPTH).
 * Access's own claims are a few dozen values; an IdP's attributes passed on as `custom` claims (a person's groups)
 * may be a few hundred. The claims of each verified token are kept with it (access-jwt.ts), and the cache bounds
 * tokens by their characters: 8 KiB of `[[[...]]]` or of `[[],[],...]` is some 100-160 KiB of heap in claims.
 */
export const MAX_ACCESS_CLAIMS_VALUES = 1024;

const isName = (v: unknown): v is string => typeof v === "string" && v.length <= MAX_NAME_LENGTH && isCleanText(v);

/**
 * A token with an `email` is a person, else one with a `common_name` a service token. A claim that is there
 * but not the shape it claims to be refuses the token (it is never skipped for the next one): an `email`
 * that is not one well-formed address (policy/email-address.ts), a `sub` or `common_name` that is not a
 * string, is too long, or holds control characters. The person's e-mail is kept as the token wrote it;
 * matching, logging and keys lower-case it. A `common_name` must be a client id as Cloudflare makes them
 * (policy/service-token-id.ts): Access also calls a client certificate's CN `common_name`, and a token that
 * carried one must not pass for a service token named anything the certificate's issuer wrote.
 */
export function identityFromPayload(payload: JWTPayload): ClaimsCheck<AccessIdentity> {
  const claims = payload as Record<string, unknown>;
  // Before anything walks or keeps them: a token the team's key signed carries what the IdP passed on, too.
  if (valuesWithin(claims, MAX_CLAIMS_DEPTH, MAX_ACCESS_CLAIMS_VALUES) === undefined)
    return { ok: false, problem: "claims-too-complex" };
  // No scopes: Access issues none (a `scope` or `scp` claim would have come from somewhere else), and rules
  // that ask for scopes are for workload tokens (identity.tokenIssuers), which carry them.
  const base: AccessIdentity = { claims };
  if (payload.sub !== undefined && !isName(payload.sub)) return { ok: false, problem: "malformed-sub" };
  if (claims.email !== undefined && claims.email !== "") {
    if (typeof claims.email !== "string" || canonicalEmail(claims.email) === undefined)
      return { ok: false, problem: "malformed-email" };
    return { ok: true, value: { ...base, user: { email: claims.email, sub: payload.sub } } };
  }
  // Service tokens carry their client id in common_name and an empty sub.
  if (claims.common_name !== undefined && claims.common_name !== "") {
    if (!isName(claims.common_name)) return { ok: false, problem: "malformed-common-name" };
    if (!isServiceTokenId(claims.common_name)) return { ok: false, problem: "common-name-not-a-client-id" };
    return { ok: true, value: { ...base, serviceToken: { clientId: claims.common_name } } };
  }
  return { ok: false, problem: "no-principal" };
}
