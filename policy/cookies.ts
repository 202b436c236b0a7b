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

export function cookiePieces(header: string): CookiePiece[] {
  const pieces: CookiePiece[] = [];
  for (const raw of header.split(/[;,]/)) {
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
 * A cookie name as the most lenient server reads it, lower case, to compare with a name a filter keeps from
 * origins: quotes around it dropped, percent-escapes decoded, and `.`, ` ` and `[` read as `_` (PHP's
 * `$_COOKIE` reads `CF.Authorization` and `CF%5FAuthorization` as `CF_Authorization`).
 */
export function lenientCookieName(name: string): string {
  let text = name.replace(/^"+|"+$/g, "");
  try {
    text = decodeURIComponent(text);
  } catch {
    // A malformed escape is left as it is: no server decodes it into another name.
  }
  return text.replace(/[. []/g, "_").toLowerCase();
}
