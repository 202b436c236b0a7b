// Keys a reviewer and Ward could read differently (review findings). YAML keys that differ as YAML values but
// name one property once parsed (`true:` and `"true":`) were last-wins; a key named `__proto__`, which no
// JavaScript object holds as an ordinary key, made a service or principal set vanish without a word.
import { describe, expect, it, vi } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadPolicy, parsePolicyText, validatePolicyText } from "../../policy/index.ts";
import { holdsItself } from "../../policy/yaml-text.ts";

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
  ])("refuses %s", (_, text) => {
    expect(issueOf(text)).toMatchObject({
      code: "invalid-syntax",
      // The first of a pair written otherwise than the name it becomes is refused for that first (below).
      message: expect.stringMatching(/^(Map keys must be unique|the key \S+ \(line 2\) is read as the name)/),
    });
  });

  it.each([
    ["null", 'sets:\n  null: [a]\n  "null": [b]\n', ""],
    ["~", "sets:\n  ~: [a]\n", ""],
    ["True", "sets:\n  True: [a]\n", "true"],
    ["007", "claims:\n  007: true\n", "7"],
    ["0x1F", "claims:\n  0x1F: x\n", "31"],
    ["1.0", "claims:\n  1.0: x\n", "1"],
  ])("refuses, as written, a key %s that becomes another name (from a closing review)", (source, text, name) => {
    // A deny rule's `claims: { 007: true }` named the claim "7": a token carrying "007" went through.
    expect(issueOf(text)).toEqual({
      code: "invalid-syntax",
      path: "(document)",
      message: `the key ${source} (line 2) is read as the name "${name}": quote it`,
    });
  });

  it("takes a key that is not a string where it reads as the name it becomes; a stored version as it was", () => {
    expect(parsePolicyText("sets:\n  true: [a]\n  1: [b]\n")).toEqual({
      ok: true,
      value: { sets: { true: ["a"], 1: ["b"] } },
    });
    expect(parsePolicyText('sets:\n  null: [a]\n  "null": [b]\n', { stored: true })).toEqual({
      ok: true,
      value: { sets: { "": ["a"], null: ["b"] } },
    });
  });

  it.each([
    ["010", "claims:\n  zip: 010\n", 10],
    ["0x1F", "claims:\n  id: 0x1F\n", 31],
    ["0o17", "claims:\n  id: 0o17\n", 15],
    ["+1", "claims:\n  id: +1\n", 1],
    // From a third closing review: tagged, quoted or as a block, the same misreading.
    ['"02134"', 'claims:\n  zip: !!int "02134"\n', 2134],
    ["'0x1F'", "claims:\n  id: !!int '0x1F'\n", 31],
    ["1e400", "claims:\n  n: 1e400\n", Number.POSITIVE_INFINITY],
  ])("refuses, as written, a number %s JSON does not write so", (source, text, value) => {
    expect(issueOf(text)?.message).toBe(
      `${source} (line 2) is read as the number ${value}: write it as JSON writes numbers, or quote it`,
    );
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

describe("a key written as a collection", () => {
  it.each([
    ["a sequence, alone (from a black-box review)", "claims: { [a, b]: a }\n", 1],
    ["a mapping", "claims: { { iss: x }: a }\n", 1],
    ["a sequence beside a key of its text", 'claims:\n  ? [a, b]\n  : admin\n  "[ a, b ]": user\n', 2],
    ["in block style, deeper", "services:\n  a:\n    claims:\n      ? [iss, https://evil]\n      : https://good\n", 4],
  ])("is refused as written: %s", (_, text, line) => {
    // The parser makes it the text "[ a, b ]": a claim no token has, so a deny rule naming it never applied.
    expect(issueOf(text)).toEqual({
      code: "invalid-syntax",
      path: "(document)",
      message: `a key written as a collection names nothing (line ${line}): write the key as a string`,
    });
  });

  it("is read in a stored version as the Ward that took it read it", () => {
    expect(parsePolicyText("claims: { [a, b]: a }\n", { stored: true })).toEqual({
      ok: true,
      value: { claims: { "[ a, b ]": "a" } },
    });
  });
});

describe("YAML 1.1 merge keys", () => {
  // Review finding: under `%YAML 1.1` the parser merges `<<` maps in, so a property could be named by a merge
  // and by a key written beside it (the written one wins, wherever it stands), or by two merged maps.
  it.each([
    ["an explicit key after a merge", "%YAML 1.1\n---\nbase: &b { role: user }\nclaims:\n  <<: *b\n  role: admin\n"],
    ["an explicit key before a merge", "%YAML 1.1\n---\nbase: &b { role: user }\nclaims:\n  role: admin\n  <<: *b\n"],
    ["two merged maps", "%YAML 1.1\n---\na: &a { role: user }\nb: &b { role: admin }\nclaims:\n  <<: [*a, *b]\n"],
  ])("are refused: %s", (_, text) => {
    // As written, YAML 1.1 itself is refused first; a stored version, the merge.
    expect(issueOf(text)).toEqual({
      code: "invalid-syntax",
      path: "(document)",
      message: "%YAML 1.1: a policy is YAML 1.2 (drop the directive)",
    });
    expect(parsePolicyText(text, { stored: true }).ok).toBe(true);
  });

  it("YAML 1.1 is refused as written: it reads `NO` as false and `1:20` as 80 (from a closing review)", () => {
    for (const text of ["%YAML 1.1\n---\nclaims:\n  country: NO\n", "%YAML 1.1\n---\nclaims:\n  team: 1:20\n"])
      expect(issueOf(text)?.message).toBe("%YAML 1.1: a policy is YAML 1.2 (drop the directive)");
    // A version the parser does not know, read as 1.2 with a warning; two directives, read as the last.
    expect(issueOf("%YAML 1.3\n---\na: 1\n")?.code).toBe("invalid-syntax");
    expect(issueOf("%YAML 1.1\n%YAML 1.2\n---\na: 1\n")?.message).toBe(
      "a %YAML directive the parser does not read, or two of them: a policy is YAML 1.2 (drop the directives)",
    );
    expect(parsePolicyText("%YAML 1.2\n---\na: 1\n")).toEqual({ ok: true, value: { a: 1 } });
    expect(parsePolicyText("a: |\n  %YAML 1.1\n")).toEqual({ ok: true, value: { a: "%YAML 1.1\n" } });
  });

  it("are ordinary keys in YAML 1.2, as the parser reads them", () => {
    expect(parsePolicyText("base: &b { role: user }\nclaims:\n  <<: *b\n")).toEqual({
      ok: true,
      value: { base: { role: "user" }, claims: { "<<": { role: "user" } } },
    });
  });
});

describe("an alias inside the value it names", () => {
  // Review finding: `&a [*a]` is a value holding itself; the `__proto__` walk followed it forever.
  it.each([
    ["a sequence", "x: &a [*a]\n", "x[0]", 1],
    ["a mapping", "x: &a { b: *a }\n", "x.b", 1],
    ["deeper down", "x:\n  y: &a\n    - [1, { z: *a }]\n", "x.y[0][1].z", 3],
    ["an anchor named again inside", "x: &a 1\ny: &a [*a]\n", "y[0]", 2],
  ])("is refused in %s, with where it is", (_, text, path, line) => {
    const message = `an alias (*a) inside the value it names (line ${line}): a value cannot hold itself`;
    expect(issueOf(text)).toEqual({ code: "invalid-value", path, message });
    // A stored version too: no Ward could have taken one.
    expect(parsePolicyText(text, { stored: true }).ok).toBe(false);
  });

  it("is refused in the value of a collection key, stored too (as written, the key is refused first)", () => {
    const text = "? [k]\n: &a [*a]\n";
    expect(issueOf(text)?.message).toMatch(/^a key written as a collection names nothing \(line 1\)/);
    expect(parsePolicyText(text, { stored: true })).toMatchObject({
      ok: false,
      issue: { code: "invalid-value", path: "(key)[0]" },
    });
  });

  it("is taken anywhere else: an alias names a value already complete", () => {
    expect(parsePolicyText("a: &a [1]\nb: *a\nc: [2, *a]\nd: &a [3]\ne: *a\n")).toEqual({
      ok: true,
      value: { a: [1], b: [1], c: [2, [1]], d: [3], e: [3] },
    });
  });
});

describe("the key checks read the text once", () => {
  it("a mapping of 30,000 keys is read, and a repeat at its end found, with its line", () => {
    // The parser's own check compared each key with every earlier one: 13 s for this, and the timeout here.
    const keys = Array.from({ length: 30_000 }, (_, i) => `  k${i.toString(36)}: ${i}\n`).join("");
    const parsed = parsePolicyText(`x:\n${keys}`);
    expect(parsed.ok && Object.keys((parsed.value as { x: object }).x).length).toBe(30_000);
    expect(issueOf(`x:\n${keys}  k0: again\n`)?.message).toBe('Map keys must be unique: "k0" is repeated (line 30002)');
  });

  it("finds __proto__ in YAML at any depth, with its path", () => {
    const text =
      "services:\n  a:\n    routes:\n      - rules:\n          - {}\n          - when: { claims: { __proto__: x } }\n";
    expect(issueOf(text)?.path).toBe("services.a.routes[0].rules[1].when.claims.__proto__");
  });

  it("reads a stored version as the Ward that took it did: a repeated key is the parser's error, __proto__ kept", () => {
    expect(parsePolicyText('a:\n  true: 1\n  "true": 2\n', { stored: true })).toEqual({
      ok: true,
      value: { a: { true: 2 } },
    });
    expect(parsePolicyText("a: 1\na: 2\n", { stored: true })).toMatchObject({
      ok: false,
      issue: { code: "invalid-syntax" },
    });
    expect(parsePolicyText("a:\n  __proto__: 1\n", { stored: true }).ok).toBe(true);
  });
});

describe("aliases that copy much", () => {
  const aliased = (n: number, aliases: number) =>
    `big: &L\n${Array.from({ length: n }, (_, i) => `  - group: g${i}\n`).join("")}uses:\n${"  - *L\n".repeat(aliases)}`;

  it("are refused past MAX_YAML_VALUES, expanded (a third review: 64 KB of YAML took 11 s and 60 MiB)", () => {
    // 3,000 matchers of 3 values each, 100 times.
    expect(issueOf(aliased(3_000, 99))).toEqual({
      code: "invalid-syntax",
      path: "(document)",
      message: expect.stringMatching(
        /^its aliases make this document \d+ values, more than the 250000 a policy may have/,
      ),
    });
    // The same list named twice is read; a stored version is read as before.
    expect(parsePolicyText(aliased(3_000, 1)).ok).toBe(true);
    expect(parsePolicyText(aliased(3_000, 99), { stored: true }).ok).toBe(true);
  });

  it("count a collection key once, however much an alias in it names", () => {
    // The parser makes a key a string: `? [*L, *L]` is one value, not two copies of the list.
    const keyed = `big: &L\n${Array.from({ length: 3_000 }, (_, i) => `  - g${i}\n`).join("")}${Array.from({ length: 99 }, (_, i) => `? [*L, ${i}]\n: 1\n`).join("")}`;
    // Read without a word on the process's warning stream (the parser warns that it stringifies such a key): an
    // operator's terminal and the Worker's log get Ward's issues only.
    const warned = vi.spyOn(process, "emitWarning");
    try {
      const parsed = parsePolicyText(keyed, { stored: true });
      expect(parsed.ok).toBe(true);
      expect(warned).not.toHaveBeenCalled();
    } finally {
      warned.mockRestore();
    }
  });
});

describe("cycles the parser makes", () => {
  const demoYaml = readFileSync(join(import.meta.dirname, "../../policy/examples/demo.yaml"), "utf8");
  // A JWK takes any member (z.unknown), so whatever value it holds reaches the document.
  const withJwkExtra = (extra: string) =>
    demoYaml.replace(
      "      keys: { jwksUrl: https://spire.demo.ward.internal/bundle } # a SPIFFE bundle: its jwt-svid keys",
      `      keys: { jwks: { keys: [ { kty: OKP, crv: Ed25519, kid: k1, use: jwt-svid, alg: EdDSA, x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", ext: ${extra} } ] } }`,
    );

  it("a YAML 1.1 !!pairs sequence holding itself is refused as an issue, not thrown", async () => {
    for (const stored of [false, true]) {
      const loaded = await loadPolicy(`%YAML 1.1\n---\n${withJwkExtra("!!pairs &a [ b: *a ]")}`, { stored });
      // As written, its tag is refused first (a value JSON does not have); stored, the cycle.
      expect(loaded).toMatchObject({ ok: false, issues: [{ code: stored ? "invalid-value" : "invalid-syntax" }] });
    }
  });

  it("an alias as a key of the map it names is no cycle: the parser makes it a string (an older Ward took it)", async () => {
    const text = withJwkExtra("&a { *a : 1 }");
    for (const stored of [false, true]) {
      const loaded = await loadPolicy(text, { stored });
      expect(loaded.issues.filter((i) => i.severity === "error")).toEqual([]);
    }
  });

  it("holdsItself finds a cycle however it is reached, and walks a shared value once", () => {
    const shared = { a: [1, 2] };
    expect(holdsItself({ x: shared, y: shared, z: [shared, shared] })).toBe(false);
    const cyclic: { self?: unknown } = {};
    cyclic.self = [{ deeper: cyclic }];
    expect(holdsItself({ ok: shared, bad: cyclic })).toBe(true);
  });
});

describe("a YAML syntax error", () => {
  it("says where it is, line and column (from a walk of the docs: a long policy gave no clue)", () => {
    const text = "version: 1\nmetadata:\n  environment: dev\nservices:\n  wiki:\n    hosts: [wiki.localhost\n";
    expect(issueOf(text)).toMatchObject({
      code: "invalid-syntax",
      message: expect.stringMatching(/ \(line 7, column 1\)$/),
    });
    const misindented = "version: 1\nmetadata:\n  environment: dev\n   owners: [a]\n";
    expect(issueOf(misindented)?.message).toMatch(/ \(line 3, column \d+\)$/);
  });
});

describe("a tag the parser does not know", () => {
  it.each([
    ["a local tag", "owners: [!admin ann@example.com]\n", "!admin", 1],
    ["a YAML 1.1 tag the core schema lacks", "version: 1\nlimit: !!float 1\n", "tag:yaml.org,2002:float", 2],
    ["a language tag", "a: 1\nb: !!js/function 'x'\n", "tag:yaml.org,2002:js/function", 2],
  ])("is refused as written, with its line: %s (from a session's note)", (_, text, tag, line) => {
    // The parser dropped it and read a plain string: a reviewer of the stored text might read something else.
    expect(issueOf(text)).toMatchObject({
      code: "invalid-syntax",
      message: expect.stringContaining(`Unresolved tag: ${tag} (line ${line}, column`),
    });
  });

  it.each([
    ["an ordered map as a rule's conditions", "when: !!omap [ { country: [DE] } ]\n", "tag:yaml.org,2002:omap", 1],
    ["a set", "when: !!set { country }\n", "tag:yaml.org,2002:set", 1],
    ["pairs", "a: 1\nb: !!pairs [ { c: 1 } ]\n", "tag:yaml.org,2002:pairs", 2],
    ["bytes as a key", "claims:\n  ? !!binary aGk=\n  : x\n", "tag:yaml.org,2002:binary", 2],
    ["a timestamp", "a: !!timestamp 2001-12-14\n", "tag:yaml.org,2002:timestamp", 1],
  ])(
    "makes a value JSON does not have, and is refused as written: %s (from a closing review)",
    (_, text, tag, line) => {
      // zod took a Map as `when` and read no condition in it: an allow rule's conditions silently dropped.
      expect(issueOf(text)).toEqual({
        code: "invalid-syntax",
        path: "(document)",
        message: `the tag ${tag} (line ${line}) makes a value JSON does not have: write it without`,
      });
    },
  );

  it("a date YAML 1.1 reads without a tag is refused as written (YAML 1.1 is), and read in a stored version", () => {
    expect(issueOf("%YAML 1.1\n---\nclaims:\n  issued: 2001-12-14\n")?.message).toBe(
      "%YAML 1.1: a policy is YAML 1.2 (drop the directive)",
    );
    expect(parsePolicyText("claims:\n  issued: 2001-12-14\n")).toEqual({
      ok: true,
      value: { claims: { issued: "2001-12-14" } },
    });
  });

  it("YAML's own tags are read, and a stored version reads as the Ward that took it did", () => {
    expect(parsePolicyText("a: !!str 1\nb: !<tag:yaml.org,2002:int> 2\n")).toEqual({
      ok: true,
      value: { a: "1", b: 2 },
    });
    // A tagged key that reads as another type (third closing review): said so, not "quote it" of a quoted key.
    expect(issueOf('!!int "7": x\n')?.message).toBe(
      "a key tagged as another type than a string (line 1): write it as a string",
    );
    expect(parsePolicyText("a: !admin x\n", { stored: true })).toEqual({ ok: true, value: { a: "x" } });
  });
});
