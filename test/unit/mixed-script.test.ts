// Words that mix look-alike scripts (policy/mixed-script.ts): UTS #39's mixed-script idea, word by word.
import { describe, expect, it } from "vitest";
import { mixedScriptWord } from "../../policy/mixed-script.ts";

describe("mixedScriptWord", () => {
  it.each([
    ["\u0441re", { word: "\u0441re", scripts: ["Latin", "Cyrillic"] }], // Cyrillic с, then Latin
    ["d\u03bfcs", { word: "d\u03bfcs", scripts: ["Latin", "Greek"] }], // Greek omicron
    [
      "\u0440\u0430y\u043c\u0435nts-admins",
      { word: "\u0440\u0430y\u043c\u0435nts-admins", scripts: ["Latin", "Cyrillic"] },
    ],
    ["\u0391\u0412\u0421", { word: "\u0391\u0412\u0421", scripts: ["Cyrillic", "Greek"] }], // Greek Α, Cyrillic В С
    ["ok team-\u0430dmins", { word: "team-\u0430dmins", scripts: ["Latin", "Cyrillic"] }], // the second word
    // From a closing review: digits, `-` and `_` split no word; Armenian; compatibility forms beside plain letters.
    ["\u041e365-users", { word: "\u041e365-users", scripts: ["Latin", "Cyrillic"] }],
    ["team-\u0430", { word: "team-\u0430", scripts: ["Latin", "Cyrillic"] }],
    ["\u0585ps", { word: "\u0585ps", scripts: ["Latin", "Armenian"] }],
    ["\uff53re", { word: "\uff53re", scripts: ["plain", "compatibility-form"] }],
    ["\u{1d42c}re", { word: "\u{1d42c}re", scripts: ["plain", "compatibility-form"] }],
  ])("%j mixes scripts in a word", (name, expected) => {
    expect(mixedScriptWord(name)).toEqual(expected);
  });

  it.each([
    "sre",
    "caf\u00e9-owners", // Latin with an accent: one script
    "\u041e\u0442\u0434\u0435\u043b IT", // Cyrillic word, Latin word
    "\u0440\u0430\u0437\u0440\u0430\u0431\u043e\u0442\u0447\u0438\u043a\u0438", // all Cyrillic
    "\u03b1\u03b2\u03b3 \u0434\u0435\u0432", // Greek word, Cyrillic word
    "\uff29\uff34\u90e8", // fullwidth IT, then a CJK letter: as such names are written
    "\u30c1\u30fc\u30e0 sre", // Katakana and Latin
    "team-42",
  ])("%j is one script per word", (name) => {
    expect(mixedScriptWord(name)).toBeUndefined();
  });
});
