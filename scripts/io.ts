/** Where a command writes; tests pass collectors, the CLI passes stdout and stderr. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/**
 * What a terminal must not be sent as is: C0 controls but tab and newline (ESC moves the cursor and rewrites
 * lines, CR overwrites one), DEL and C1 controls, line and paragraph separators, bidirectional controls (Trojan
 * Source) and lone surrogates. Output carries text others wrote: a path a client sent (in a log line written
 * before the gateway percent-encoded it), an admin's grant reason, a message in the history.
 */
const UNSAFE_OUTPUT =
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `line` with each such character written `\uXXXX`: visible, and in JSON output the same string when parsed. */
export function terminalText(line: string): string {
  return line.replace(UNSAFE_OUTPUT, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};
