// An oracle for canonicalTarget and rawPathOf, written from docs/policy.md ("Canonical request targets", "Where
// the target comes from", and the *host name* format), not from policy/*: it imports nothing from there. Given
// method, host, raw path and raw query it names every problem the docs say applies, grouped in the order the docs
// give ("the method's, else the host's, else the path's (its length, its start, then its segments from the left),
// else the query's"), and the canonical target, which is what the code must answer when it refuses nothing.
//
// Where the docs were silent when this was written (a port of six digits, a host name past 253 characters, how a
// path's length is counted, `;` between query parameters, an unclosed `_method[`, an empty path, which of several
// problems is named), the code's reading was written into the docs, and the oracle follows them.

import { inCodePage1252, PUBLISHED_BEST_FIT as BEST_FIT_1252 } from "./origin-letters.ts";

export const DOC_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/** "and the yen and won signs as the `\` of the Japanese and Korean code pages", and `⧵`. */
const OTHER_BEST_FIT: Readonly<Record<string, string>> = { "¥": "\\", "₩": "\\", "⧵": "\\" };
export const DOC_MAX_PATH = 4096;

export interface OracleTarget {
  method: string;
  host: string;
  path: string;
  segments: string[];
  /** "as an origin that folds letters reads them", when that differs from `segments`. */
  folded?: string[];
}

export interface TargetVerdict {
  /** The problems that apply, by stage (method, host, path length, path start, each segment, query). */
  stages: Set<string>[];
  /** The canonical form, when the host is one and the path decodes (undefined: it does not). */
  target?: OracleTarget;
}

/** Every problem that applies. */
export const problemsOf = (v: TargetVerdict): Set<string> => new Set(v.stages.flatMap((stage) => [...stage]));

/** The problems the code may name: those of the first stage with any. */
export const namedOf = (v: TargetVerdict): Set<string> => v.stages.find((stage) => stage.size > 0) ?? new Set();

/** "every other byte of the UTF-8 form is percent-encoded": these stay literal. */
const LITERAL = /^[A-Za-z0-9\-._~!$&'()*+,=:@]$/;

/** The *host name* format: labels of 1-63 `[a-z0-9-]`, not starting or ending with `-`. */
const LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/**
 * The host (`host-invalid`): "Upper case (`A`-`Z`), a port (0-65535, at most five digits) and one trailing dot are
 * fine: they are normalised away"; what remains must be a *host name* "of at most 253 characters".
 */
function readHost(raw: string): string | undefined {
  let host = raw.replace(/[A-Z]/g, (c) => c.toLowerCase());
  const colon = host.lastIndexOf(":");
  if (colon !== -1) {
    const port = host.slice(colon + 1);
    if (!/^[0-9]{1,5}$/.test(port) || Number(port) > 65535) return undefined;
    host = host.slice(0, colon);
  }
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (host === "" || host.length > 253) return undefined;
  return host.split(".").every((label) => label.length <= 63 && LABEL.test(label)) ? host : undefined;
}

/** UTF-8 as RFC 3629 has it: no overlong forms, no surrogates, nothing past U+10FFFF. Undefined when invalid. */
export function utf8Decode(bytes: readonly number[]): string | undefined {
  let out = "";
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    let n: number;
    let cp: number;
    let min: number;
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) [n, cp, min] = [1, b & 0x1f, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [n, cp, min] = [2, b & 0x0f, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [n, cp, min] = [3, b & 0x07, 0x10000];
    else return undefined;
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return undefined;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    out += String.fromCodePoint(cp);
    i += n + 1;
  }
  return out;
}

/** A code point's UTF-8 bytes. */
export function utf8Encode(cp: number): number[] {
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 0x3f)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
}

