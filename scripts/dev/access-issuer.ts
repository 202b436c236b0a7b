// A stand-in for a Cloudflare Access team domain, for `ward dev` only: it signs Access-shaped RS256 tokens
// with a key made for this run, serves that key at /cdn-cgi/access/certs, answers get-identity, and has a
// login page where a person picks who to be. It runs as its own Worker beside the gateway and is never part
// of the gateway bundle, so no deployed gateway can trust it.
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
}

/** The host the login page is served on, next to the apps: `*.localhost` resolves to 127.0.0.1. */
export const ISSUER_HOST = "access.localhost";
const TOKEN_LIFETIME_SECONDS = 8 * 3600;
/** Real Access keeps groups in get-identity, not in the token; the dev issuer carries them here for itself. */
const GROUPS_CLAIM = "ward_dev_groups";
const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+$/;

interface Keys {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

let keys: Promise<Keys> | undefined;

function issuerKeys(env: IssuerEnv): Promise<Keys> {
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

/** An Access application token for `email`, as Access would issue it after a login. */
export async function mintToken(
  env: IssuerEnv,
  email: string,
  groups: string[],
  audience = env.ACCESS_AUDIENCE,
): Promise<string> {
  const { privateKey, publicJwk } = await issuerKeys(env);
  const sub = (await hex(email)).slice(0, 32);
  return new SignJWT({ email, type: "app", identity_nonce: crypto.randomUUID(), [GROUPS_CLAIM]: groups })
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

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function page(title: string, body: string, status = 200): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}label{display:block;margin:.6rem 0}input{font:inherit;width:100%}button{font:inherit;margin:.2rem .4rem .2rem 0}</style>
</head><body>${body}</body></html>\n`;
  return new Response(html, {
    status,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
  });
}

function personas(env: IssuerEnv): { email: string; groups: string[] }[] {
  try {
    return env.ISSUER_PERSONAS ? (JSON.parse(env.ISSUER_PERSONAS) as { email: string; groups: string[] }[]) : [];
  } catch {
    return [];
  }
}

/** Where to go after the login: only a path on the app's own host. */
export function safeReturnPath(value: string | null): string {
  return value?.startsWith("/") && !value.startsWith("//") && !value.startsWith("/\\") ? value : "/";
}

/** GET: the login form for the app named in the path. POST: sign in and go back to the app. */
export async function login(request: Request, env: IssuerEnv): Promise<Response> {
  const url = new URL(request.url);
  const appHost = decodeURIComponent(url.pathname.slice("/cdn-cgi/access/login/".length));
  if (!/^[a-z0-9.-]+$/i.test(appHost)) return page("Login", "<p>Unknown application.</p>", 400);
  const audience = /^[0-9a-f]{64}$/.test(url.searchParams.get("kid") ?? "")
    ? url.searchParams.get("kid")!
    : env.ACCESS_AUDIENCE;
  const returnPath = safeReturnPath(url.searchParams.get("redirect_url"));
  if (request.method === "POST") {
    const form = await request.formData();
    const email = String(form.get("email") ?? "").trim();
    if (!EMAIL.test(email)) return page("Login", "<p>Enter an email address.</p>", 400);
    const token = await mintToken(env, email, parseGroups(String(form.get("groups") ?? "")), audience);
    const back = new URL(`${url.protocol}//${appHost}${url.port ? `:${url.port}` : ""}/cdn-cgi/access/authorized`);
    back.searchParams.set("token", token);
    back.searchParams.set("redirect_url", returnPath);
    return new Response(null, { status: 302, headers: { location: back.href, "cache-control": "no-store" } });
  }
  const action = escapeHtml(url.pathname + url.search);
  const quick = personas(env)
    .map(
      (p) =>
        `<form method="post" action="${action}"><input type="hidden" name="email" value="${escapeHtml(p.email)}">` +
        `<input type="hidden" name="groups" value="${escapeHtml(p.groups.join(","))}">` +
        `<button type="submit">${escapeHtml(p.email)}${p.groups.length ? ` (${escapeHtml(p.groups.join(", "))})` : ""}</button></form>`,
    )
    .join("");
  return page(
    `Sign in to ${appHost}`,
    `<h1>Sign in to ${escapeHtml(appHost)}</h1>
<p>Local development sign-in (ward dev). It stands in for Cloudflare Access; tokens are signed with a key made for this run.</p>
${quick ? `<h2>Sign in as</h2>${quick}<h2>Or anyone</h2>` : ""}
<form method="post" action="${action}">
<label>Email <input name="email" type="email" required autofocus></label>
<label>Groups (comma-separated) <input name="groups"></label>
<button type="submit">Sign in</button>
</form>`,
  );
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
