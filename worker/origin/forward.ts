// Forwards an allowed request to its origin binding, on exactly the canonical path the policy matched.
import {
  extraForwardedHeaders,
  NUMERIC_SETTINGS,
  readSetting,
  WEBSOCKET_HANDSHAKE_HEADERS,
  type CompiledService,
  type Decision,
} from "../../policy/index.ts";
import type { Env } from "../env.ts";
import { dropAccessCookiesSet, originHeaders } from "./headers.ts";
import { answerNames } from "./answer-names.ts";
import { keepFromSharedCaches } from "./cache-control.ts";
import { dropHopByHop } from "./hop-by-hop.ts";
import { linkValues } from "./link-header.ts";
import { ASSERTION_HEADER } from "./assertion.ts";
import { logFailedHandshake } from "./failed-handshake.ts";
import type { ReceivedHeaders } from "../received-headers.ts";

/** `dropped`: the request headers the origin was not sent (names only), for the decision log. */
export type ForwardResult = (
  | { ok: true; response: Response }
  | { ok: false; reason: "origin-unavailable" | "origin-error" | "origin-timeout" }
) & { dropped?: string[] };

/** Schemes of a Location or Refresh URL without a host that are passed on as the origin wrote them. */
const HOSTLESS_SCHEMES: ReadonlySet<string> = new Set(["mailto:", "tel:", "sms:"]);

/** How long an origin may take to start answering (ORIGIN_TIMEOUT_MS overrides). */
export const ORIGIN_TIMEOUT_MS = NUMERIC_SETTINGS.ORIGIN_TIMEOUT_MS.fallback;

/**
 * The ORIGIN_TIMEOUT_MS var as a timer's delay: the default unless a positive number, at most a timer's longest
 * (2^31 - 1 ms, about 24.8 days: a longer one would fire at once). policy/settings.ts reads it.
 */
export function originTimeout(setting: unknown): number {
  return readSetting("ORIGIN_TIMEOUT_MS", setting)!;
}

/**
 * A URL the origin sent for the browser to follow, as the browser reads it (WHATWG URL, against the URL the
 * client asked for), on the gateway's host: as written when it names no other host (a relative URL, `mailto:`),
 * else rebuilt from the gateway's origin (assigning `host` alone would keep the internal port). Undefined when
 * it cannot be read at all (`http://internal:99999/`) or holds another URL without naming a host.
 */
function onGatewayHost(url: string, received: URL): string | undefined {
  let target: URL;
  try {
    target = new URL(url, received);
  } catch {
    return undefined;
  }
  // No host: only the schemes that name no place on a network pass as written. Others may hold one inside
  // (`blob:http://10.0.0.5/`, `view-source:http:10.0.0.5/`, which a URL parser reads with or without slashes).
  if (target.host === "") return HOSTLESS_SCHEMES.has(target.protocol) ? url : undefined;
  // On the gateway's host, unless it carries userinfo (`https://10.0.0.5:8080@gateway/`, `//admin:pw@gateway/`):
  // as written in the request's scheme, or in https (an app that sends a plain-http visitor to https must not
  // be sent back to http, round and round). Any other scheme on the host is rebuilt in the request's.
  const sameScheme = target.protocol === received.protocol || target.protocol === "https:";
  if (target.host === received.host && sameScheme && target.username === "" && target.password === "") return url;
  return `${received.origin}${target.pathname}${target.search}${target.hash}`;
}

/**
 * The URL of `Refresh: 5; url=...` as browsers read it (HTML's declarative refresh: the delay, `;` or `,`, an
 * optional `url=`, the URL, quoted or not), with everything before and after it; undefined when it names none. No
 * regular expression that could backtrack: the origin's header may be long.
 */
function refreshTarget(value: string): { before: string; url: string; after: string } | undefined {
  let at = /^\s*[\d.]*\s*[;,]?\s*/.exec(value)![0].length;
  at += /^url\s*=\s*/i.exec(value.slice(at))?.[0].length ?? 0;
  const quote = value[at];
  const quoted = quote === '"' || quote === "'";
  const end = quoted ? value.indexOf(quote, at + 1) : -1;
  const url = (quoted ? value.slice(at + 1, end === -1 ? undefined : end) : value.slice(at)).trim();
  // What follows a quoted URL's closing quote: a browser ignores it.
  const after = end === -1 ? "" : value.slice(end + 1);
  return url ? { before: value.slice(0, at), url, after } : undefined;
}

