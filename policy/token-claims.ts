// What a workload token's claims must be once its signature, `iss`, `aud`, `exp` and `nbf` have been verified
// (worker/identity/workload-token.ts), and the identity they give. A token the issuer's key signed is still
// input: times an issuer can honestly write, a lifetime within the issuer's limit, a subject of the form its
// kind defines, scopes of the form OAuth defines. Pure: now comes in; no I/O.
import { isCleanText } from "./clean-text.ts";
import { isVisibleText } from "./invisible-text.ts";
import { SCOPE_TOKEN } from "./scope-token.ts";
import { valuesWithin } from "./json-shape.ts";
import type { WorkloadTokenIdentity } from "./identity.ts";
import { claimsHold } from "./principals.ts";
import { isSpiffeId, isTrustDomainId, trustDomainOf } from "./spiffe-id.ts";
import { kindCarriesScopes, type CompiledTokenIssuer } from "./token-issuers.ts";

/** Instants are whole seconds in [0, 2^32): `1e309` (Infinity) or `1.5` is no time an issuer writes. */
const MAX_INSTANT = 2 ** 32 - 1;
/** A subject that is no SPIFFE ID: GitHub's `repo:<owner>/<repo>:environment:<name>` and the like. */
const MAX_SUBJECT_LENGTH = 1024;
const MAX_SCOPES = 100;
// Kubernetes names: a namespace is a DNS label (RFC 1123), a service account a DNS subdomain.
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export type TokenCheck<T> = { ok: true; value: T } | { ok: false; problem: string };

export interface VerifiedWorkloadToken {
  identity: WorkloadTokenIdentity;
  /** From `scope` or `scp`; undefined when the token carries none (or its kind never does). */
  scopes?: string[];
  exp: number;
  iat: number;
}

const isInstant = (v: unknown): v is number =>
  typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= MAX_INSTANT;

/**
 * `exp` and `iat` required, `nbf` optional, all whole seconds; `iat` not in the future beyond the skew; `exp`
 * not before `iat`; and the lifetime `exp - iat` within the issuer's maximum. jose checked `exp` and `nbf`
 * against now; without `iat` no lifetime could be known, so a token without it does not count.
 */
export function checkTokenTimes(
  payload: Readonly<Record<string, unknown>>,
  issuer: Pick<CompiledTokenIssuer, "clockSkewSeconds" | "maxLifetimeSeconds">,
  nowSeconds: number,
): TokenCheck<{ exp: number; iat: number }> {
  const { exp, iat, nbf } = payload;
  if (!isInstant(exp) || !isInstant(iat) || (nbf !== undefined && !isInstant(nbf)))
    return { ok: false, problem: "malformed-time" };
  if (iat > nowSeconds + issuer.clockSkewSeconds) return { ok: false, problem: "issued-in-the-future" };
  if (exp < iat) return { ok: false, problem: "expires-before-issued" };
  if (exp - iat > issuer.maxLifetimeSeconds) return { ok: false, problem: "lifetime-too-long" };
  return { ok: true, value: { exp, iat } };
}

/**
 * `scope` (space-separated, RFC 8693 4.2 / RFC 9068) or `scp` (a list of strings), each a scope-token of
 * RFC 6749. Both at once, or either in another shape, is refused rather than read one way: a rule asking for
 * `payments:charge` must never meet a token that grants it to one reader and not to another.
 */
export function scopesOf(payload: Readonly<Record<string, unknown>>): TokenCheck<string[] | undefined> {
  const { scope, scp } = payload;
  if (scope !== undefined && scp !== undefined) return { ok: false, problem: "malformed-scope" };
  let scopes: unknown[] | undefined;
  if (typeof scope === "string") scopes = scope.split(" ").filter((s) => s !== "");
  else if (Array.isArray(scp)) scopes = scp;
  else if (scope !== undefined || scp !== undefined) return { ok: false, problem: "malformed-scope" };
  if (scopes === undefined) return { ok: true, value: undefined };
  if (scopes.length > MAX_SCOPES || !scopes.every((s) => typeof s === "string" && SCOPE_TOKEN.test(s)))
    return { ok: false, problem: "malformed-scope" };
  return { ok: true, value: scopes as string[] };
}

/** `system:serviceaccount:<namespace>:<name>`, as the API server writes a service account's `sub`. */
export function serviceAccountOf(sub: string): { namespace: string; name: string } | undefined {
  const parts = sub.split(":");
  if (parts.length !== 4 || parts[0] !== "system" || parts[1] !== "serviceaccount") return undefined;
  const [, , namespace, name] = parts as [string, string, string, string];
  return DNS_LABEL.test(namespace) && DNS_SUBDOMAIN.test(name) ? { namespace, name } : undefined;
}

