// canonicalTarget: one reading of method, host and path, or a named refusal. Tables of inputs per problem,
// then accepted inputs with their exact canonical form.
import { LOOK_ALIKE_PROBLEM } from "./oracle/target.ts";
import { describe, expect, it } from "vitest";
import phpReadsMethod from "../fixtures/php/parse-str-method.txt?raw";
import {
  MAX_PATH_LENGTH,
  canonicalHost,
  canonicalTarget,
  queryOverridesMethod,
  rawPathOf,
  type TargetProblem,
} from "../../policy/canonical-target.ts";

const HOST = "example.com";

// Exhaustive at compile time: a new TargetProblem fails the type check until it has rows here.
const PROBLEM_CASES = {
  "method-unknown": [
    ["get", HOST, "/"],
    ["Get", HOST, "/"],
    ["TRACE", HOST, "/"],
    ["CONNECT", HOST, "/"],
    ["", HOST, "/"],
    ["PROPFIND", "not a host", "/"],
  ],
  "host-invalid": [
    ["GET", "", "/"],
    ["GET", "exa_mple.com", "/"],
    ["GET", "-example.com", "/"],
    ["GET", "example.com:", "/"],
    ["GET", "a..b", "/"],
    ["GET", "ex ample.com", "/a/../b"],
  ],
  "path-not-absolute": [
    ["GET", HOST, ""],
    ["GET", HOST, "a/b"],
    ["GET", HOST, "*"],
    ["GET", HOST, "http://example.com/"],
  ],
  "path-too-long": [
    ["GET", HOST, `/${"a".repeat(MAX_PATH_LENGTH)}`],
    ["GET", HOST, `/${"a/".repeat(MAX_PATH_LENGTH)}`],
    ["GET", HOST, "x".repeat(MAX_PATH_LENGTH + 1)],
  ],
  "path-fragment": [
    ["GET", HOST, "/a#b"],
    ["GET", HOST, "/#"],
    ["GET", HOST, "/a/b#/c"],
    // Encoded: a proxy that decodes the path and parses it again would end the path there.
    ["GET", HOST, "/admin%23/users"],
  ],
  "path-query": [
    ["GET", HOST, "/a?b=1"],
    ["GET", HOST, "/?"],
    ["GET", HOST, "/a/b?"],
    ["GET", HOST, "/admin%3F/users"],
    ["GET", HOST, "/a%3fb"],
  ],
  "path-backslash": [
    ["GET", HOST, "/a\\b"],
    ["GET", HOST, "/\\"],
    ["GET", HOST, "/a/..\\b"],
  ],
  "path-parameter": [
    ["GET", HOST, "/a;b"],
    ["GET", HOST, "/admin;jsessionid=1/x"],
    ["GET", HOST, "/a%3Bb"],
    ["GET", HOST, "/a%3bb"],
  ],
  "path-control-character": [
    ["GET", HOST, "/a\tb"],
    ["GET", HOST, "/a\u0000"],
    ["GET", HOST, "/a\u007f"],
    ["GET", HOST, "/a%00"],
    ["GET", HOST, "/a%0A"],
    ["GET", HOST, "/a%7F"],
  ],
  "path-encoded-separator": [
    ["GET", HOST, "/a%2Fb"],
    ["GET", HOST, "/a%2fb"],
    ["GET", HOST, "/a%5Cb"],
    ["GET", HOST, "/a%5cb"],
    ["GET", HOST, "/..%2F"],
    // Letters an origin may read as separators: NFKC (fullwidth), best-fit (division slash, yen sign).
    ["GET", HOST, "/public/%EF%BC%8F..%EF%BC%8Fadmin"],
    ["GET", HOST, "/public/\uFF3C"],
    ["GET", HOST, "/a\u2215b"],
    ["GET", HOST, "/a%C2%A5b"],
  ],
  "path-encoded-dot": [
    ["GET", HOST, "/%2E"],
    ["GET", HOST, "/%2e%2e"],
    ["GET", HOST, "/a/%2E%2E/b"],
    ["GET", HOST, "/a%2eb"],
    // Letters an origin may read as dots: fullwidth, the two-dot leader (NFKC ".."), a small full stop.
    ["GET", HOST, "/public/%EF%BC%8E%EF%BC%8E"],
    ["GET", HOST, "/public/\u2025/admin"],
    ["GET", HOST, "/admin\uFE52"],
  ],
  "path-encoded-percent": [
    ["GET", HOST, "/%252F"],
    ["GET", HOST, "/a%25"],
    ["GET", HOST, "/%25%32%46"],
  ],
  "path-invalid-encoding": [
    ["GET", HOST, "/%"],
    ["GET", HOST, "/%4"],
    ["GET", HOST, "/%zz"],
    ["GET", HOST, "/%C3"],
    ["GET", HOST, "/%FF"],
    ["GET", HOST, "/%C0%AF"],
    ["GET", HOST, "/%E0%80%AF"],
    ["GET", HOST, "/%ED%A0%80"],
    ["GET", HOST, "/a\uD800b"],
    ["GET", HOST, "/\uDC00"],
    // The range's last: encoded as it is, it would be U+FFFD, a letter the path never held.
    ["GET", HOST, "/a\uDFFFb"],
  ],
  "path-dot-segment": [
    ["GET", HOST, "/."],
    ["GET", HOST, "/.."],
    ["GET", HOST, "/a/./b"],
    ["GET", HOST, "/a/../b"],
    ["GET", HOST, "/a/.."],
    ["GET", HOST, "/a/./"],
    // A dot whose accent an origin drops: `.` and `..` to it.
    ["GET", HOST, "/a/.%CC%81/b"],
    ["GET", HOST, "/a/.%CC%81.%CC%81"],
  ],
  "path-empty-segment": [
    ["GET", HOST, "//"],
    ["GET", HOST, "//a"],
    ["GET", HOST, "/a//b"],
    ["GET", HOST, "/a///"],
    // A segment of accents alone, which an origin that drops them reads as nothing.
    ["GET", HOST, "/a/%CC%81/b"],
  ],
  "path-trailing-dot-or-space": [
    ["GET", HOST, "/admin."],
    ["GET", HOST, "/admin%20"],
    ["GET", HOST, "/admin%20/x"],
    ["GET", HOST, "/a/file.json./"],
    ["GET", HOST, "/a..."],
    ["GET", HOST, "/admin.%CC%81/x"],
    ["GET", HOST, "/admin %CC%81"],
  ],
  // Spring MVC before 4.3 trims a segment's spaces (AntPathMatcher's trimTokens, CVE-2016-5007): ` admin` is `admin`.
  "path-leading-space": [
    ["GET", HOST, "/%20admin"],
    ["GET", HOST, "/ admin"],
    ["GET", HOST, "/a/%20b/c"],
    ["GET", HOST, "/x/%20%20admin/"],
    // A letter NFKC or best-fit makes a space, first: what a trim of Unicode spaces (.NET's String.Trim, Python's
    // str.strip, Java's strip) drops as it does `%20`, and as the end's are refused.
    ["GET", HOST, "/%C2%A0admin"],
    ["GET", HOST, "/%E3%80%80admin/users"],
    ["GET", HOST, "/a/%E2%80%80b"],
  ],
  // An NTFS stream's type: Windows reads `admin::$DATA` as `admin` (nginx on Windows, CVE-2010-2263), and
  // `admin::$INDEX_ALLOCATION` as the directory `admin`.
  "path-windows-stream": [
    ["GET", HOST, "/admin::$DATA"],
    ["GET", HOST, "/index.php::$data"],
    ["GET", HOST, "/admin::$INDEX_ALLOCATION/users"],
    ["GET", HOST, "/admin:$I30:$INDEX_ALLOCATION/users"],
    ["GET", HOST, "/x/secret.txt:stream:$DATA"],
    ["PUT", HOST, "/upload/shell.jsp::$DATA"],
    // Encoded, in either case, and in part.
    ["GET", HOST, "/admin%3A%3A%24DATA"],
    ["GET", HOST, "/admin:%3a$DATA"],
    ["GET", HOST, "/admin%3A$DATA"],
    // A fullwidth colon and dollar sign, which NFKC reads as `:$`; an accent the fold drops between them.
    ["GET", HOST, "/admin%EF%BC%9A%EF%BC%9A%EF%BC%84DATA"],
    ["GET", HOST, "/admin:%CC%81$DATA"],
  ],
  // The fourth column is the raw query.
  "query-method-override": [
    ["POST", HOST, "/v1/charge", "_method=DELETE"],
    ["GET", HOST, "/", "a=1&_method=PUT"],
    ["GET", HOST, "/", "a=1;_method=PUT"],
    ["POST", HOST, "/", "%5Fmethod=DELETE"],
    ["POST", HOST, "/", "_%6Dethod=DELETE"],
    ["POST", HOST, "/", "_METHOD=DELETE"],
    ["POST", HOST, "/", ".method=DELETE"],
    ["POST", HOST, "/", "+method=DELETE"],
    ["POST", HOST, "/", "[method=DELETE"],
    ["POST", HOST, "/", "_method[]=DELETE"],
    ["POST", HOST, "/", "_method[x]=DELETE"],
    ["POST", HOST, "/", "_method"],
    ["POST", HOST, "/", "_method="],
    // PHP drops leading spaces and ends a name at NUL.
    ["POST", HOST, "/", "%20_method=DELETE"],
    ["POST", HOST, "/", "+_method=DELETE"],
    ["POST", HOST, "/", "++_method=DELETE"],
    ["POST", HOST, "/", "_method%00=DELETE"],
    ["POST", HOST, "/", "_method%00x=DELETE"],
    ["POST", HOST, "/", "+_method%00[]=DELETE"],
    // Leading spaces dropped, then a leading dot made `_` (from a review, checked against PHP 8.2's parse_str).
    ["POST", HOST, "/", "+.method=DELETE"],
    ["POST", HOST, "/", "%20.method=DELETE"],
    ["POST", HOST, "/", "++%2Emethod=DELETE"],
    // An invalid escape or a byte that is no UTF-8 after the NUL: PHP still reads `_method` (a strict decoder
    // refuses the whole name).
    ["POST", HOST, "/", "_method%00%ZZ=DELETE"],
    ["POST", HOST, "/", "_method%00%FF=DELETE"],
    ["POST", HOST, "/", "_method[%ZZ]=DELETE"],
    // The array form with a line break inside the brackets is still `_method` (PHP cuts at the bracket).
    ["POST", HOST, "/", "_method[%0A]=DELETE"],
    ["POST", HOST, "/", "_method[%E2%80%A8x]=DELETE"],
  ],
} as const satisfies Record<TargetProblem, readonly (readonly [string, string, string, string?])[]>;

