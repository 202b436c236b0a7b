// One canonical form of the request target, used for matching and (by the Worker) for forwarding, so
// that policy and origin can never disagree about which resource was asked for. Anything an origin or
// proxy could read two ways is rejected, not "fixed": fixing is how path-confusion bypasses are born.
import { bestFit, bestFitEach } from "./best-fit.ts";
import { foldLetters, NOT_ASCII } from "./letter-fold.ts";
import { METHODS } from "./schema.ts";

export type Method = (typeof METHODS)[number];

export const TARGET_PROBLEMS = [
  "method-unknown",
  "host-invalid",
  "path-not-absolute",
  "path-too-long",
  "path-fragment",
  "path-query",
  "path-backslash",
  "path-parameter",
  "path-control-character",
  "path-encoded-separator",
  "path-encoded-dot",
  "path-encoded-percent",
  "path-invalid-encoding",
  "path-dot-segment",
  "path-empty-segment",
  "path-trailing-dot-or-space",
  "path-leading-space",
  "path-windows-stream",
  "query-method-override",
] as const;
export type TargetProblem = (typeof TARGET_PROBLEMS)[number];

/**
 * What makes a request bad (400): a target problem, or one only a service's routes can tell: `path-case-ambiguous`
 * at a service with caseInsensitivePaths (a letter its origins may read two ways: policy/case-fold.ts), and
 * `path-letters-ambiguous` (letters an origin may fold would have it decided by another route: letter-fold.ts).
 */
export const REQUEST_PROBLEMS = [...TARGET_PROBLEMS, "path-case-ambiguous", "path-letters-ambiguous"] as const;
export type RequestProblem = (typeof REQUEST_PROBLEMS)[number];

export interface CanonicalTarget {
  method: Method;
  /** Lower case, no port, no trailing dot. */
  host: string;
  /** Percent-encoded canonically: only bytes outside the segment character set are encoded, upper-case hex. */
  path: string;
  /** The decoded segments of `path` (a trailing slash gives a final empty segment). */
  segments: string[];
  /**
   * The segments as an origin that folds letters reads them (`ａdmin` as `admin`: policy/letter-fold.ts), only when
   * that differs from `segments`. The gateway decides the request by both, and by the other readings
   * (folded-spellings.ts).
   */
  folded?: string[];
}

export type CanonicalResult =
  | { ok: true; target: CanonicalTarget }
  | { ok: false; problem: TargetProblem; detail: string };

export const MAX_PATH_LENGTH = 4096;

const METHOD_SET: ReadonlySet<string> = new Set(METHODS);
const HOST_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
// RFC 3986 pchar minus ';' (parameters) and '%' (handled separately); these stay literal in the canonical form.
const SEGMENT_CHARS = "[A-Za-z0-9\\-._~!$&'()*+,=:@]";
const SEGMENT_SAFE = new RegExp(`^${SEGMENT_CHARS}$`);
// A segment made only of such characters is already canonical: decoding and re-encoding it is the identity.
const PLAIN_SEGMENT = new RegExp(`^${SEGMENT_CHARS}*$`);
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/**
 * Letters an origin may turn into a path's structure before it maps the path: Unicode compatibility normalisation
 * (NFKC: Python's, Java's and .NET's normalisers, some frameworks' routers) reads `／` as `/`, `．` as `.`, `‥` as
 * `..`, `？` as `?`, `；` (and the Greek question mark, even under NFC) as `;`, `％` as `%`, an ideographic or
 * no-break space as a space; Windows' best-fit conversion of a path to an ANSI code page (an app that is not
 * Unicode on IIS, PHP on Windows: best-fit.ts) reads `∕` and `⁄` as `/`, `∖` and `⧵` as `\`, `٪` as `%`, and the
 * yen and won signs as the `\` of the Japanese and Korean code pages. `／．．／admin` would be `/../admin` there,
 * past a deny on `/admin`. Each is refused as the character it becomes would be, encoded (lookAlike, below).
 */
const STRUCTURE: Readonly<Record<string, TargetProblem>> = {
  "/": "path-encoded-separator",
  "\\": "path-encoded-separator",
  ".": "path-encoded-dot",
  ";": "path-parameter",
  "?": "path-query",
  "#": "path-fragment",
  "%": "path-encoded-percent",
};

