// policy/email-address.ts decodes Punycode itself (RFC 3492; the Worker has no node:url), to check that a domain a
// security event wrote in Unicode is the one IDNA writes back. Tested against what we did not write: the RFC's own
// sample strings (section 7.1), and Node's decoder (url.domainToUnicode) on generated labels. The seed is fixed;
// WARD_PUNYCODE_SEED=<n> tries another.
import { domainToASCII, domainToUnicode } from "node:url";
import { describe, expect, it } from "vitest";
import { punycodeDecoded } from "../../policy/email-address.ts";
import { prng, seedFrom } from "../support/prng.ts";

const SEED = seedFrom("WARD_PUNYCODE_SEED", 20261207);

/** RFC 3492 section 7.1: the encoded form (after `xn--`) and the code points it decodes to, case as the RFC has it. */
const RFC_3492_SAMPLES: [string, string][] = [
  ["egbpdaj6bu4bxfgehfvwxn", "ليهمابتكلموشعربي؟"],
  ["ihqwcrb4cv8a8dqg056pqjye", "他们为什么不说中文"],
  ["ihqwctvzc91f659drss3x8bo0yb", "他們爲什麽不說中文"],
  ["b1abfaaepdrnnbgefbadotcwatmq2g4l", "почемужеонинеговорятпорусски"],
  ["3B-ww4c5e180e575a65lsy2b", "3年B組金八先生"],
  ["-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n", "安室奈美恵-with-SUPER-MONKEYS"],
  ["MajiKoi5-783gue6qz075azm5e", "MajiでKoiする5秒前"],
  ["de-jg4avhby1noc0d", "パフィーdeルンバ"],
  ["d9juau41awczczp", "そのスピードで"],
  ["-> $1.00 <--", "-> $1.00 <-"],
];

/** Letters from scripts IDNA takes, with ASCII among them. */
const ALPHABETS = [
  "abcdefghijklmnopqrstuvwxyz0123456789",
  "äöüßéèçñøåæ",
  "абвгдежзий",
  "αβγδεζηθ",
  "日本語中文漢字",
  "한국어",
];

describe("Punycode decoding (RFC 3492)", () => {
  it.each(RFC_3492_SAMPLES)("decodes the RFC's sample %s", (encoded, decoded) => {
    expect(punycodeDecoded(encoded)).toBe(decoded);
  });

  it(`agrees with Node's decoder on generated labels (seed ${SEED})`, () => {
    const random = prng(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    let compared = 0;
    for (let i = 0; i < 2_000; i++) {
      const alphabet = [...pick(ALPHABETS.slice(1)), ...(random() < 0.5 ? ALPHABETS[0]! : "")];
      const label = Array.from({ length: 1 + Math.floor(random() * 20) }, () => pick(alphabet)).join("");
      const ascii = domainToASCII(label);
      if (!ascii.startsWith("xn--") || ascii.includes(".")) continue;
      compared++;
      expect({ label, decoded: punycodeDecoded(ascii.slice(4)) }).toEqual({ label, decoded: domainToUnicode(ascii) });
    }
    expect(compared).toBeGreaterThan(1_000);
  });

  it("refuses what is no Punycode, and keeps a label of basic code points", () => {
    // Past U+10FFFF; a letter no digit; a number cut off at the end (the RFC's "bad input" cases).
    for (const bad of ["99999999999999", "a-\u00e9", "w", "a-Z"]) expect(punycodeDecoded(bad)).toBeUndefined();
    expect(punycodeDecoded("abc-")).toBe("abc");
  });
});
