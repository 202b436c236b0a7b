// A stand-in for a SPIRE server, for `ward dev` only: it mints JWT-SVIDs (ES256, as SPIRE's default key
// signs them) with a key made for this run, for the policy's first spiffe-jwt-svid issuer whose keys are at a
// URL, and serves that key as the SPIFFE bundle at that URL to the gateway's egress (access-outbound.ts).
// It runs in dev Workers beside the gateway and is never part of the gateway bundle, so no deployed gateway can
// trust it. What it mints is held to the issuer's rules like any token: the gateway checks it in full.
import { importJWK, SignJWT, type JWK } from "jose";

export interface WorkloadIssuerEnv {
  /** JSON of WorkloadIssuerConfig, or "" when the policy has no such issuer. */
  WORKLOAD_ISSUER?: string;
}

export interface WorkloadIssuerConfig {
  /** The issuer's `iss` (the policy's). */
  issuer: string;
  /** Where the policy says its bundle is: the gateway's fetch of it is answered locally. */
  bundleUrl: string;
  /** The trust domain its SPIFFE IDs must be in. */
  trustDomain?: string;
  /** This run's private ES256 JWK, with its kid. */
  privateJwk: JWK;
}

/** Where curl asks for a token: `*.localhost` resolves to 127.0.0.1. */
export const WORKLOAD_ISSUER_HOST = "spire.localhost";
/** SPIRE's default JWT-SVID TTL. */
const SVID_LIFETIME_SECONDS = 300;
const SPIFFE_ID = /^spiffe:\/\/[a-z0-9.\-_]+(\/[A-Za-z0-9.\-_]+)+$/;

export function workloadIssuerOf(env: WorkloadIssuerEnv): WorkloadIssuerConfig | undefined {
  return env.WORKLOAD_ISSUER ? (JSON.parse(env.WORKLOAD_ISSUER) as WorkloadIssuerConfig) : undefined;
}

/** The SPIFFE bundle the gateway fetches: this run's public key, marked for JWT-SVIDs. */
export function bundle(config: WorkloadIssuerConfig): Response {
  const { d: _d, ...publicJwk } = config.privateJwk;
  return Response.json({ keys: [{ ...publicJwk, use: "jwt-svid" }], spiffe_sequence: 1 });
}

/** A JWT-SVID for `spiffe`, audience `aud`, with `scope` when given (as a SPIRE CredentialComposer adds it). */
export async function mintSvid(config: WorkloadIssuerConfig, spiffe: string, aud: string, scope?: string) {
  const key = await importJWK(config.privateJwk, "ES256");
  return new SignJWT(scope ? { scope } : {})
    .setProtectedHeader({ alg: "ES256", kid: config.privateJwk.kid!, typ: "JWT" })
    .setIssuer(config.issuer)
    .setSubject(spiffe)
    .setAudience([aud])
    .setIssuedAt()
    .setExpirationTime(`${SVID_LIFETIME_SECONDS}s`)
    .sign(key);
}

/** GET /dev-svid?spiffe=...&aud=...[&scope=...]: a token as text, for curl. */
export async function devSvid(request: Request, env: WorkloadIssuerEnv): Promise<Response> {
  const config = workloadIssuerOf(env);
  if (!config)
    return new Response("The local SPIRE is off: the policy has no spiffe-jwt-svid issuer with a jwksUrl.\n", {
      status: 404,
    });
  const url = new URL(request.url);
  if (url.pathname !== "/dev-svid") return new Response("Not found\n", { status: 404 });
  const spiffe = url.searchParams.get("spiffe") ?? "";
  const aud = url.searchParams.get("aud") ?? "";
  if (!SPIFFE_ID.test(spiffe) || aud === "")
    return new Response("spiffe=spiffe://... and aud=... are required\n", { status: 400 });
  const scope = url.searchParams.get("scope") ?? undefined;
  return new Response(await mintSvid(config, spiffe, aud, scope), {
    headers: { "content-type": "text/plain", "cache-control": "no-store" },
  });
}