/** The problem of a decoded segment's first letter that such an origin reads as structure, or as a trailing space. */
function lookAlike(decoded: string): CanonicalResult | undefined {
  let lastRead = "";
  let reading = "";
  for (const ch of decoded) {
    if (ch.charCodeAt(0) < 0x80) {
      lastRead = "";
      reading += ch;
      continue;
    }
    // NFKC's reading read by best-fit again, as the fold reads it: `½` is `1⁄2` to NFKC, and `⁄` is `/` to best-fit.
    const read = bestFit(ch) ?? bestFitEach(ch.normalize("NFKC"));
    for (const c of read) {
      const problem = STRUCTURE[c];
      if (problem) return reject(problem, `a letter an origin may read as '${c}' (NFKC, best-fit)`);
    }
    lastRead = read;
    reading += read;
  }
  // Windows drops a segment's trailing spaces (as for `%20` at the end, below): `admin　` would be `admin` there.
  if (lastRead.endsWith(" "))
    return reject("path-trailing-dot-or-space", "a letter at the end an origin may read as a space");
  // And a leading one (`path-leading-space`, below): a trim of Unicode spaces (.NET's String.Trim, Python's
  // str.strip, Java's strip) drops ` admin`'s as Spring's drops `%20`'s.
  if (reading.charCodeAt(0) === 0x20)
    return reject("path-leading-space", "a letter at the start an origin may read as a space");
  // `：＄` is `:$` to NFKC: a stream's name (namesStream, below).
  if (namesStream(reading)) return reject("path-windows-stream", "letters an origin may read as an NTFS stream's ':$'");
  return undefined;
}

/**
 * Does a segment name an NTFS stream's type? Windows reads `file::$DATA` as the file itself (its unnamed data
 * stream) and `dir::$INDEX_ALLOCATION` (or `dir:$I30:$INDEX_ALLOCATION`) as the directory, so `/admin::$DATA` or
 * `/admin::$INDEX_ALLOCATION/users` would reach `/admin` or `/admin/users` at an origin that maps paths to NTFS
 * names (nginx on Windows, CVE-2010-2263; Tomcat on Windows, CVE-2017-12615's `::$DATA` form), past a rule that
 * names them. Every such name has a `:` just before the `$` of its type, which no ordinary path segment needs.
 */
const namesStream = (segment: string) => segment.includes(":$");

function reject(problem: TargetProblem, detail: string): CanonicalResult {
  return { ok: false, problem, detail };
}

/** The longest host name DNS has (RFC 1035: 255 octets on the wire, 253 characters written). */
export const MAX_HOST_LENGTH = 253;

export function canonicalHost(raw: string): string | undefined {
  // A-Z only: String#toLowerCase also lower-cases the Kelvin sign (U+212A) to an ASCII "k", and a host name is
  // ASCII (from a generated test: "\u212Aey.example" was accepted as "key.example").
  let host = raw.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
  const colon = host.lastIndexOf(":");
  if (colon !== -1) {
    const port = host.slice(colon + 1);
    if (!/^[0-9]{1,5}$/.test(port) || Number(port) > 65535) return undefined;
    host = host.slice(0, colon);
  }
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (host.length === 0 || host.length > MAX_HOST_LENGTH) return undefined;
  return host.split(".").every((label) => HOST_LABEL.test(label)) ? host : undefined;
}

/** Decodes one raw segment, refusing every encoding trick; returns the decoded text or a problem. */
function decodeSegment(raw: string): string | CanonicalResult {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    const code = raw.charCodeAt(i);
    if (ch === "%") {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return reject("path-invalid-encoding", `bad percent escape "%${hex}"`);
      const byte = parseInt(hex, 16);
      if (byte === 0x2f || byte === 0x5c) return reject("path-encoded-separator", `encoded separator %${hex}`);
      if (byte === 0x2e) return reject("path-encoded-dot", "encoded dot %2E");
      if (byte === 0x25) return reject("path-encoded-percent", "encoded percent %25 (double encoding)");
      if (byte === 0x3b) return reject("path-parameter", "encoded ';' parameter");
      // A proxy or origin that decodes the path and parses it again (nginx's `proxy_pass ...$uri`) would end
      // the path there: `/admin%3F/users` is `/admin` to it, a segment `admin?` here.
      if (byte === 0x3f) return reject("path-query", "encoded '?' (%3F) in path");
      if (byte === 0x23) return reject("path-fragment", "encoded '#' (%23) in path");
      if (byte < 0x20 || byte === 0x7f) return reject("path-control-character", `encoded control byte %${hex}`);
      bytes.push(byte);
      i += 2;
      continue;
    }
    if (code < 0x20 || code === 0x7f) return reject("path-control-character", "control character in path");
    if (ch === "\\") return reject("path-backslash", "backslash in path");
    if (ch === ";") return reject("path-parameter", "';' parameter in path");
    if (ch === "#") return reject("path-fragment", "fragment in path");
    if (ch === "?") return reject("path-query", "query delimiter inside path");
    if (code > 0x7e) {
      // Raw non-ASCII (some clients send UTF-8 unencoded): take it as its UTF-8 bytes.
      const cp = raw.codePointAt(i)!;
      // A lone surrogate has no UTF-8 form; encoding it would silently turn it into U+FFFD.
      if (cp >= 0xd800 && cp <= 0xdfff) return reject("path-invalid-encoding", "lone surrogate in path");
      const chars = String.fromCodePoint(cp);
      bytes.push(...utf8Encoder.encode(chars));
      i += chars.length - 1;
      continue;
    }
    bytes.push(code);
  }
  try {
    // fatal: invalid and overlong UTF-8 (e.g. %C0%AF for '/') throw instead of becoming U+FFFD.
    return utf8.decode(new Uint8Array(bytes));
  } catch {
    return reject("path-invalid-encoding", "not valid UTF-8");
  }
}

