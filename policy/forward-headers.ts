// What an origin is sent: an allow-list of request headers, never a strip-list. A strip-list is never complete:
// identity headers of other proxies (X-User-Email, X-Pomerium-*, X-Roles), spellings with `_` or `.` that
// CGI-style servers read as the hyphenated name, path overrides (X-Original-Path, X-Envoy-Original-Path),
// framework internals (x-middleware-subrequest, CVE-2025-29927) all reached origins through one. Here a header
// reaches the origin only if it is a standard one an application needs, one Ward sets itself, or one the
// policy names for the service or route (`forwardHeaders`). Names are compared exactly, in lower case (as
// Headers yields them): `x_user_email` or `accept.language` is simply not on the list.
import type { CompiledService } from "./compile.ts";

/**
 * The standard request headers an application needs. Not here, on purpose: credentials (`authorization`,
 * Access's headers and cookies; `authorization` only where the policy says so), hop-by-hop headers
 * (RFC 9110 §7.6.1), anything that names a caller, a client address, or the "real" method, path or host, and
 * Cloudflare's other `cf-*` headers (Ward tells the origin who called in its assertion).
 */
export const STANDARD_FORWARDED_HEADERS: ReadonlySet<string> = new Set([
  // content negotiation
  "accept",
  "accept-encoding",
  "accept-language",
  // caching and conditional requests (RFC 9110 §13, RFC 9111)
  "cache-control",
  "pragma",
  "if-match",
  "if-none-match",
  "if-modified-since",
  "if-unmodified-since",
  "if-range",
  // the body
  "content-type",
  "content-length",
  "content-encoding",
  "content-language",
  "content-range",
  // ranges (RFC 9110 §14)
  "range",
  // who the client software is, and where a browser request came from (CSRF defences read these)
  "user-agent",
  "origin",
  "referer",
  "x-requested-with",
  "sec-fetch-site",
  "sec-fetch-mode",
  "sec-fetch-dest",
  "sec-fetch-user",
  "sec-purpose",
  "sec-ch-ua",
  "sec-ch-ua-mobile",
  "sec-ch-ua-platform",
  "upgrade-insecure-requests",
  "dnt",
  "priority",
  // cookies other than Access's (those are removed from the value)
  "cookie",
  // trace context (W3C Trace Context and Baggage, Zipkin B3)
  "traceparent",
  "tracestate",
  "baggage",
  "b3",
  "x-b3-traceid",
  "x-b3-spanid",
  "x-b3-parentspanid",
  "x-b3-sampled",
  "x-b3-flags",
  "x-request-id",
  // set by Cloudflare's edge on every request, whatever the client sent under these names: the client's address
  // (Ward also sends it as X-Forwarded-For) and the request's ray id (for support cases and tracing)
  "cf-connecting-ip",
  "cf-ray",
]);

/** Headers Ward sets itself on every forwarded request; whatever a client sent under these names is replaced. */
export const WARD_SET_HEADERS: readonly string[] = [
  "ward-assertion",
  "ward-request-id",
  "x-forwarded-for",
  "x-forwarded-proto",
];

const NONE: ReadonlySet<string> = new Set();

/** The names the policy adds for this request: the service's `forwardHeaders` and its route's (lower case). */
export function extraForwardedHeaders(service: CompiledService, route: string | undefined): ReadonlySet<string> {
  return (route !== undefined ? service.routeForwardHeaders.get(route) : undefined) ?? service.forwardHeaders ?? NONE;
}

/** Whether a header (lower-case name, as Headers yields it) may reach the origin, before Ward adds its own. */
export function isForwardedHeader(name: string, extra: ReadonlySet<string>): boolean {
  return STANDARD_FORWARDED_HEADERS.has(name) || extra.has(name);
}

/**
 * The names of these headers whose value the origin would not be sent, each once, in the order given (those
 * Ward sets itself included: the client's value is replaced).
 */
export function droppedHeaders(names: Iterable<string>, extra: ReadonlySet<string>): string[] {
  const dropped = new Set<string>();
  for (const name of names) {
    const lower = name.toLowerCase();
    if (!isForwardedHeader(lower, extra)) dropped.add(lower);
  }
  return [...dropped];
}
