// How an origin that folds letters reads a path segment. Routers that normalise Unicode (NFKC: Python's, Java's
// and .NET's normalisers) read a fullwidth `ａdmin` as `admin`, a ligature `ﬁ` as `fi`, `²` as `2`; Windows'
// best-fit conversion to an ANSI code page (a PHP or CGI program on IIS) does the same and also reads a letter
// outside the code page as its plain ASCII form (`ā` as `a`). Such an origin may serve `/ａdmin` as `/admin`: the
// gateway decides a path holding such letters both ways (policy/evaluate.ts, `path-letters-ambiguous`).
//
// Only the letters that end as ASCII lose their accents: best-fit keeps other scripts' letters apart (`ガ` is not
// `カ`), and a fold wider than an origin's would refuse paths no origin confuses.

/**
 * Combining marks after an ASCII character: what best-fit drops of `ā` once NFKD has split it into `a` and `̄`.
 * Marks opening a segment sit on its `/`, and go too.
 */
const MARKS_ON_ASCII = /(^|[\x00-\x7f])\p{Mn}+/gu;

/** The segment (decoded) as such an origin reads it; the same string when it folds nothing. */
export function foldLetters(segment: string): string {
  // NFKD then NFC is NFKC: the marks on ASCII letters are dropped in between.
  return segment.normalize("NFKD").replace(MARKS_ON_ASCII, "$1").normalize("NFC");
}