const problemRows = Object.entries(PROBLEM_CASES).flatMap(([problem, rows]) =>
  rows.map(([method, host, path, query]) => ({
    problem: problem as TargetProblem,
    method,
    host,
    path,
    query: query ?? "",
  })),
);

describe("canonicalTarget refuses", () => {
  it.each(problemRows)("$problem: $method $host $path ?$query", ({ problem, method, host, path, query }) => {
    const result = canonicalTarget(method, host, path, query);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problem).toBe(problem);
    expect(result.detail.length).toBeGreaterThan(0);
  });

  it("names each problem with at least three inputs", () => {
    for (const rows of Object.values(PROBLEM_CASES)) expect(rows.length).toBeGreaterThanOrEqual(3);
  });
});

describe("canonicalTarget accepts", () => {
  it.each([
    { raw: "/", path: "/", segments: [""] },
    { raw: "/a", path: "/a", segments: ["a"] },
    { raw: "/a/", path: "/a/", segments: ["a", ""] },
    { raw: "/v1/charge", path: "/v1/charge", segments: ["v1", "charge"] },
    { raw: "/%41", path: "/A", segments: ["A"] },
    { raw: "/%41%42C", path: "/ABC", segments: ["ABC"] },
    { raw: "/%61", path: "/a", segments: ["a"] },
    { raw: "/%7e", path: "/~", segments: ["~"] },
    { raw: "/%7Ealice", path: "/~alice", segments: ["~alice"] },
    { raw: "/é", path: "/%C3%A9", segments: ["é"], folded: ["e"] },
    { raw: "/caf%c3%a9", path: "/caf%C3%A9", segments: ["café"], folded: ["cafe"] },
    { raw: "/caf%C3%A9", path: "/caf%C3%A9", segments: ["café"], folded: ["cafe"] },
    // Decomposed (NFD) as written: the same fold.
    { raw: "/cafe%CC%81/x", path: "/cafe%CC%81/x", segments: ["cafe\u0301", "x"], folded: ["cafe", "x"] },
    { raw: "/x/%EF%BD%81dmin", path: "/x/%EF%BD%81dmin", segments: ["x", "\uFF41dmin"], folded: ["x", "admin"] },
    { raw: "/😀", path: "/%F0%9F%98%80", segments: ["😀"] },
    { raw: "/a b", path: "/a%20b", segments: ["a b"] },
    { raw: "/a%20b", path: "/a%20b", segments: ["a b"] },
    { raw: '/{x}"<>', path: "/%7Bx%7D%22%3C%3E", segments: ['{x}"<>'] },
    { raw: "/a%2Bb/c+d", path: "/a+b/c+d", segments: ["a+b", "c+d"] },
    { raw: "/%40user:x=1,y!$&'()*", path: "/@user:x=1,y!$&'()*", segments: ["@user:x=1,y!$&'()*"] },
    { raw: "/a/...b/c", path: "/a/...b/c", segments: ["a", "...b", "c"] },
    // A colon and a dollar sign, apart or across segments, name no NTFS stream's type.
    { raw: "/a:b$c/d:/$e", path: "/a:b$c/d:/$e", segments: ["a:b$c", "d:", "$e"] },
    { raw: "/urn:isbn:0451450523", path: "/urn:isbn:0451450523", segments: ["urn:isbn:0451450523"] },
    { raw: "/.well-known/x", path: "/.well-known/x", segments: [".well-known", "x"] },
    {
      raw: `/${"a".repeat(MAX_PATH_LENGTH - 1)}`,
      path: `/${"a".repeat(MAX_PATH_LENGTH - 1)}`,
      segments: ["a".repeat(MAX_PATH_LENGTH - 1)],
    },
  ])("$raw -> $path", ({ raw, path, segments, folded }) => {
    const result = canonicalTarget("GET", HOST, raw);
    expect(result).toStrictEqual({ ok: true, target: { method: "GET", host: HOST, path, segments, folded } });
  });

  it.each(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])("method %s", (method) => {
    const result = canonicalTarget(method, HOST, "/");
    expect(result.ok && result.target.method).toBe(method);
  });

  it("is idempotent: the canonical path canonicalises to itself", () => {
    for (const raw of ["/é/%7e", "/a b/%41", "/a%22b/", "/x/😀"]) {
      const once = canonicalTarget("GET", HOST, raw);
      if (!once.ok) throw new Error(`${raw} refused`);
      const twice = canonicalTarget("GET", HOST, once.target.path);
      expect(twice).toEqual(once);
    }
  });

  it.each([
    "",
    "a=1",
    "method=x",
    "x=_method",
    "q=%5Fmethod",
    "_method_x=1",
    "my_method=DELETE",
    "a=%zz&b=2",
    "%zz_method=1",
    "methods=all",
    "_methods[]=x",
    "x[_method]=1",
  ])("a query without a _method parameter: ?%s", (query) => {
    expect(queryOverridesMethod(query)).toBe(false);
    expect(canonicalTarget("POST", HOST, "/v1/charge", query)).toMatchObject({
      ok: true,
      target: { path: "/v1/charge" },
    });
  });

  it("reports the method before the host and the host before the path", () => {
    expect(canonicalTarget("get", "", "//")).toMatchObject({ ok: false, problem: "method-unknown" });
    expect(canonicalTarget("GET", "", "//")).toMatchObject({ ok: false, problem: "host-invalid" });
  });
});

