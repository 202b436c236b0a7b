// How a service with `caseInsensitivePaths` matches a path segment: as its origins compare letters, one character
// at a time through the simple case mappings (Java's String.equalsIgnoreCase, which Spring's AntPathMatcher uses
// when case-insensitive, upper-cases each character and then lower-cases that; .NET's OrdinalIgnoreCase and Go's
// EqualFold fold alike). So ı (U+0131) and İ (U+0130) are i there, ſ (U+017F) is s, the Kelvin sign is k, µ (micro)
// is μ and ς is σ. JavaScript's toLowerCase alone leaves ı, ſ, µ and ς apart, turns İ into two characters and a
// word-final Σ into ς: `/adm%C4%B1n` would pass a deny on `/admin` that such an origin serves it as.
// Multi-character mappings (ß to SS, ligatures) are not simple ones, and such origins do not apply them.

/** ASCII only: the common case, folded as JavaScript does. */
const ASCII = /^[\x00-\x7f]*$/;

/** One character (code point) folded: its simple upper case, lower-cased. */
function foldCharacter(c: string): string {
  // İ's simple lower case is i; JavaScript's (full) one is i and a combining dot.
  if (c === "\u0130") return "i";
  const upper = c.toUpperCase();
  const simple = upper.length === c.length || [...upper].length === 1 ? upper : c;
  const lower = simple.toLowerCase();
  return [...lower].length === 1 ? lower : simple;
}

/** The segment as such an origin compares it. */
export function foldCase(segment: string): string {
  if (ASCII.test(segment)) return segment.toLowerCase();
  let folded = "";
  for (const c of segment) folded += foldCharacter(c);
  return folded;
}
