// The spellings a service's routes are matched on for a path as the origins that change letters read it. Each reads
// it its own way, so each way is decided (policy/evaluate.ts: lettersAmbiguous, forEachDenyingRoute):
// - the fold (letter-fold.ts): NFKC and best-fit together, everything they read as ASCII made ASCII;
// - NFC and NFKC alone, which compose `e` and a combining accent into the `é` of a route `/café`;
// - best-fit alone (a program converting the path to code page 1252): Latin-1 letters stay (`ü` of a route
//   `/über`), others as the fold reads them, and six combining marks become ASCII characters (`_` + U+0332 is `__`).
// At a `caseInsensitivePaths` service the origin may also change the letters' case before, between or after: best-fit
// reads `α` as `a` but not `Α`, and NFKC makes the mathematical `𝚨` an `Α` first. So there each reading is repeated
// with case folding, from the path as written and case-folded, until nothing changes. Every spelling is in the form
// routes are matched on (case-folded at such a service).
import type { CanonicalTarget } from "./canonical-target.ts";
import { bestFitMark } from "./best-fit.ts";
import { foldCase } from "./case-fold.ts";
import { foldLetters } from "./letter-fold.ts";

const NONE: readonly (readonly string[])[] = [];
const NOT_ASCII = /[^\x00-\x7f]/;

/** Best-fit's own reading of a segment: Latin-1 as it is, combining marks it reads as ASCII so, the rest folded. */
function bestFitAlone(segment: string): string {
  let read = "";
  for (const c of segment) read += bestFitMark(c) ?? (c.charCodeAt(0) < 0x100 ? c : foldLetters(c));
  return read;
}

const nfc = (segment: string) => segment.normalize("NFC");
const nfkc = (segment: string) => segment.normalize("NFKC");
/** Each origin's reading of a segment; NFKC then best-fit too (NFKC composes `c` and U+0302 into `ĉ`, best-fit reads `c`). */
const READINGS: readonly ((segment: string) => string)[] = [
  foldLetters,
  nfc,
  nfkc,
  bestFitAlone,
  (segment) => bestFitAlone(nfkc(segment)),
];

/** The spellings other than the written one; none (the common case, no allocation) when no letter may change. */
export function foldedSpellings(
  caseInsensitive: boolean,
  target: Pick<CanonicalTarget, "segments" | "folded">,
): readonly (readonly string[])[] {
  // Any letter an origin may change is one the fold changes (its last step is NFC; best-fit's letters it folds too).
  if (!caseInsensitive && !target.folded) return NONE;
  if (caseInsensitive && !target.segments.some((s) => NOT_ASCII.test(s))) return NONE;
  const written = target.segments;
  const spellings = new Map<string, readonly string[]>();
  const add = (segments: readonly string[]) => spellings.set(segments.join("/"), segments);
  if (!caseInsensitive) {
    add(target.folded!);
    for (const read of READINGS) add(written.map(read));
  } else {
    // Read, case-folded, read again...: every order of the origin's steps, until nothing changes (each round makes
    // the path more ASCII, so a few rounds end it).
    for (const read of READINGS)
      for (const start of [written, written.map(foldCase)]) {
        let spelling: readonly string[] = start;
        for (let round = 0; round < 4; round++) {
          const next = spelling.map((s) => foldCase(read(s)));
          add(next);
          if (next.join("/") === spelling.join("/")) break;
          spelling = next;
        }
      }
  }
  spellings.delete((caseInsensitive ? written.map(foldCase) : written).join("/"));
  return [...spellings.values()];
}