describe("canonicalHost", () => {
  it.each([
    ["example.com", "example.com"],
    ["EXAMPLE.COM", "example.com"],
    ["Payments.Example.Com", "payments.example.com"],
    ["example.com:443", "example.com"],
    ["example.com:8443", "example.com"],
    ["example.com:0", "example.com"],
    ["example.com:65535", "example.com"],
    ["example.com.", "example.com"],
    ["example.com.:443", "example.com"],
    ["localhost", "localhost"],
    ["127.0.0.1", "127.0.0.1"],
    ["1.2.3.4:80", "1.2.3.4"],
    ["xn--bcher-kva.example", "xn--bcher-kva.example"],
    ["a-b.example", "a-b.example"],
    [`${"a".repeat(63)}.com`, `${"a".repeat(63)}.com`],
  ])("%s -> %s", (raw, host) => {
    expect(canonicalHost(raw)).toBe(host);
  });

  it.each([
    ["", "empty"],
    [".", "only a dot"],
    [":443", "only a port"],
    ["example.com:", "empty port"],
    ["example.com:http", "non-numeric port"],
    ["example.com:-1", "negative port"],
    ["example.com:65536", "port above 65535"],
    ["example.com:99999", "five-digit port above 65535"],
    ["example.com:123456", "six-digit port"],
    ["example.com:443:443", "two ports"],
    ["example.com..", "two trailing dots"],
    [".example.com", "leading dot"],
    ["a..b", "empty label"],
    ["-example.com", "label with leading '-'"],
    ["api.-x.example", "inner label with leading '-'"],
    ["example-.com", "label with trailing '-'"],
    ["exa_mple.com", "underscore"],
    ["ex ample.com", "space"],
    ["exämple.com", "raw non-ASCII"],
    ["\u212Aey.example", "a Kelvin sign, which lower-cases to an ASCII k"],
    ["[::1]", "IPv6 literal"],
    ["[::1]:8080", "IPv6 literal with port"],
    ["::1", "bare IPv6"],
    [`${"a".repeat(64)}.com`, "label longer than 63"],
    [Array.from({ length: 64 }, () => "abc").join("."), "name longer than 253"],
    ["user@example.com", "userinfo"],
  ])("%s is refused (%s)", (raw) => {
    expect(canonicalHost(raw)).toBeUndefined();
    expect(canonicalTarget("GET", raw, "/")).toMatchObject({ ok: false, problem: "host-invalid" });
  });

  it("canonicalTarget carries the canonical host", () => {
    expect(canonicalTarget("GET", "API.Example.COM.:8443", "/")).toMatchObject({
      ok: true,
      target: { host: "api.example.com" },
    });
  });
});

