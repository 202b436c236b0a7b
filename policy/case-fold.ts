// How a service with `caseInsensitivePaths` matches a path segment. Its origins compare letters one character at
// a time through their simple case mappings (Java's String.equalsIgnoreCase, which Spring's AntPathMatcher uses
// when case-insensitive; .NET's OrdinalIgnoreCase; Go's EqualFold), and four non-ASCII letters map onto ASCII
// there: İ (U+0130) and ı (U+0131) onto i, ſ (U+017F) onto s, the Kelvin sign K (U+212A) onto k. JavaScript's
// toLowerCase leaves ı and ſ alone and turns İ into two characters, so `/adm%C4%B1n` would pass a deny on
// `/admin` that such an origin serves it as. Multi-character mappings (ß to SS, ligatures) are not simple ones.

const ONTO_ASCII: Readonly<Record<string, string>> = { "\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k" };
const MAPS_ONTO_ASCII = /[\u0130\u0131\u017f\u212a]/g;

/** The segment as such an origin compares it: lower case, with the letters above as the ASCII they map onto. */
export function foldCase(segment: string): string {
  return segment.replace(MAPS_ONTO_ASCII, (c) => ONTO_ASCII[c]!).toLowerCase();
}
