// The pieces of a Cookie header, read one way by everything that reads them: the Access token reader and the
// filter that keeps Access's cookies from origins. A name is the text before '=', trimmed (servers read
// `CF_Authorization =x` as CF_Authorization); pieces are split on ';' and also on ',' (workerd joins repeated
// Cookie headers with ", ", and RFC 6265 allows no comma in a cookie), so a second Cookie header cannot carry
// a cookie past a filter that reads only the first.

export interface CookiePiece {
  /** The name, trimmed, as sent (compare case-insensitively where the owner does). */
  name: string;
  /** The value, trimmed. */
  value: string;
  /** The piece as sent, trimmed. */
  text: string;
}

/**
 * Pieces a Cookie header is read in at most. Browsers keep 180 cookies a site (Chrome, Firefox) and send only the
 * site's; far more is a hostile value: 128 KiB of `;a` is 60,000 pieces, which took 9 ms of CPU to look through
 * for an Access token and 10-30 ms to filter before forwarding (from a review; an ordinary request costs Ward
 * ~0.6 ms), on any request, anonymous ones included.
 */
export const MAX_COOKIE_PIECES = 1_000;

/** The header's pieces; undefined past MAX_COOKIE_PIECES (empty ones counted), whose readers then take none. */
export function cookiePieces(header: string): CookiePiece[] | undefined {
  // The limit stops the split there: a longer header is not split whole just to be refused.
  const raws = header.split(/[;,]/, MAX_COOKIE_PIECES + 1);
  if (raws.length > MAX_COOKIE_PIECES) return undefined;
  const pieces: CookiePiece[] = [];
  for (const raw of raws) {
    const text = raw.trim();
    if (text === "") continue;
    const eq = text.indexOf("=");
    pieces.push({
      name: (eq === -1 ? text : text.slice(0, eq)).trim(),
      value: eq === -1 ? "" : text.slice(eq + 1).trim(),
      text,
    });
  }
  return pieces;
}

/**
 * Whether a cookie's text (a Cookie header's piece, or a Set-Cookie's name=value) may be read by some server as
 * one of `names` (lower case): the names are searched for in the whole text, quotes dropped, percent-escapes
 * decoded, and `.`, ` `, `+`, `[`, `]` and NUL read as `_`. Lenient servers split and spell names in ways a filter
 * cannot list: Python's SimpleCookie splits `theme=dark CF_Authorization=x` on the space, PHP reads
 * `CF.Authorization`, `CF%5FAuthorization` and `CF_Authorization[]` as `CF_Authorization` and ends a name at NUL.
 * A cookie that merely holds such a name in its value is taken for one too: no app's cookie needs to.
 */
export function mayBeReadAs(text: string, names: ReadonlySet<string>): boolean {
  // Each %XX on its own, as PHP's urldecode and Rack do (a malformed one, or one that is no UTF-8, does not stop
  // the others), and `+` as a space. `unescape` reads each %XX as the code unit it names, natively (a regular
  // expression's callback per escape took 5 ms for 120 KiB of them); its %uXXXX, which those servers do not read,
  // is spelt `%25u` first, which it reads back as `%u`.
  const lenient = unescape(text.replaceAll('"', "").replaceAll("%u", "%25u"))
    .replace(/[. +[\]\0]/g, "_")
    .toLowerCase();
  for (const name of names) if (lenient.includes(name)) return true;
  return false;
}
