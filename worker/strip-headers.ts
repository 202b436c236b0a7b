// Headers that never reach an origin: hop-by-hop ones (RFC 9110 §7.6.1), every header a client could use to
// claim an identity or a certificate, and every header that frameworks read as "the real method, path or
// host", which would let the origin serve a different request than the one the policy decided. The origin
// learns who called only from Ward itself, and where the call came from only from what Cloudflare saw.
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "proxy-authorization", "proxy-authenticate"];
// `x-forwarded-`: whatever a client claims about the hop before Ward (user, host, port, scheme, address).
// Ward sets X-Forwarded-For and X-Forwarded-Proto itself from what it knows.
const IDENTITY_PREFIXES = ["cf-access-", "cf-cert-", "cf-client-cert-", "ward-", "x-ward-", "x-forwarded-"];
// (X-Forwarded-Host, -Prefix and -Uri go with the x-forwarded- prefix above.)
const OVERRIDE_HEADERS = ["x-http-method-override", "x-http-method", "x-method-override", "x-original-url", "x-rewrite-url", "x-original-uri", "x-original-method", "x-original-host", "x-host", "forwarded"];
// A client can send any of these to pose as another address (an origin's IP allowlist, its audit log, its rate
// limit). Cloudflare's edge sets CF-Connecting-IP itself; X-Forwarded-For is rebuilt from it alone.
const CLIENT_ADDRESS_HEADERS = ["x-real-ip", "true-client-ip", "x-client-ip", "client-ip", "x-cluster-client-ip", "x-originating-ip"];
// What auth proxies commonly tell an app (oauth2-proxy, Apache's REMOTE_USER, Grafana's auth proxy, ...).
const IDENTITY_HEADERS = [
  "cf-authorization", "mf-cf-blob", "x-auth-request-user", "x-auth-request-email", "x-auth-request-groups", "remote-user", "x-remote-user",
  "x-webauth-user", "x-authenticated-user", "x-client-cert", "x-ssl-client-cert", "ssl-client-cert", "x-client-verify",
];

const ALWAYS_STRIPPED = new Set([...HOP_BY_HOP, ...IDENTITY_HEADERS, ...OVERRIDE_HEADERS, ...CLIENT_ADDRESS_HEADERS]);

function names(list: string): string[] {
  return list.split(",").map((h) => h.trim().toLowerCase()).filter(Boolean);
}

/** STRIP_HEADERS parsed once per isolate (it changes only with a deploy). */
let extraParsed: { list: string; names: Set<string> } | undefined;
function extraNames(list: string): Set<string> {
  if (extraParsed?.list !== list) extraParsed = { list, names: new Set(names(list)) };
  return extraParsed.names;
}

/** The Access cookie is a credential for Ward, not for the origin; other cookies pass. */
function withoutAccessCookie(cookie: string): string {
  return cookie.split(";").map((c) => c.trim()).filter((c) => c && !/^CF_Authorization=/i.test(c)).join("; ");
}

/**
 * The headers an origin may see (Headers yields lower-case names).
 * `extraStrip`: the STRIP_HEADERS var, a comma-separated list of more headers an origin must never see.
 * `scheme`: the scheme the request reached the gateway with ("https"), sent as X-Forwarded-Proto.
 */
export function forwardHeaders(incoming: Headers, extraStrip = "", scheme?: string): Headers {
  const extra = extraNames(extraStrip);
  const connection = incoming.get("connection");
  const listed = connection ? new Set(names(connection)) : undefined;
  // Copied whole, then the stripped names deleted: header values (tokens, certificates) are never
  // turned into JavaScript strings just to be copied.
  const out = new Headers(incoming);
  for (const name of incoming.keys()) {
    // CGI, PHP-FPM, uWSGI and others read `_` and `-` alike (both become HTTP_X_FORWARDED_USER): a name
    // spelt with underscores is stripped as its hyphenated twin would be.
    const key = name.includes("_") ? name.replaceAll("_", "-") : name;
    if (ALWAYS_STRIPPED.has(key) || extra.has(key) || extra.has(name) || listed?.has(name) || IDENTITY_PREFIXES.some((prefix) => key.startsWith(prefix))) {
      out.delete(name);
    }
  }
  // CF-Connecting-IP is set by Cloudflare's edge, which overwrites whatever the client sent under that name.
  // Naming either header in STRIP_HEADERS keeps it from origins altogether.
  const client = incoming.get("cf-connecting-ip");
  if (client && !extra.has("x-forwarded-for")) out.set("x-forwarded-for", client);
  if (scheme && !extra.has("x-forwarded-proto")) out.set("x-forwarded-proto", scheme);
  const cookie = out.get("cookie");
  if (cookie) {
    const kept = withoutAccessCookie(cookie);
    if (kept) out.set("cookie", kept);
    else out.delete("cookie");
  }
  return out;
}
