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

type Target = Pick<CanonicalTarget, "segments" | "folded">;
/** The step that only case-folds. */
const CASE_FOLD = -1;

/** Each request's spellings, worked out once: evaluate and the deny rules' reach both ask. */
const worked = new WeakMap<Target, { caseInsensitive: boolean; spellings: readonly (readonly string[])[] }>();

/** The spellings other than the written one; none (the common case, no allocation) when no letter may change. */
export function foldedSpellings(caseInsensitive: boolean, target: Target): readonly (readonly string[])[] {
  // Any letter an origin may change is one the fold changes (its last step is NFC; best-fit's letters it folds too).
  if (!caseInsensitive && !target.folded) return NONE;
  if (caseInsensitive && !target.segments.some((s) => NOT_ASCII.test(s))) return NONE;
  const known = worked.get(target);
  if (known?.caseInsensitive === caseInsensitive) return known.spellings;
  const spellings = spellingsOf(caseInsensitive, target);
  worked.set(target, { caseInsensitive, spellings });
  return spellings;
}

function spellingsOf(caseInsensitive: boolean, target: Target): readonly (readonly string[])[] {
  const written = target.segments;
  // Each distinct segment read once a step (a reading's index, or CASE_FOLD): a hostile path repeats its segments.
  const memo = new Map<string, string>();
  const step = (index: number, segment: string): string => {
    const key = `${index}\u0000${segment}`;
    let read = memo.get(key);
    if (read === undefined) {
      const reading = READINGS[index];
      read =
        reading === undefined ? foldCase(segment) : caseInsensitive ? foldCase(reading(segment)) : reading(segment);
      memo.set(key, read);
    }
    return read;
  };
  const spellings = new Map<string, readonly string[]>();
  const add = (segments: readonly string[]) => spellings.set(segments.join("/"), segments);
  if (!caseInsensitive) {
    add(target.folded!);
    for (let index = 1; index < READINGS.length; index++) add(written.map((s) => step(index, s)));
  } else {
    // Read, case-folded, read again...: every order of the origin's steps, until nothing changes (each round makes
    // the path more ASCII, so a few rounds end it).
    const lower = written.map((s) => step(CASE_FOLD, s));
    for (let index = 0; index < READINGS.length; index++)
      for (const start of [written, lower]) {
        let spelling: readonly string[] = start;
        for (let round = 0; round < 4; round++) {
          const next = spelling.map((s) => step(index, s));
          add(next);
          if (next.every((s, i) => s === spelling[i])) break;
          spelling = next;
        }
      }
  }
  spellings.delete((caseInsensitive ? written.map(foldCase) : written).join("/"));
  return [...spellings.values()];
}
