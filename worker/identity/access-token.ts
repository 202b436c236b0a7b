// Where an Access token is taken from, and when it is not honoured. The header is what Access sets at the
// edge; the CF_Authorization cookie is what a browser holds. Both are ambient for a browser: Access itself
// builds the header from the cookie on every request to an application behind it, so a page of another site
// (or another host of the same site) that makes the browser send a state-changing request would carry the
// user's identity with it (CSRF). On such a request no token is honoured, wherever it came from.
import { madeForAnotherOrigin } from "../pages/browser.ts";
import { cookiePieces } from "../../policy/cookies.ts";

/** What another origin's page may ask for with what a browser adds by itself: reads, whose answer it cannot see. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

/** Two different tokens under the cookie's name, or a header of too many pieces to tell. */
const AMBIGUOUS = Symbol("ambiguous");

/**
 * The CF_Authorization cookie's token. Two different tokens under the name: one was put there by someone else (a
 * script of an app on a parent domain, a cookie with a longer Path that the browser sends first), and which one
 * is the visitor's cannot be told.
 */
function cookieToken(cookie: string): string | typeof AMBIGUOUS | undefined {
  if (!cookie.includes("CF_Authorization")) return undefined;
  const pieces = cookiePieces(cookie);
  // More pieces than a browser sends (policy/cookies.ts): which of the tokens it may hold is the visitor's is
  // not looked into.
  if (pieces === undefined) return AMBIGUOUS;
  let token: string | undefined;
  for (const piece of pieces) {
    if (piece.name !== "CF_Authorization") continue;
    if (token !== undefined && token !== piece.value) return AMBIGUOUS;
    token = piece.value;
  }
  return token;
}

export function accessTokenOf(request: Request): string | undefined {
  if (!SAFE_METHODS.has(request.method) && madeForAnotherOrigin(request)) return undefined;
  const headers = request.headers;
  const cookie = headers.get("cookie");
  const fromCookie = cookie ? cookieToken(cookie) : undefined;
  // Neither of two tokens counts, nor the header: Access in front builds it from one of the cookies.
  if (fromCookie === AMBIGUOUS) return undefined;
  const header = headers.get("cf-access-jwt-assertion");
  if (header) return header.trim();
  // Without Access in front (or before it adds the header), the cookie still counts on safe methods only.
  return SAFE_METHODS.has(request.method) ? fromCookie : undefined;
}
