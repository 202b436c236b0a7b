// The headers an origin is sent: the allow-list of policy/forward-headers.ts (standard headers, and the names
// the policy lists for the service or route), then Ward's own. Everything else is dropped, whatever its
// spelling: identity claims of other proxies, path and method overrides, framework internals, the client's
// Authorization (unless the policy forwards it), Access's headers and cookies.
import { isClientAddress, isForwardedHeader } from "../../policy/index.ts";
import { cookiePieces, mayBeReadAs } from "../../policy/cookies.ts";
import { stripNamesOf } from "../../policy/strip-headers.ts";

/** Access's own cookies: credentials for Ward (and Access), never for the origin. Other cookies pass. */
const ACCESS_COOKIES: ReadonlySet<string> = new Set(["cf_authorization", "cf_appsession", "cf_binding"]);

/**
 * Dropped on every request behind Cloudflare, so not worth a line in the log: the edge's own headers
 * (`cf-*`, CDN-Loop, X-Forwarded-For/-Proto, which Ward sets anew), and the connection's (Host comes from the
 * origin URL). Dropped all the same.
 */
function droppedQuietly(name: string): boolean {
  return (
    name.startsWith("cf-") ||
    name === "host" ||
    name === "connection" ||
    name === "keep-alive" ||
    name === "cdn-loop" ||
    name === "x-forwarded-for" ||
    name === "x-forwarded-proto"
  );
}

/** At most this many dropped names are reported per request: a client can send a hundred made-up headers. */
export const MAX_REPORTED_DROPS = 32;
/** And each name cut to this many characters: a client chooses their length too (up to the request's header limit). */
export const MAX_REPORTED_NAME_LENGTH = 100;

/** The names a comma-separated list holds (Connection, STRIP_HEADERS), trimmed and in lower case. */
export function names(list: string): string[] {
  return list
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
}

/** STRIP_HEADERS parsed once per isolate (it changes only with a deploy). */
let stripParsed: { list: unknown; names: Set<string> } | undefined;
function stripNames(list: unknown): Set<string> {
  if (stripParsed === undefined || stripParsed.list !== list) stripParsed = { list, names: stripNamesOf(list) };
  return stripParsed.names;
}

/**
 * The Cookie header without Access's cookies, or undefined when it holds none; null past the pieces it is read in
 * (policy/cookies.ts), more than any browser sends: then none of it is forwarded.
 */
function withoutAccessCookies(cookie: string): string | undefined | null {
  const pieces = cookiePieces(cookie);
  if (pieces === undefined) return null;
  const kept = pieces.filter((piece) => !mayBeReadAs(piece.text, ACCESS_COOKIES));
  return kept.length === pieces.length ? undefined : kept.map((piece) => piece.text).join("; ");
}

/**
 * Whether a `Set-Cookie` field would come back as one of Access's cookies, as any server may read it
 * (policy/cookies.ts mayBeReadAs): a nameless cookie (`=CF_Authorization=x`) is sent back as its bare value, and
 * browsers store a comma in a name or value as it is, so `theme=dark, CF_Authorization=x` comes back as two
 * pieces to a reader that splits on commas. Only the name=value part counts (up to the first ';'): the
 * attributes after it are never sent back.
 */
function setsAccessCookie(cookie: string): boolean {
  return mayBeReadAs(cookie.split(";", 1)[0] ?? "", ACCESS_COOKIES);
}

/**
 * Drops the origin's `Set-Cookie` fields that set one of Access's cookies (an app on `a.example.com` answering
 * `CF_Authorization=<its own token>; Domain=example.com` would sign the visitor in to every other app as whoever
 * that token names), under its own name or behind a comma. Other cookies pass as sent. Headers must be
 * mutable (a copy of the origin's response); `present` holds their names (worker/origin/answer-names.ts).
 */
export function dropAccessCookiesSet(headers: Headers, present: Set<string>): void {
  if (!present.has("set-cookie")) return;
  const all = headers.getSetCookie();
  const kept = all.filter((cookie) => !setsAccessCookie(cookie));
  if (kept.length === all.length) return;
  headers.delete("set-cookie");
  if (kept.length === 0) present.delete("set-cookie");
  for (const cookie of kept) headers.append("set-cookie", cookie);
}

