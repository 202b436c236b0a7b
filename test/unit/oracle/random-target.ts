// Random request targets for the canonical-target oracle (canonical-target-oracle.property.test.ts): raw paths
// from a soup of what stresses decoders and path normalisers, hosts and methods near the edges of what is
// accepted, and queries that may or may not name `_method`.
import { chance, int, pick, type Random } from "./random-policy.ts";

/** Pieces of a segment: plain, percent-encoded in both cases, invalid, overlong, dotted, Unicode look-alikes. */
export const PIECES = [
  // plain and unreserved
  "a",
  "admin",
  "v1",
  "x.y",
  "file.json",
  "~",
  "-_",
  "a+b",
  "!$&'()*,=:@",
  // raw characters an encoder must encode
  " ",
  '"',
  "<>",
  "{}",
  "|",
  "^",
  "`",
  "[]",
  // encoded: unreserved, reserved, delimiters, controls
  "%41",
  "%61",
  "%7e",
  "%7E",
  "%20",
  "%2B",
  "%2b",
  "%40",
  "%2e",
  "%2E",
  "%2f",
  "%2F",
  "%5c",
  "%5C",
  "%25",
  "%252F",
  "%3b",
  "%3B",
  "%23",
  "%3f",
  "%3F",
  "%00",
  "%0a",
  "%0D",
  "%09",
  "%7f",
  "%7F",
  "%80",
  "%ff",
  // invalid escapes
  "%u002e",
  "%g1",
  "%",
  "%4",
  "%%",
  "%zz",
  // UTF-8, valid and not
  "%c3%a9",
  "%C3%A9",
  "%c3",
  "%a9",
  "%c0%ae",
  "%C0%AF",
  "%e0%80%ae",
  "%ed%a0%80",
  "%f4%90%80%80",
  "%f0%9f%98%80",
  "%ef%bc%8e",
  "%EF%BC%8F",
  "%e2%84%aa",
  "%c4%b1",
  "%ef%bb%bf",
  // letters an origin may fold: fullwidth a, a with a macron, a combining macron, the fi ligature, a dot's accent
  "%EF%BD%81",
  "%c4%81",
  "%CC%84",
  "%ef%ac%81",
  ".%CC%81",
  // NFKC, then best-fit: a fraction (`⅟` is `1⁄`), a squared unit (`㎧` is `m∕s`), the fullwidth yen (`¥`, then `\`)
  "%E2%85%9F",
  "%e3%8e%a7",
  "%EF%BF%A5",
  "\u00bd",
  // dots and spaces
  ".",
  "..",
  "...",
  ".%2e",
  "%2e.",
  "%2e%2e",
  "%2E%2E",
  ".json",
  ".v2.html",
  ".php",
  // delimiters and controls, raw
  ";",
  ";jsessionid=1",
  "\\",
  "#",
  "?",
  "\t",
  "\u0000",
  "\u007f",
  // Unicode: NFC/NFD pairs, fullwidth dot and solidus, case pairs, sharp s, astral, a lone surrogate, BOM, NEL
  "é",
  "e\u0301",
  "café",
  "cafe\u0301",
  "．",
  "／",
  "＼",
  "\u212a",
  "K",
  "k",
  "ß",
  "ẞ",
  "ı",
  "İ",
  "ſ",
  "😀",
  "\ud800",
  "\udc00",
  "\ufeff",
  "\u0085",
  "\u00a0",
  // NTFS stream names (`::$DATA`), encoded, in look-alikes (fullwidth), and with an accent the fold drops
  "::$DATA",
  ":$",
  "%3A%24",
  "%3a$",
  "\uff1a\uff04",
  ":\u0301$",
];

/** Any byte percent-encoded, its hex in either case; or any ASCII character raw. */
function anyEscape(r: Random): string {
  const byte = int(r, chance(r, 0.7) ? 0x80 : 0x100);
  if (chance(r, 0.3)) return String.fromCharCode(byte & 0x7f);
  const hex = byte.toString(16).padStart(2, "0");
  return `%${chance(r, 0.5) ? hex : hex.toUpperCase()}`;
}

/** One raw segment: a few pieces, sometimes a spelling of a dot segment alone, sometimes empty. */
export function rawSegment(r: Random): string {
  if (chance(r, 0.08)) return pick(r, [".", "..", ".%2e", "%2e.", "%2e%2e", "%2E", "...", "．．"]);
  if (chance(r, 0.05)) return "";
  let out = "";
  for (let n = 1 + int(r, 3); n > 0; n--) out += chance(r, 0.15) ? anyEscape(r) : pick(r, PIECES);
  return out;
}