const hex2 = (b: number) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`;

/** The canonical spelling of a decoded segment. */
export function encodeDecoded(decoded: string): string {
  let out = "";
  for (const ch of decoded) out += LITERAL.test(ch) ? ch : utf8Encode(ch.codePointAt(0)!).map(hex2).join("");
  return out;
}

/** The problem each character a look-alike letter becomes is refused as, as that character would be, encoded. */
export const LOOK_ALIKE_PROBLEM: Readonly<Record<string, string>> = {
  "/": "path-encoded-separator",
  "\\": "path-encoded-separator",
  ".": "path-encoded-dot",
  ";": "path-parameter",
  "?": "path-query",
  "#": "path-fragment",
  "%": "path-encoded-percent",
};

/** The table's problems in one raw segment, added to `found`; its decoded text when it has one. */
function readSegment(raw: string, found: Set<string>): string | undefined {
  const bytes: number[] = [];
  let decodable = true;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    const code = ch.charCodeAt(0);
    if (ch === "%") {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
        found.add("path-invalid-encoding"); // `%zz`, a truncated `%4`
        decodable = false;
        continue;
      }
      const byte = parseInt(hex, 16);
      i += 2;
      if (byte === 0x2f || byte === 0x5c) found.add("path-encoded-separator");
      else if (byte === 0x2e) found.add("path-encoded-dot");
      else if (byte === 0x25) found.add("path-encoded-percent");
      else if (byte === 0x23) found.add("path-fragment");
      else if (byte === 0x3f) found.add("path-query");
      else if (byte === 0x3b) found.add("path-parameter");
      else if (byte < 0x20 || byte === 0x7f) found.add("path-control-character");
      bytes.push(byte);
      continue;
    }
    if (code < 0x20 || code === 0x7f) found.add("path-control-character");
    else if (ch === "#") found.add("path-fragment");
    else if (ch === "?") found.add("path-query");
    else if (ch === "\\") found.add("path-backslash");
    else if (ch === ";") found.add("path-parameter");
    const cp = raw.codePointAt(i)!;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      found.add("path-invalid-encoding"); // a lone surrogate
      decodable = false;
      continue;
    }
    // "a raw `café` ... becomes `caf%C3%A9`": a raw character is its UTF-8 bytes.
    bytes.push(...utf8Encode(cp));
    if (cp > 0xffff) i++;
  }
  if (!decodable) return undefined;
  const decoded = utf8Decode(bytes);
  if (decoded === undefined) found.add("path-invalid-encoding"); // `%FF`, overlong `%C0%AF`
  // "a letter an origin may read as structure is refused as the character it becomes would be, encoded": its NFKC
  // form (or best-fit's reading: `∕` `⁄` as `/`, `∖` `⧵` `¥` `₩` as `\`, `٪` as `%`; of the NFKC form too) holding `/`
  // `\` `.` `;` `?` `#` `%`; "a segment ending in a letter NFKC makes a space": path-trailing-dot-or-space.
  const letters = [...(decoded ?? "")];
  const readings = letters.map((ch, i) => {
    if (ch.charCodeAt(0) < 0x80) return ch;
    const bestFit = (c: string) => BEST_FIT_1252.get(c) ?? OTHER_BEST_FIT[c];
    // NFKC's reading is read by best-fit again: `½` is `1⁄2`, and `⁄` is `/`.
    const read = bestFit(ch) ?? [...ch.normalize("NFKC")].map((c) => bestFit(c) ?? c).join("");
    for (const c of read) if (LOOK_ALIKE_PROBLEM[c]) found.add(LOOK_ALIKE_PROBLEM[c]);
    if (i === letters.length - 1 && read.endsWith(" ")) found.add("path-trailing-dot-or-space");
    // "a segment starting with a letter NFKC or best-fit makes a space": path-leading-space.
    if (i === 0 && read.startsWith(" ")) found.add("path-leading-space");
    return read;
  });
  // "a segment that holds `:$` (an NTFS stream's type: `::$DATA`), as written or decoded, or as NFKC, best-fit or
  // the fold read it": the decoded and look-alike readings here, the fold's in expectTarget.
  if (readings.join("").includes(":$")) found.add("path-windows-stream");
  return decoded;
}

/**
 * Whether the query names `_method` (`query-method-override`): parameters "split at `&` and at `;`", each name with
 * `+` as a space, percent-decoded as PHP decodes it (an invalid escape left as written, bytes kept as bytes), any
 * case, ended at a NUL, then read as written, with leading spaces dropped, with a leading space, `.` or `[` as `_`,
 * or both in that order; "`_method[` with anything after it as `_method`".
 */
