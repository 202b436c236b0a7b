// A TOML file as lines, with just enough structure to edit one environment in place: its tables, their key
// lines, and where each value ends. Everything else (comments, other tables, blank lines) is kept byte for byte:
// an operator's notes in wrangler.toml are part of the config, and wrangler's own patcher refuses TOML with
// comments for that reason. What this reader does not understand it leaves alone; the caller re-reads the
// result with wrangler's parser and refuses to write anything that does not say what was meant.

export interface KeyLine {
  /** The key's dotted parts as written (`vars.X = 1` is ["vars", "X"]). */
  key: string[];
  /** First and last line of the entry (a value may span lines). */
  first: number;
  last: number;
  /** The text of the line up to the value (indentation, key, `=` and the space after it). */
  prefix: string;
  /** The value's text, without the trailing comment. */
  value: string;
  /** A trailing comment on the last line, with the spaces before it (`  # note`), or "". */
  comment: string;
}

export interface Table {
  /** The header's dotted parts; [] for the keys before the first header. */
  path: string[];
  /** `[[...]]`: one element of an array of tables. */
  array: boolean;
  /** The header's line, -1 for the root. */
  header: number;
  keys: KeyLine[];
  /** The last line that belongs to the table itself (header or key), before any comments of the next one. */
  lastContent: number;
}

const BARE_KEY = /^[A-Za-z0-9_-]+/;

/** One key part at `text[at]`: bare, "basic" or 'literal'. */
function keyPart(text: string, at: number): { part: string; end: number } | undefined {
  const c = text[at];
  if (c === '"' || c === "'") {
    let i = at + 1;
    let part = "";
    while (i < text.length && text[i] !== c) {
      if (c === '"' && text[i] === "\\") {
        part += text[i + 1] ?? "";
        i += 2;
        continue;
      }
      part += text[i];
      i++;
    }
    return i < text.length ? { part, end: i + 1 } : undefined;
  }
  const bare = BARE_KEY.exec(text.slice(at));
  return bare ? { part: bare[0], end: at + bare[0].length } : undefined;
}

/** A dotted key from `at`, up to the first character that is not part of it. */
function dottedKey(text: string, at: number): { parts: string[]; end: number } | undefined {
  const parts: string[] = [];
  let i = at;
  for (;;) {
    while (text[i] === " " || text[i] === "\t") i++;
    const part = keyPart(text, i);
    if (!part) return undefined;
    parts.push(part.part);
    i = part.end;
    while (text[i] === " " || text[i] === "\t") i++;
    if (text[i] !== ".") return { parts, end: i };
    i++;
  }
}

/** `[a.b]` or `[[a.b]]`, with an optional trailing comment. */
function header(text: string): { path: string[]; array: boolean } | undefined {
  const trimmed = text.trimStart();
  const array = trimmed.startsWith("[[");
  const start = text.length - trimmed.length + (array ? 2 : 1);
  const key = dottedKey(text, start);
  if (!key) return undefined;
  const close = array ? "]]" : "]";
  if (!text.startsWith(close, key.end)) return undefined;
  const rest = text.slice(key.end + close.length).trim();
  return rest === "" || rest.startsWith("#") ? { path: key.parts, array } : undefined;
}

/**
 * Where the value that starts at offset `from` of `text` ends: strings (all four kinds), arrays and inline
 * tables may span lines; a `#` outside a string starts a comment (inside an array too, which TOML allows).
 * `end` is just after the value's last character, `stop` the end of the line that holds it.
 */
function valueExtent(text: string, from: number): { end: number; stop: number } {
  let depth = 0;
  let end = from;
  let i = from;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"' || c === "'") {
      const quote = text.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      i += quote.length;
      while (i < text.length && !text.startsWith(quote, i)) {
        if (quote === c && text[i] === "\n") break; // an unterminated one-line string: wrangler will say so
        i += c === '"' && text[i] === "\\" ? 2 : 1;
      }
      i += quote.length;
      // """a"""" closes with its last three quotes.
      while (quote.length === 3 && text[i] === c) i++;
      end = Math.min(i, text.length);
      continue;
    }
    if (c === "#") {
      const eol = text.indexOf("\n", i);
      if (depth <= 0) return { end, stop: eol === -1 ? text.length : eol };
      i = eol === -1 ? text.length : eol;
      continue;
    }
    if (c === "\n" && depth <= 0) return { end, stop: i };
    if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") depth--;
    if (c !== " " && c !== "\t" && c !== "\n" && c !== "\r") end = i + 1;
    i++;
  }
  return { end, stop: text.length };
}

/** Tables and key lines of a TOML text split into lines. */
export function scanToml(lines: readonly string[]): Table[] {
  const text = lines.join("\n");
  const starts: number[] = [];
  for (let n = 0, at = 0; n < lines.length; at += lines[n]!.length + 1, n++) starts.push(at);
  const lineOf = (offset: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const tables: Table[] = [{ path: [], array: false, header: -1, keys: [], lastContent: -1 }];
  let n = 0;
  while (n < lines.length) {
    const line = lines[n]!;
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) {
      n++;
      continue;
    }
    if (trimmed.startsWith("[")) {
      const parsed = header(line);
      tables.push({
        path: parsed?.path ?? [`<unreadable header on line ${n + 1}>`],
        array: parsed?.array ?? false,
        header: n,
        keys: [],
        lastContent: n,
      });
      n++;
      continue;
    }
    const table = tables.at(-1)!;
    const key = dottedKey(line, 0);
    if (!key || line[key.end] !== "=") {
      // Not a key line this reader understands: content of the table, kept as it is.
      table.lastContent = n;
      n++;
      continue;
    }
    let valueStart = key.end + 1;
    while (line[valueStart] === " " || line[valueStart] === "\t") valueStart++;
    const extent = valueExtent(text, starts[n]! + valueStart);
    const last = lineOf(extent.stop);
    table.keys.push({
      key: key.parts,
      first: n,
      last,
      prefix: line.slice(0, valueStart),
      value: text.slice(starts[n]! + valueStart, extent.end),
      comment: text.slice(extent.end, extent.stop),
    });
    table.lastContent = last;
    n = last + 1;
  }
  return tables;
}

/** A simple string value's content (`"x"` or `'x'`, no escapes beyond \" and \\), else undefined. */
export function stringValue(text: string): string | undefined {
  const basic = /^"((?:[^"\\]|\\["\\])*)"$/.exec(text);
  if (basic) return basic[1]!.replace(/\\(["\\])/g, "$1");
  const literal = /^'([^']*)'$/.exec(text);
  return literal ? literal[1] : undefined;
}

export const samePath = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((part, i) => part === b[i]);

export const startsWith = (path: readonly string[], prefix: readonly string[]): boolean =>
  path.length >= prefix.length && prefix.every((part, i) => part === path[i]);