/** A raw path: mostly origin-form, sometimes not, sometimes near the length bound. */
export function rawPath(r: Random): string {
  const k = r();
  if (k < 0.03) return pick(r, ["", "*", "a/b", "\\admin", "\\", "//", "/", "//admin", "http://x/"]);
  const segments = Array.from({ length: int(r, 5) }, () => rawSegment(r));
  let path = `/${segments.join("/")}`;
  if (chance(r, 0.15)) path += "/";
  if (k > 0.97) {
    // Near 4,096: filled with plain text, or with astral characters (two UTF-16 units each, one code point).
    const fill = chance(r, 0.5) ? "a" : "😀";
    const target = 4090 + int(r, 12);
    while (path.length < target) path += chance(r, 0.1) ? "/" : fill;
    if (path.length > target && chance(r, 0.5)) path = path.slice(0, target);
  }
  return path;
}

const LONG_LABEL = "l".repeat(63);

/** Hosts: accepted spellings (case, port, trailing dot, IP literals, punycode) and near misses. */
export const HOSTS = [
  "app.example.com",
  "APP.Example.COM",
  "app.example.com.",
  "app.example.com..",
  "app.example.com:8443",
  "app.example.com.:8443",
  "app.example.com:0",
  "app.example.com:65535",
  "app.example.com:65536",
  "app.example.com:99999",
  "app.example.com:00080",
  "app.example.com:000080",
  "app.example.com:",
  "app.example.com:-1",
  "app.example.com:8o",
  "127.0.0.1",
  "127.0.0.1:8787",
  "0x7f.1",
  "[::1]",
  "[::1]:443",
  "[fe80::1%25eth0]",
  "xn--caf-dma.example",
  "café.example",
  "\u212aey.example",
  "İnfo.example",
  "a_b.example",
  "-x.example",
  "x-.example",
  "a..b",
  "",
  ".",
  ":80",
  "a b.example",
  "a/b.example",
  "localhost",
  `${LONG_LABEL}.example`,
  `${LONG_LABEL}l.example`,
  `${[LONG_LABEL, LONG_LABEL, LONG_LABEL].join(".")}.${"m".repeat(61)}`,
  `${[LONG_LABEL, LONG_LABEL, LONG_LABEL].join(".")}.${"m".repeat(62)}`,
  `${[LONG_LABEL, LONG_LABEL, LONG_LABEL].join(".")}.${"m".repeat(61)}.`,
];

export const METHODS = [
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "OPTIONS",
  "get",
  "Get",
  "TRACE",
  "CONNECT",
  "PROPFIND",
  "",
  "GET ",
];

/** Query parameters: harmless ones, every spelling of `_method` the docs name, and near misses. */
export const QUERY_PARAMS = [
  "a=1",
  "q=_method",
  "_method=DELETE",
  "%5Fmethod=PUT",
  "%5fmethod=PUT",
  "_METHOD=x",
  "_Method",
  ".method=x",
  "+.method=x",
  "+_method=x",
  "%20%20_method=x",
  "[method=x",
  "_method[]=x",
  "_method[0]=x",
  "_method[=x",
  "_method%00x=1",
  "_m%65thod=1",
  "_m%ZZethod=1",
  "_method%ZZ=1",
  "__method=x",
  "_method_=x",
  "x_method=1",
  "method=x",
  "%2Emethod=x",
  "%5B%5D=x",
  "a=1;_method=x",
  "%C0%AE",
  "%E2%82",
];

export function rawQuery(r: Random): string {
  if (chance(r, 0.5)) return "";
  return Array.from({ length: 1 + int(r, 3) }, () => pick(r, QUERY_PARAMS)).join(chance(r, 0.9) ? "&" : ";");
}

export interface RawTarget {
  method: string;
  host: string;
  path: string;
  query: string;
}

export function rawTarget(r: Random): RawTarget {
  return {
    method: chance(r, 0.9) ? pick(r, METHODS.slice(0, 7)) : pick(r, METHODS),
    host: chance(r, 0.7) ? "app.example.com" : pick(r, HOSTS),
    path: rawPath(r),
    query: rawQuery(r),
  };
}
