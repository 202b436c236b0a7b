// Route path patterns: what parses (and to which tokens and key), and every form that is refused.
import { describe, expect, it } from "vitest";
import { parsePathPattern, type PatternToken } from "../../policy/path-pattern.ts";

const lit = (value: string): PatternToken => ({ kind: "literal", value });
const seg = (name?: string): PatternToken => (name === undefined ? { kind: "segment" } : { kind: "segment", name });
const rest: PatternToken = { kind: "rest" };

describe("parsePathPattern: path", () => {
  it.each<[string, PatternToken[], string]>([
    ["/", [lit("")], "/"],
    ["/v1/charge", [lit("v1"), lit("charge")], "/v1/charge"],
    ["/v1/charge/", [lit("v1"), lit("charge"), lit("")], "/v1/charge/"],
    ["/v1/{*}", [lit("v1"), seg()], "/v1/{*}"],
    ["/v1/{id}", [lit("v1"), seg("id")], "/v1/{*}"],
    ["/v1/{order_id}/items/{Item2}", [lit("v1"), seg("order_id"), lit("items"), seg("Item2")], "/v1/{*}/items/{*}"],
    ["/{**}", [rest], "/{**}"],
    ["/files/{**}", [lit("files"), rest], "/files/{**}"],
    ["/{*}/{**}", [seg(), rest], "/{*}/{**}"],
    ["/café", [lit("café")], "/café"],
    ["/a b", [lit("a b")], "/a b"],
    ["/.well-known/x", [lit(".well-known"), lit("x")], "/.well-known/x"],
    ["/a/...b/c", [lit("a"), lit("...b"), lit("c")], "/a/...b/c"],
    ["/~user/@x:y", [lit("~user"), lit("@x:y")], "/~user/@x:y"],
  ])("%s", (pattern, tokens, key) => {
    expect(parsePathPattern(pattern)).toEqual({ ok: true, tokens, key });
  });

  it("names do not change the key: {id} and {*} are the same route", () => {
    const a = parsePathPattern("/v1/{id}");
    const b = parsePathPattern("/v1/{*}");
    expect(a.ok && b.ok && a.key === b.key).toBe(true);
  });
});

describe("parsePathPattern: pathPrefix", () => {
  it.each<[string, PatternToken[], string]>([
    ["/", [rest], "/{**}"],
    ["/admin", [lit("admin"), rest], "/admin/{**}"],
    ["/admin/", [lit("admin"), rest], "/admin/{**}"],
    ["/v1/{tenant}", [lit("v1"), seg("tenant"), rest], "/v1/{*}/{**}"],
  ])("%s", (pattern, tokens, key) => {
    expect(parsePathPattern(pattern, true)).toEqual({ ok: true, tokens, key });
  });

  it("a prefix has the key of the same path followed by {**}", () => {
    const prefix = parsePathPattern("/admin", true);
    const path = parsePathPattern("/admin/{**}");
    expect(prefix.ok && path.ok && prefix.key === path.key).toBe(true);
    const root = parsePathPattern("/", true);
    const all = parsePathPattern("/{**}");
    expect(root.ok && all.ok && root.key === all.key).toBe(true);
  });
});

describe("parsePathPattern refuses", () => {
  it.each<[string, boolean, RegExp]>([
    ["", false, /must start with '\/'/],
    ["v1/charge", false, /must start with '\/'/],
    ["admin", true, /must start with '\/'/],
    ["{**}", false, /must start with '\/'/],
    ["/a/{**}/b", false, /\{\*\*\} may only be the last segment/],
    ["/{**}/", false, /\{\*\*\} may only be the last segment/],
    ["/{**}/{**}", false, /\{\*\*\} may only be the last segment/],
    ["/a/{**}", true, /\{\*\*\} may only be the last segment/],
    ["/{**}", true, /\{\*\*\} may only be the last segment/],
    ["//", false, /empty segment/],
    ["/a//b", false, /empty segment/],
    ["//a", true, /empty segment/],
    // A prefix drops one trailing '/': a second would cover "/admin/" alone.
    ["/admin//", true, /empty segment/],
    ["//", true, /empty segment/],
    ["/.", false, /dot segments/],
    ["/..", false, /dot segments/],
    ["/a/./b", false, /dot segments/],
    ["/a/../b", true, /dot segments/],
    ["/a/.../b", false, /ends in '.' or a space/],
    ["/admin.", false, /ends in '.' or a space/],
    ["/admin /x", true, /ends in '.' or a space/],
    ["/a;b", false, /holds a character/],
    ["/a%2Fb", false, /holds a character/],
    ["/caf%C3%A9", false, /holds a character/],
    ["/a?x=1", false, /holds a character/],
    ["/a#x", false, /holds a character/],
    ["/a\\b", false, /holds a character/],
    ["/a\u0000", false, /holds a character/],
    ["/a\tb", false, /holds a character/],
    ["/a\u007f", false, /holds a character/],
    ["/{id", false, /holds a character/],
    ["/id}", false, /holds a character/],
    ["/{1id}", false, /holds a character/],
    ["/{my-id}", false, /holds a character/],
    ["/{}", false, /holds a character/],
    ["/x{id}", false, /holds a character/],
    ["/{***}", false, /holds a character/],
  ])("%j (prefix %s)", (pattern, prefix, message) => {
    const result = parsePathPattern(pattern, prefix);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });
});