describe("rawPathOf (the path of request.url, as received)", () => {
  it.each([
    ["https://a.example/v1/../x?q=1", "/v1/../x", "dot segments stay for canonicalTarget"],
    ["https://a.example/a\\b", "/a\\b", "backslashes stay"],
    ["https://a.example/%2e%2e/x", "/%2e%2e/x", "encodings stay"],
    ["https://a.example", "/", "no path is /"],
    ["https://a.example?x=/admin", "/", "a query right after the host is not a path"],
    ["https://a.example:8443/x", "/x", "after the port"],
    ["http://user:pw@a.example/x", "/x", "after userinfo"],
    [
      "http://evil.example\\@good.example/x",
      "\\@good.example/x",
      "the host ends at a backslash, as a URL parser ends it",
    ],
    ["http://a.example#b/p", "#b/p", "the host ends at '#'; what follows is refused, never read as a path"],
    ["https://a.example/x#frag", "/x#frag", "a '#' on the wire stays in the path (refused: path-fragment)"],
  ])("%s -> %s (%s)", (url, path) => {
    expect(rawPathOf(url)).toBe(path);
  });

  it("reads the host where new URL reads it", () => {
    const url = "http://evil.example\\@good.example/x";
    expect(new URL(url).host).toBe("evil.example");
    expect(canonicalTarget("GET", new URL(url).host, rawPathOf(url))).toMatchObject({
      ok: false,
      problem: "path-backslash",
    });
  });
});

