// Which requests Ward answers itself, for `ward explain` (which then has no policy decision to explain). Here, not
// in policy/: it reads the path with Hono's own reader, as worker/own-paths.ts's router does.
import { getPath } from "hono/utils/url";
import { ADMIN_PREFIX, KEY_SET_PATH, ME_PATH, PORTAL_PATH, SSF_EVENTS_PREFIX } from "../policy/index.ts";

/**
 * Whether Ward answers `method` `rawPath` itself, on any host, before a policy decision (worker/own-paths.ts):
 * the admin API and the security-event receiver whatever the method, the key set and the portal pages for GET
 * and HEAD. Anything else under the reserved prefixes goes to the gateway like any request.
 */
export function answeredByWard(method: string, rawPath: string): boolean {
  // The path as Hono's router reads it (decodeURI: %2F and the other reserved escapes stay encoded, "%25" stays,
  // an escape that does not decode is kept as written). getPath reads nothing of a request but its url.
  const path = getPath({ url: `http://ward${rawPath}` } as Request);
  if (path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`)) return true;
  // worker/own-paths.ts routes the receiver on one segment (`:transmitter`): anything else goes to the gateway.
  if (path.startsWith(`${SSF_EVENTS_PREFIX}/`) && /^[^/]+$/.test(path.slice(SSF_EVENTS_PREFIX.length + 1))) return true;
  return (method === "GET" || method === "HEAD") && (path === KEY_SET_PATH || path === PORTAL_PATH || path === ME_PATH);
}
