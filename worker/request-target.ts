// How the gateway reads request.url. The runtime builds it from the Host header and the request target as the
// client sent it: bare workerd keeps dot segments, `%2e` and backslashes; Cloudflare's edge resolves them first
// when the zone's URL normalisation is on; `ward dev` (Miniflare) re-parses it with the WHATWG parser. Ward
// reads the path raw, never through `new URL`, so whatever reaches it is judged as it came.
import { MAX_PATH_LENGTH, rawPathOf } from "../policy/index.ts";

/** The raw path as received: `new URL` would already have resolved dot segments the policy must see. */
export const rawPath = rawPathOf;

/**
 * request.url parsed, or undefined when it does not parse: bare workerd builds it from whatever Host header came
 * ("a b", "[x"), and a request the gateway cannot read is a bad request, not an internal error.
 */
export function parseReceived(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** Method, host and raw path as received, for the log; bounded, since a refused path may be of any length. */
export function asReceived(request: Request): { method: string; host: string; path: string } {
  const url = request.url;
  return { method: request.method, host: parseReceived(url)?.host ?? "", path: rawPath(url).slice(0, MAX_PATH_LENGTH) };
}