describe("the method-override check on a hostile query", () => {
  // Brackets followed by a line break made the check's regular expression backtrack from every bracket: a
  // quadratic cost any anonymous client could ask for (50,000 brackets took some 20 s). Linear now.
  it.each(["%0A", "%0D", "%E2%80%A8"])("a name of 50,000 brackets and %s is read once, and is not _method", (br) => {
    const query = `${"[".repeat(50_000)}${br}=1`;
    expect(queryOverridesMethod(query)).toBe(false);
    expect(canonicalTarget("GET", HOST, "/", query).ok).toBe(true);
  });
});

// What PHP itself reads as a `_method` parameter, not what this file's author thinks it does: every query of the
// fixture (generated names that PHP 8.2's parse_str turned into `_method`) must be refused. Names PHP does not
// read so may be refused as well: the check errs on the side of refusing.
describe("every query PHP's parse_str reads as _method", () => {
  const queries = phpReadsMethod.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
  it("is in the fixture (47 of 7,999 generated names)", () => {
    expect(queries).toHaveLength(47);
  });
  it.each(queries)("?%s is a method override", (query) => {
    expect(queryOverridesMethod(query)).toBe(true);
  });
});

describe("letters an origin may read as a path's structure (from reviews)", () => {
  // What each character such an origin makes of a letter is refused as, encoded (the docs' oracle's table).
  const PROBLEM = LOOK_ALIKE_PROBLEM;
  const encoded = (ch: string) =>
    [...new TextEncoder().encode(ch)].map((b) => `%${b.toString(16).toUpperCase()}`).join("");
  const problemOf = (path: string) => {
    const result = canonicalTarget("GET", HOST, path);
    return result.ok ? "accepted" : result.problem;
  };

  it("refuses every character whose NFKC form holds / \\ . ; ? # or %, raw and encoded, as that character", () => {
    let checked = 0;
    for (let cp = 0x80; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const ch = String.fromCodePoint(cp);
      const first = [...ch.normalize("NFKC")].find((c) => PROBLEM[c] !== undefined);
      if (first === undefined) continue;
      checked++;
      for (const path of [`/a${ch}b`, `/x/${encoded(ch)}y`]) {
        expect(problemOf(path), `U+${cp.toString(16).toUpperCase()} in ${path}`).toBe(PROBLEM[first]);
      }
    }
    // 38 hold / \ or . (U+2024-2026, the circled numbers with a dot, fullwidth ones, ...); the rest ; ? # %.
    expect(checked).toBeGreaterThanOrEqual(50);
  });

  it("refuses Windows' best-fit separators: division and fraction slash, set minus, the yen and won signs", () => {
    for (const ch of ["\u2215", "\u2044", "\u2216", "\u29F5", "\u00A5", "\u20A9"])
      expect(problemOf(`/a/${encoded(ch)}/b`), ch).toBe("path-encoded-separator");
  });

  it("refuses a segment ending in a letter NFKC makes a space (an ideographic or no-break space), not one inside", () => {
    expect(problemOf("/admin%E3%80%80")).toBe("path-trailing-dot-or-space");
    expect(problemOf("/admin%C2%A0/users")).toBe("path-trailing-dot-or-space");
    expect(problemOf("/admin\u2002")).toBe("path-trailing-dot-or-space");
    expect(problemOf("/my%C2%A0page")).toBe("accepted");
  });

  it("folds a segment's opening accents away, as sitting on its slash", () => {
    const result = canonicalTarget("GET", HOST, "/a/%CC%81b");
    expect(result.ok && result.target.folded).toEqual(["a", "b"]);
  });

  it("accepts other non-ASCII letters, CJK punctuation among them", () => {
    for (const path of ["/caf%C3%A9", "/\u6587\u66F8\u3002", "/%E3%80%82", "/%E2%80%94"]) {
      expect(canonicalTarget("GET", HOST, path).ok, path).toBe(true);
    }
  });
});
