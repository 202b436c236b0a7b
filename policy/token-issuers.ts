// Workload-token issuers (identity.tokenIssuers): the issuers whose short-lived, audience-bound JWTs a workload
// may present as `Authorization: Bearer <jwt>`, and what the verifier needs of each, compiled once per policy
// version. Pure: the Worker fetches the keys (worker/identity/issuer-keys.ts) and checks the signature; the
// limits, the audience a service expects and how a token becomes a principal are decided here.
//
// Why the limits: a workload token is a bearer credential, so its lifetime is its replay window. The issuers
// this is for mint minutes-long tokens (SPIRE's JWT-SVIDs live 5 minutes by default, GitHub Actions' OIDC
// tokens a few minutes, Kubernetes projected tokens 10 minutes to 1 hour), hence a 15-minute default and a
// 1-hour cap: a longer limit could only admit tokens these issuers are not meant to mint.
import { durationSeconds } from "./duration.ts";
import type { PolicyDocument, Service } from "./schema.ts";

export const TOKEN_KINDS = ["spiffe-jwt-svid", "kubernetes", "oidc"] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

/** Asymmetric JWS algorithms only (RFC 7518 3.3-3.5, RFC 8037): never `none`, never an HMAC. */
export const TOKEN_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;
export type TokenAlgorithm = (typeof TOKEN_ALGORITHMS)[number];
/** What SPIRE (ES256 by default, RS256 with an RSA key), Kubernetes and GitHub Actions (RS256) sign with. */
export const DEFAULT_TOKEN_ALGORITHMS: TokenAlgorithm[] = ["RS256", "ES256"];

export const DEFAULT_WORKLOAD_TOKEN_LIFETIME = "15m";
export const MAX_WORKLOAD_TOKEN_LIFETIME = "1h";
export const MAX_WORKLOAD_TOKEN_SECONDS = durationSeconds(MAX_WORKLOAD_TOKEN_LIFETIME);
export const DEFAULT_TOKEN_CLOCK_SKEW = "30s";
export const MAX_TOKEN_CLOCK_SKEW = "5m";
export const MAX_TOKEN_CLOCK_SKEW_SECONDS = durationSeconds(MAX_TOKEN_CLOCK_SKEW);

/** Kinds whose tokens may carry scopes (`scope`/`scp`): Kubernetes writes none, so none is read from its tokens. */
export function kindCarriesScopes(kind: TokenKind): boolean {
  return kind !== "kubernetes";
}

export type TokenIssuerSource = NonNullable<PolicyDocument["identity"]["tokenIssuers"]>[number];

/** Where an issuer's keys come from. `use` is the JWK `use` a key must have to count (see keyUseFor). */
export type TokenKeySource =
  | { kind: "jwks-url"; url: string }
  | { kind: "discovery"; url: string }
  | { kind: "inline"; jwks: { keys: readonly Readonly<Record<string, unknown>>[] } };

/** One issuer as the verifier uses it: durations in seconds. */
export interface CompiledTokenIssuer {
  name: string;
  kind: TokenKind;
  /** The exact `iss`. */
  issuer: string;
  keys: TokenKeySource;
  /** `jwt-svid` for a SPIFFE trust bundle, else `sig` (a key without `use` counts as `sig`). */
  keyUse: "jwt-svid" | "sig";
  algorithms: readonly TokenAlgorithm[];
  clockSkewSeconds: number;
  maxLifetimeSeconds: number;
  /** spiffe-jwt-svid: the one trust domain its `sub` may name; kubernetes: where service accounts are mapped. */
  trustDomain?: string;
  /** Claims every token of this issuer must carry to count at all (a list means any of). */
  requireClaims?: Readonly<Record<string, unknown>>;
  /** The issuer's entry as written: verifiers of equal configurations share their keys (worker/identity). */
  fingerprint: string;
}

/**
 * A SPIFFE trust bundle (what a bundle endpoint serves, or one pushed with the policy) marks the keys that
 * verify JWT-SVIDs with `use: jwt-svid`, and its X.509 authorities with `use: x509-svid`; a client must ignore
 * any other key (SPIFFE Trust Domain and Bundle, 4.2.2). Through OIDC discovery (SPIRE's OIDC Discovery
 * Provider, a cluster's or a CI system's issuer) keys are plain JWKs for signatures.
 */
export function keyUseFor(kind: TokenKind, keys: TokenKeySource["kind"]): "jwt-svid" | "sig" {
  return kind === "spiffe-jwt-svid" && keys !== "discovery" ? "jwt-svid" : "sig";
}

function keySourceOf(keys: TokenIssuerSource["keys"]): TokenKeySource {
  if ("jwksUrl" in keys) return { kind: "jwks-url", url: keys.jwksUrl };
  if ("discovery" in keys) return { kind: "discovery", url: keys.discovery };
  return { kind: "inline", jwks: keys.jwks };
}

export function compileTokenIssuer(source: TokenIssuerSource): CompiledTokenIssuer {
  const keys = keySourceOf(source.keys);
  const compiled: CompiledTokenIssuer = {
    name: source.name,
    kind: source.kind,
    issuer: source.issuer,
    keys,
    keyUse: keyUseFor(source.kind, keys.kind),
    algorithms: source.algorithms,
    clockSkewSeconds: durationSeconds(source.clockSkew),
    maxLifetimeSeconds: durationSeconds(source.maxLifetime),
    fingerprint: JSON.stringify(source),
  };
  if (source.trustDomain !== undefined) compiled.trustDomain = source.trustDomain;
  if (source.requireClaims !== undefined) compiled.requireClaims = source.requireClaims;
  return compiled;
}

/** The trusted issuers by their exact `iss` (validation refuses one `iss` listed twice; the first would win). */
export type TokenIssuers = ReadonlyMap<string, CompiledTokenIssuer>;

const compiledIssuers = new WeakMap<PolicyDocument, TokenIssuers>();

/** The document's issuers, compiled once per (immutable) document. */
export function tokenIssuersOf(doc: PolicyDocument): TokenIssuers {
  let issuers = compiledIssuers.get(doc);
  if (!issuers) {
    const map = new Map<string, CompiledTokenIssuer>();
    for (const source of doc.identity.tokenIssuers ?? []) {
      if (!map.has(source.issuer)) map.set(source.issuer, compileTokenIssuer(source));
    }
    compiledIssuers.set(doc, (issuers = map));
  }
  return issuers;
}

/**
 * The audience a service's workload tokens must name: its `tokenAudience`, else `https://<its first host>`
 * (hosts belong to one service only, so the default is unique as well). A token is accepted only at the
 * service whose audience it names: one minted for payments is no credential at orders.
 */
export function tokenAudienceOf(service: Pick<Service, "tokenAudience" | "hosts">): string {
  return service.tokenAudience ?? `https://${service.hosts[0]}`;
}
