import { UNSAFE } from "../policy/clean-text.ts";
import { joinsWord } from "../policy/invisible-text.ts";

/** Where a command writes; tests pass collectors, the CLI passes stdout and stderr. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/**
 * What a terminal must not be sent as is: the characters no name may hold (policy/clean-text.ts: ESC moves the
 * cursor and rewrites lines, CR overwrites one, bidirectional controls reorder what is shown), but tab and
 * newline. Output carries text others wrote: a path a client sent (in a log line written before the gateway
 * percent-encoded it), an admin's grant reason, a message in the history. Newline is kept because main applies
 * this to whole messages, the CLI's own among them (a usage, a diff); a line made of such values goes through
 * oneLine first (grants/format.ts, grants/deny-format.ts, commands/history.ts), so a stored line break cannot
 * write a line of output of its own.
 */
const UNSAFE_OUTPUT = new RegExp(`(?![\\t\\n])(?:${UNSAFE.source})`, "gu");
/**
 * And what shows as nothing (policy/invisible-text.ts): a grant stored for `group:s\u200Bre` must not list as
 * `group:sre`. Kept only where it spells something (spelledBy).
 */
const UNSEEN_OUTPUT = /[\p{Default_Ignorable_Code_Point}\p{Cf}]/gu;
const PICTOGRAPH = /^(?:[\p{Extended_Pictographic}\p{Emoji_Modifier}]|\uFE0F)$/u;
const EMOJI = /^\p{Emoji}$/u;
const KEYCAP_BASE = /^[0-9#*]$/;
const IDEOGRAPH = /^\p{Ideographic}$/u;
const MONGOLIAN = /^\p{Script=Mongolian}$/u;
const TAG = /^[\u{E0020}-\u{E007F}]$/u;

/** The code point that ends just before `at` (a surrogate pair whole), or "". */
function codePointBefore(text: string, at: number): string {
  if (at === 0) return "";
  const low = text.charCodeAt(at - 1);
  const start = low >= 0xdc00 && low <= 0xdfff && at >= 2 ? at - 2 : at - 1;
  return String.fromCodePoint(text.codePointAt(start)!);
}
const codePointAt = (text: string, at: number): string =>
  at < text.length ? String.fromCodePoint(text.codePointAt(at)!) : "";

/**
 * Whether the unseen character `c` at `at` spells something where it stands, as policy text allows (an emoji's
 * joiner or presentation selector, a keycap, a joiner inside a word of a script spelt with one, an ideograph's
 * variation selector, a Mongolian variation selector, a subdivision flag's tags), rather than hides something
 * (`contr\u200Dactors`, `sre\uFE0F`).
 */
function spelledBy(c: string, at: number, text: string): boolean {
  const previous = codePointBefore(text, at);
  const next = codePointAt(text, at + c.length);
  if (c === "\u200C" || c === "\u200D")
    return joinsWord(text, at, c) || (c === "\u200D" && PICTOGRAPH.test(previous) && PICTOGRAPH.test(next));
  if (c === "\uFE0E" || c === "\uFE0F") return KEYCAP_BASE.test(previous) ? next === "\u20E3" : EMOJI.test(previous);
  if (c >= "\uFE00" && c <= "\uFE0D") return IDEOGRAPH.test(previous);
  if (c >= "\u180B" && c <= "\u180F") return MONGOLIAN.test(previous);
  if (TAG.test(c)) {
    // 🏴 then tag letters then CANCEL TAG: England's, Scotland's, Wales' flags.
    let start = at;
    while (TAG.test(codePointBefore(text, start))) start -= 2;
    let end = at;
    while (TAG.test(codePointAt(text, end)) && codePointAt(text, end) !== "\u{E007F}") end += 2;
    return codePointBefore(text, start) === "\u{1F3F4}" && codePointAt(text, end) === "\u{E007F}";
  }
  const code = c.codePointAt(0)!;
  return code >= 0xe0100 && code <= 0xe01ef && IDEOGRAPH.test(previous);
}

/** Each UTF-16 unit of `c` written `\uXXXX` (a pair for a code point past U+FFFF): JSON reads it back as `c`. */
const escaped = (c: string): string => {
  let out = "";
  for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`;
  return out;
};

/** `line` with each such character written `\uXXXX`: visible, and in JSON output the same string when parsed. */
export function terminalText(line: string): string {
  return line
    .replace(UNSEEN_OUTPUT, (c: string, at: number, text: string) => (spelledBy(c, at, text) ? c : escaped(c)))
    .replace(UNSAFE_OUTPUT, escaped);
}

/**
 * `line` printed as one line: a logged field holding a line break (an older Ward's `error`, an edited log) must
 * not print as a line of its own. Line breaks and tabs written `\uXXXX`; terminalText escapes the rest.
 */
export function oneLine(line: string): string {
  return line.replace(/[\n\r\t]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};
