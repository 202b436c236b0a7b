import { UNSAFE } from "../policy/clean-text.ts";

/** Where a command writes; tests pass collectors, the CLI passes stdout and stderr. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/**
 * What a terminal must not be sent as is: the characters no name may hold (policy/clean-text.ts: ESC moves the
 * cursor and rewrites lines, CR overwrites one, bidirectional controls reorder what is shown), but tab and
 * newline. Output carries text others wrote: a path a client sent (in a log line written before the gateway
 * percent-encoded it), an admin's grant reason, a message in the history.
 */
const UNSAFE_OUTPUT = new RegExp(`(?![\\t\\n])(?:${UNSAFE.source})`, "gu");
/**
 * And what shows as nothing (policy/invisible-text.ts): a grant stored for `group:s\u200Bre` must not list as
 * `group:sre`. But the joiners and variation selectors that spell emoji and the words of some scripts: hiding with
 * them is refused where names are taken, and escaped they would garble every such name.
 */
const UNSEEN_OUTPUT =
  /(?!\u200C|\u200D|[\uFE00-\uFE0F]|[\u{E0100}-\u{E01EF}])[\p{Default_Ignorable_Code_Point}\p{Cf}]/gu;

/** Each UTF-16 unit of `c` written `\uXXXX` (a pair for a code point past U+FFFF): JSON reads it back as `c`. */
const escaped = (c: string): string => {
  let out = "";
  for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`;
  return out;
};

/** `line` with each such character written `\uXXXX`: visible, and in JSON output the same string when parsed. */
export function terminalText(line: string): string {
  return line.replace(UNSAFE_OUTPUT, escaped).replace(UNSEEN_OUTPUT, escaped);
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
