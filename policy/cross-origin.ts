// Whether a browser made a request for a page of another origin (another site, or another host of this one):
// the browser attached the person's cookies by itself, so the request is not the person's own doing. The
// gateway reads it from the request (worker/pages/browser.ts), `ward explain` from the headers it is given:
// one rule, so that what explain says about an upgrade is what the gateway does.

/**
 * `secFetchSite`, `origin`: the request's Sec-Fetch-Site and Origin headers (null when absent); `requestOrigin`:
 * the origin the request was sent to (scheme://host[:port]), asked for only when needed. Browsers set both
 * headers themselves (a page cannot forge them); API clients send neither, and are never taken for a browser on
 * another page.
 */
export function crossOriginRequest(
  secFetchSite: string | null,
  origin: string | null,
  requestOrigin: () => string,
): boolean {
  if (secFetchSite) return secFetchSite !== "same-origin" && secFetchSite !== "none";
  // Browsers without Fetch Metadata still send Origin on state-changing, CORS and WebSocket requests.
  return origin !== null && origin !== requestOrigin();
}
