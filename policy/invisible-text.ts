// Characters a reviewer cannot see, in policy text as written. A policy is reviewed as text: a deny on
// "/admin\u200B" reads as a deny on /admin and matches nothing; a group name with a right-to-left override
// displays as another (Trojan Source, CVE-2021-42574, where comments are the usual carrier); a soft hyphen, a
// BOM, a tag character or a variation selector vanishes. The control characters YAML itself forbids are
// refused before parsing (load.ts); these are found in the text (comments included) and, since JSON and YAML
// escapes (`\u200b`) write them unseen, in every key and string the text parses to.
import { UNSAFE } from "./clean-text.ts";

/**
 * What no reader sees: the code points Unicode says to display as nothing (Default_Ignorable_Code_Point: zero-width
 * ones, joiners, variation selectors, Hangul fillers, tag characters, ...), format characters, bidirectional
 * controls, and the line separators (NEL, LS, PS) YAML does not break a line at but editors do.
 */
const UNSEEN = /[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Bidi_Control}\u0085\u2028\u2029]/u;
/** The joiners and variation selectors emoji are written with: a comment may hold them. */
const EMOJI_PARTS = /^(?:\u200C|\u200D|[\uFE00-\uFE0F]|[\u{E0100}-\u{E01EF}])$/u;
const UNSEEN_IN_TEXT = new RegExp(UNSEEN.source, "gu");
/** In a parsed string or key: all of them, and what clean-text refuses in a name, but tab and line ends (a PEM). */
const UNSEEN_IN_VALUE = new RegExp(`${UNSEEN.source}|(?![\\t\\n\\r])(?:${UNSAFE.source})`, "gu");
/**
 * A zero-width (non-)joiner between two letters or marks of a script that spells words with one (Arabic script
 * languages such as Persian, Syriac, N'Ko, Mongolian, the Indic scripts, Sinhala, Khmer, Myanmar) is spelling, not
 * hiding: allowed there. Between Latin letters it only hides (`contr\u200Dactors` reads as `contractors`).
 */
const JOINING = String.raw`[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Nko}\p{Script=Mongolian}\p{Script=Devanagari}\p{Script=Bengali}\p{Script=Gurmukhi}\p{Script=Gujarati}\p{Script=Oriya}\p{Script=Tamil}\p{Script=Telugu}\p{Script=Kannada}\p{Script=Malayalam}\p{Script=Sinhala}\p{Script=Khmer}\p{Script=Myanmar}]`;
const JOINER_IN_WORD = new RegExp(`^${JOINING}[\\u200C\\u200D]${JOINING}$`, "u");

const code = (c: string): string => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;

/** The code point before `at` in `text` (a surrogate pair whole), or "". */
function before(text: string, at: number): string {
  if (at === 0) return "";
  const low = text.charCodeAt(at - 1);
  const start = low >= 0xdc00 && low <= 0xdfff && at >= 2 ? at - 2 : at - 1;
  return String.fromCodePoint(text.codePointAt(start)!);
}

/** Whether the character at `at` is a joiner between two letters of a script that spells with joiners. */
export function joinsWord(text: string, at: number, char: string): boolean {
  if (char !== "\u200C" && char !== "\u200D") return false;
  const next = at + 1 < text.length ? String.fromCodePoint(text.codePointAt(at + 1)!) : "";
  return JOINER_IN_WORD.test(`${before(text, at)}${char}${next}`);
}

/** The first character of `text` no reader sees, but a joiner within a word. */
function unseenIn(text: string): string | undefined {
  UNSEEN_IN_VALUE.lastIndex = 0;
  for (let found = UNSEEN_IN_VALUE.exec(text); found; found = UNSEEN_IN_VALUE.exec(text)) {
    const char = found[0];
    if (joinsWord(text, found.index, char)) continue;
    return char;
  }
  return undefined;
}

/**
 * Whether a name a credential carries (a workload token's `sub`) shows all it holds: no character no reader
 * sees, but a joiner within a word. `repo:org/app\u200B` reads as `repo:org/app` in a log and on a page, and
 * still matches a prefix the policy names.
 */
export function isVisibleText(text: string): boolean {
  return unseenIn(text) === undefined;
}

/**
 * The first such character in the text as written: its code point and line. The joiners and variation selectors
 * of emoji pass in a comment (after a `#` that starts the line or follows a space); elsewhere they are refused,
 * since the keys and strings walked later are not all the text says: a YAML anchor or alias (`*admins\u200D`)
 * names another list than the one it reads as.
 */
export function invisibleInText(text: string): { code: string; line: number } | undefined {
  UNSEEN_IN_TEXT.lastIndex = 0;
  for (let found = UNSEEN_IN_TEXT.exec(text); found; found = UNSEEN_IN_TEXT.exec(text)) {
    if (EMOJI_PARTS.test(found[0])) {
      const lineStart = text.lastIndexOf("\n", found.index) + 1;
      if (/(?:^|\s)#/.test(text.slice(lineStart, found.index))) continue;
      // Spelling, as in a value (unseenIn): the strings it is in are checked again once parsed.
      if (joinsWord(text, found.index, found[0])) continue;
    }
    return { code: code(found[0]), line: text.slice(0, found.index).split("\n").length };
  }
  return undefined;
}

/** A container being walked: its keys (an object's) or none (an array's), and the next member to look at. */
interface Frame {
  value: object;
  keys: string[] | null;
  next: number;
}

/** Where the walk stands: each frame's member last looked at, in validation's path form. */
function pathOf(frames: readonly Frame[]): string {
  let path = "";
  for (const frame of frames) {
    const at = frame.next - 1;
    path += frame.keys ? (path ? `.${frame.keys[at]}` : frame.keys[at]) : `[${at}]`;
  }
  return path || "(document)";
}

/**
 * The first key or string of a parsed document holding one: its code point and where. Depth first with a stack
 * of frames, not recursion (a document may nest thousands deep) and without a path per value (a wide one holds
 * hundreds of thousands): the path is spelt only for what is found.
 */
export function invisibleInValue(value: unknown): { code: string; path: string } | undefined {
  if (typeof value === "string") {
    const found = unseenIn(value);
    return found === undefined ? undefined : { code: code(found), path: "(document)" };
  }
  if (value === null || typeof value !== "object") return undefined;
  const frames: Frame[] = [{ value, keys: Array.isArray(value) ? null : Object.keys(value), next: 0 }];
  while (frames.length > 0) {
    const top = frames[frames.length - 1]!;
    const size = top.keys ? top.keys.length : (top.value as unknown[]).length;
    if (top.next >= size) {
      frames.pop();
      continue;
    }
    const at = top.next++;
    let member: unknown;
    if (top.keys) {
      const key = top.keys[at]!;
      const found = unseenIn(key);
      if (found !== undefined) return { code: code(found), path: pathOf(frames) };
      member = (top.value as Record<string, unknown>)[key];
    } else member = (top.value as unknown[])[at];
    if (typeof member === "string") {
      const found = unseenIn(member);
      if (found !== undefined) return { code: code(found), path: pathOf(frames) };
    } else if (member !== null && typeof member === "object")
      frames.push({ value: member, keys: Array.isArray(member) ? null : Object.keys(member), next: 0 });
  }
  return undefined;
}
