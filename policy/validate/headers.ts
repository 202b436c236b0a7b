// Headers a policy names: the ones a rule sets for the origin, and the ones it forwards from the client.
import type { Rule } from "../schema.ts";
import type { Collector } from "./collector.ts";

/**
 * Headers a rule may not set: identity, hop-by-hop and framing headers only Ward controls, the ones frameworks
 * read as the "real" method, path, host or client address (the origin must serve the request the policy
 * decided), and credentials (a secret has no place in a policy document).
 */
const RESERVED_HEADER =
  /^(cf-|x-forwarded-|ward-|x-ward-|mf-|proxy-|x-original-|host$|connection$|te$|trailer$|upgrade$|keep-alive$|transfer-encoding$|content-length$|forwarded$|authorization$|cookie$|x-http-method(-override)?$|x-method-override$|x-rewrite-url$|x-real-ip$|true-client-ip$|x-client-ip$|x-cluster-client-ip$)/i;

/**
 * Headers a policy may not forward (`forwardHeaders`): the ones Ward or Cloudflare set, hop-by-hop and framing
 * headers, and the ones frameworks read as the "real" method, path, host or client address, or as a
 * framework-internal marker (x-middleware-subrequest, CVE-2025-29927). The origin must serve the request the
 * policy decided, and learn the caller only from Ward's assertion.
 */
const NEVER_FORWARDED_HEADER =
  /^(cf-|x-forwarded-|ward-|x-ward-|mf-|proxy-|x-original-|x-envoy-|host$|connection$|te$|trailer$|upgrade$|keep-alive$|transfer-encoding$|forwarded$|x-http-method(-override)?$|x-method-override$|x-rewrite-url$|x-real-ip$|true-client-ip$|x-client-ip$|client-ip$|x-cluster-client-ip$|x-originating-ip$|x-middleware-subrequest$)/i;

/** Names other auth proxies use to tell an app who called: an origin that reads one trusts whatever a client sends. */
const IDENTITY_LIKE_HEADER =
  /^(x-)?(auth-request-|pomerium-|authenticated-|webauth-|remote-user|user(-id|-name|-email|name)?$|email$|groups?$|roles?$|scopes?$|client-cert|ssl-client)/i;

/** `forwardHeaders` of a service or route (`at`). */
export function checkForwardHeaders(names: readonly string[] | undefined, at: string, out: Collector): void {
  names?.forEach((header, i) => {
    if (NEVER_FORWARDED_HEADER.test(header)) {
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
  for (const header of Object.keys(rule.headers ?? {})) {
    if (RESERVED_HEADER.test(header)) {
      out.add(
        "error",
        "reserved-header",
        `${path}.headers.${header}`,
        `header "${header}" is reserved for Ward and Cloudflare`,
      );
    }
  }
}
