// Characters a reviewer cannot see, in free text and names (validate-differential.test.ts). The reference
// ("Validation issues", invalid-syntax and invalid-format): a default-ignorable code point, a format character,
// a bidirectional control, a line separator (NEL, LS, PS) or a control character other than tab, CR and LF is
// refused anywhere in the text (`invalid-syntax`), and in any key or string however written, an escape included
// (`invalid-format`, at its path). The pool is every such code point, found by Unicode property (the oracle
// is the Unicode database, not a list).
import { baseDocument, type Case, pathText, withValue } from "./validate-cases.ts";
import { refuse } from "./validate-oracle.ts";

const UNSEEN = /[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Cc}\u2028\u2029]/u;
const ALLOWED_CONTROLS = new Set([0x09, 0x0a, 0x0d]);

let pool: number[] | undefined;
/** Every code point the reference says a reviewer cannot see. */
export function unseenPool(): number[] {
  if (!pool) {
    pool = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if ((cp >= 0xd800 && cp <= 0xdfff) || ALLOWED_CONTROLS.has(cp)) continue;
      if (UNSEEN.test(String.fromCodePoint(cp))) pool.push(cp);
    }
  }
  return pool;
}

/** Free-text strings and map keys, where only what cannot be seen is refused. */
const TEXT_SLOTS: (readonly (string | number)[])[] = [
  ["metadata", "description"],
  ["metadata", "owners", 0],
  ["services", "payments", "owner"],
  ["services", "payments", "description"],
  ["services", "payments", "routes", 0, "rules", 1, "principals", 0, "group"],
  ["services", "payments", "routes", 0, "rules", 0, "description"],
  ["identity", "tokenIssuers", 0, "requireClaims", "repository_owner_id"],
  ["identity", "mtls", "issuers", 0, "dn"],
  ["services", "payments", "routes", 0, "rules", 0, "principals", 0, "spiffe"],
];

/** Each a pair: the character as written in the text (invalid-syntax), and as a JSON escape (invalid-format). */
export function unseenCases(r: () => number, count: number): { text: Case; escaped: Case }[] {
  const cps = unseenPool();
  const out: { text: Case; escaped: Case }[] = [];
  for (let i = 0; i < count; i++) {
    // Half from the BMP, where most of them are written; the rest of the pool is mostly tag characters.
    const bmp = cps.findIndex((c) => c > 0xffff);
    const cp = cps[Math.floor(r() * (r() < 0.5 ? bmp : cps.length))] as number;
    const slot = TEXT_SLOTS[Math.floor(r() * TEXT_SLOTS.length)] as readonly (string | number)[];
    const ch = String.fromCodePoint(cp);
    const value = r() < 0.5 ? `ab${ch}cd` : `${ch}abcd`;
    const hex = `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
    const doc = withValue(baseDocument(), slot, value);
    out.push({
      text: { what: `${pathText(slot)} holding ${hex} as written`, doc, verdict: refuse("invalid-syntax") },
      escaped: {
        what: `${pathText(slot)} holding ${hex} escaped`,
        doc,
        verdict: refuse("invalid-format"),
        at: pathText(slot),
      },
    });
  }
  return out;
}

/** JSON text with every character past ASCII written as an escape. */
export function escapedJson(doc: unknown): string {
  return JSON.stringify(doc).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** JSON text with each control character JSON.stringify escapes written as it is (invalid JSON, read as YAML). */
export function rawJson(doc: unknown): string {
  return JSON.stringify(doc)
    .replace(/\\u00([01][0-9a-f])/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)))
    .replaceAll("\\b", "\b")
    .replaceAll("\\f", "\f");
}
