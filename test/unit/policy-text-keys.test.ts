// Keys a reviewer and Ward could read differently (review findings). YAML keys that differ as YAML values but
// name one property once parsed (`true:` and `"true":`) were last-wins; a key named `__proto__`, which no
// JavaScript object holds as an ordinary key, made a service or principal set vanish without a word.
import { describe, expect, it } from "vitest";
import { parsePolicyText, validatePolicyText } from "../../policy/index.ts";

const issueOf = (text: string) => {
  const parsed = parsePolicyText(text);
  return parsed.ok ? undefined : { code: parsed.issue.code, path: parsed.issue.path, message: parsed.issue.message };
};

describe("keys that name one property in two spellings", () => {
  it.each([
    ["a boolean and its string", 'claims:\n  true: admin\n  "true": user\n'],
    ["an integer and its string", 'sets:\n  1: [a]\n  "1": [b]\n'],
    ["a float that is an integer", 'sets:\n  1.0: [a]\n  "1": [b]\n'],
    ["a hexadecimal integer", 'sets:\n  0x1: [a]\n  "1": [b]\n'],
    ["a null and the empty string", 'sets:\n  ~: [a]\n  "": [b]\n'],
    ["in flow style", '{claims: {true: admin, "true": user}}\n'],
    // Review findings: an alias or a collection as a key can name any property, another key's included.
    ["an alias of an earlier key", "claims:\n  &k role: admin\n  *k : user\n"],
    ["an alias of a key anchored elsewhere", "x: &k role\nclaims:\n  role: admin\n  *k : user\n"],
    ["a collection key and its string", 'claims:\n  ? [a, b]\n  : admin\n  "[ a, b ]": user\n'],
  ])("refuses %s", (_, text) => {
    expect(issueOf(text)).toMatchObject({ code: "invalid-syntax", message: "Map keys must be unique" });
  });

  it("takes keys that name different properties however alike they look", () => {
    // A null key is the property "" (as the parser names it), not "null".
    expect(parsePolicyText('sets:\n  null: [a]\n  "null": [b]\n')).toEqual({
      ok: true,
      value: { sets: { "": ["a"], null: ["b"] } },
    });
    // `True` is YAML's boolean true, the property "true": not the string "True".
    expect(parsePolicyText('sets:\n  True: [a]\n  "True": [b]\n')).toMatchObject({ ok: true });
    expect(issueOf('sets:\n  True: [a]\n  "true": [b]\n')?.code).toBe("invalid-syntax");
  });
});

describe("a key named __proto__", () => {
  const protoMessage =
    '"__proto__" cannot be a name in a policy: a JavaScript object cannot hold it as an ordinary key, so it would be dropped';

  it.each([
    ["a principal set (YAML)", "principalSets:\n  __proto__:\n    - email: a@example.com\n", "principalSets.__proto__"],
    ["a service (YAML, quoted)", 'services:\n  "__proto__":\n    hosts: [a.example.com]\n', "services.__proto__"],
    [
      "a principal set (JSON, escaped)",
      '{"principalSets": {"\\u005f_proto__": [{"email": "a@example.com"}]}}',
      "principalSets.__proto__",
    ],
    [
      "a claim, deep in a route",
      '{"services": {"a": {"routes": [{"rules": [{}, {"when": {"claims": {"__proto__": "x"}}}]}]}}}',
      "services.a.routes[0].rules[1].when.claims.__proto__",
    ],
  ])("is refused as %s, with where it is", (_, text, path) => {
    expect(issueOf(text)).toEqual({ code: "invalid-value", path, message: protoMessage });
  });

  it("is refused by validation, with its path, before anything else", () => {
    const result = validatePolicyText("version: 1\nprincipalSets:\n  __proto__:\n    - email: a@example.com\n");
    expect(result.issues.map((i) => [i.code, i.path])).toEqual([["invalid-value", "principalSets.__proto__"]]);
  });

  it("is looked for at any depth without running out of stack", () => {
    const deep = `{"a": ${"[".repeat(200_000)}${"]".repeat(200_000)}}`;
    expect(parsePolicyText(deep)).toMatchObject({ ok: true });
    const deepProto = `{"a": ${"[".repeat(200_000)}{"__proto__": 1}${"]".repeat(200_000)}}`;
    expect(issueOf(deepProto)?.path).toMatch(/^a(\[0\]){200000}\.__proto__$/);
  });
});
