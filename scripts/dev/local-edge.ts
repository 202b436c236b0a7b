// What Cloudflare's edge does in front of the gateway, for `ward dev` only (never in the gateway bundle):
// the Access login lives on the team domain, and `/cdn-cgi/access/authorized` and `/logout` on every app
// host set and clear the CF_Authorization cookie. Locally the team domain is http://access.localhost:PORT,
// so the gateway's login redirects are pointed there. Everything else goes to the gateway untouched
// (request.cf included, which is how MF-CF-Blob client certificates reach it).
import { devToken, ISSUER_HOST, login, safeReturnPath, type IssuerEnv } from "./access-issuer.ts";

interface EdgeEnv extends IssuerEnv {
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

function logout(): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head>
<body><h1>You are signed out</h1><p><a href="/">Sign in again</a></p></body></html>\n`;
  return new Response(html, {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "set-cookie": `${COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`,
      "cache-control": "no-store",
    },
  });
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
      if (url.pathname.startsWith("/cdn-cgi/access/login/")) return login(request, env);
      if (url.pathname === "/cdn-cgi/access/dev-token") return devToken(request, env);
      return new Response("Not found\n", { status: 404 });
    }
    if (url.pathname === "/cdn-cgi/access/authorized") return authorized(url);
    if (url.pathname === "/cdn-cgi/access/logout") return logout();
    return pointLoginHere(await env.WARD.fetch(request), env, url);
  },
};
