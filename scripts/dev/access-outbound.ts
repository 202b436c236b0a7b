// The gateway's only way out in `ward dev` (Miniflare's outboundService, dev only): calls to the Access
// team domain reach the local issuer, or the outside issuer named by --access-jwks-url, and the bundle URL of
// the workload issuer the local SPIRE stands in for (workload-issuer.ts) gets its bundle; anything else fails
// loudly, so nothing leaves the machine by accident.
import { certs, getIdentity, type IssuerEnv } from "./access-issuer.ts";
import { bundle, type WorkloadIssuerEnv, workloadIssuerOf } from "./workload-issuer.ts";

interface OutboundEnv extends IssuerEnv, WorkloadIssuerEnv {
  ACCESS_JWKS_URL?: string;
}

/**
 * The outside issuer's key set, fetched as the gateway fetches a team domain's deployed (jose's
 * createRemoteJWKSet asks with `redirect: "manual"` and takes only a 200): a redirect is not followed. A key URL
 * that redirects would work here and fail in production, so it fails here too, and says why.
 */
async function keySet(jwksUrl: string): Promise<Response> {
  const response = await fetch(jwksUrl, { redirect: "manual" });
  if (response.status < 300 || response.status > 399) return response;
  const to = response.headers.get("location");
  const message = `ward dev: --access-jwks-url ${jwksUrl} answered ${response.status}${to ? ` (a redirect to ${to})` : ""}: the gateway's key fetch does not follow redirects (nor does it deployed), so no token is accepted. Give the key set's own URL.`;
  console.error(message);
  return new Response(`${message}\n`, { status: 502 });
}

export default {
  async fetch(request: Request, env: OutboundEnv): Promise<Response> {
    const url = new URL(request.url);
    const workload = workloadIssuerOf(env);
    if (workload && url.href === workload.bundleUrl) return bundle(workload);
    if (url.origin !== env.ACCESS_TEAM_DOMAIN) {
      return new Response(
        `ward dev: the gateway may only call its Access team domain (and the local SPIRE's bundle), not ${url.origin}\n`,
        {
          status: 502,
        },
      );
    }
    if (env.ACCESS_JWKS_URL) {
      // An outside test issuer: its keys at the URL given, and its get-identity beside them (a key set at
      // .../cdn-cgi/access/certs has get-identity at .../cdn-cgi/access/get-identity, as a team domain does).
      const beside = (name: string) => new URL(name, env.ACCESS_JWKS_URL).href;
      if (url.pathname === "/cdn-cgi/access/certs") return keySet(env.ACCESS_JWKS_URL);
      if (url.pathname === "/cdn-cgi/access/get-identity")
        return fetch(beside("get-identity"), { headers: request.headers });
      return new Response("Not found\n", { status: 404 });
    }
    if (url.pathname === "/cdn-cgi/access/certs") return certs(env);
    if (url.pathname === "/cdn-cgi/access/get-identity") return getIdentity(request, env);
    return new Response("Not found\n", { status: 404 });
  },
};
