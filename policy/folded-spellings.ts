// The spellings a service's routes are matched on for a path as an origin that folds letters reads it
// (letter-fold.ts). At a `caseInsensitivePaths` service the origin may also change the letters' case before it
// folds them: best-fit reads `α` as `a` but has nothing for the capital `Α`, which such an origin (an IIS rewrite
// that lower-cases the path, then a program converting it to an ANSI code page) may first make `α`. So there both
// orders are read: folded then case-folded, and case-folded, folded, then case-folded again for matching.
import type { CanonicalTarget } from "./canonical-target.ts";
import { foldCase } from "./case-fold.ts";
import { foldLetters } from "./letter-fold.ts";

const NONE: readonly (readonly string[])[] = [];
const NOT_ASCII = /[^\x00-\x7f]/;

/** The folded spellings, in the form routes are matched on; none (the common case, no allocation) when nothing folds. */
export function foldedSpellings(
  caseInsensitive: boolean,
  target: Pick<CanonicalTarget, "segments" | "folded">,
): readonly (readonly string[])[] {
  if (!caseInsensitive) return target.folded ? [target.folded] : NONE;
  if (!target.segments.some((s) => NOT_ASCII.test(s))) return NONE;
  const caseFirst = target.segments.map((s) => foldCase(foldLetters(foldCase(s))));
  if (!target.folded) return [caseFirst];
  const lettersFirst = target.folded.map(foldCase);
  return lettersFirst.join("/") === caseFirst.join("/") ? [lettersFirst] : [lettersFirst, caseFirst];
}
