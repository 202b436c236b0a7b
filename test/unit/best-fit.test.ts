// Windows' best-fit conversion as Unicode publishes it (test/fixtures/bestfit/bestfit1252-to-ascii.txt, from
// bestfit1252.txt's WCTABLE): every character it reads as ASCII is read so by the gateway too, as a letter folded
// (policy/letter-fold.ts) or refused as the structure it becomes (policy/canonical-target.ts). And the product's
// own table (policy/best-fit.ts) holds nothing the published tables do not.
import { describe, expect, it } from "vitest";
import { bestFit, bestFitMark } from "../../policy/best-fit.ts";
import { canonicalTarget } from "../../policy/index.ts";
import { foldLetters } from "../../policy/letter-fold.ts";
import { PUBLISHED_BEST_FIT } from "./oracle/origin-letters.ts";
// docs/policy.md: a letter read as structure is refused as that character, encoded.
import { LOOK_ALIKE_PROBLEM } from "./oracle/target.ts";

const ENTRIES = [...PUBLISHED_BEST_FIT].map(([character, ascii]) => ({
  character,
  ascii,
  name: `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`,
}));

const problemOf = (path: string) => {
  const result = canonicalTarget("GET", "app.example.com", path);
  return result.ok ? "accepted" : result.problem;
};
const encoded = (text: string) => encodeURIComponent(text);

describe("best-fit (code page 1252), as published", () => {
  it("holds the table's entries beyond Latin-1 that become ASCII, fullwidth forms included", () => {
    // 298 entries from U+0100 to U+301B, and the 94 fullwidth forms U+FF01-FF5E.
    expect(ENTRIES).toHaveLength(392);
    expect(new Set(ENTRIES.map((e) => e.character)).size).toBe(ENTRIES.length);
  });

  it("reads every character so: folded as that letter, or refused as the structure it becomes", () => {
    const wrong: string[] = [];
    for (const { character, ascii, name } of ENTRIES) {
      const got = /\p{Mn}/u.test(character)
        ? // A combining mark: that character in best-fit's own reading (folded-spellings.ts); the fold drops it from the
          // ASCII letter it sits on, as NFKD then best-fit reads `ā`.
          bestFitMark(character) === ascii && foldLetters(`a${character}`) === "a"
        : LOOK_ALIKE_PROBLEM[ascii]
          ? problemOf(`/x/${encoded(`a${character}b`)}`) === LOOK_ALIKE_PROBLEM[ascii]
          : ascii === " "
            ? problemOf(`/x/${encoded(`a${character}`)}`) === "path-trailing-dot-or-space" &&
              foldLetters(`a${character}b`) === "a b"
            : foldLetters(`a${character}b`) === `a${ascii}b`;
      if (!got) wrong.push(`${name} as ${JSON.stringify(ascii)}`);
    }
    expect(wrong).toEqual([]);
  });

  it("lists in policy/best-fit.ts only what a published table reads so", () => {
    const table = PUBLISHED_BEST_FIT;
    // The Japanese and Korean code pages' backslash (yen, won), and the reverse solidus operator.
    const otherPages = new Map([
      ["\u00a5", "\\"],
      ["\u20a9", "\\"],
      ["\u29f5", "\\"],
    ]);
    const invented: string[] = [];
    for (let cp = 0x80; cp <= 0xffff; cp++) {
      const c = String.fromCodePoint(cp);
      const read = bestFit(c) ?? bestFitMark(c);
      if (read !== undefined && (table.get(c) ?? otherPages.get(c)) !== read)
        invented.push(`U+${cp.toString(16)} as ${read}`);
    }
    expect(invented).toEqual([]);
  });

  it("folds letters an origin reads as ASCII, and keeps other scripts' letters as they are", () => {
    expect(foldLetters("\u03b1dmin")).toBe("admin"); // Greek alpha
    expect(foldLetters("\u0142ogin")).toBe("login"); // l with stroke: no decomposition
    expect(foldLetters("\u2126")).toBe("O"); // the ohm sign: NFKC's Greek omega, best-fit's O
    expect(foldLetters("\uff41dmin")).toBe("admin");
    expect(foldLetters("a\u0304dmin")).toBe("admin");
    expect(foldLetters("\u30ac")).toBe("\u30ac"); // ガ keeps its voicing mark
    expect(foldLetters("\u6587\u66f8")).toBe("\u6587\u66f8");
    expect(foldLetters("\u043c\u0438\u0440")).toBe("\u043c\u0438\u0440"); // Cyrillic
  });
});
