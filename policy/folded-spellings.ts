// The spellings a service's routes are matched on for a path as the origins that change letters read it. Each reads
// it its own way, so each way is decided (policy/evaluate.ts: lettersAmbiguous, forEachDenyingRoute):
// - the fold (letter-fold.ts): NFKC and best-fit together, everything they read as ASCII made ASCII;
// - NFC, NFD, NFKC and NFKD alone: NFC composes `e` and a combining accent into the `é` of a route `/café`;
// - best-fit alone (a program converting the path to code page 1252): what the code page holds stays (`ü` of a route
//   `/über`, `Š`), others as the fold reads them, and six combining marks become ASCII characters (`_` + U+0332 is
//   `__`), also after a letter the fold keeps (`ß` + U+0332 is `ß_`).
// An origin may apply more than one (NFKC, then best-fit), so the readings are also composed. At a
// `caseInsensitivePaths` service the origin may also change the letters' case before, between or after: best-fit
// reads `α` as `a` but not `Α`, and NFKC makes the mathematical `𝚨` an `Α` first; there case folding is one more
// step. Every spelling is in the form routes are matched on (case-folded at such a service).
import type { CanonicalTarget } from "./canonical-target.ts";
import { bestFitMark, inCodePage } from "./best-fit.ts";
import { foldCase } from "./case-fold.ts";
import { foldLetters, NOT_ASCII } from "./letter-fold.ts";

const NONE: readonly (readonly string[])[] = [];

/**
 * Best-fit's own reading of a segment: what code page 1252 holds as it is, combining marks it reads as ASCII so, the
 * rest folded.
 */
function bestFitAlone(segment: string): string {
  let read = "";
  for (const c of segment) read += bestFitMark(c) ?? (inCodePage(c) ? c : foldLetters(c));
  return read;
}

const nfc = (segment: string) => segment.normalize("NFC");
const nfd = (segment: string) => segment.normalize("NFD");
const nfkc = (segment: string) => segment.normalize("NFKC");
const nfkd = (segment: string) => segment.normalize("NFKD");
/**
 * Each origin's reading of a segment; NFKC then best-fit too (NFKC composes `c` and U+0302 into `ĉ`, best-fit reads
 * `c`). NFD and NFKD for a route written decomposed (`cafe` and U+0301), which an origin that decomposes serves
 * `/café` and `/caｆé` by.
 */
const READINGS: readonly ((segment: string) => string)[] = [
  foldLetters,
  nfc,
  nfd,
  nfkc,
  nfkd,
  bestFitAlone,
  (segment) => bestFitAlone(nfkc(segment)),
];

type Target = Pick<CanonicalTarget, "segments" | "folded">;

/**
 * Past this many spellings a path is refused rather than decided (evaluate.ts): a few readings composed give a
 * handful; a path that gives more is made to.
 */
export const MAX_SPELLINGS = 64;
/** Readings composed at most this deep: each makes the path more ASCII, so a few end it. */
const DEPTH = 4;

/** Each request's spellings, worked out once: evaluate and the deny rules' reach both ask. */
const worked = new WeakMap<Target, { caseInsensitive: boolean; spellings: readonly (readonly string[])[] }>();

/** The spellings other than the written one; none (the common case, no allocation) when no letter may change. */
export function foldedSpellings(caseInsensitive: boolean, target: Target): readonly (readonly string[])[] {
  // Only a character beyond ASCII is one an origin may change.
  if (!target.folded && !target.segments.some((s) => NOT_ASCII.test(s))) return NONE;
  const known = worked.get(target);
  if (known?.caseInsensitive === caseInsensitive) return known.spellings;
  const spellings = spellingsOf(caseInsensitive, target);
  worked.set(target, { caseInsensitive, spellings });
  return spellings;
}

/**
 * Every spelling the readings make of the path, one after another (an origin may normalise, then convert; one
 * that compares whatever the case also case-folds before, between or after), each step one reading of every segment.
 */
function spellingsOf(caseInsensitive: boolean, target: Target): readonly (readonly string[])[] {
  const steps = caseInsensitive ? READINGS.length + 1 : READINGS.length;
  // Each distinct segment read once a step: a hostile path repeats its segments.
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
  // From the path as written: at a caseInsensitivePaths service every step case-folds what it read, so each
  // spelling is in the form routes match, and a capital is read before it is folded (`Ɨ` as `I`, not `ɨ`).
  const raw = target.segments;
  const written = caseInsensitive ? raw.map(foldCase) : raw;
  const seen = new Map<string, readonly string[]>([[raw.join("/"), raw]]);
  let frontier: readonly (readonly string[])[] = [raw];
  for (let depth = 0; depth < DEPTH && frontier.length > 0 && seen.size <= MAX_SPELLINGS; depth++) {
    const next: (readonly string[])[] = [];
    for (const spelling of frontier)
      for (let index = 0; index < steps; index++) {
        const read = spelling.map((s) => step(index, s));
        const key = read.join("/");
        if (seen.has(key)) continue;
        seen.set(key, read);
        next.push(read);
      }
    frontier = next;
  }
  seen.delete(raw.join("/"));
  seen.delete(written.join("/"));
  return [...seen.values()];
}
