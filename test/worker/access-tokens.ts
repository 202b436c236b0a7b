// Real RS256 Access tokens for the workerd tests, signed with the stand-in team domain's key.
import { importJWK, SignJWT, type JWK, type JWTPayload } from "jose";

export const TEAM = "https://ward-demo.cloudflareaccess.com";
export const AUD = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";

export async function accessToken(
  jwk: JWK,
  claims: JWTPayload,
  options: { now?: number; ttl?: number; kid?: string; alg?: string } = {},
): Promise<string> {
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const key = await importJWK(jwk, "RS256");
  return new SignJWT({ type: "app", iat: now, nbf: now, exp: now + (options.ttl ?? 3600), iss: TEAM, aud: [AUD], ...claims })
    .setProtectedHeader({ alg: options.alg ?? "RS256", kid: options.kid ?? jwk.kid! })
    .sign(key);
}
