// SPIFFE IDs as the SPIFFE standard defines them (SPIFFE-ID, section 2): the scheme `spiffe`, a trust domain
// of lower-case letters, digits, dots, dashes and underscores, then path segments of letters, digits, dots,
// dashes and underscores. No port, user info, query, fragment, percent-encoding, empty, "." or ".."
// segment, and no trailing "/". Each identity then has exactly one spelling, so IDs are compared as strings:
// `spiffe://Prod.example.com/x` or `spiffe://prod.example.com/ns/./x` is not some other spelling of an ID a
// rule names, it is no SPIFFE ID at all.

// A segment may not be "." or ".." (the lookahead); the trust domain is at most 255 characters.
const SEGMENT = String.raw`\/(?!\.\.?(?:\/|$))[A-Za-z0-9._-]+`;
export const SPIFFE_ID_PATTERN = new RegExp(`^spiffe:\\/\\/[a-z0-9._-]{1,255}(?:${SEGMENT})*$`);
/** A `spiffePrefix`: the same, and it may end in "/" (which keeps it inside one trust domain and path). */
export const SPIFFE_PREFIX_PATTERN = new RegExp(`^spiffe:\\/\\/[a-z0-9._-]{1,255}(?:${SEGMENT})*\\/?$`);
export const MAX_SPIFFE_ID_LENGTH = 2048;

export function isSpiffeId(text: string): boolean {
  return text.length <= MAX_SPIFFE_ID_LENGTH && SPIFFE_ID_PATTERN.test(text);
}