/** A Refresh that names no URL: a delay, perhaps with its separator (`30`, `5;`). Linear: no overlapping runs. */
const BARE_DELAY = /^[\d.]*(?:\s*[;,])?$/;

/**
 * Whether browsers read a Refresh at all: HTML's declarative refresh starts with a delay (a digit or a dot) followed
 * by the end, `;`, `,` or a space; anything else (`abc; url=...`, `5x`, `; url=...`, a bare URL) they ignore.
 */
const READS_AS_REFRESH = /^[\t\n\f\r ]*[\d.][\d.]*(?:[;,\t\n\f\r ]|$)/;

/** What splits a field no browser reads into words: spaces and the punctuation around URLs in prose. */
const WORD_BREAKS = /[\s;,='"()<>{}|^`]+/;
/** Where a URL may start inside a word (backslashes read as slashes, as WHATWG reads them): a `//`, or a scheme. */
const URL_STARTS = /\/\/|(?<![a-z\d+.-])[a-z][a-z\d+.-]*:/gi;
/** More places than this to read a field from, and it counts as naming another host: a header is cheap to lengthen. */
const MAX_URL_STARTS = 32;

/**
 * Whether text that is no refresh of its own (a field no browser reads, or the rest of a URL after ", ") holds a
 * URL naming another host in any of its words: read apart, it may be a field an origin sent, never to be shown.
 * Each word is read against the request's URL, and from every `//` and scheme inside it on, backslashes as
 * slashes (`u/\10.0.0.5/x`, `(http:/10.0.0.5/x)`, `u//admin:pw@gateway/`), with no base of its own: another host
 * name there, userinfo, or a URL that does not read, is another host.
 */
function namesAnotherHost(text: string, received: URL): boolean {
  let starts = 0;
  for (const word of text.split(WORD_BREAKS)) {
    if (word === "") continue;
    if (onGatewayHost(word, received) !== word) return true;
    const slashed = word.replaceAll("\\", "/");
    for (const match of slashed.matchAll(URL_STARTS)) {
      if (++starts > MAX_URL_STARTS) return true;
      // One that does not read (`//internal:99999/`) may still show a host: it counts as one.
      const url = URL.parse(slashed.slice(match.index), `https://${received.host}/`);
      if (
        !url ||
        (url.host !== "" && (url.hostname !== received.hostname || url.username !== "" || url.password !== ""))
      )
        return true;
    }
  }
  return false;
}

/**
 * The Refresh header to pass on, its URL on the gateway's host (onGatewayHost); undefined to drop it: one browsers
 * do not read (it sends nowhere, and shows what it holds), a URL that does not read, anything after a quoted URL
 * (`url='/ok', 0; url=http://10.0.0.5/`: browsers stop at the quote, other readers may not), a URL quoted but
 * empty, and two fields, which arrive joined with ", ", of which any names another host read apart
 * (`5, 0; url=http://10.0.0.5/` is one relative URL to a browser, two fields to another reader), also when the
 * first one's URL is rewritten. A refresh is never what a response cannot do without.
 */
function refreshToSend(refresh: string, received: URL): string | undefined {
  if (!READS_AS_REFRESH.test(refresh)) return undefined;
  const target = refreshTarget(refresh);
  if (!target) return BARE_DELAY.test(refresh.trim()) ? refresh : undefined;
  if (target.after.trim() !== "") return undefined;
  const kept = onGatewayHost(target.url, received);
  if (kept === undefined) return undefined;
  // A URL to rewrite that holds ", " may be two fields' worth (`0; url=http://10.0.0.5/a, 0; url=http://10.0.0.6/`):
  // rebuilt, its ", " would be encoded, and the second field carried into the gateway's URL without being read apart.
  if (kept !== target.url && target.url.includes(", ")) return undefined;
  const sent = kept === target.url ? refresh : `${target.before}${kept}`;
  const elsewhere = (piece: string) => {
    if (!READS_AS_REFRESH.test(piece)) return namesAnotherHost(piece, received);
    const t = refreshTarget(piece);
    return t ? onGatewayHost(t.url, received) !== t.url : !BARE_DELAY.test(piece.trim());
  };
  return sent.includes(", ") && sent.split(", ").some(elsewhere) ? undefined : sent;
}

/**
 * An origin redirecting to its own (internal) address must not send the client there, nor show it: keep Ward's
 * host, in Location and in Refresh (which browsers follow too). Every form that names another host is caught:
 * `//host/`, `http:\\host`, `http:/host`, `/\host`, `ws://host`. False when it cannot be read at all, or when
 * the origin sent two Locations and one names another host: the caller answers 502 rather than pass it on.
 * `headers`: those of the copy of the origin's answer, changed in place; `present`: the names they hold.
 */
function keepGatewayHost(headers: Headers, present: Set<string>, received: URL): boolean {
  const location = present.has("location") ? headers.get("location") : null;
  if (location) {
    // Two Location fields reach here joined with ", " and would reach the client both: when any piece names
    // another host, nothing is passed on. (A URL holds no space, but a careless origin's may: on this host,
    // it goes through unchanged.)
    if (location.includes(", ") && location.split(", ").some((piece) => onGatewayHost(piece, received) !== piece))
      return false;
    const kept = onGatewayHost(location, received);
    if (kept === undefined) return false;
    if (kept !== location) headers.set("location", kept);
  }
  const refresh = present.has("refresh") ? headers.get("refresh") : null;
  if (refresh !== null) {
    const sent = refreshToSend(refresh, received);
    if (sent === undefined) headers.delete("refresh");
    else if (sent !== refresh) headers.set("refresh", sent);
  }
  // Content-Location names where the answer lives; Link's targets a browser may fetch at once (preload,
  // preconnect, a preload's imagesrcset). Neither is needed to use the answer: Content-Location is dropped when
  // it names another host or cannot be read, and so is each link-value holding such a URL (a CDN's preconnect
  // too: Ward cannot tell a public host from the origin's), the whole Link header when it does not read.
  const contentLocation = present.has("content-location") ? headers.get("content-location") : null;
  // Two fields arrive joined with ", ", as Location's do: each is read.
  if (contentLocation?.split(", ").some((piece) => onGatewayHost(piece, received) !== piece))
    headers.delete("content-location");
  const link = present.has("link") ? headers.get("link") : null;
  if (link !== null) {
    const values = linkValues(link);
    const kept = values?.filter((value) => value.urls.every((url) => onGatewayHost(url, received) === url));
    if (!kept || kept.length === 0) headers.delete("link");
    else if (kept.length !== values!.length) headers.set("link", kept.map((value) => value.text).join(", "));
  }
  return true;
}

function isFetcher(value: unknown): value is Fetcher {
  return typeof value === "object" && value !== null && typeof (value as Fetcher).fetch === "function";
}

/**
 * `received`: the request's URL, already parsed by the caller (its query is forwarded as received).
 * `read`: the request's headers, and those of them the gateway read (worker/received-headers.ts).
 * `websocket`: a WebSocket upgrade the policy allowed (worker/websocket/), with the subprotocols offered: the
 * origin is asked to upgrade, and its 101 is returned as it came, socket and all, for Ward to relay.
 * `consumed`: request headers that held a credential Ward consumed, never sent to the origin.
 */
export async function forward(
  request: Request,
  received: URL,
  service: CompiledService,
  decision: Decision,
  env: Env,
  requestId: string,
  assertion: string,
  timeoutMs: number,
  read: ReceivedHeaders,
  websocket?: { protocols?: string },
  consumed?: readonly string[],
): Promise<ForwardResult> {
  const origin = service.origin;
  // Only tunnel bindings are reachable from the Worker; a public URL origin is refused by validation
  // unless acknowledged, and even then Ward does not fetch arbitrary URLs.
  const binding = typeof origin === "object" && "tunnel" in origin ? env[origin.tunnel] : undefined;
  if (!isFetcher(binding) || !decision.target) return { ok: false, reason: "origin-unavailable", dropped: undefined };

  const url = `https://${decision.target.host}${decision.target.path}${received.search}`;
  // The timeout covers the wait for the origin's answer (status and headers), and the timer is cleared
  // as soon as it comes, so no timer outlives its request.
  const controller = new AbortController();
  const incoming = read.all;
  // Built once and sent as it is: fetch(url, init) would copy the headers a second time.
  let outgoing: Request;
  try {
    outgoing = new Request(url, {
      method: decision.target.method,
      headers: incoming,
      body: request.body,
      redirect: "manual",
      signal: controller.signal,
    });
  } catch {
    return { ok: false, reason: "origin-error", dropped: undefined };
  }
  const headers = outgoing.headers;
  const { dropped: notAllowed } = originHeaders(incoming, headers, {
    extra: extraForwardedHeaders(service, decision.route),
    strip: env.STRIP_HEADERS ?? "",
    scheme: received.protocol.slice(0, -1),
    connection: read.connection,
    clientAddress: read.clientAddress,
    ruleHeaders: decision.obligations.headers,
  });
  // Headers that carried Ward's own credential (a workload token in Authorization), whatever the allow-list says.
  let removed = notAllowed;
  for (const name of consumed ?? []) {
    if (!headers.has(name)) continue;
    headers.delete(name);
    removed = [...(removed ?? []), name];
  }
  const reported = websocket ? removed?.filter((name) => !WEBSOCKET_HANDSHAKE_HEADERS.has(name)) : removed;
  // In every result, undefined when none (the returns above too): one shape of result, whatever happened.
  const dropped = reported?.length ? reported : undefined;
  if (websocket) {
    // Only this one protocol, only here: every other Upgrade a client sends was refused before forwarding.
    headers.set("upgrade", "websocket");
    if (websocket.protocols) headers.set("sec-websocket-protocol", websocket.protocols);
  }
  headers.set("ward-request-id", requestId);
  headers.set(ASSERTION_HEADER, assertion);
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await binding.fetch(outgoing);
    // The 101 and its socket, in a Response whose headers the caller may change like any other's (the
    // socket is not accepted here: the caller relays it, worker/websocket/).
    if (websocket && response.webSocket) {
      const upgraded = new Response(null, { status: 101, webSocket: response.webSocket, headers: response.headers });
      const upgradedHeaders = upgraded.headers;
      const present = answerNames(upgradedHeaders);
      // As any answer's: a 101 may carry a Location, a Refresh or a Link naming the origin's own address.
      if (!dropHopByHop(upgradedHeaders, present) || !keepGatewayHost(upgradedHeaders, present, received)) {
        // Refused: the origin's end is closed, not left open behind the 502.
        response.webSocket.accept();
        response.webSocket.close(1011, "origin-error");
        return { ok: false, reason: "origin-error", dropped };
      }
      upgradedHeaders.set("ward-request-id", requestId);
      dropAccessCookiesSet(upgradedHeaders, present);
      return { ok: true, response: upgraded, dropped };
    }
    // An upgrade answered 502 without a socket: the runtime refusing the origin's 101 (an extension the client
    // did not offer, a wrong Sec-WebSocket-Accept: its own 502, with its message, no Cache-Control), or the
    // origin's own 502, which a WebSocket client cannot read either. Ward's own 502 (no-store) in both cases
    // (from a review: the runtime's went out as an origin's answer, `private`, its message in the body). What it
    // said is logged, for the operator's diagnosis.
    if (websocket && response.status === 502) {
      await logFailedHandshake(response, requestId);
      return { ok: false, reason: "origin-error", dropped };
    }
    // Origin responses are immutable; copy so the caller can correlate with the decision log.
    const answered = new Response(response.body, response);
    // Read once: each read of answered.headers is a call into the runtime.
    const answeredHeaders = answered.headers;
    const present = answerNames(answeredHeaders);
    // Before Ward's own header is set: an origin's Connection may name it.
    const hopByHopDropped = dropHopByHop(answeredHeaders, present);
    answeredHeaders.set("ward-request-id", requestId);
    dropAccessCookiesSet(answeredHeaders, present);
    keepFromSharedCaches(answeredHeaders, present, decision);
    if (!hopByHopDropped || !keepGatewayHost(answeredHeaders, present, received)) {
      await answered.body?.cancel();
      return { ok: false, reason: "origin-error", dropped };
    }
    return { ok: true, response: answered, dropped };
  } catch {
    return { ok: false, reason: controller.signal.aborted ? "origin-timeout" : "origin-error", dropped };
  } finally {
    clearTimeout(timer);
  }
}
