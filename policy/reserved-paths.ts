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
 * Whether a canonical path is one of Ward's, or under them. Such a request that none of Ward's own paths answered
 * (`/.ward/apps/`, `/.well-known/ward/jwks.json/`) matches no route either: a service's catch-all route would
 * otherwise send it to the origin, in the namespace Ward keeps for itself.
 */
export function isReservedPath(path: string): boolean {
  return RESERVED_PREFIXES.some((reserved) => path.startsWith(reserved) || path === reserved.slice(0, -1));
}
