// Real workload tokens for the workerd tests, signed with the stand-in issuers' keys (global-setup.ts) in the
// shapes the real issuers give them (test/fixtures/workload-tokens): a SPIRE JWT-SVID, a Kubernetes projected
// service-account token, a GitHub Actions OIDC token.
import { base64url, importJWK, type JWK } from "jose";
import { inject } from "vitest";
import spireFixture from "../../fixtures/workload-tokens/spire-jwt-svid.json";
import clusterFixture from "../../fixtures/workload-tokens/kubernetes-projected.json";
import githubFixture from "../../fixtures/workload-tokens/github-actions.json";
import type { WorkloadIssuerName } from "../global-setup.ts";

export const FIXTURES = { spire: spireFixture, cluster: clusterFixture, github: githubFixture };
const TIME_CLAIMS = ["exp", "iat", "nbf"];

export interface WorkloadTokenSpec {
  /** Which issuer's fixture and key (default: its own). */
  issuer: WorkloadIssuerName;
  /** Claims merged over the fixture's; `null` removes one; exp/iat/nbf given as numbers are offsets from now. */
  claims?: Record<string, unknown>;
  /** Header members merged over the fixture's; `null` removes one. */
  header?: Record<string, unknown>;
  /** Sign with another issuer's key (its kid unless the header names one). */
  signedBy?: WorkloadIssuerName;
  /** The payload text exactly (duplicate members): `"$NOW"` is now and `"$EXP"` now + 300, as numbers. */
  rawPayload?: string;
}

function merge(base: Record<string, unknown>, over: Record<string, unknown> | undefined): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over ?? {})) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** The token's header and payload before signing, with times made absolute. */
export function tokenParts(
  spec: WorkloadTokenSpec,
  now = Date.now(),
): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const fixture = FIXTURES[spec.issuer];
  const nowSeconds = Math.floor(now / 1000);
  const payload = merge(fixture.payload, spec.claims);
  for (const claim of TIME_CLAIMS) {
    const value = payload[claim];
    if (typeof value === "number" && Number.isInteger(value) && Math.abs(value) < 1e8)
      payload[claim] = nowSeconds + value;
  }
  return { header: merge(fixture.header, spec.header), payload };
}

const encode = (text: string) => base64url.encode(new TextEncoder().encode(text));

/** Signs header and payload texts with a private JWK (ES256 or RS256, as the key's alg says). */
export async function signParts(jwk: JWK, headerText: string, payloadText: string): Promise<string> {
  const key = (await importJWK(jwk, jwk.alg!)) as CryptoKey;
  const input = `${encode(headerText)}.${encode(payloadText)}`;
  const algorithm = jwk.alg === "ES256" ? { name: "ECDSA", hash: "SHA-256" } : { name: "RSASSA-PKCS1-v1_5" };
  const signature = await crypto.subtle.sign(algorithm, key, new TextEncoder().encode(input));
  return `${input}.${base64url.encode(new Uint8Array(signature))}`;
}

export function issuerKey(name: WorkloadIssuerName): JWK {
  return inject("workloadIssuers")[name].privateJwk;
}

/** A validly signed workload token of the spec. */
export async function workloadToken(spec: WorkloadTokenSpec, now = Date.now()): Promise<string> {
  const { header, payload } = tokenParts(spec, now);
  const key = issuerKey(spec.signedBy ?? spec.issuer);
  if (spec.signedBy && !(spec.header && "kid" in spec.header)) header.kid = key.kid;
  if (spec.signedBy && !(spec.header && "alg" in spec.header)) header.alg = key.alg;
  const nowSeconds = Math.floor(now / 1000);
  const payloadText =
    spec.rawPayload !== undefined
      ? spec.rawPayload.replaceAll('"$NOW"', String(nowSeconds)).replaceAll('"$EXP"', String(nowSeconds + 300))
      : JSON.stringify(payload);
  return signParts(key, JSON.stringify(header), payloadText);
}