export interface OriginHeaders {
  headers: Headers;
  /** Names the client sent that the origin is not sent (lower case, the edge's own left out); undefined when none. */
  dropped?: string[];
}

/** What forward() knows of the request besides its headers; the two header values the gateway read already. */
export interface OriginHeaderFacts {
  /** The names the policy forwards for this service and route (lower case). */
  extra: ReadonlySet<string>;
  /** The STRIP_HEADERS var as bound: names never sent even if allowed (X-Forwarded-For/-Proto included). */
  strip: unknown;
  /** The scheme the request reached the gateway with ("https"), sent as X-Forwarded-Proto. */
  scheme?: string;
  /** The request's Connection and CF-Connecting-IP, as read once by the gateway (null when absent). */
  connection: string | null;
  clientAddress: string | null;
  /** The deciding rule's `headers`, set over the client's: STRIP_HEADERS keeps them from origins too. */
  ruleHeaders?: Readonly<Record<string, string>>;
}

/**
 * `out`: a mutable copy of `incoming` to filter in place (the outgoing Request's own headers, so they are
 * copied once, not once here and again by fetch).
 */
export function originHeaders(incoming: Headers, out: Headers, facts: OriginHeaderFacts): OriginHeaders {
  const { extra, strip, scheme, connection, clientAddress: client } = facts;
  const stripped = stripNames(strip);
  // Names the client listed in Connection are hop-by-hop for this request (RFC 9110 §7.6.1).
  const hopByHop = connection ? new Set(names(connection)) : undefined;
  // Copied whole (by the caller), then the names not allowed deleted: header values (tokens, certificates)
  // are never turned into JavaScript strings just to be copied.
  let dropped: string[] | undefined;
  // Whether a Cookie header is forwarded at all: only then is it read (a workload's request carries none).
  let cookieKept = false;
  for (const name of incoming.keys()) {
    if (isForwardedHeader(name, extra) && !stripped.has(name) && !hopByHop?.has(name)) {
      if (name === "cookie") cookieKept = true;
      continue;
    }
    out.delete(name);
    if (!droppedQuietly(name) && (dropped ??= []).length < MAX_REPORTED_DROPS)
      dropped.push(name.length > MAX_REPORTED_NAME_LENGTH ? `${name.slice(0, MAX_REPORTED_NAME_LENGTH)}…` : name);
  }
  // CF-Connecting-IP is set by Cloudflare's edge, which overwrites whatever the client sent under that name;
  // passed on, itself and as X-Forwarded-For, only when it is one address (policy/client-address.ts), as the rate
  // limits read it. Anything else came from no edge (a service binding, a local run): the origin gets neither.
  if (client !== null) {
    if (!isClientAddress(client)) out.delete("cf-connecting-ip");
    else if (!stripped.has("x-forwarded-for")) out.set("x-forwarded-for", client);
  }
  if (scheme && !stripped.has("x-forwarded-proto")) out.set("x-forwarded-proto", scheme);
  // STRIP_HEADERS is the deployment's "never forward", whatever asks to: a policy's rule as much as a client.
  for (const name in facts.ruleHeaders) {
    if (stripped.has(name.toLowerCase())) out.delete(name);
    else out.set(name, facts.ruleHeaders[name]!);
  }
  const cookie = cookieKept ? out.get("cookie") : null;
  if (cookie) {
    const kept = withoutAccessCookies(cookie);
    if (kept) out.set("cookie", kept);
    else if (kept === "") out.delete("cookie");
    else if (kept === null) {
      // Access's cookies go unreported (every signed-in request sends one); a header not read at all is not.
      out.delete("cookie");
      if ((dropped ??= []).length < MAX_REPORTED_DROPS) dropped.push("cookie");
    }
    // None dropped: as sent, but for several Cookie fields, which the runtime joins with ", " (read as one
    // cookie's value by PHP and Node) and which are one header joined with "; " (RFC 9113, 8.2.3). A cookie's
    // own value holds no comma followed by a space (RFC 6265's cookie-octet has neither).
    else if (cookie.includes(", ")) out.set("cookie", cookie.replaceAll(", ", "; "));
  }
  return dropped ? { headers: out, dropped } : { headers: out };
}
