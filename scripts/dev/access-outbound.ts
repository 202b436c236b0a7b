// The gateway's only way out in `ward dev` (Miniflare's outboundService, dev only): calls to the Access
// team domain reach the local issuer, or the outside issuer named by --access-jwks-url; anything else
// fails loudly, so nothing leaves the machine by accident.
import { certs, getIdentity, type IssuerEnv } from "./access-issuer.ts";

interface OutboundEnv extends IssuerEnv {
  ACCESS_JWKS_URL?: string;
}

export default {
  async fetch(request: Request, env: OutboundEnv): Promise<Response> {
    const url = new URL(request.url);
    if (url.origin !== env.ACCESS_TEAM_DOMAIN) {
      return new Response(`ward dev: the gateway may only call its Access team domain, not ${url.origin}\n`, { status: 502 });
    }
    if (env.ACCESS_JWKS_URL) {
      // An outside test issuer: its keys at the URL given, and its get-identity beside them (a key set at
      // .../cdn-cgi/access/certs has get-identity at .../cdn-cgi/access/get-identity, as a team domain does).
      const beside = (name: string) => new URL(name, env.ACCESS_JWKS_URL).href;
      if (url.pathname === "/cdn-cgi/access/certs") return fetch(env.ACCESS_JWKS_URL);
      if (url.pathname === "/cdn-cgi/access/get-identity") return fetch(beside("get-identity"), { headers: request.headers });
      return new Response("Not found\n", { status: 404 });
    }
    if (url.pathname === "/cdn-cgi/access/certs") return certs(env);
    if (url.pathname === "/cdn-cgi/access/get-identity") return getIdentity(request, env);
    return new Response("Not found\n", { status: 404 });
  },
};
