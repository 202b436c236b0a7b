// People in a browser get a way forward instead of JSON: no identity -> the Access login, which returns
// them to the page; denied -> a page with the app, the request id and whom to ask. Never the failing check.
import { crossOriginRequest } from "../../policy/cross-origin.ts";
import type { Identity } from "../../policy/index.ts";
import { escapeHtml, PAGE_STYLE } from "../../policy/page-style.ts";

/**
 * A request a browser made for a page of another origin (another site, or another host of this one): the
 * browser attached the user's cookies by itself. Browsers set Sec-Fetch-Site and Origin themselves (a page
 * cannot forge them); API clients send neither, and are never taken for one.
 */
export function madeForAnotherOrigin(request: Request): boolean {
  const { headers } = request;
  return crossOriginRequest(headers.get("sec-fetch-site"), headers.get("origin"), () => originOf(request.url));
}

/**
 * A request a browser made for a page without the person asking: what the page embeds (an image, a script, a
 * style sheet, a frame), fetches ahead (`<link rel=prefetch>`, prerender: `Sec-Purpose`), loads without a
 * script's CORS (`no-cors`), a navigation the page started by itself (a meta refresh, a script setting
 * `location`: no `Sec-Fetch-User`), and the page's own fetches too: `<link rel=preload as=fetch crossorigin>`
 * sends what a script's fetch() sends (cors, empty), with no script at all (from a review), so the two cannot be
 * told apart. Only what the person asked for is not: a navigation they made (`Sec-Fetch-User: ?1`) or one of
 * their own (typed, a bookmark: `Sec-Fetch-Site: none`). Fetch Metadata, set by browsers; absent from API
 * clients (Node's fetch sends `Sec-Fetch-Mode` alone), whose requests are never taken for a page's.
 */
function madeByAPageUnasked(request: Request): boolean {
  const { headers } = request;
  if (headers.has("sec-purpose")) return true;
  const dest = headers.get("sec-fetch-dest");
  if (dest !== null && dest !== "document" && dest !== "empty") return true;
  const mode = headers.get("sec-fetch-mode");
  if (mode === "no-cors") return true;
  const site = headers.get("sec-fetch-site");
  if (site === null) return false;
  return !(site === "none" || (mode === "navigate" && headers.get("sec-fetch-user") === "?1"));
}

/**
 * A request a person's browser made unasked: for a page of another origin, or by a page of this one (a wiki page
 * anyone may edit can hold images, prefetch links or a meta refresh to paths its readers may not open). Only a
 * person's Access sign-in is a credential a browser attaches by itself; Fetch Metadata and Origin are any other
 * client's to choose, so a caller with a workload credential or a service token is never taken for one, whatever
 * those headers say.
 */
export function madeUnaskedByABrowser(request: Request, identity: Identity): boolean {
  if (!identity.user || identity.workload || identity.workloadToken) return false;
  return madeForAnotherOrigin(request) || madeByAPageUnasked(request);
}

/** The request's own origin; an empty string, which no Origin header equals, when its URL does not parse (bare workerd, a hostile Host). */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "";
  }
}

/**
 * A request a page's own script made (fetch, XHR), the page embeds, or a service worker passes on: a browser's
 * Fetch Metadata says so, and a page cannot forge it. Only a top-level document load (`navigate` to a `document`)
 * is not one: a service worker of the host's pages that passes a navigation on with fetch(event.request) sends
 * `navigate` with the destination `empty`, and reads the answer (from a review: it read /.ward/me). API clients
 * send no Fetch Metadata and are not one either.
 */
export function madeByAPage(request: Request): boolean {
  const { headers } = request;
  // A navigation preload: the browser sends it as a document load, for the service worker to read (from a review:
  // a worker that enables it read /.ward/me). A worker may change the header's value, never drop it.
  if (headers.has("service-worker-navigation-preload")) return true;
  const mode = headers.get("sec-fetch-mode");
  const dest = headers.get("sec-fetch-dest");
  // With its destination, as browsers send it: Node's fetch adds `Sec-Fetch-Mode: cors` alone, and is no page.
  return mode !== null && dest !== null && (mode !== "navigate" || dest !== "document");
}

/** A top-level page load (not fetch/XHR, not an API client). */
export function isBrowserNavigation(request: Request): boolean {
  if (request.method !== "GET") return false;
  const mode = request.headers.get("sec-fetch-mode");
  if (mode) return mode === "navigate";
  return (request.headers.get("accept") ?? "").includes("text/html");
}

/**
 * The headers of every page Ward renders itself: never framed (another page cannot overlay it to have the person
 * click "Sign out" or read it through a frame), never read by the page that opened it (a script of an
 * application's pages opening /.ward/me in a window: COOP puts it in a browsing context group of its own unless
 * the opener sends the same policy, and the CSP sandbox gives it an origin of its own even then), never sniffed
 * as anything but HTML, never cached, and never named to where its links lead: a denial page is served at the URL
 * the person asked for, whose query may hold what only that app should see.
 */
export function pageHeaders(requestId: string): Record<string, string> {
  return {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    // sandbox: the page gets an origin of its own (opaque), so no script of the host's other pages can read it
    // through a window, even one in the same browsing context group (an app page that sends COOP same-origin
    // too). The pages run no script and post no form; their links navigate the page itself.
    "content-security-policy": "frame-ancestors 'none'; sandbox",
    "cross-origin-opener-policy": "same-origin",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "ward-request-id": requestId,
  };
}

/** To Access's login for the host; with the request id, as every answer of Ward's carries it. */
export function loginRedirect(
  teamDomain: string,
  audience: string,
  host: string,
  pathAndQuery: string,
  requestId: string,
): Response {
  const url = `${teamDomain}/cdn-cgi/access/login/${host}?kid=${encodeURIComponent(audience)}&redirect_url=${encodeURIComponent(pathAndQuery)}`;
  return new Response(null, {
    status: 302,
    headers: { location: url, "cache-control": "no-store", "ward-request-id": requestId },
  });
}

/** `who`: whom the person is signed in as, so that a wrong account is seen at once. */
export function deniedPage(
  app: string,
  owner: string,
  requestId: string,
  who?: string,
  logoutUrl?: string,
  portalUrl?: string,
): Response {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Access denied: ${escapeHtml(app)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${PAGE_STYLE}</style>
</head><body>
<h1>You don't have access to ${escapeHtml(app)}</h1>
<p>${who ? `You are signed in as <strong id="who">${escapeHtml(who)}</strong>` : "Your identity was recognised"}, but the access policy does not let you open this page.</p>
<p><strong>Next step:</strong> ask <strong>${escapeHtml(owner)}</strong> for access, and include this request id:</p>
<p><code id="request-id">${escapeHtml(requestId)}</code></p>
${portalUrl ? `<p><a id="portal" href="${escapeHtml(portalUrl)}">See the apps you can open</a></p>` : ""}
${logoutUrl ? `<p><a href="${escapeHtml(logoutUrl)}">Sign in as someone else</a></p>` : ""}
</body></html>
`;
  return new Response(html, { status: 403, headers: pageHeaders(requestId) });
}
