// The local stand-in's team-wide session, as Access keeps one on the team domain: one sign-in serves every app
// the local gateway fronts (each app still gets a token of its own, for its own AUD, without asking again), and
// signing out of any of them ends the session for all. Dev only (`ward dev`), never in the gateway bundle.
import { decodeJwt, jwtVerify, SignJWT } from "jose";
import { cookiePieces } from "../../policy/cookies.ts";
import { issuerKeys, SESSION_CLAIM, type IssuerEnv } from "./access-issuer.ts";

/** Host-only on the sign-in host: app hosts never see it. */
export const SESSION_COOKIE = "ward_dev_session";
/** No application's AUD (those are 64 hex): a session token opens no app, even if it reached one. */
const SESSION_AUDIENCE = "ward-dev-session";
export const SESSION_LIFETIME_SECONDS = 8 * 3600;

export interface Session {
  id: string;
  email: string;
  groups: string[];
  /** When it ends by itself (seconds since the epoch). */
  expiresAt: number;
}

// Ended sessions, by id, until they would have expired anyway. In memory, for one `ward dev` run: the issuer
// key is made per run, so a restart ends every session too.
const ended = new Map<string, number>();

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Until someone signs out, no request needs looking at (the common case, and the load run's). */
export function anySessionEnded(): boolean {
  return ended.size > 0;
}

export function endSession(id: string, expiresAt: number): void {
  const now = nowSeconds();
  for (const [sid, exp] of ended) if (exp <= now) ended.delete(sid);
  ended.set(id, expiresAt);
}

export function newSession(email: string, groups: string[]): Session {
  return { id: crypto.randomUUID(), email, groups, expiresAt: nowSeconds() + SESSION_LIFETIME_SECONDS };
}

export async function sessionCookie(env: IssuerEnv, session: Session): Promise<string> {
  const { privateKey, publicJwk } = await issuerKeys(env);
  const token = await new SignJWT({ email: session.email, groups: session.groups, sid: session.id })
    .setProtectedHeader({ alg: "RS256", kid: publicJwk.kid! })
    .setIssuer(env.ACCESS_TEAM_DOMAIN)
    .setAudience(SESSION_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(session.expiresAt)
    .sign(privateKey);
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_LIFETIME_SECONDS}`;
}

export const CLEAR_SESSION_COOKIE = `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;

function cookieNamed(request: Request, name: string): string | undefined {
  const header = request.headers.get("cookie");
  return header ? cookiePieces(header)?.find((piece) => piece.name === name)?.value : undefined;
}

/**
 * The session of the sign-in host's cookie: signed by this run's key, for the session audience, not expired,
 * not ended. `present` says whether a cookie was sent at all, so that a dead one can be cleared.
 */
export async function readSession(request: Request, env: IssuerEnv): Promise<{ session?: Session; present: boolean }> {
  const token = cookieNamed(request, SESSION_COOKIE);
  if (!token) return { present: false };
  try {
    const { publicKey } = await issuerKeys(env);
    const { payload } = await jwtVerify(token, publicKey, {
      issuer: env.ACCESS_TEAM_DOMAIN,
      audience: SESSION_AUDIENCE,
      algorithms: ["RS256"],
    });
    const { sid, email, groups, exp } = payload;
    if (typeof sid !== "string" || typeof email !== "string" || typeof exp !== "number") return { present: true };
    if (ended.has(sid)) return { present: true };
    const list = Array.isArray(groups) ? groups.filter((g): g is string => typeof g === "string") : [];
    return { session: { id: sid, email, groups: list, expiresAt: exp }, present: true };
  } catch {
    return { present: true };
  }
}

/** Signing out with a token: the session it came from, verified, so a forged cookie ends nobody's session. */
export async function endSessionOfToken(env: IssuerEnv, token: string): Promise<void> {
  try {
    const { publicKey } = await issuerKeys(env);
    const { payload } = await jwtVerify(token, publicKey, { issuer: env.ACCESS_TEAM_DOMAIN, algorithms: ["RS256"] });
    const sid = payload[SESSION_CLAIM] ?? (payload.aud === SESSION_AUDIENCE ? payload.sid : undefined);
    if (typeof sid === "string" && typeof payload.exp === "number") endSession(sid, payload.exp);
  } catch {
    // not a token of this run: nothing to end
  }
}

export function sessionTokenOf(request: Request): string | undefined {
  return cookieNamed(request, SESSION_COOKIE);
}

/**
 * Whether an app token belongs to a session that was signed out of. Read without verifying: the answer can only
 * take a credential away from a request (the edge drops the token), never add one.
 */
export function fromEndedSession(token: string): boolean {
  if (!anySessionEnded()) return false;
  try {
    const sid = decodeJwt(token)[SESSION_CLAIM];
    return typeof sid === "string" && ended.has(sid);
  } catch {
    return false;
  }
}
