// SPIFFE IDs and trust domains: one spelling per identity, as the SPIFFE standard defines them, so IDs compare
// as strings; and one definition of a trust domain, so a policy can name every trust domain Ward authenticates.
import { describe, expect, it } from "vitest";
import { Metadata, PinnedIssuer, PrincipalMatcher } from "../../policy/schema.ts";
import { isSpiffeId, isTrustDomain, isTrustDomainId, trustDomainOf } from "../../policy/spiffe-id.ts";

describe("isSpiffeId", () => {
  it.each([
    "spiffe://prod.example.com",
    "spiffe://prod.example.com/ns/shop/sa/checkout",
    "spiffe://td_1/a.b/c-d/E_F",
    "spiffe://_dmarc.example.org/x",
    "spiffe://trust_domain_1.example.org/ns/x",
    `spiffe://td/${"a".repeat(2030)}`,
    // 2,048 characters exactly: the standard's bound is inclusive (SPIFFE-ID 2.3).
    `spiffe://td/${"a".repeat(2048 - "spiffe://td/".length)}`,
  ])("accepts %s", (id) => {
    expect(isSpiffeId(id)).toBe(true);
  });

  it.each([
    ["an upper-case trust domain", "spiffe://Prod.example.com/x"],
    ["a port", "spiffe://prod.example.com:443/x"],
    ["user info", "spiffe://u@prod.example.com/x"],
    ["a dot segment", "spiffe://prod.example.com/ns/./x"],
    ["a dot-dot segment", "spiffe://prod.example.com/ns/../x"],
    ["a final dot segment", "spiffe://prod.example.com/ns/.."],
    ["an empty segment", "spiffe://prod.example.com/ns//x"],
    ["a trailing slash", "spiffe://prod.example.com/ns/"],
    ["percent-encoding", "spiffe://prod.example.com/n%73/x"],
    ["a query", "spiffe://prod.example.com/x?y"],
    ["a fragment", "spiffe://prod.example.com/x#y"],
    ["a star", "spiffe://prod.example.com/ns/ops*"],
    ["another scheme's case", "SPIFFE://prod.example.com/x"],
    ["no trust domain", "spiffe:///x"],
    ["a trust domain over 255 characters", `spiffe://${"a".repeat(256)}/x`],
    ["an ID over 2,048 characters", `spiffe://td/${"a".repeat(2040)}`],
    ["an ID of 2,049 characters", `spiffe://td/${"a".repeat(2049 - "spiffe://td/".length)}`],
  ])("refuses %s", (_name, id) => {
    expect(isSpiffeId(id)).toBe(false);
  });
});

// SPIFFE-ID 2.1: a trust domain name is [a-z0-9.-_]; 2.3: at most 255 bytes.
const VALID_TRUST_DOMAINS = [
  "prod.example.com",
  "_dmarc.example.org",
  "trust_domain_1.example.org",
  "td",
  "xn--bcher-kva.example",
  "0",
  "a".repeat(255),
];
const INVALID_TRUST_DOMAINS: [string, string][] = [
  ["upper case", "Prod.example.com"],
  ["percent-encoding", "prod%2eexample.com"],
  ["a port", "prod.example.com:443"],
  ["empty", ""],
  ["over 255 characters", "a".repeat(256)],
  ["user info", "u@prod.example.com"],
  ["a space", "prod example.com"],
  ["non-ASCII", "bücher.example"],
  ["a scheme", "spiffe://prod.example.com"],
];

describe("isTrustDomain: the one definition", () => {
  it.each(VALID_TRUST_DOMAINS)("accepts %s", (domain) => {
    expect(isTrustDomain(domain)).toBe(true);
  });

  it.each([...INVALID_TRUST_DOMAINS, ["a slash", "prod.example.com/"]])("refuses %s", (_name, domain) => {
    expect(isTrustDomain(domain)).toBe(false);
  });

  // A policy can name, in each place that takes a trust domain, exactly the trust domains of the IDs Ward
  // authenticates: `_dmarc.example.org` used to be refused by the schema while isSpiffeId accepted it.
  it.each([...VALID_TRUST_DOMAINS.map((d): [string, string] => ["valid", d]), ...INVALID_TRUST_DOMAINS])(
    "%s %s: the schema, isSpiffeId and trustDomainOf agree",
    (_kind, domain) => {
      const valid = isTrustDomain(domain);
      expect(PrincipalMatcher.safeParse({ trustDomain: domain }).success).toBe(valid);
      expect(Metadata.safeParse({ environment: "dev", owners: ["a"], trustDomains: [domain] }).success).toBe(valid);
      expect(PinnedIssuer.safeParse({ ski: "AB:CD", trustDomains: [domain] }).success).toBe(valid);
      expect(isSpiffeId(`spiffe://${domain}/ns/x`)).toBe(valid);
      expect(trustDomainOf(`spiffe://${domain}/ns/x`)).toBe(valid ? domain : undefined);
    },
  );
});

// A `spiffePrefix` is compared as the start of an ID: one holding anything an ID cannot (a glob's star, a query)
// would match no caller at all, and a deny rule written with it would silently deny no one.
describe("spiffePrefix in the schema", () => {
  it.each([
    "spiffe://prod.example.com",
    "spiffe://prod.example.com/",
    "spiffe://prod.example.com/ns/shop",
    "spiffe://prod.example.com/ns/shop/",
  ])("accepts %s", (prefix) => {
    expect(PrincipalMatcher.safeParse({ spiffePrefix: prefix }).success).toBe(true);
  });

  it.each([
    ["a star", "spiffe://prod.example.com/ns/shop*"],
    ["a query", "spiffe://prod.example.com/ns?x"],
    ["a dot segment", "spiffe://prod.example.com/ns/./"],
    ["an empty segment", "spiffe://prod.example.com/ns//"],
    ["an upper-case trust domain", "spiffe://Prod.example.com/"],
  ])("refuses one with %s", (_name, prefix) => {
    expect(PrincipalMatcher.safeParse({ spiffePrefix: prefix }).success).toBe(false);
  });
});

describe("trustDomainOf", () => {
  it.each([
    ["spiffe://prod.example.com/ns/x", "prod.example.com"],
    ["spiffe://prod.example.com", "prod.example.com"],
    ["spiffe://prod.example.com/ns/", "prod.example.com"],
    ["spiffe://_dmarc.example.org/x", "_dmarc.example.org"],
    ["spiffe://Prod.example.com/x", undefined],
    ["spiffe://prod.example.com:443/x", undefined],
    ["spiffe:///x", undefined],
    ["https://prod.example.com/x", undefined],
    ["SPIFFE://prod.example.com/x", undefined],
  ])("%s -> %s", (id, domain) => {
    expect(trustDomainOf(id)).toBe(domain);
  });
});

describe("isTrustDomainId", () => {
  it.each([
    ["spiffe://prod.example.com", true],
    ["spiffe://_dmarc.example.org", true],
    ["spiffe://prod.example.com/x", false],
    ["spiffe://Prod.example.com", false],
    ["spiffe://prod.example.com/", false],
  ])("%s -> %s", (id, expected) => {
    expect(isTrustDomainId(id)).toBe(expected);
  });
});
