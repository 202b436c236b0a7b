// Duplicate member names in a JWT's JSON. RFC 7519 section 4 and RFC 7515 section 5.2 say a JWT or JWS with
// duplicate names must be rejected or parsed last-one-wins; parsers differ (JSON.parse keeps the last, many
// others the first, some refuse), so `{"email":"ann@example.com",...,"email":"mallory@evil.io"}` names one
// person to jose and another to whatever reads the same token after Ward (an origin that validates it too,
// a log pipeline). Such a token is refused, at every nesting level: a nested claim (`groups`, `custom`) that
// `claims` rules or the origin read is as ambiguous.
//
// The text is first parsed with JSON.parse (so it is known to be JSON), then scanned once (walk): member names
// are the strings that open an object or follow a "," inside one. Each is decoded with JSON.parse so that
// "email" and "\u0065mail" are the same name, as every parser reads them.

/** True when `text` is JSON and no object in it names a member twice. */
export function hasUniqueMembers(text: string): boolean {
  try {
    JSON.parse(text);
  } catch {
    return false;
  }
  return firstRepeatedMember(text) === undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** What a walk met: a string (c is its quote, `end` the index of the quote closing it) or { } [ ] , : (end = at). */
type Visit = (c: number, at: number, end: number) => boolean;

/**
 * Shows `visit` each string and each of { } [ ] , : outside strings in `text`, from `from` on, in order; stops
 * where `visit` answers true. The one place that knows where a string ends, so no scanner here reads a quote
 * inside one as the end of it (`"a\"b"`, `"a\\"`). A string left open (no JSON) runs to the end of the text.
 */
function walk(text: string, from: number, visit: Visit): void {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = closingQuote(text, i);
      if (visit(c, i, end)) return;
      i = end;
    } else if (c === OPEN_OBJECT || c === CLOSE_OBJECT || c === OPEN_ARRAY || c === CLOSE_ARRAY || c === COMMA) {
      if (visit(c, i, i)) return;
    } else if (c === COLON && visit(c, i, i)) return;
  }
}

/** The index of the quote that closes the string opening at `open` (text.length where none does). */
function closingQuote(text: string, open: number): number {
  let end = text.indexOf('"', open + 1);
  // A quote after an odd number of backslashes is escaped: `"a\"` goes on, `"a\\"` ends.
  while (end !== -1 && backslashesBefore(text, end) % 2 === 1) end = text.indexOf('"', end + 1);
  return end === -1 ? text.length : end;
}

function backslashesBefore(text: string, at: number): number {
  let from = at;
  while (text.charCodeAt(from - 1) === BACKSLASH) from--;
  return at - from;
}

/** The string from `at` to `end` (its quotes) decoded: `"\u0065mail"` is `email`. */
const decoded = (text: string, at: number, end: number): string => JSON.parse(text.slice(at, end + 1)) as string;

/**
 * The first member name an object in `text` names twice, or undefined; `text` must be JSON (JSON.parse took it).
 * Policies written as JSON are checked with it too (policy/load.ts): JSON.parse keeps a repeated key's last
 * value, where a reviewer may read the first.
 */
export function firstRepeatedMember(text: string): string | undefined {
  // One frame per open object or array; an object's frame holds its names so far.
  const stack: (Set<string> | null)[] = [];
  let expectName = false;
  let repeated: string | undefined;
  walk(text, 0, (c, at, end) => {
    if (c === QUOTE) {
      const top = stack[stack.length - 1];
      if (!expectName || !top) return false;
      const name = decoded(text, at, end);
      if (top.has(name)) repeated = name;
      top.add(name);
      expectName = false;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      stack.push(c === OPEN_OBJECT ? new Set() : null);
      expectName = c === OPEN_OBJECT;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      stack.pop();
      expectName = false;
    } else if (c === COMMA) {
      expectName = stack[stack.length - 1] != null;
    }
    return repeated !== undefined;
  });
  return repeated;
}

/**
 * The members of the object `text` is, in the order written, a name given twice each time (JSON.parse keeps only
 * the last), each value as its JSON text; undefined when `text` is no object. `text` must be JSON.
 */
export function objectMembers(text: string): [name: string, value: string][] | undefined {
  const start = text.search(/\S/);
  if (text[start] !== "{") return undefined;
  const members: [string, string][] = [];
  // Only the outermost object's members count: its names, and the text from each ":" to the "," or "}" after it.
  let depth = 0;
  let name = "";
  let valueFrom = -1;
  walk(text, start, (c, at, end) => {
    if (c === QUOTE) {
      if (depth === 1 && valueFrom === -1) name = decoded(text, at, end);
    } else if (c === COLON) {
      if (depth === 1) valueFrom = at + 1;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
    } else if (c !== COMMA || depth === 1) {
      if (depth === 1 && valueFrom !== -1) {
        members.push([name, text.slice(valueFrom, at).trim()]);
        valueFrom = -1;
      }
      if (c !== COMMA) depth--;
    }
    return false;
  });
  return members;
}
