// Headers a policy names: the ones a rule sets for the origin, and the ones it forwards from the client.
import type { Rule } from "../schema.ts";
import type { Collector } from "./collector.ts";

/** Names only Ward or Cloudflare set, hop-by-hop and framing headers, and the ones frameworks read as the "real" method, path, host or client address. */
const WARD_OWNED = {
  prefixes: ["cf-", "x-forwarded-", "ward-", "x-ward-", "mf-", "proxy-", "x-original-"],
  names: [
    "host",
    "connection",
    "te",
    "trailer",
    "upgrade",
    "keep-alive",
    "transfer-encoding",
    "forwarded",
    "x-http-method",
    "x-http-method-override",
    "x-method-override",
    "x-rewrite-url",
    "x-real-ip",
    "true-client-ip",
    "x-client-ip",
    "x-cluster-client-ip",
  ],
};

function nameTest(prefixes: readonly string[], names: readonly string[]): (header: string) => boolean {
  const exact = new Set(names);
  return (header) => {
    const lower = header.toLowerCase();
    return exact.has(lower) || prefixes.some((prefix) => lower.startsWith(prefix));
  };
}

/**
 * Headers a policy may not forward (`forwardHeaders`): Ward's own (above), Envoy's path and host overrides, more
 * client-address headers, and a framework-internal marker (x-middleware-subrequest, CVE-2025-29927). The origin
 * must learn the caller only from Ward's assertion.
 */
const NEVER_FORWARDED = {
  prefixes: [...WARD_OWNED.prefixes, "x-envoy-"],
  names: [...WARD_OWNED.names, "client-ip", "x-originating-ip", "x-middleware-subrequest"],
};
const isNeverForwarded = nameTest(NEVER_FORWARDED.prefixes, NEVER_FORWARDED.names);

/**
 * Headers a rule may not set: every one a policy may not forward (what a rule sets reaches the origin just the
 * same: it must serve the request the policy decided), the body's length, and credentials (a secret has no
 * place in a policy document).
 */
const isReservedHeader = nameTest(NEVER_FORWARDED.prefixes, [
  ...NEVER_FORWARDED.names,
  "content-length",
  "authorization",
  "cookie",
]);
/** What a rule could not set before these were the same list: a stored version is held to this only. */
const wasReservedHeader = nameTest(WARD_OWNED.prefixes, [
  ...WARD_OWNED.names,
  "content-length",
  "authorization",
  "cookie",
]);

/** Names other auth proxies use to tell an app who called: an origin that reads one trusts whatever a client sends. */
const IDENTITY_LIKE_HEADER =
  /^(x-)?(auth-request-|pomerium-|authenticated-|webauth-|remote-user|user(-id|-name|-email|name)?$|email$|groups?$|roles?$|scopes?$|client-cert|ssl-client)/i;

/** `forwardHeaders` of a service or route (`at`). */
export function checkForwardHeaders(names: readonly string[] | undefined, at: string, out: Collector): void {
  names?.forEach((header, i) => {
    if (isNeverForwarded(header)) {
      out.add(
        "error",
        "reserved-header",
        `${at}.forwardHeaders[${i}]`,
        `header "${header}" is set by Ward or Cloudflare, or overrides what the policy decided: it is never forwarded`,
      );
    } else if (IDENTITY_LIKE_HEADER.test(header)) {
      out.add(
        "warning",
        "identity-header-forwarded",
        `${at}.forwardHeaders[${i}]`,
        `"${header}" looks like a header that names the caller: any client can send it`,
        "an origin learns who called from Ward's assertion (ward-assertion), never from a header a client can set",
      );
    }
  });
}

/** `headers` a rule sets for the origin. */
export function checkRuleHeaders(rule: Rule, path: string, out: Collector): void {
  if (rule.effect === "deny" && rule.headers) {
    out.add("error", "headers-on-deny", `${path}.headers`, "a deny rule forwards nothing, so it cannot set headers");
  }
  const reserved = out.stored ? wasReservedHeader : isReservedHeader;
  // Header names ignore case: `x-tenant` and `X-Tenant` are one header, and which value the origin got depended
  // on the keys' order, which differs between the text as pushed and the stored document (keys sorted). Not for
  // a version already stored: compile.ts sets such a version's headers in one order, however it was read.
  const named = new Map<string, string>();
  for (const header of Object.keys(rule.headers ?? {})) {
    if (reserved(header)) {
      out.add(
        "error",
        "reserved-header",
        `${path}.headers.${header}`,
        `header "${header}" is set by Ward or Cloudflare, or overrides what the policy decided: no rule sets it`,
      );
    }
    const first = named.get(header.toLowerCase());
    if (first === undefined) named.set(header.toLowerCase(), header);
    else if (!out.stored)
      out.add(
        "error",
        "invalid-value",
        `${path}.headers.${header}`,
        `header "${header}" is "${first}" again: header names ignore case, so the origin would get one of the two values`,
        `set the header once`,
      );
  }
}
