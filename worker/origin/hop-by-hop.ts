// The hop-by-hop fields of an origin's answer: meant for the connection between the origin (or the tunnel) and
// Ward, never for the client. A proxy removes them (RFC 9110 §7.6.1): the fields the origin names in its own
// Connection header (`Connection: X-Backend-Debug` marks X-Backend-Debug as not to be passed on), and those that
// are hop-by-hop wherever they appear. The runtime passes all of them on as the origin sent them.
import { dropPresent } from "./answer-names.ts";
import { names } from "./headers.ts";

/**
 * Hop-by-hop whether or not Connection names them (RFC 9110 §7.6.1 and §7.8; Proxy-Connection and
 * Proxy-Authenticate as HTTP/1.1 proxies, Go's ReverseProxy among them, treat them). Transfer-Encoding and
 * Content-Length frame the body, and the runtime frames it anew: left to it.
 */
const ALWAYS_HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "upgrade",
  "proxy-authenticate",
];

/** More names than this in an origin's Connection header and its answer is refused (a 502), not read name by name. */
export const MAX_CONNECTION_NAMES = 64;

/** A field name (RFC 9110 §5.1's token), in lower case: what a Connection option must be to name a header. */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/**
 * Deletes the hop-by-hop fields of `headers` (a mutable copy of the origin's answer; at a WebSocket's 101 too,
 * whose Connection and Upgrade the runtime writes anew for the client's own handshake). `present`: the names it
 * holds (worker/origin/answer-names.ts), kept up to date: a name that is not there costs no call into the runtime.
 * False, with nothing deleted, when the origin's Connection header names more than MAX_CONNECTION_NAMES fields or
 * holds an entry that is no field name (`"x-secret"`, `x secret`, `x;q=1`): which header it meant cannot be told,
 * so none is passed on.
 */
export function dropHopByHop(headers: Headers, present: Set<string>): boolean {
  if (present.has("connection")) {
    const listed = names(headers.get("connection") ?? "");
    if (listed.length > MAX_CONNECTION_NAMES || !listed.every((name) => FIELD_NAME.test(name))) return false;
    for (const name of listed) dropPresent(headers, present, name);
  }
  for (const name of ALWAYS_HOP_BY_HOP) dropPresent(headers, present, name);
  return true;
}
