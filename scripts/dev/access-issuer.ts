// A stand-in for a Cloudflare Access team domain, for `ward dev` only: it signs Access-shaped RS256 tokens
// with a key made for this run, serves that key at /cdn-cgi/access/certs and answers get-identity; its sign-in
// pages are access-login.ts, its team-wide session access-session.ts. It runs in dev Workers beside the
// gateway and is never part of the gateway bundle, so no deployed gateway can trust it.
import { jwtVerify, importJWK, SignJWT, type JWK } from "jose";

export interface IssuerEnv {
  /** The team domain the tokens claim as `iss` (the policy's, or --access-team-domain). */
  ACCESS_TEAM_DOMAIN: string;
  /** The AUD tag signed into tokens when the login link does not name one. */
  ACCESS_AUDIENCE: string;
  /** This run's private RS256 JWK (JSON), made by `ward dev`. */
  ISSUER_PRIVATE_JWK: string;
  /** Optional JSON list of { email, groups } offered as one-click identities on the login page. */
  ISSUER_PERSONAS?: string;
  /** JSON list of the hosts the local gateway serves (the policy's): the only apps the sign-in sends tokens to. */
  ISSUER_APP_HOSTS?: string;
}

/** The host the login page is served on, next to the apps: `*.localhost` resolves to 127.0.0.1. */
export const ISSUER_HOST = "access.localhost";
const TOKEN_LIFETIME_SECONDS = 8 * 3600;
/** Real Access keeps groups in get-identity, not in the token; the dev issuer carries them here for itself. */
const GROUPS_CLAIM = "ward_dev_groups";
/** The sign-in session an app token came from (access-session.ts), so that signing out ends the token too. */
export const SESSION_CLAIM = "ward_dev_session";
export const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+$/;

interface Keys {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

let keys: Promise<Keys> | undefined;

export function issuerKeys(env: IssuerEnv): Promise<Keys> {
  keys ??= (async () => {
    const jwk = JSON.parse(env.ISSUER_PRIVATE_JWK) as JWK;
    const publicJwk: JWK = { kty: "RSA", n: jwk.n, e: jwk.e, kid: jwk.kid, alg: "RS256", use: "sig" };
    return {
      privateKey: (await importJWK({ ...jwk, alg: "RS256" }, "RS256")) as CryptoKey,
      publicKey: (await importJWK(publicJwk, "RS256")) as CryptoKey,
      publicJwk,
    };
  })();
  return keys;
}

async function hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function parseGroups(text: string | null): string[] {
  return (text ?? "")
    .split(",")
    .map((g) => g.trim())
    .filter((g) => g.length > 0);
}

/**
 * An Access application token for `email`, as Access would issue it after a login; `session` ties it to the
 * sign-in it came from (access-session.ts), so that signing out ends it too.
 */
export async function mintToken(
  env: IssuerEnv,
  email: string,
  groups: string[],
  audience = env.ACCESS_AUDIENCE,
  session?: string,
): Promise<string> {
  const { privateKey, publicJwk } = await issuerKeys(env);
  const sub = (await hex(email)).slice(0, 32);
  const claims = { email, type: "app", identity_nonce: crypto.randomUUID(), [GROUPS_CLAIM]: groups };
  return new SignJWT(session ? { ...claims, [SESSION_CLAIM]: session } : claims)
    .setProtectedHeader({ alg: "RS256", kid: publicJwk.kid! })
    .setIssuer(env.ACCESS_TEAM_DOMAIN)
    .setAudience([audience])
    .setSubject(sub)
    .setIssuedAt()
    .setNotBefore("0s")
    .setExpirationTime(`${TOKEN_LIFETIME_SECONDS}s`)
    .sign(privateKey);
}

export async function certs(env: IssuerEnv): Promise<Response> {
  const { publicJwk } = await issuerKeys(env);
  return Response.json({ keys: [publicJwk] });
}

function cookieToken(request: Request): string | undefined {
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === "CF_Authorization") return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** get-identity: the groups of the token in the CF_Authorization cookie, as Access's endpoint answers. */
export async function getIdentity(request: Request, env: IssuerEnv): Promise<Response> {
  const token = cookieToken(request);
  if (!token) return new Response("no CF_Authorization cookie", { status: 401 });
  try {
    const { publicKey } = await issuerKeys(env);
    const { payload } = await jwtVerify(token, publicKey, { issuer: env.ACCESS_TEAM_DOMAIN, algorithms: ["RS256"] });
    const groups = Array.isArray(payload[GROUPS_CLAIM]) ? (payload[GROUPS_CLAIM] as string[]) : [];
    return Response.json({
      email: payload.email,
      user_uuid: payload.sub,
      idp: { id: "ward-dev", type: "dev" },
      groups: groups.map((name) => ({ id: name, name, email: `${name}@groups.invalid` })),
      devicePosture: {},
    });
  } catch {
    return new Response("invalid token", { status: 401 });
  }
}

/** A token as text, for curl: GET /cdn-cgi/access/dev-token?email=...&groups=a,b */
export async function devToken(request: Request, env: IssuerEnv): Promise<Response> {
  const url = new URL(request.url);
  const email = url.searchParams.get("email") ?? "";
  if (!EMAIL.test(email)) return new Response("email=... is required\n", { status: 400 });
  return new Response(await mintToken(env, email, parseGroups(url.searchParams.get("groups"))), {
    headers: { "content-type": "text/plain", "cache-control": "no-store" },
  });
}
