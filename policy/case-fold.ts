// How a service with `caseInsensitivePaths` matches a path segment: as its origins compare letters, one character
// at a time through the simple case mappings (Java's String.equalsIgnoreCase, which Spring's AntPathMatcher uses
// when case-insensitive, upper-cases each character and then lower-cases that; .NET's OrdinalIgnoreCase upper-cases
// only). So µ (micro) is μ there and ς is σ, which JavaScript's toLowerCase alone leaves apart (and it turns a
// word-final Σ into ς). The few letters Java and .NET read differently (ı, İ, ſ, ẞ, ϴ and the Kelvin, ohm and
// angstrom signs) are refused instead (caseAmbiguous, below): folded either way, one kind of origin would disagree.
// Multi-character mappings (ß to SS, ligatures) are not simple ones, and such origins do not apply them.

/** ASCII only: the common case, folded as JavaScript does. */
const ASCII = /^[\x00-\x7f]*$/;

/**
 * Letters whose case-insensitive reading differs between such origins: Java folds İ and ı onto i, ſ onto s, the
 * Kelvin sign onto k, the ohm sign onto ω, the angstrom sign onto å, capital sharp s (ẞ) onto ß and the capital
 * theta symbol (ϴ) onto θ (through their lower cases: ß and θ upper-case to something else), .NET's ordinal
 * comparison none of them (it keeps Turkish dotless i and long s apart on purpose, and compares upper cases
 * only). Folded either way, one of them decides a request by a route its origin does not serve it with
 * (`/%C5%BFtatus` by a public `/status` where .NET serves `/{slug}`), so a path holding one is refused at such a
 * service (`path-case-ambiguous`).
 */
const AMBIGUOUS = /[\u0130\u0131\u017f\u1e9e\u03f4\u212a\u2126\u212b]/;

/** Whether the (decoded) segment holds a letter such origins read two ways. */
export function caseAmbiguous(segment: string): boolean {
  return !ASCII.test(segment) && AMBIGUOUS.test(segment);
}

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