function namesMethod(query: string): boolean {
  if (query === "") return false;
  return query.split(/[&;]/).some((pair) => {
    const name = pair.includes("=") ? pair.slice(0, pair.indexOf("=")) : pair;
    let bytes = name
      .replace(/\+/g, " ")
      .replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    if (bytes.includes("\0")) bytes = bytes.slice(0, bytes.indexOf("\0"));
    const lower = bytes.replace(/[A-Z]/g, (c) => c.toLowerCase());
    const unspaced = lower.replace(/^ +/, "");
    const asUnderscore = (s: string) => (/^[ .[]/.test(s) ? `_${s.slice(1)}` : s);
    return [lower, unspaced, asUnderscore(lower), asUnderscore(unspaced)].some(
      (reading) => reading === "_method" || reading.startsWith("_method["),
    );
  });
}

/**
 * "Letters an origin may fold": each character as best-fit reads it where code page 1252's table reads it as ASCII
 * (combining marks aside), else its compatibility decomposition (NFKD), each part of which best-fit may read so
 * again; then the combining marks on an ASCII character, or opening the segment (they sit on its `/`), dropped; then
 * composed (NFC). Walked code point by code point.
 */
export function foldedReading(decoded: string): string {
  const bestFitOf = (c: string) => (/^\p{Mn}$/u.test(c) ? undefined : BEST_FIT_1252.get(c));
  const parts: string[] = [];
  for (const c of decoded) {
    const whole = bestFitOf(c);
    if (whole !== undefined) parts.push(whole);
    else for (const part of c.normalize("NFKD")) parts.push(bestFitOf(part) ?? part);
  }
  let out = "";
  let base = "";
  for (const c of parts) {
    const mark = /^\p{Mn}$/u.test(c);
    if (!mark) base = c;
    if (mark && (base === "" || base.codePointAt(0)! < 0x80)) continue;
    out += c;
  }
  return out.normalize("NFC");
}

/**
 * "as best-fit alone reads it: the characters code page 1252 holds as they are, the combining marks it reads as
 * ASCII characters so, every other character as folded".
 */
export function bestFitAloneReading(segment: string): string {
  let out = "";
  for (const c of segment) {
    const mark = /^\p{Mn}$/u.test(c) ? BEST_FIT_1252.get(c) : undefined;
    out += mark ?? (inCodePage1252(c) ? c : foldedReading(c));
  }
  return out;
}

/** What the docs say canonicalTarget answers for this target. */
export function expectTarget(method: string, rawHost: string, rawPath: string, rawQuery = ""): TargetVerdict {
  const stage = (...problems: (string | false)[]) => new Set(problems.filter((p): p is string => p !== false));
  // "methods are case-sensitive; only GET HEAD POST PUT PATCH DELETE OPTIONS are served"
  const host = readHost(rawHost);
  const stages = [
    stage(!DOC_METHODS.includes(method) && "method-unknown"),
    stage(host === undefined && "host-invalid"),
  ];
  // "more than 4,096 characters (raw, counted in UTF-16 code units ...)"
  stages.push(stage(rawPath.length > DOC_MAX_PATH && "path-too-long"));
  // `path-backslash`: "`\`, also leading (`\admin`)"; `path-not-absolute`: "only origin-form paths starting with /".
  stages.push(stage(rawPath.startsWith("\\") ? "path-backslash" : !rawPath.startsWith("/") && "path-not-absolute"));
  const raws = (rawPath.startsWith("/") ? rawPath.slice(1) : rawPath).split("/");
  const segments: string[] = [];
  let decodable = true;
  raws.forEach((raw, i) => {
    const found = new Set<string>();
    // "`//admin`, `/a//b` ... a single trailing `/` is fine"
    if (raw === "" && i < raws.length - 1) found.add("path-empty-segment");
    const decoded = readSegment(raw, found);
    if (decoded === undefined) decodable = false;
    else {
      if (decoded === "." || decoded === "..") found.add("path-dot-segment");
      // "Windows servers (IIS) drop a segment's trailing dots and spaces"
      if (decoded.endsWith(".") || decoded.endsWith(" ")) found.add("path-trailing-dot-or-space");
      // "Spring MVC before 4.3 trims a segment's spaces at both ends": `path-leading-space`.
      if (decoded.startsWith(" ")) found.add("path-leading-space");
      // "a segment those letters, folded, make a dot segment or end in a dot or a space is refused as one"
      const folded = foldedReading(decoded);
      if (folded === "." || folded === "..") found.add("path-dot-segment");
      if (folded === "" && decoded !== "") found.add("path-empty-segment");
      if (folded.endsWith(".") || folded.endsWith(" ")) found.add("path-trailing-dot-or-space");
      if (folded.includes(":$")) found.add("path-windows-stream");
      segments.push(decoded);
    }
    stages.push(found);
  });
  stages.push(stage(namesMethod(rawQuery) && "query-method-override"));
  const folded = segments.map(foldedReading);
  const target =
    decodable && host !== undefined
      ? {
          method,
          host,
          path: `/${segments.map(encodeDecoded).join("/")}`,
          segments,
          folded: folded.some((f, i) => f !== segments[i]) ? folded : undefined,
        }
      : undefined;
  return { stages, target };
}

/**
 * "Where the target comes from": the path is "the characters after that host up to the `?`, with the host ending
 * where the parser ends it (at the first `/`, `\`, `?` or `#`); none at all (`http://host?x`) is the path `/`".
 */
export function expectRawPath(url: string): string {
  const scheme = url.indexOf("://");
  let at = scheme === -1 ? 0 : scheme + 3;
  while (at < url.length && !"/\\?#".includes(url[at]!)) at++;
  const rest = url.slice(at);
  const query = rest.indexOf("?");
  const path = query === -1 ? rest : rest.slice(0, query);
  return path === "" ? "/" : path;
}
