// How an origin that folds letters reads a path segment. Routers that normalise Unicode (NFKC: Python's, Java's
// and .NET's normalisers) read a fullwidth `ａdmin` as `admin`, a ligature `ﬁ` as `fi`, `²` as `2`; Windows'
// best-fit conversion to an ANSI code page (a PHP or CGI program on IIS) does the same and also reads letters
// outside the code page as ASCII ones (`ā` and `α` as `a`, `ł` as `l`: best-fit.ts). Such an origin may serve
// `/ａdmin` as `/admin`. The fold is the union of those readings, everything either reads as ASCII made ASCII; the
// gateway decides a path by it and by each reading alone (folded-spellings.ts, `path-letters-ambiguous`).
//
// Only the letters that end as ASCII lose their accents: other scripts' letters keep theirs (`ガ` is not `カ`), and
// a fold wider than an origin's would refuse paths no origin confuses.
import { bestFit, bestFitEach } from "./best-fit.ts";

/** A character beyond ASCII: the only kind an origin changes. */
export const NOT_ASCII = /[^\x00-\x7f]/;

/**
 * Combining marks after an ASCII character: what best-fit drops of `ā` once NFKD has split it into `a` and `̄`.
 * Marks opening a segment sit on its `/`, and go too.
 */
const MARKS_ON_ASCII = /(^|[\x00-\x7f])\p{Mn}+/gu;

/** The segment (decoded) as such an origin reads it; the same string when it folds nothing. */
export function foldLetters(segment: string): string {
  let read = "";
  for (const c of segment) {
    if (c.charCodeAt(0) < 0x80) read += c;
    // Best-fit's own reading first (`ı` as `i`, which NFKD keeps), else NFKD's, each of whose parts best-fit may
    // read again (the ohm sign is the Greek Ω, which best-fit reads as `O`).
    else read += bestFit(c) ?? bestFitEach(c.normalize("NFKD"));
  }
  // NFKD then NFC is NFKC: the marks on ASCII letters are dropped in between.
  return read.replace(MARKS_ON_ASCII, "$1").normalize("NFC");
}
