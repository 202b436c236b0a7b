// What Cloudflare's edge does in front of the gateway, for `ward dev` only (never in the gateway bundle):
// the Access login lives on the team domain, and `/cdn-cgi/access/authorized` and `/logout` on every app
// host set and clear the CF_Authorization cookie; a token of a session signed out of counts no more. Locally
// the team domain is http://access.localhost:PORT, so the gateway's login redirects are pointed there.
// Everything else goes to the gateway untouched (request.cf included, which is how MF-CF-Blob client
// certificates reach it).
import { cookiePieces } from "../../policy/cookies.ts";
import { devToken, ISSUER_HOST, type IssuerEnv } from "./access-issuer.ts";
import { devSvid, WORKLOAD_ISSUER_HOST, type WorkloadIssuerEnv } from "./workload-issuer.ts";
import { home, login, safeReturnPath, signedOutPage, teamLogout } from "./access-login.ts";
import { anySessionEnded, endSessionOfToken, fromEndedSession } from "./access-session.ts";

interface EdgeEnv extends IssuerEnv, WorkloadIssuerEnv {
  WARD: Fetcher;
  /** Set when --access-jwks-url names an outside issuer: the local login is then off. */
  ACCESS_JWKS_URL?: string;
}

const COOKIE = "CF_Authorization";

function authorized(url: URL): Response {
  const token = url.searchParams.get("token") ?? "";
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) return new Response("missing token\n", { status: 400 });
  return new Response(null, {
    status: 302,
    headers: {
      location: safeReturnPath(url.searchParams.get("redirect_url")),
      "set-cookie": `${COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax`,
      "cache-control": "no-store",
    },
  });
}

const CLEAR_COOKIE = `${COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;

/** Signing out on an app: the session it came from ends for every app (as Access's logout does), not only here. */
async function logout(request: Request, env: EdgeEnv): Promise<Response> {
  const cookie = request.headers.get("cookie");
  const token = cookie ? cookiePieces(cookie)?.find((piece) => piece.name === COOKIE)?.value : undefined;
  if (token) await endSessionOfToken(env, token);
  return signedOutPage("/", CLEAR_COOKIE);
}

/**
 * A token of a session signed out of (on another app, or on the sign-in host) no longer counts: it is taken
 * off the request before the gateway sees it, and the app's cookie is cleared, as Access refuses it at its
 * edge. `cleared` says whether the response must clear the cookie.
 */
function withoutEndedSession(request: Request): { request: Request; cleared: boolean } {
  if (!anySessionEnded()) return { request, cleared: false };
  const cookie = request.headers.get("cookie");
  // A header past the pieces the gateway reads carries no token to it (policy/cookies.ts): nothing to take off.
  const pieces = (cookie ? cookiePieces(cookie) : undefined) ?? [];
  const stale = pieces.filter((piece) => piece.name === COOKIE && fromEndedSession(piece.value));
  const header = request.headers.get("cf-access-jwt-assertion");
  const staleHeader = header !== null && fromEndedSession(header.trim());
  if (stale.length === 0 && !staleHeader) return { request, cleared: false };
  const headers = new Headers(request.headers);
  const kept = pieces.filter((piece) => !stale.includes(piece));
  if (kept.length > 0) headers.set("cookie", kept.map((piece) => piece.text).join("; "));
  else headers.delete("cookie");
  if (staleHeader) headers.delete("cf-access-jwt-assertion");
  return { request: new Request(request, { headers, cf: request.cf }), cleared: stale.length > 0 };
}

function clearingCookie(response: Response): Response {
  const headers = new Headers(response.headers);
  headers.append("set-cookie", CLEAR_COOKIE);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** The gateway's login redirect names the real team domain; send the browser to the local one instead. */
function pointLoginHere(response: Response, env: EdgeEnv, url: URL): Response {
  const location = response.headers.get("location");
  const teamLogin = `${env.ACCESS_TEAM_DOMAIN}/cdn-cgi/access/login/`;
  if (env.ACCESS_JWKS_URL || !location?.startsWith(teamLogin)) return response;
  const local = `http://${ISSUER_HOST}${url.port ? `:${url.port}` : ""}/cdn-cgi/access/login/${location.slice(teamLogin.length)}`;
  const headers = new Headers(response.headers);
  headers.set("location", local);
  return new Response(response.body, { status: response.status, headers });
}

export default {
  async fetch(request: Request, env: EdgeEnv): Promise<Response> {
    const url = new URL(request.url);
    if (url.hostname === ISSUER_HOST) {
      if (!env.ACCESS_TEAM_DOMAIN || env.ACCESS_JWKS_URL)
        return new Response(
          "The local sign-in is off: the policy has no identity.access, or --access-jwks-url names another issuer.\n",
          { status: 404 },
        );
      if (url.pathname === "/") return home(request, env);
      if (url.pathname.startsWith("/cdn-cgi/access/login/")) return login(request, env);
      if (url.pathname === "/cdn-cgi/access/logout") return teamLogout(request, env);
      if (url.pathname === "/cdn-cgi/access/dev-token") return devToken(request, env);
      return new Response("Not found\n", { status: 404 });
    }
    if (url.hostname === WORKLOAD_ISSUER_HOST) return devSvid(request, env);
    if (url.pathname === "/cdn-cgi/access/authorized") return authorized(url);
    if (url.pathname === "/cdn-cgi/access/logout") return logout(request, env);
    const checked = withoutEndedSession(request);
    const response = pointLoginHere(await env.WARD.fetch(checked.request), env, url);
    return checked.cleared ? clearingCookie(response) : response;
  },
};
