// The policy version: SHA-256 of the validated document in canonical JSON, so YAML and JSON in any key
// order have one version, and any change has another.
import { describe, expect, it } from "vitest";
import { canonicalJson, policyHash } from "../../policy/hash.ts";
import { loadPolicy } from "../../policy/load.ts";

const YAML = `
version: 1
metadata:
  environment: dev
  owners: [security@example.com]
identity:
  access:
    teamDomain: https://example.cloudflareaccess.com
    audiences: ["${"b".repeat(64)}"]
services:
  wiki:
    hosts: [wiki.example.com]
    origin: { tunnel: WIKI }
    owner: wiki-team@example.com
    routes:
      - id: read
        methods: [GET, HEAD]
        pathPrefix: /
        rules:
          - id: employees
            effect: allow
            principals: [{ emailDomain: example.com }]
`;

// The same policy, as JSON, with every object's keys in a different order, and defaults written out.
const JSON_TEXT = JSON.stringify({
  services: {
    wiki: {
      routes: [
        {
          rules: [{ principals: [{ emailDomain: "example.com" }], effect: "allow", id: "employees" }],
          pathPrefix: "/",
          methods: ["GET", "HEAD"],
          id: "read",
        },
      ],
      owner: "wiki-team@example.com",
      origin: { tunnel: "WIKI" },
      mode: "enforce",
      hosts: ["wiki.example.com"],
    },
  },
  identity: { access: { audiences: ["b".repeat(64)], teamDomain: "https://example.cloudflareaccess.com" } },
  metadata: { owners: ["security@example.com"], environment: "dev" },
  version: 1,
});

async function versionOf(text: string): Promise<string> {
  const result = await loadPolicy(text);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.policy.version;
}

describe("policy version", () => {
  it("is 64 lower-case hex digits", async () => {
    expect(await versionOf(YAML)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("is the same for the policy as YAML and as JSON in another key order", async () => {
    expect(await versionOf(JSON_TEXT)).toBe(await versionOf(YAML));
  });

  it("ignores comments and layout", async () => {
    const reformatted = `# a comment\n${YAML.replace("methods: [GET, HEAD]", "methods:\n          - GET\n          - HEAD")}`;
    expect(await versionOf(reformatted)).toBe(await versionOf(YAML));
  });

  it.each([
    ["an owner", "owner: wiki-team@example.com", "owner: docs-team@example.com"],
    ["a method", "methods: [GET, HEAD]", "methods: [GET]"],
    ["method order", "methods: [GET, HEAD]", "methods: [HEAD, GET]"],
    ["the effect", "effect: allow", "effect: deny"],
    ["a principal", "emailDomain: example.com", "emailDomain: example.org"],
    [
      "a default made explicit with another value",
      "owner: wiki-team@example.com",
      "owner: wiki-team@example.com\n    mode: audit",
    ],
    ["the environment", "environment: dev", "environment: staging"],
  ])("changes when %s changes", async (_what, from, to) => {
    const changed = YAML.replace(from, to);
    expect(changed).not.toBe(YAML);
    const version = await versionOf(changed);
    expect(version).toMatch(/^[0-9a-f]{64}$/);
    expect(version).not.toBe(await versionOf(YAML));
  });

  it("is the SHA-256 of the canonical JSON", async () => {
    expect(await policyHash({})).toBe("44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    expect(await policyHash({ b: 1, a: 2 })).toBe(await policyHash({ a: 2, b: 1 }));
  });
});

describe("canonicalJson", () => {
  it.each<[unknown, string]>([
    [{ b: 1, a: 2 }, '{"a":2,"b":1}'],
    [{ a: { d: [3, { z: 1, y: 2 }], c: null } }, '{"a":{"c":null,"d":[3,{"y":2,"z":1}]}}'],
    [{ a: undefined, b: "x" }, '{"b":"x"}'],
    [[2, 1], "[2,1]"],
    ["é", '"é"'],
    [{ B: 1, a: 2 }, '{"B":1,"a":2}'],
  ])("%j -> %s", (value, text) => {
    expect(canonicalJson(value)).toBe(text);
  });
});

describe("canonicalJson and a member named __proto__", () => {
  it("keeps it as a member, at any depth, as JSON.parse read it", () => {
    // Two SETs under one jti must not hash alike for differing only there (docs/ssf.md, the replay store).
    const plain = JSON.parse('{"b":1,"a":{"y":2}}');
    const withProto = JSON.parse('{"b":1,"__proto__":{"iss":"https://evil.example/"},"a":{"y":2,"__proto__":[1]}}');
    expect(canonicalJson(withProto)).toBe(
      '{"__proto__":{"iss":"https://evil.example/"},"a":{"__proto__":[1],"y":2},"b":1}',
    );
    expect(canonicalJson(withProto)).not.toBe(canonicalJson(plain));
  });
});
