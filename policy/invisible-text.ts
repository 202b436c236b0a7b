// Characters a reviewer cannot see, in policy text as written. A policy is reviewed as text: a deny on
// "/admin\u200B" reads as a deny on /admin and matches nothing; a group name with a right-to-left override
// displays as another (Trojan Source, CVE-2021-42574, where comments are the usual carrier); a soft hyphen or a
// BOM vanishes. The control characters YAML itself forbids are refused before parsing (load.ts); these are
// found in the text (comments included) and, since JSON and YAML escapes (`\u200b`) write them unseen, in every
// key and string the text parses to.
import { UNSAFE } from "./clean-text.ts";

/** Invisible format characters and bidirectional controls: soft hyphen, zero-width ones, word joiners, BOM. */
const INVISIBLE = /[\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/u;

/** In a parsed string: those, and what clean-text refuses in a name, but tab and line ends (a PEM, a block). */
const UNSEEN_IN_VALUE = new RegExp(`${INVISIBLE.source}|(?![\\t\\n\\r])(?:${UNSAFE.source})`, "u");

const code = (c: string): string => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;

/** The first such character in the text as written: its code point and line. */
export function invisibleInText(text: string): { code: string; line: number } | undefined {
  const found = INVISIBLE.exec(text);
  if (!found) return undefined;
  return { code: code(found[0]), line: text.slice(0, found.index).split("\n").length };
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
  const unseen = (text: string) => UNSEEN_IN_VALUE.exec(text)?.[0];
  if (typeof value === "string") {
    const found = unseen(value);
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
      const found = unseen(key);
      if (found !== undefined) return { code: code(found), path: pathOf(frames) };
      member = (top.value as Record<string, unknown>)[key];
    } else member = (top.value as unknown[])[at];
    if (typeof member === "string") {
      const found = unseen(member);
      if (found !== undefined) return { code: code(found), path: pathOf(frames) };
    } else if (member !== null && typeof member === "object")
      frames.push({ value: member, keys: Array.isArray(member) ? null : Object.keys(member), next: 0 });
  }
  return undefined;
}
