// Ward's own paths, answered on every host before any service route can: spelt once here, for the Worker that
// serves them, the validator that keeps routes off them, and the CLI that calls them.

/** The assertion verification keys (a JWKS), so origins can fetch them through Ward. */
export const KEY_SET_PATH = "/.well-known/ward/jwks.json";
/** The admin API (push, rollback, history, grants, denylist). */
export const ADMIN_PREFIX = "/.ward/admin";
/** The portal: the apps a person may open (the same page as ME_PATH). */
export const PORTAL_PATH = "/.ward/apps";
/** Where do I stand: who Ward sees, with what credentials and facts, and the apps this caller may open. */
export const ME_PATH = "/.ward/me";

/** Security Event Tokens pushed by a trusted transmitter (RFC 8935): POST <prefix>/<transmitter name>. */
export const SSF_EVENTS_PREFIX = "/.ward/ssf/events";

/** No route may claim a path under these: Ward answers them itself. */
export const RESERVED_PREFIXES: readonly string[] = ["/.well-known/ward/", "/.ward/"];

/**
 * Whether Ward answers `method` `rawPath` itself, on any host, before a policy decision (worker/own-paths.ts,
 * whose router reads the path percent-decoded): the admin API and the security-event receiver whatever the
 * method, the key set and the portal pages for GET and HEAD. Anything else under the reserved prefixes goes to
 * the gateway like any request.
 */
export function answeredByWard(method: string, rawPath: string): boolean {
  // As Hono reads the path before routing (hono/utils/url getPath): decodeURI, so %2F, %3F, %23 and the other
  // reserved escapes stay encoded, "%25" stays "%25", and an escape that does not decode is kept as written.
  const path = decodeAsRouted(rawPath);
  if (path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`)) return true;
  // worker/own-paths.ts routes the receiver on one segment (`:transmitter`): anything else goes to the gateway.
  if (path.startsWith(`${SSF_EVENTS_PREFIX}/`) && /^[^/]+$/.test(path.slice(SSF_EVENTS_PREFIX.length + 1))) return true;
  return (method === "GET" || method === "HEAD") && (path === KEY_SET_PATH || path === PORTAL_PATH || path === ME_PATH);
}

function decodeAsRouted(path: string): string {
  const decode = (s: string) => decodeURI(s.replace(/%25/g, "%2525"));
  try {
    return decode(path);
  } catch {
    return path.replace(/(?:%[0-9A-Fa-f]{2})+/g, (m) => {
      try {
        return decode(m);
      } catch {
        return m;
      }
    });
  }
}
