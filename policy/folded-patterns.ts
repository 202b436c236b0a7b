// A route's pattern as origins that change letters read it (`/x/café` as `/x/cafe`: folded-spellings.ts). The
// gateway reaches deny rules by every spelling of a request's path (evaluate.ts, forEachDenyingRoute), and refuses a
// request whose spelling another route decides (lettersAmbiguous); ward reach and ward diff read routes the same way.
import { foldedSpellings } from "./folded-spellings.ts";
import { foldLetters, NOT_ASCII } from "./letter-fold.ts";
import type { CanonicalTarget } from "./canonical-target.ts";
import type { PatternToken } from "./path-pattern.ts";

/** Stands for a placeholder while literals are read: ASCII, so no reading changes it. */
const PLACEHOLDER = "*";

/** The other spellings of a pattern's literals, placeholders kept; none for an ASCII pattern. */
export function foldedPatterns(tokens: readonly PatternToken[], caseInsensitive: boolean): PatternToken[][] {
  if (!tokens.some((t) => t.kind === "literal" && NOT_ASCII.test(t.value))) return [];
  const segments = tokens.map((t) => (t.kind === "literal" ? t.value : PLACEHOLDER));
  return foldedSpellings(caseInsensitive, folding(segments)).map((spelling) =>
    tokens.map((t, i) => (t.kind === "literal" ? { kind: "literal" as const, value: spelling[i]! } : t)),
  );
}

/** A path's segments as foldedSpellings takes them: with the fold's own reading when it changes any. */
export function folding(segments: readonly string[]): Pick<CanonicalTarget, "segments" | "folded"> {
  const folded = segments.map(foldLetters);
  return folded.some((s, i) => s !== segments[i]) ? { segments: [...segments], folded } : { segments: [...segments] };
}