/** A member of an object claim, when the claim is an object. */
function member(value: unknown, name: string): unknown {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

/**
 * The SPIFFE ID a token names, by its issuer's kind:
 * - spiffe-jwt-svid: `sub` is the SPIFFE ID (JWT-SVID 3.1), in the standard's one spelling, of a workload
 *   (not the trust domain itself), in the issuer's trust domain: as a pinned CA, an issuer mints one domain;
 * - kubernetes: `sub` is the service account; the `kubernetes.io` claim of a projected (pod-bound) token must
 *   name the same namespace and account (a token without it is a legacy secret token, never short-lived);
 *   with a trust domain, the account is `spiffe://<td>/ns/<namespace>/sa/<name>`, as Istio names workloads;
 * - oidc: none; its claims name the caller.
 */
function spiffeIdOf(
  issuer: CompiledTokenIssuer,
  sub: string,
  payload: Readonly<Record<string, unknown>>,
): TokenCheck<string | undefined> {
  if (issuer.kind === "spiffe-jwt-svid") {
    if (!isSpiffeId(sub) || isTrustDomainId(sub)) return { ok: false, problem: "malformed-spiffe-id" };
    if (trustDomainOf(sub) !== issuer.trustDomain) return { ok: false, problem: "issuer-trust-domain-mismatch" };
    return { ok: true, value: sub };
  }
  if (issuer.kind === "kubernetes") {
    const account = serviceAccountOf(sub);
    if (!account) return { ok: false, problem: "malformed-service-account" };
    const bound = payload["kubernetes.io"];
    if (
      member(bound, "namespace") !== account.namespace ||
      member(member(bound, "serviceaccount"), "name") !== account.name
    )
      return { ok: false, problem: "service-account-mismatch" };
    if (issuer.trustDomain === undefined) return { ok: true, value: undefined };
    const id = `spiffe://${issuer.trustDomain}/ns/${account.namespace}/sa/${account.name}`;
    return isSpiffeId(id) ? { ok: true, value: id } : { ok: false, problem: "malformed-spiffe-id" };
  }
  return { ok: true, value: undefined };
}

/**
 * How deep and how many values a token's claims may be: the issuers' own go 3 deep (Kubernetes' `kubernetes.io`)
 * with a few dozen values. A workload can have tokens minted with claims of its choosing, and each verified one
 * is kept, claims and all: 8 KiB of `[[[...]]]` is ~160 KiB of heap.
 */
export const MAX_CLAIMS_DEPTH = 8;
export const MAX_CLAIMS_VALUES = 512;

/** The identity a verified token gives, or why it gives none. */
export function workloadTokenOf(
  issuer: CompiledTokenIssuer,
  payload: Readonly<Record<string, unknown>>,
  nowSeconds: number,
): TokenCheck<VerifiedWorkloadToken> {
  if (valuesWithin(payload, MAX_CLAIMS_DEPTH, MAX_CLAIMS_VALUES) === undefined)
    return { ok: false, problem: "claims-too-complex" };
  const times = checkTokenTimes(payload, issuer, nowSeconds);
  if (!times.ok) return times;
  const { sub } = payload;
  // The subject names the caller in logs, the principal key and the origin's assertion: plain text only, and
  // text that shows all it holds (two subjects must not look alike where an operator reads them).
  if (
    typeof sub !== "string" ||
    sub.length === 0 ||
    sub.length > MAX_SUBJECT_LENGTH ||
    !isCleanText(sub) ||
    !isVisibleText(sub)
  )
    return { ok: false, problem: "malformed-sub" };
  if (issuer.requireClaims && !claimsHold(issuer.requireClaims, payload))
    return { ok: false, problem: "required-claims" };
  const spiffeId = spiffeIdOf(issuer, sub, payload);
  if (!spiffeId.ok) return spiffeId;
  const scopes = kindCarriesScopes(issuer.kind) ? scopesOf(payload) : { ok: true as const, value: undefined };
  if (!scopes.ok) return scopes;
  const identity: WorkloadTokenIdentity = { issuer: issuer.name, kind: issuer.kind, subject: sub, claims: payload };
  if (spiffeId.value !== undefined) identity.spiffeId = spiffeId.value;
  const value: VerifiedWorkloadToken = { identity, ...times.value };
  if (scopes.value !== undefined) value.scopes = scopes.value;
  return { ok: true, value };
}
