// Duplicate member names in a JWT's JSON segments (policy/json-members.ts): at every nesting
// level, with escapes decoded, and nothing else mistaken for a member name.
import { describe, expect, it } from "vitest";
import { hasUniqueMembers, objectMembers } from "../../policy/json-members.ts";

describe("hasUniqueMembers", () => {
  it.each([
    ['{"alg":"RS256","kid":"k","typ":"JWT"}', "an Access header"],
    ['{"a":1,"b":{"a":2,"b":[{"a":3},{"a":4}]},"c":[]}', "the same name in different objects"],
    ['{"a":"\\"a\\":1,","b":"{\\"a\\":1}"}', "names inside string values"],
    ['{"a":"x\\\\","b":1}', "a value ending in an escaped backslash"],
    ['{"a":[1,"a",{"b":"a"}],"b":{}}', "strings in arrays are not names"],
    ['{"a":1,"A":2}', "names differing in case"],
    ['["a","a"]', "an array"],
    ['"a"', "a string"],
    ["{}", "an empty object"],
    [' { "a" : 1 , "b" : 2 } ', "whitespace everywhere"],
  ])("takes %j (%s)", (text) => {
    expect(hasUniqueMembers(text)).toBe(true);
  });

  it.each([
    ['{"email":"ann@example.com","email":"mallory@evil.io"}', "a top-level duplicate"],
    ['{"alg":"none","kid":"k","alg":"RS256"}', "a header's alg twice"],
    ['{"a":{"b":1,"b":2}}', "a nested duplicate"],
    ['{"a":[{"b":1},{"c":1,"c":2}]}', "a duplicate in an object in an array"],
    ['{"email":1,"\\u0065mail":2}', "the same name, once escaped"],
    ['{"a\\/b":1,"a/b":2}', "an escaped solidus"],
    ['{"":1,"":2}', "the empty name twice"],
    ['{"__proto__":1,"__proto__":2}', "__proto__ twice"],
    ['{"a":{"x":{"y":{"z":1,"z":2}}},"b":1}', "deep inside"],
    ['{"a":1,"b":{"c":1},"a":2}', "a duplicate after a nested object"],
    ['{"a":1', "text that is not JSON"],
    ["", "nothing"],
  ])("refuses %j (%s)", (text) => {
    expect(hasUniqueMembers(text)).toBe(false);
  });
});

describe("objectMembers", () => {
  it("lists an object's members in order, a name given twice each time, values as their JSON text", () => {
    const text = ' { "a" : "x,}" , "b":{"a":[1,{"c":":"}]},"a":"y\\"" ,"__proto__":null}';
    expect(objectMembers(text)).toEqual([
      ["a", '"x,}"'],
      ["b", '{"a":[1,{"c":":"}]}'],
      ["a", '"y\\""'],
      ["__proto__", "null"],
    ]);
    expect(objectMembers("{}")).toEqual([]);
    expect(objectMembers("[1]")).toBeUndefined();
    expect(objectMembers('"{"')).toBeUndefined();
  });
});
