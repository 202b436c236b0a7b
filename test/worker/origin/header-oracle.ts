// What an origin must be sent and what a client must be given back, written from the docs alone, never from
// worker/origin/: docs/policy.md ("Forwarded headers", a rule's `headers`), docs/origin-assertion.md,
// docs/deployment.md (STRIP_HEADERS), docs/architecture.md (step 6) and docs/operations.md (the notes on Access's
// cookies, Content-Location and Link). Where a browser's reading decides (a Refresh, a Link, a srcset), the reading
// is the standard's (HTML's declarative refresh and srcset, RFC 8288), written here afresh. Where the docs say
// nothing, the oracle accepts every answer that keeps their promises, and says so where it does
// (headers-differential.test.ts counts those cases).

import { isIP } from "node:net";

// ---------------------------------------------------------------------------------------------------------------
// Requests: what the origin is sent (docs/policy.md, "Forwarded headers").

/** The standard headers, as docs/policy.md lists them (typed from the docs, not imported). */
export const DOCUMENTED_STANDARD: ReadonlySet<string> = new Set(
  [
    "accept accept-encoding accept-language",
    "cache-control pragma if-match if-none-match if-modified-since if-unmodified-since if-range",
    "content-type content-length content-encoding content-language content-range range",
    "user-agent origin referer x-requested-with sec-fetch-site sec-fetch-mode sec-fetch-dest sec-fetch-user",
    "sec-purpose sec-ch-ua sec-ch-ua-mobile sec-ch-ua-platform upgrade-insecure-requests dnt priority",
    "cookie",
    "traceparent tracestate baggage b3 x-b3-traceid x-b3-spanid x-b3-parentspanid x-b3-sampled x-b3-flags",
    "x-request-id",
    "cf-connecting-ip cf-ray",
  ]
    .join(" ")
    .split(" "),
);

const RESERVED_PREFIXES = ["cf-", "x-forwarded-", "ward-", "x-ward-", "mf-", "proxy-", "x-original-", "x-envoy-"];
const FRAMEWORK_OVERRIDES = [
  "forwarded",
  "x-http-method",
  "x-http-method-override",
  "x-method-override",
  "x-rewrite-url",
  "x-real-ip",
  "true-client-ip",
  "x-client-ip",
  "x-cluster-client-ip",
  "client-ip",
  "x-originating-ip",
  "x-middleware-subrequest",
];
const HOP_BY_HOP = ["host", "connection", "te", "trailer", "upgrade", "keep-alive", "transfer-encoding"];

/** "Never forwardable" (`reserved-header` in `forwardHeaders`), docs/policy.md. */
export function reservedForForwarding(name: string): boolean {
  const n = name.toLowerCase();
  return RESERVED_PREFIXES.some((p) => n.startsWith(p)) || HOP_BY_HOP.includes(n) || FRAMEWORK_OVERRIDES.includes(n);
}

/** Refused in a rule's `headers` (`reserved-header`), docs/policy.md "headers": the same, framing and credentials. */
export function reservedForRuleHeaders(name: string): boolean {
  const n = name.toLowerCase();
  return reservedForForwarding(n) || ["content-length", "authorization", "cookie"].includes(n);
}

/** Access's cookies (docs/policy.md, `cookie`). */
const ACCESS_COOKIES = ["cf_authorization", "cf_appsession", "cf_binding"];

/**
 * Whether a cookie's text holds one of Access's names "anywhere, quotes dropped, each percent-escape decoded, `.`,
 * ` `, `+`, `[`, `]` or NUL read as `_`", in any case (docs/policy.md; docs/operations.md says the same of an
 * origin's Set-Cookie).
 */
export function holdsAccessCookie(text: string): boolean {
  let read = text.replaceAll('"', "");
  read = read.replace(/%[0-9a-fA-F]{2}/g, (pct) => String.fromCharCode(Number.parseInt(pct.slice(1), 16)));
  read = read.replace(/[. +[\]\u0000]/g, "_").toLowerCase();
  return ACCESS_COOKIES.some((name) => read.includes(name));
}

