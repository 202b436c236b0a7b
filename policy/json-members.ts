// Duplicate member names in a JWT's JSON. RFC 7519 section 4 and RFC 7515 section 5.2 say a JWT or JWS with
// duplicate names must be rejected or parsed last-one-wins; parsers differ (JSON.parse keeps the last, many
// others the first, some refuse), so `{"email":"ann@example.com",...,"email":"mallory@evil.io"}` names one
// person to jose and another to whatever reads the same token after Ward (an origin that validates it too,
// a log pipeline). Such a token is refused, at every nesting level: a nested claim (`groups`, `custom`) that
// `claims` rules or the origin read is as ambiguous.
//
// The text is first parsed with JSON.parse (so it is known to be JSON), then scanned once: member names are
// the strings that open an object or follow a "," inside one. Each is decoded with JSON.parse so that
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

/**
 * The first member name an object in `text` names twice, or undefined; `text` must be JSON (JSON.parse took it).
 * Policies written as JSON are checked with it too (policy/load.ts): JSON.parse keeps a repeated key's last
 * value, where a reviewer may read the first.
 */
export function firstRepeatedMember(text: string): string | undefined {
  // One frame per open object or array; an object's frame holds its names so far.
  const stack: (Set<string> | null)[] = [];
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let end = i + 1;
      while (text.charCodeAt(end) !== 0x22) end += text.charCodeAt(end) === 0x5c /* \ */ ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectName && top) {
        const name = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.has(name)) return name;
        top.add(name);
        expectName = false;
      }
      i = end;
    } else if (c === 0x7b /* { */) {
      stack.push(new Set());
      expectName = true;
    } else if (c === 0x5b /* [ */) {
      stack.push(null);
      expectName = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectName = false;
    } else if (c === 0x2c /* , */) {
      expectName = stack[stack.length - 1] != null;
    }
  }
  return undefined;
}

/**
 * The members of the object `text` is, in the order written, a name given twice each time (JSON.parse keeps only
 * the last), each value as its JSON text; undefined when `text` is no object. `text` must be JSON.
 */
export function objectMembers(text: string): [name: string, value: string][] | undefined {
  const start = text.search(/\S/);
  if (text[start] !== "{") return undefined;
  const members: [string, string][] = [];
  let depth = 0;
  let name = "";
  let valueFrom = -1;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let end = i + 1;
      while (text.charCodeAt(end) !== 0x22) end += text.charCodeAt(end) === 0x5c /* \ */ ? 2 : 1;
      if (depth === 1 && valueFrom === -1) name = JSON.parse(text.slice(i, end + 1)) as string;
      i = end;
    } else if (c === 0x3a /* : */ && depth === 1) {
      valueFrom = i + 1;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */ || (c === 0x2c /* , */ && depth === 1)) {
      if (depth === 1 && valueFrom !== -1) {
        members.push([name, text.slice(valueFrom, i).trim()]);
        valueFrom = -1;
      }
      if (c !== 0x2c) depth--;
    }
  }
  return members;
}
