// Invisible code points beyond the first list (a review's: Default_Ignorable_Code_Point, format characters, the
// line separators), as written and by escape: each made "- group: sre" a group no IdP sends (a deny on it matches
// nothing) while it read as "sre". And what must still be written: a joiner within a word, emoji in a comment.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validatePolicyText } from "../../policy/index.ts";

const demo = readFileSync(join(import.meta.dirname, "../../policy/examples/demo.yaml"), "utf8");

const UNSEEN: [string, string][] = [
  ["\u034F", "combining grapheme joiner"],
  ["\u115F", "Hangul choseong filler"],
  ["\u1160", "Hangul jungseong filler"],
  ["\u3164", "Hangul filler"],
  ["\uFFA0", "halfwidth Hangul filler"],
  ["\u17B4", "Khmer vowel inherent AQ"],
  ["\u17B5", "Khmer vowel inherent AA"],
  ["\u180B", "Mongolian free variation selector one"],
  ["\u2065", "unassigned, default ignorable"],
  ["\u206A", "inhibit symmetric swapping (deprecated format)"],
  ["\u206F", "nominal digit shapes (deprecated format)"],
  ["\uFE0F", "variation selector-16"],
  ["\uFFF9", "interlinear annotation anchor"],
  ["\u{1D173}", "musical symbol begin beam"],
  ["\u{E0001}", "language tag"],
  ["\u{E0041}", "tag latin capital A (ASCII smuggling)"],
  ["\u{E0100}", "variation selector-17"],
];

describe("default-ignorable code points in policy text", () => {
  it.each(UNSEEN)("refuses %j (%s) written into a group name", (char) => {
    const text = demo.replace("    - group: sre\n", `    - group: sre${char}\n`);
    expect(text).not.toBe(demo);
    expect(validatePolicyText(text).ok).toBe(false);
  });

  it.each(UNSEEN)("refuses %j (%s) written by a JSON-style escape in a YAML double-quoted group", (char) => {
    const escaped = [...char]
      .map((c) => {
        const cp = c.codePointAt(0)!;
        return cp > 0xffff ? `\\U${cp.toString(16).padStart(8, "0")}` : `\\u${cp.toString(16).padStart(4, "0")}`;
      })
      .join("");
    const text = demo.replace("    - group: sre\n", `    - group: "sre${escaped}"\n`);
    expect(validatePolicyText(text).ok).toBe(false);
  });
});

describe("text that must still be written", () => {
  it("a Persian group name with the ZWNJ its spelling requires (U+200C)", () => {
    // "مدیران‌ارشد" (senior managers): Persian orthography writes ZWNJ inside words; IdPs return it as such.
    const text = demo.replace(
      "    - group: sre\n",
      '    - group: "\u0645\u062F\u06CC\u0631\u0627\u0646\u200C\u0627\u0631\u0634\u062F"\n',
    );
    expect(validatePolicyText(text).ok).toBe(true);
  });
  it("an emoji ZWJ sequence or a variation selector in a YAML comment (U+200D, U+FE0F)", () => {
    const text = `# owned by the \u{1F469}\u200D\u{1F4BB} platform team \u26A0\uFE0F\n${demo}`;
    expect(validatePolicyText(text).ok).toBe(true);
  });
  it("but a joiner that is not within a word, in a value", () => {
    const text = demo.replace("    - group: sre\n", '    - group: "sre\u200D"\n');
    expect(validatePolicyText(text).issues[0]).toMatchObject({ code: "invalid-syntax" });
  });
});

describe("line separators a viewer may break the line at, in a comment", () => {
  // YAML 1.2 breaks lines only at LF and CR: LS, PS and NEL inside a comment keep what follows in the comment,
  // while editors that honour them (VS Code treats LS/PS as line terminators) show it as a line of policy.
  it.each([
    ["\u2028", "LINE SEPARATOR"],
    ["\u2029", "PARAGRAPH SEPARATOR"],
    ["\u0085", "NEXT LINE (NEL)"],
  ])("refuses %j (%s) written in a comment", (char) => {
    const text = demo.replace("    - group: sre\n", `    - group: sre # on call${char}    - group: contractors\n`);
    expect(text).not.toBe(demo);
    expect(validatePolicyText(text).ok).toBe(false);
  });
});

describe("joiners that change what the policy says", () => {
  // From a review of the first relaxation: a joiner between Latin letters, and one in a YAML anchor or alias
  // (neither a key nor a string, so the value walk never saw it; the text check passed joiners anywhere).
  const fixture = (name: string) => readFileSync(join(import.meta.dirname, "../fixtures/invisible", name), "utf8");

  it("refuses a ZWJ between two Latin letters: a deny on group contr<ZWJ>actors reads as contractors", () => {
    const result = validatePolicyText(fixture("latin-joiner.yaml"));
    expect(result.ok).toBe(false);
    expect(result.issues[0]!.message).toContain("U+200D");
  });

  it("refuses a ZWJ in an anchor and its alias: *admins<ZWJ> reads as *admins and is the guests' list", () => {
    const result = validatePolicyText(fixture("anchor-joiner.yaml"));
    expect(result.ok).toBe(false);
    expect(result.issues[0]).toMatchObject({ code: "invalid-syntax" });
    expect(result.issues[0]!.message).toMatch(/U\+200D at line 12:/);
  });

  it("keeps a joiner within a Devanagari word, and an emoji's in a comment at the end of a line", () => {
    const hindi = demo.replace("    - group: sre\n", '    - group: "\u0915\u094D\u200D\u0937"\n');
    expect(validatePolicyText(hindi).ok).toBe(true);
    const trailing = demo.replace("    - group: sre\n", "    - group: sre # on call \u{1F469}\u200D\u{1F4BB}\n");
    expect(validatePolicyText(trailing).ok).toBe(true);
  });
});