/** A Cookie header's pieces: split on ';' and ',' (docs/operations.md), trimmed, empty ones left out. */
export function cookiePiecesOf(header: string): string[] {
  return header
    .split(/[;,]/)
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

/** The Fetch standard's reading of a value: leading and trailing spaces and tabs are not part of it. */
const fetchValue = (value: string): string => value.replace(/^[ \t]+|[ \t]+$/g, "");

/** Header fields as the runtime hands them over: names in lower case, a name's values joined with ", ". */
export function combined(fields: readonly (readonly [string, string])[]): Map<string, string> {
  const lists = new Map<string, string[]>();
  for (const [name, value] of fields) {
    const n = name.toLowerCase();
    lists.set(n, [...(lists.get(n) ?? []), fetchValue(value)]);
  }
  return new Map([...lists].map(([n, values]) => [n, values.join(", ")]));
}

/**
 * Whether an Authorization value holds a token Ward takes as its own (docs/policy.md, "Which token is Ward's"): a
 * compact JWS whose payload's `iss` is one of the policy's token issuers, exactly. Such a token "is never sent to
 * the origin, even where a route's forwardHeaders lists Authorization", and neither is a header that is not exactly
 * one `Bearer <token>` when "any token in it names a trusted issuer".
 */
export function holdsWardsToken(value: string, issuers: readonly string[]): boolean {
  for (const piece of value.split(/[\s,]+/)) {
    const parts = piece.split(".");
    if (parts.length !== 3) continue;
    try {
      const payload = JSON.parse(atob(parts[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as { iss?: unknown };
      if (typeof payload.iss === "string" && issuers.includes(payload.iss)) return true;
    } catch {
      // not a token's payload
    }
  }
  return false;
}

export interface ForwardCase {
  scheme: "https" | "http";
  host: string;
  /** The request's path (no dot segments, nothing to canonicalise) and its query. */
  path: string;
  query: string;
  /** The client's header fields in the order sent (names in any case). */
  fields: [string, string][];
  /** The service's and the route's `forwardHeaders`, together, as written in the policy. */
  forwardHeaders: string[];
  /** The deciding rule's `headers`, as written. */
  ruleHeaders: Record<string, string>;
  /** The Worker's STRIP_HEADERS var. */
  strip: string;
  /** The `issuer` of each of the policy's `identity.tokenIssuers`. */
  issuers: readonly string[];
}

export type ForwardExpectation =
  | { forwarded: false; why: string }
  | {
      forwarded: true;
      /** Exactly the names the origin receives besides Ward-Assertion, Ward-Request-Id and Cookie, with values. */
      exact: Map<string, string>;
      /** The Cookie's pieces, in order; undefined when no Cookie may arrive. `asSent`: the whole value, when exact. */
      cookie?: { pieces: string[]; asSent?: string };
      /** Names the decision log's droppedHeaders must hold, and those it may hold besides. */
      mustReport: Set<string>;
      mayReport: Set<string>;
    };

/** Names the decision log leaves out: "the edge's own", on every request (docs/policy.md). */
function edgeOwn(name: string): boolean {
  return (
    name.startsWith("cf-") ||
    ["cdn-loop", "host", "connection", "keep-alive", "x-forwarded-for", "x-forwarded-proto"].includes(name)
  );
}

/** A name as the log reports it: "each cut to 100 characters and `…`" (docs/operations.md). */
const reported = (name: string): string => (name.length > 100 ? `${name.slice(0, 100)}…` : name);

/** What the docs say the origin is sent for a request a public rule allows. */
export function expectForward(c: ForwardCase): ForwardExpectation {
  const received = combined(c.fields);
  const connection = received.has("connection")
    ? new Set(
        received
          .get("connection")!
          .split(",")
          .map((t) => t.trim().toLowerCase())
          .filter(Boolean),
      )
    : new Set<string>();
  // "A request that asks to switch protocols is refused unless it is a same-origin WebSocket upgrade on a route
  // with `websocket`" (architecture.md); docs/policy.md: any Upgrade, or `Connection: upgrade` without one.
  // "an empty Upgrade alone asks for nothing, and is dropped like any header not forwarded".
  if (received.get("upgrade")) return { forwarded: false, why: "an Upgrade on a route without websocket" };
  if (connection.has("upgrade")) return { forwarded: false, why: "Connection: upgrade without an Upgrade header" };

  // "header names, separated by commas (or by anything else a header name cannot hold: spaces, semicolons)"
  const strip = new Set(
    c.strip
      .toLowerCase()
      .split(/[^!#$%&'*+\-.^_`|~0-9a-z]+/)
      .filter(Boolean),
  );
  // "compared case-insensitively, spelt exactly"
  const listed = new Set(c.forwardHeaders.map((n) => n.toLowerCase()));
  const exact = new Map<string, string>();
  const dropped = new Set<string>();
  let cookie: { pieces: string[]; asSent?: string } | undefined;
  for (const [name, value] of received) {
    const allowed =
      (DOCUMENTED_STANDARD.has(name) || listed.has(name)) &&
      !strip.has(name) &&
      !connection.has(name) &&
      !(name === "authorization" && holdsWardsToken(value, c.issuers));
    if (!allowed) {
      dropped.add(name);
      continue;
    }
    if (name !== "cookie") {
      exact.set(name, value);
      continue;
    }
    const pieces = cookiePiecesOf(value);
    const kept = pieces.filter((p) => !holdsAccessCookie(p));
    // "a header holding none is forwarded as sent, but for several Cookie fields, which go as one joined by '; '
    // (the runtime hands Ward them joined by ', ', so a ', ' inside one field goes as '; ' too)"; else "the pieces
    // left go joined by '; ' (split at commas too)".
    if (kept.length === pieces.length) cookie = { pieces: kept, asSent: value.replaceAll(", ", "; ") };
    else if (kept.length > 0) cookie = { pieces: kept, asSent: kept.join("; ") };
  }
  // "Ward then sets its own ... a client's value under any of these names is replaced"; STRIP_HEADERS "never
  // forwarded ... Naming x-forwarded-for or x-forwarded-proto keeps that header from origins altogether".
  for (const name of ["x-forwarded-for", "x-forwarded-proto", "ward-assertion", "ward-request-id"]) exact.delete(name);
  const address = received.get("cf-connecting-ip");
  // X-Forwarded-For: "exactly one address, CF-Connecting-IP ... (absent when there is none, or when it is not one
  // IPv4 or IPv6 address ...: a port, a list, a zone id or a decimal number)". node:net's isIP is the judge of
  // "one address" (it takes a zone id, which the docs leave out).
  const one = address !== undefined ? fetchValue(address) : undefined;
  const single = one !== undefined && isIP(one) !== 0 && !one.includes("%");
  if (one && single && !strip.has("x-forwarded-for")) exact.set("x-forwarded-for", one);
  // "`cf-connecting-ip` goes only when it is one address ..., never a list or a port" (policy.md; origin-assertion.md:
  // "`CF-Connecting-IP` itself is then not sent either"): an empty value is no address either.
  if (one !== undefined && !single) exact.delete("cf-connecting-ip");
  if (!strip.has("x-forwarded-proto")) exact.set("x-forwarded-proto", c.scheme);
  // The rule's headers: "a value replaces a client-sent header of the same name". STRIP_HEADERS: "never forwarded".
  for (const [name, value] of Object.entries(c.ruleHeaders)) {
    const n = name.toLowerCase();
    if (strip.has(n)) exact.delete(n);
    else exact.set(n, fetchValue(value));
  }
  const mustReport = new Set([...dropped].filter((n) => !edgeOwn(n)).map(reported));
  // The client's values under the names Ward or the rule sets were not sent either; the docs do not say whether
  // the log names them.
  const mayReport = new Set(
    ["ward-assertion", "ward-request-id", ...Object.keys(c.ruleHeaders).map((n) => n.toLowerCase())]
      .filter((n) => received.has(n))
      .map(reported),
  );
  return { forwarded: true, exact, cookie, mustReport, mayReport };
}

// ---------------------------------------------------------------------------------------------------------------
// Responses: what the client is given (docs/architecture.md step 6; docs/operations.md).

/** Where a URL leads, read as a browser reads it (WHATWG URL, against the URL the client asked for). */
export type Where =
  | "here" // the gateway's host, no userinfo, the request's scheme or https: "left as written"
  | "hostless" // mailto:, tel:, sms:: "passed as written"
  | "hostless-other" // no host, another scheme (blob:, view-source:, data:): may hold an address inside
  | "elsewhere" // another host name
  | "userinfo" // the gateway's host, with userinfo (which may be the origin's address)
  | "other-port" // the gateway's host name on another port
  | "other-scheme" // the gateway's host in another scheme (ws:, http: on an https request)
  | "unreadable"; // no URL parser reads it

export function where(url: string, asked: URL): { where: Where; target?: URL } {
  let target: URL;
  try {
    target = new URL(url, asked);
  } catch {
    return { where: "unreadable" };
  }
  if (target.host === "")
    return { where: ["mailto:", "tel:", "sms:"].includes(target.protocol) ? "hostless" : "hostless-other", target };
  if (target.hostname !== asked.hostname) return { where: "elsewhere", target };
  if (target.username !== "" || target.password !== "") return { where: "userinfo", target };
  if (target.host !== asked.host) return { where: "other-port", target };
  if (target.protocol !== asked.protocol && target.protocol !== "https:") return { where: "other-scheme", target };
  return { where: "here", target };
}

const AS_WRITTEN: ReadonlySet<Where> = new Set(["here", "hostless"]);
/** Rewritten onto the gateway's host (Location, Refresh): "any form a browser resolves to" another host. */
const REWRITTEN: ReadonlySet<Where> = new Set(["elsewhere", "userinfo", "other-port", "other-scheme"]);

/** The URL a rewritten one must lead to: the gateway's origin, the target's path, query and fragment. */
export function rebuiltHref(target: URL, asked: URL): string {
  return new URL(`${asked.origin}${target.pathname}${target.search}${target.hash}`).href;
}

/**
 * HTML's "shared declarative refresh steps", which browsers apply to a Refresh header: the delay, then the URL
 * (after `;` or `,`, an optional `url=`, quotes), or undefined when a browser ignores the header. `url` is
 * undefined for a refresh of the page itself.
 */
export function browserRefresh(
  value: string,
): { delay: string; url?: string; quoted: boolean; afterQuote: string } | undefined {
  const space = (c: string | undefined) => c === " " || c === "\t" || c === "\n" || c === "\f" || c === "\r";
  const digit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
  let at = 0;
  while (space(value[at])) at++;
  const start = at;
  while (digit(value[at])) at++;
  if (at === start && value[at] !== ".") return undefined;
  while (digit(value[at]) || value[at] === ".") at++;
  const delay = value.slice(start, at);
  if (at < value.length) {
    const c = value[at];
    if (c !== ";" && c !== "," && !space(c)) return undefined;
    while (space(value[at])) at++;
    if (value[at] === ";" || value[at] === ",") at++;
    while (space(value[at])) at++;
  }
  if (at >= value.length) return { delay, quoted: false, afterQuote: "" };
  const whole = value.slice(at);
  const lower = whole.toLowerCase();
  let from = at;
  if (lower[0] === "u") {
    if (lower[1] !== "r" || lower[2] !== "l") return { delay, url: whole, quoted: false, afterQuote: "" };
    from = at + 3;
    while (space(value[from])) from++;
    if (value[from] !== "=") return { delay, url: whole, quoted: false, afterQuote: "" };
    from++;
    while (space(value[from])) from++;
  }
  const quote = value[from];
  if (quote === '"' || quote === "'") {
    const rest = value.slice(from + 1);
    const end = rest.indexOf(quote);
    return end === -1
      ? { delay, url: rest, quoted: true, afterQuote: "" }
      : { delay, url: rest.slice(0, end), quoted: true, afterQuote: rest.slice(end + 1) };
  }
  return { delay, url: value.slice(from), quoted: false, afterQuote: "" };
}

/** HTML's "parse a srcset attribute": each candidate's URL (commas inside one included, trailing ones not). */
export function srcsetCandidates(value: string): string[] {
  const space = (c: string | undefined) => c === " " || c === "\t" || c === "\n" || c === "\f" || c === "\r";
  const urls: string[] = [];
  let at = 0;
  while (at < value.length) {
    while (space(value[at]) || value[at] === ",") at++;
    if (at >= value.length) break;
    let end = at;
    while (end < value.length && !space(value[end])) end++;
    let url = value.slice(at, end);
    at = end;
    const trimmed = url.replace(/,+$/, "");
    if (trimmed !== url) {
      url = trimmed;
      if (url) urls.push(url);
      continue;
    }
    urls.push(url);
    // The descriptors: up to a comma outside parentheses.
    let depth = false;
    while (at < value.length) {
      const c = value[at++];
      if (depth) {
        if (c === ")") depth = false;
      } else if (c === "(") depth = true;
      else if (c === ",") break;
    }
  }
  return urls;
}

/** RFC 9110's token characters. */
const TCHAR = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * A Link header as RFC 8288 has it (`<target>` then `; name[=token|"quoted"]` parameters, values separated by
 * commas), read as docs/operations.md says browsers read it: a `"` or `<` in an unquoted value opens a quote or a
 * URL, so a value that is not a token does not read. Each value's text and URLs (target, `anchor`, `imagesrcset`
 * candidates, and "split at every comma too"); undefined when the header does not read.
 */
export function linkValuesOf(header: string): { text: string; urls: string[] }[] | undefined {
  const values: { text: string; urls: string[] }[] = [];
  let rest = header;
  const ows = () => {
    rest = rest.replace(/^[ \t]*/, "");
  };
  for (;;) {
    rest = rest.replace(/^[ \t,]*/, "");
    if (rest === "") return values;
    const startLength = rest.length;
    const target = /^<([^>]*)>/.exec(rest);
    if (!target) return undefined;
    const urls = [target[1]!];
    rest = rest.slice(target[0].length);
    for (;;) {
      ows();
      if (rest === "" || rest[0] === ",") break;
      if (rest[0] !== ";") return undefined;
      rest = rest.slice(1);
      ows();
      const name = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/.exec(rest)?.[0];
      if (!name) return undefined;
      rest = rest.slice(name.length);
      ows();
      if (rest[0] !== "=") continue;
      rest = rest.slice(1);
      ows();
      let value: string;
      if (rest[0] === '"') {
        let i = 1;
        value = "";
        while (i < rest.length && rest[i] !== '"') {
          if (rest[i] === "\\") i++;
          if (i < rest.length) value += rest[i];
          i++;
        }
        if (i >= rest.length) return undefined;
        rest = rest.slice(i + 1);
      } else {
        const token = /^[^ \t,;]*/.exec(rest)![0];
        if (!TCHAR.test(token)) return undefined;
        value = token;
        rest = rest.slice(token.length);
      }
      const lower = name.toLowerCase();
      if (lower === "anchor") urls.push(value);
      if (lower === "imagesrcset") {
        urls.push(...srcsetCandidates(value));
        for (const piece of value.split(",")) {
          const first = piece.trim().split(/[ \t\n\f\r]+/)[0];
          if (first) urls.push(first);
        }
      }
    }
    const text = header.slice(header.length - startLength, header.length - rest.length).trim();
    values.push({ text, urls });
  }
}

export interface AnswerCase {
  /** The URL the client asked for (scheme, the gateway's host, path and query). */
  asked: URL;
  status: number;
  /** The origin's header fields, in order. */
  fields: [string, string][];
}

/**
 * Whether text names a host other than the request's, or userinfo, read from any place in it with no base (each
 * place tried, backslashes as slashes, a leading `//` in the request's scheme): the docs' "read apart".
 */
export function namesHostAlone(text: string, asked: URL): boolean {
  const slashed = text.replaceAll("\\", "/");
  for (let at = 0; at < slashed.length; at++) {
    const rest = slashed.slice(at);
    let url: URL | undefined;
    try {
      url = rest.startsWith("//") ? new URL(`${asked.protocol}${rest}`) : new URL(rest);
    } catch {
      continue;
    }
    const host = url.hostname.toLowerCase();
    if (host !== "" && (host !== asked.hostname || url.username !== "" || url.password !== "")) return true;
  }
  return false;
}

/**
 * One Refresh field against what the client was sent: "rewritten the same way [as Location] (dropped when
 * unreadable, ..., when a quoted URL is empty, or when anything follows a quoted URL)".
 */
function refreshProblems(r: string, sent: string | null, asked: URL, open: string[]): string[] {
  const read = browserRefresh(r);
  const want = (value: string | null, why: string) =>
    sent === value ? [] : [`Refresh: ${r} (${why}) became ${sent}, not ${value}`];
  // "a Refresh browsers do not read at all, one that does not start with a delay" is dropped.
  if (read === undefined) return want(null, "no browser reads it");
  if (read.url === undefined) return want(r, "no URL");
  if (read.quoted && (read.url === "" || read.afterQuote.trim() !== "")) return want(null, "quoted: empty or followed");
  if (read.url.trim() === "") {
    // `5; url=`: the page itself, to a browser; the docs drop only an empty quoted URL.
    open.push("a Refresh whose URL is empty, unquoted");
    return sent === null ? [] : want(r, "an empty URL");
  }
  const w = where(read.url, asked);
  // Passed as written, "a single field holding `, ` is read as two too": a part after one that no browser reads,
  // naming another host read apart, drops it (`1.5, http:/10.0.0.5/x` is a path here to a browser, that host to
  // another reader). A rewritten URL names the gateway's host only.
  const apart = r.split(", ").slice(1);
  if (AS_WRITTEN.has(w.where) && apart.some((p) => browserRefresh(p) === undefined && namesHostAlone(p, asked)))
    return want(null, "a part after ', ' names another host read apart");
  if (AS_WRITTEN.has(w.where)) return want(r, w.where);
  if (!REWRITTEN.has(w.where)) return want(null, w.where);
  const href = rebuiltHref(w.target!, asked);
  const again = sent === null ? undefined : browserRefresh(sent);
  const led = again?.url === undefined ? undefined : where(again.url, asked);
  return again && again.delay === read.delay && led?.where === "here" && led.target!.href === href
    ? []
    : [`Refresh: ${r} (${w.where}) became ${sent}, not one leading to ${href}`];
}

/** Hop-by-hop in an answer wherever they appear (RFC 9110 §7.6.1 and §7.8, as HTTP/1.1 proxies read them). */
const ANSWER_HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "upgrade",
  "proxy-authenticate",
];

/**
 * Checks what the client was given against the docs; each broken promise as a line. `open` collects where the docs
 * are silent; `internal`: the origin's addresses and credentials the case's URLs hold, never to be shown.
 */
export function checkAnswer(
  c: AnswerCase,
  got: { status: number; headers: Headers },
  ignore: ReadonlySet<string>,
  open: string[],
  internal: readonly string[],
): string[] {
  const problems: string[] = [];
  // "The answer's hop-by-hop headers are dropped (RFC 9110 §7.6.1): `Connection` and every header it names, and
  // `Keep-Alive`, `Proxy-Connection`, `TE`, `Trailer`, `Upgrade` and `Proxy-Authenticate` wherever they appear";
  // "a `Connection` naming more than 64 headers is a 502". Ward's own Ward-Request-Id is set whatever it names.
  const named = c.fields
    .filter(([n]) => n.toLowerCase() === "connection")
    .flatMap(([, v]) => fetchValue(v).split(","))
    .map((n) => n.trim().toLowerCase())
    .filter((n) => n !== "");
  if (named.length > 64) {
    if (got.status !== 502) problems.push(`Connection naming ${named.length} headers: answered ${got.status}, not 502`);
    return problems;
  }
  const hopByHop = new Set([...ANSWER_HOP_BY_HOP, ...named]);
  hopByHop.delete("ward-request-id");
  for (const name of hopByHop)
    if (got.headers.has(name)) problems.push(`hop-by-hop ${name} passed: ${got.headers.get(name)}`);
  const fields = c.fields.filter(([n]) => !hopByHop.has(n.toLowerCase()));
  const fieldsOf = (name: string) => fields.filter(([n]) => n.toLowerCase() === name).map(([, v]) => fetchValue(v));
  const asked = c.asked;

  // Location: "rewritten onto the gateway's host"; "a 502" when it cannot be read or names no host (but mailto:,
  // tel:, sms:), "as are two Location fields of which one names another host".
  const locations = fieldsOf("location");
  let must502 = false;
  let locationCheck: (() => void) | undefined;
  if (locations.length > 1) {
    if (locations.some((l) => !AS_WRITTEN.has(where(l, asked).where))) must502 = true;
    else {
      // "two on the gateway's host pass as they came, joined by ', '"
      const joined = locations.join(", ");
      locationCheck = () => {
        if (got.headers.get("location") !== joined)
          problems.push(`Location: ${joined} became ${got.headers.get("location")}`);
      };
    }
  } else if (locations.length === 1) {
    const l = locations[0]!;
    const w = where(l, asked);
    if (AS_WRITTEN.has(w.where))
      locationCheck = () => {
        if (got.headers.get("location") !== l)
          problems.push(`Location: ${l} (${w.where}) became ${got.headers.get("location")}`);
      };
    else if (REWRITTEN.has(w.where)) {
      const href = rebuiltHref(w.target!, asked);
      locationCheck = () => {
        const sent = got.headers.get("location");
        const led = sent === null ? undefined : where(sent, asked);
        if (led?.where !== "here" || led.target!.href !== href)
          problems.push(`Location: ${l} (${w.where}) became ${sent}, not one leading to ${href}`);
      };
    } else must502 = true;
  }
  if (must502) {
    if (got.status !== 502) problems.push(`Location: ${locations.join(" | ")} answered ${got.status}, not 502`);
    if (got.headers.get("location") !== null) problems.push(`a 502 with a Location: ${got.headers.get("location")}`);
    return problems;
  }
  if (got.status !== c.status) problems.push(`status: ${c.status} became ${got.status}`);
  locationCheck?.();

  // Refresh: "rewritten the same way (dropped when unreadable, when one of two fields names another host, when a
  // quoted URL is empty, or when anything follows a quoted URL)".
  const refreshes = fieldsOf("refresh");
  const refreshSent = got.headers.get("refresh");
  if (refreshes.length > 1 && refreshes.includes("")) {
    // An empty field names nothing, but the runtime's join leaves a comma of it after the other's URL, where the
    // docs drop what follows a quoted URL: either answer keeps their promise (the leak check below still holds).
    open.push("two Refresh fields, one empty");
  } else if (refreshes.length > 1) {
    const reads = refreshes.map(browserRefresh);
    const elsewhere = reads.some((read) => read?.url !== undefined && !AS_WRITTEN.has(where(read.url, asked).where));
    if (elsewhere && refreshSent !== null) problems.push(`Refresh: ${refreshes.join(" | ")} passed as ${refreshSent}`);
    if (!elsewhere) {
      // A field no browser reads names no host to go to; whether it may hold one to show, the leak check below says.
      // Joined, the fields are also one field to Ward (`1.5, http://gw/x` is a delay and a URL): that reading's
      // answer keeps the docs' promise too.
      open.push(`two Refresh fields, ${reads.includes(undefined) ? "one no browser reads" : "both here"}`);
      const joined = refreshes.join(", ");
      if (refreshSent !== null && refreshSent !== joined && refreshProblems(joined, refreshSent, asked, []).length > 0)
        problems.push(`Refresh: ${refreshes.join(" | ")} became ${refreshSent}`);
    }
  } else if (refreshes.length === 1) problems.push(...refreshProblems(refreshes[0]!, refreshSent, asked, open));

  // Content-Location "naming another host (either of two fields) ... is dropped".
  const contentLocations = fieldsOf("content-location");
  if (contentLocations.length > 0) {
    const places = contentLocations.map((l) => where(l, asked).where);
    const sent = got.headers.get("content-location");
    const joined = contentLocations.join(", ");
    // "for these two, a URL that a Location would have rewritten or refused counts as naming another host"
    if (places.every((p) => AS_WRITTEN.has(p))) {
      if (sent !== joined) problems.push(`Content-Location: ${joined} (${places}) became ${sent}`);
    } else if (sent !== null) problems.push(`Content-Location: ${joined} (${places}) passed as ${sent}`);
  }

  // Link: "each Link value that does [name another host] ... is dropped"; "a header that does not read goes whole".
  const links = fieldsOf("link");
  if (links.length > 0) {
    const joined = links.join(", ");
    const values = linkValuesOf(joined);
    const sent = got.headers.get("link");
    if (values === undefined) {
      if (sent !== null) problems.push(`Link: ${joined} (unreadable) passed as ${sent}`);
    } else {
      const verdict = values.map((v) => (v.urls.every((u) => AS_WRITTEN.has(where(u, asked).where)) ? "keep" : "drop"));
      const sentValues = sent === null ? [] : linkValuesOf(sent);
      if (sentValues === undefined) problems.push(`Link: ${joined} became ${sent}, which does not read`);
      else {
        const texts = sentValues.map((v) => v.text);
        let i = 0;
        for (const [k, v] of values.entries()) {
          const present = texts[i] === v.text;
          if (present) i++;
          if (verdict[k] === "keep" && !present) problems.push(`Link: value ${v.text} was dropped from ${joined}`);
          if (verdict[k] === "drop" && present) problems.push(`Link: value ${v.text} was passed on from ${joined}`);
        }
        if (i !== texts.length) problems.push(`Link: ${joined} became ${sent}`);
      }
    }
  }

  // "... so internal addresses never reach the client": none of the origin's addresses in a URL the client is given,
  // but in what every browser reads as a URL on the gateway's host (`http:/10.0.0.5/x` asked over http is the path
  // /10.0.0.5/x here), passed as the origin wrote it.
  const here = (url: string) => AS_WRITTEN.has(where(url, asked).where);
  const vouched = (name: string, fieldHere: (field: string) => boolean) => {
    const fields = fieldsOf(name);
    return got.headers.get(name) === fields.join(", ") && fields.every(fieldHere);
  };
  const sentUrls = new Map<string, string[]>([
    ["location", vouched("location", here) ? [] : [got.headers.get("location") ?? ""]],
    ["content-location", vouched("content-location", here) ? [] : [got.headers.get("content-location") ?? ""]],
    [
      "refresh",
      // Passed as the origin sent it: the fields a browser would not send here (or reads not at all) are checked.
      got.headers.get("refresh") === fieldsOf("refresh").join(", ")
        ? fieldsOf("refresh").filter((f) => {
            const read = browserRefresh(f);
            return read === undefined || (read.url !== undefined && !here(read.url));
          })
        : [got.headers.get("refresh") ?? ""],
    ],
    [
      "link",
      (linkValuesOf(got.headers.get("link") ?? "") ?? [{ text: got.headers.get("link") ?? "", urls: [] }])
        .filter((v) => !v.urls.every(here))
        .map((v) => v.text),
    ],
  ]);
  for (const [name, values] of sentUrls)
    for (const value of values)
      for (const address of internal) if (value.includes(address)) problems.push(`${name} shows ${address}: ${value}`);

  // Set-Cookie: those "for one of Access's cookies" dropped (name or value, as lenient servers read it; only the
  // name=value part is ever sent back); "the others" passed with "its Domain as the origin set it".
  const cookies = fieldsOf("set-cookie");
  const keptCookies = cookies.filter((sc) => !sc.split(";", 1)[0]!.split(",").some(holdsAccessCookie));
  const sentCookies = got.headers.getSetCookie();
  if (JSON.stringify(sentCookies) !== JSON.stringify(keptCookies))
    problems.push(`Set-Cookie: ${JSON.stringify(cookies)} became ${JSON.stringify(sentCookies)}`);

  // Ward-Request-Id "on every response"; every other header of the origin's as it was sent (the docs change no
  // other), and nothing added.
  if (!/^[0-9a-f-]{36}$/.test(got.headers.get("ward-request-id") ?? ""))
    problems.push(`Ward-Request-Id: ${got.headers.get("ward-request-id")}`);
  const handled = new Set(["location", "refresh", "content-location", "link", "set-cookie", "ward-request-id"]);
  const names = new Set(fields.map(([n]) => n.toLowerCase()));
  for (const name of names) {
    if (handled.has(name) || ignore.has(name)) continue;
    const joined = fieldsOf(name).join(", ");
    if (got.headers.get(name) !== joined) problems.push(`${name}: ${joined} became ${got.headers.get(name)}`);
  }
  for (const [name] of got.headers)
    if (!names.has(name) && !handled.has(name) && !ignore.has(name) && !hopByHop.has(name))
      problems.push(`added: ${name}`);
  return problems;
}