function encodeSegment(decoded: string): string {
  let out = "";
  for (const ch of decoded) {
    if (SEGMENT_SAFE.test(ch)) {
      out += ch;
    } else {
      for (const byte of utf8Encoder.encode(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    }
  }
  return out;
}

/**
 * Could a parameter of this name be read as `_method`? Every reading that some framework makes counts: cut at
 * a NUL (PHP's names are C strings), any case, as written, with leading spaces dropped (PHP), with a leading
 * space, dot or bracket made `_` (PHP's rewriting), with both in that order (PHP reads ` .method` as `_method`:
 * from a review, checked against php-cli 8.2's parse_str), and `_method[...]` (PHP's array form) as `_method`.
 */
function namesMethodOverride(decodedName: string): boolean {
  const nul = decodedName.indexOf("\0");
  const name = (nul === -1 ? decodedName : decodedName.slice(0, nul)).toLowerCase();
  const unspaced = name.replace(/^ +/, "");
  for (const reading of [name, unspaced, name.replace(/^[ .[]/, "_"), unspaced.replace(/^[ .[]/, "_")]) {
    // Cut at the first bracket, whatever follows (a line break too). Not /\[.*$/: "." stops at a line break, so
    // on "[[[...[\n" that regular expression backtracks from every bracket, quadratic in a client's query.
    const bracket = reading.indexOf("[");
    if ((bracket === -1 ? reading : reading.slice(0, bracket)) === "_method") return true;
  }
  return false;
}

/**
 * A query name decoded as PHP decodes it: each valid `%XX` becomes its byte, an invalid escape stays as it is
 * written, and bytes are not required to be UTF-8. A strict decoder refuses `_method%00%ZZ` outright, while PHP
 * reads `_method` (cut at the NUL).
 */
function decodeLeniently(name: string): string {
  return name.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * Would a framework take the method from this query? Laravel, Symfony and Express's method-override (set up
 * with `_method`) read a `_method` query parameter, which would turn an allowed request into another method at
 * the origin. Names are percent-decoded with `+` as a space, leniently as PHP does (any name spelling `_method`
 * is ASCII, so this reads every UTF-8 spelling too), then read every way a framework might (`namesMethodOverride`).
 */
export function queryOverridesMethod(rawQuery: string): boolean {
  if (!/method/i.test(rawQuery) && !rawQuery.includes("%")) return false; // the common query: nothing to decode
  for (const pair of rawQuery.split(/[&;]/)) {
    const end = pair.indexOf("=");
    const name = end === -1 ? pair : pair.slice(0, end);
    if (namesMethodOverride(decodeLeniently(name.replace(/\+/g, " ")))) return true;
  }
  return false;
}

/**
 * The raw path of an absolute URL as the gateway receives it in request.url, for canonicalTarget to judge:
 * nothing resolved or decoded. The authority ends where a URL parser (WHATWG, for http and https) ends it, at
 * the first `/`, `\`, `?` or `#`, so the path is read after the same host the gateway takes from `new URL`;
 * the path ends at the query. A `#` after the authority stays in the path (never sent: refused as a fragment).
 */
export function rawPathOf(url: string): string {
  const afterScheme = url.indexOf("://");
  let start = afterScheme === -1 ? 0 : afterScheme + 3;
  for (; start < url.length; start++) {
    const ch = url.charCodeAt(start);
    if (ch === 0x2f || ch === 0x5c || ch === 0x3f || ch === 0x23) break;
  }
  const query = url.indexOf("?", start);
  const path = query === -1 ? url.slice(start) : url.slice(start, query);
  return path === "" ? "/" : path;
}

/**
 * Canonicalises method, host and the raw (still percent-encoded) path of a request.
 * The query string is not part of `rawPath`; it is forwarded as received and never matched on. `rawQuery`
 * (without the `?`) is only checked for a method override.
 */
export function canonicalTarget(method: string, rawHost: string, rawPath: string, rawQuery = ""): CanonicalResult {
  // Methods are case-sensitive (RFC 9110 §9.1); "get" is not GET, and TRACE/CONNECT have no business here.
  if (!METHOD_SET.has(method)) return reject("method-unknown", `method "${method.slice(0, 16)}" is not accepted`);
  const host = canonicalHost(rawHost);
  if (host === undefined) return reject("host-invalid", "host is not a valid host name");
  if (rawPath.length > MAX_PATH_LENGTH) return reject("path-too-long", `path longer than ${MAX_PATH_LENGTH}`);
  // "\x" is "/x" to a URL parser (WHATWG) and to Cloudflare's normalisation: named as the backslash it is.
  if (rawPath.startsWith("\\")) return reject("path-backslash", "backslash in path");
  if (!rawPath.startsWith("/")) return reject("path-not-absolute", "path must start with '/'");

  const rawSegments = rawPath.slice(1).split("/");
  const segments: string[] = [];
  let folded: string[] | undefined;
  for (let i = 0; i < rawSegments.length; i++) {
    const raw = rawSegments[i]!;
    const last = i === rawSegments.length - 1;
    if (raw === "" && !last) return reject("path-empty-segment", "empty segment ('//')");
    const plain = PLAIN_SEGMENT.test(raw);
    const decoded = plain ? raw : decodeSegment(raw);
    if (typeof decoded !== "string") return decoded;
    if (decoded === "." || decoded === "..") return reject("path-dot-segment", "dot segment");
    if (plain && namesStream(raw)) return reject("path-windows-stream", "a segment naming an NTFS stream (':$')");
    // Only a segment that needed decoding can hold one: a plain one is ASCII. Its reading holds its ASCII too.
    if (!plain) {
      const problem = lookAlike(decoded);
      if (problem) return problem;
    }
    // Windows (IIS, and anything that maps paths to NTFS names) drops a segment's trailing dots and spaces:
    // /admin. and /admin%20 would reach /admin there, past a rule that names /admin.
    const end = decoded.charCodeAt(decoded.length - 1);
    if (end === 0x2e || end === 0x20) return reject("path-trailing-dot-or-space", "a segment ending in '.' or a space");
    // Spring MVC before 4.3 trims a segment's spaces at both ends before routing (AntPathMatcher's trimTokens,
    // CVE-2016-5007), as some routers still do: `/%20admin` would reach `/admin` there, past a rule that names it.
    if (decoded.charCodeAt(0) === 0x20) return reject("path-leading-space", "a segment starting with a space");
    // A segment that needed decoding only for ASCII (`a%20b`) holds no letter to fold.
    if (!plain && NOT_ASCII.test(decoded)) {
      const letters = foldLetters(decoded);
      if (letters !== decoded) {
        const problem = foldedProblem(letters);
        if (problem) return problem;
        folded ??= segments.slice();
      }
      folded?.push(letters);
    } else folded?.push(decoded);
    segments.push(decoded);
  }
  if (rawQuery !== "" && queryOverridesMethod(rawQuery)) {
    return reject("query-method-override", "a _method parameter in the query could change the method at the origin");
  }
  const path = `/${segments.map(encodeSegment).join("/")}`;
  // `folded` always present (mostly undefined): one object shape on the request path.
  return { ok: true, target: { method: method as Method, host, path, segments, folded } };
}

/**
 * A segment whose letters, folded, make what the path's own checks refuse: `a.` and an accent (an origin that
 * drops it reads `a.`), a lone `.` or `..`, or nothing (a segment of accents alone).
 */
function foldedProblem(letters: string): CanonicalResult | undefined {
  if (letters === "." || letters === "..")
    return reject("path-dot-segment", "a segment an origin may read as a dot segment");
  // Last too: `/x/` and a lone accent would be `/x/`, which a route `/x/{*}` that took the accent does not match.
  if (letters === "") return reject("path-empty-segment", "a segment an origin may read as empty");
  const end = letters.charCodeAt(letters.length - 1);
  if (end === 0x2e || end === 0x20)
    return reject("path-trailing-dot-or-space", "a segment an origin may read as ending in '.' or a space");
  if (letters.charCodeAt(0) === 0x20)
    return reject("path-leading-space", "a segment an origin may read as starting with a space");
  // `:` and an accent, then `$`: `:$` to an origin that drops the accent.
  if (namesStream(letters))
    return reject("path-windows-stream", "a segment an origin may read as naming an NTFS stream");
  return undefined;
}
