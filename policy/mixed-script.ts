// A word whose letters come from more than one of the scripts whose letters look alike: `sre` with a Cyrillic `е`
// (U+0435) reads as `sre` and matches no group the IdP spells in Latin. In an allow rule that only locks people
// out; in a deny rule, or a group grant's lift, the rule silently applies to nobody. A word runs between spaces and
// punctuation, digits, `-`, `_` and `.` inside it (`team-а`, `О365`), so a name that mixes scripts between words
// (`Отдел IT`) is taken. So is a word mixing a compatibility form (fullwidth `ｓ`, mathematical `𝐬`, which NFKC
// turns into `s`) with ASCII letters. Not caught: a word wholly in look-alikes of another script (`орѕ`): telling it
// from a word of that script needs Unicode's confusables data (UTS #39), which Ward does not carry.
const SCRIPTS: readonly [string, RegExp][] = [
  ["Latin", /\p{Script=Latin}/u],
  ["Cyrillic", /\p{Script=Cyrillic}/u],
  ["Greek", /\p{Script=Greek}/u],
  ["Armenian", /\p{Script=Armenian}/u],
  ["Cherokee", /\p{Script=Cherokee}/u],
];
const WORDS = /[\p{L}\p{M}\p{N}_.-]+/gu;
const LETTER = /\p{L}/u;

/** Whether NFKC changes the letter: a compatibility form of another (fullwidth, mathematical, ligature). */
const compatibilityForm = (c: string): boolean => LETTER.test(c) && c.normalize("NFKC") !== c;

/** The first word of `text` that mixes look-alike scripts, or compatibility forms with plain letters. */
export function mixedScriptWord(text: string): { word: string; scripts: string[] } | undefined {
  // ASCII only: one script. (The common case, read without a regular expression per word.)
  if (!/[^\x00-\x7f]/.test(text)) return undefined;
  for (const [word] of text.matchAll(WORDS)) {
    const scripts = SCRIPTS.filter(([, letters]) => letters.test(word)).map(([name]) => name);
    if (scripts.length > 1) return { word, scripts };
    // Beside ASCII letters only: fullwidth Latin beside a CJK letter (`ＩＴ部`) is how such names are written.
    if (/[A-Za-z]/.test(word) && [...word].some(compatibilityForm))
      return { word, scripts: ["plain", "compatibility-form"] };
  }
  return undefined;
}
