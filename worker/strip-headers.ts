// Headers that never reach an origin: hop-by-hop ones (RFC 9110 §7.6.1), every header a client could use to
// claim an identity or a certificate, and every header that frameworks read as "the real method, path or
// host", which would let the origin serve a different request than the one the policy decided. The origin
// learns who called only from Ward itself.
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "proxy-authorization", "proxy-authenticate"];
const IDENTITY_PREFIXES = ["cf-access-", "cf-cert-", "cf-client-cert-", "ward-", "x-ward-"];
const OVERRIDE_HEADERS = ["x-http-method-override", "x-http-method", "x-method-override", "x-original-url", "x-rewrite-url", "x-original-method", "forwarded", "x-forwarded-host", "x-forwarded-prefix", "x-forwarded-uri"];
const IDENTITY_HEADERS = ["cf-authorization", "mf-cf-blob", "x-forwarded-user", "x-forwarded-email", "x-forwarded-groups", "x-forwarded-preferred-username", "x-auth-request-user", "x-auth-request-email", "x-auth-request-groups", "x-client-cert", "x-ssl-client-cert", "ssl-client-cert", "x-client-verify"];

function names(list: string): string[] {
  return list.split(",").map((h) => h.trim().toLowerCase()).filter(Boolean);
}

/** `extraStrip`: the STRIP_HEADERS var, a comma-separated list of more headers an origin must never see. */
export function forwardHeaders(incoming: Headers, extraStrip = ""): Headers {
  const out = new Headers(incoming);
  for (const name of [...HOP_BY_HOP, ...IDENTITY_HEADERS, ...OVERRIDE_HEADERS, ...names(incoming.get("connection") ?? ""), ...names(extraStrip)]) {
    out.delete(name);
  }
  for (const name of [...out.keys()]) {
    if (IDENTITY_PREFIXES.some((prefix) => name.startsWith(prefix))) out.delete(name);
  }
  // The Access cookie is a credential for Ward, not for the origin.
  const cookie = out.get("cookie");
  if (cookie) {
    const kept = cookie.split(";").map((c) => c.trim()).filter((c) => c && !/^CF_Authorization=/i.test(c));
    if (kept.length > 0) out.set("cookie", kept.join("; "));
    else out.delete("cookie");
  }
  return out;
}
