// Real RS256 Access tokens for the workerd tests, signed with the stand-in team domain's key.
import { base64url, importJWK, SignJWT, type JWK, type JWTPayload } from "jose";

export const TEAM = "https://ward-demo.cloudflareaccess.com";
export const AUD = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";

export async function accessToken(
  jwk: JWK,
  claims: JWTPayload,
  options: { now?: number; ttl?: number; kid?: string; alg?: string } = {},
): Promise<string> {
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const key = await importJWK(jwk, "RS256");
  return new SignJWT({
    type: "app",
    iat: now,
    nbf: now,
    exp: now + (options.ttl ?? 3600),
    iss: TEAM,
    aud: [AUD],
    ...claims,
  })
    .setProtectedHeader({ alg: options.alg ?? "RS256", kid: options.kid ?? jwk.kid! })
    .sign(key);
}

/**
 * A token whose header and payload are exactly these texts, validly signed: what SignJWT cannot write
 * (duplicate members, `1e309`, escapes JSON.stringify would not produce).
 */
export async function rawAccessToken(
  jwk: JWK,
  payloadText: string,
  headerText = JSON.stringify({ alg: "RS256", kid: jwk.kid, typ: "JWT" }),
): Promise<string> {
  const key = (await importJWK(jwk, "RS256")) as CryptoKey;
  const input = `${base64url.encode(headerText)}.${base64url.encode(payloadText)}`;
  const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, new TextEncoder().encode(input));
  return `${input}.${base64url.encode(new Uint8Array(signature))}`;
}
