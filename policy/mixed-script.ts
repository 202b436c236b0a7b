// A word whose letters come from more than one of the scripts whose letters look alike: `sre` with a Cyrillic `е`
// (U+0435) reads as `sre` and matches no group the IdP spells in Latin. In an allow rule that only locks people
// out; in a deny rule, or a group grant's lift, the rule silently applies to nobody. Words are compared one by one,
// so a name that mixes scripts between words (`Отдел IT`) is taken, as UTS #39 would not flag it in a label either.
const SCRIPTS: readonly [string, RegExp][] = [
  ["Latin", /\p{Script=Latin}/u],
  ["Cyrillic", /\p{Script=Cyrillic}/u],
  ["Greek", /\p{Script=Greek}/u],
];
const WORDS = /[\p{L}\p{M}]+/gu;

/** The first word of `text` that mixes Latin, Cyrillic and Greek letters, with the scripts it mixes. */
export function mixedScriptWord(text: string): { word: string; scripts: string[] } | undefined {
  // ASCII only: one script. (The common case, read without a regular expression per word.)
  if (!/[^\x00-\x7f]/.test(text)) return undefined;
  for (const [word] of text.matchAll(WORDS)) {
    const scripts = SCRIPTS.filter(([, letters]) => letters.test(word)).map(([name]) => name);
    if (scripts.length > 1) return { word, scripts };
  }
  return undefined;
}
