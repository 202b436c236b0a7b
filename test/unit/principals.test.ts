// Principal matchers: each kind, matched and not matched, plus set expansion and labels.
import { describe, expect, it } from "vitest";
import type { Identity } from "../../policy/identity.ts";
import {
  claimsHold,
  compilePrincipals,
  describeMatcher,
  expandMatchers,
  principalsMatch,
} from "../../policy/principals.ts";
import type { PrincipalMatcher } from "../../policy/schema.ts";

const CHECKOUT = "spiffe://prod.example.com/ns/checkout/sa/api";
const anonymous: Identity = {};
const workload = (id: string): Identity => ({ workload: { id } });
const user = (
  email: string,
  extra: Partial<NonNullable<Identity["user"]>> = {},
  rest: Partial<Identity> = {},
): Identity => ({
  user: { email, ...extra },
  ...rest,
});
const token = (clientId: string, rest: Partial<Identity> = {}): Identity => ({ serviceToken: { clientId }, ...rest });

function matches(
  matcher: PrincipalMatcher,
  identity: Identity,
  sets: Record<string, PrincipalMatcher[]> = {},
): boolean {
  return principalsMatch(compilePrincipals([matcher], sets), identity);
}

interface Row {
  name: string;
  matcher: PrincipalMatcher;
  identity: Identity;
  expected: boolean;
}

const rows: Row[] = [
  // spiffe: exact
  { name: "spiffe exact", matcher: { spiffe: CHECKOUT }, identity: workload(CHECKOUT), expected: true },
  { name: "spiffe other id", matcher: { spiffe: CHECKOUT }, identity: workload(`${CHECKOUT}2`), expected: false },
  { name: "spiffe longer path", matcher: { spiffe: CHECKOUT }, identity: workload(`${CHECKOUT}/x`), expected: false },
  {
    name: "spiffe needs a workload",
    matcher: { spiffe: CHECKOUT },
    identity: user("api@prod.example.com"),
    expected: false,
  },
  { name: "spiffe anonymous", matcher: { spiffe: CHECKOUT }, identity: anonymous, expected: false },
  // spiffePrefix
  {
    name: "spiffePrefix below",
    matcher: { spiffePrefix: "spiffe://prod.example.com/ns/frontend/" },
    identity: workload("spiffe://prod.example.com/ns/frontend/sa/web"),
    expected: true,
  },
  {
    name: "spiffePrefix sibling",
    matcher: { spiffePrefix: "spiffe://prod.example.com/ns/frontend/" },
    identity: workload("spiffe://prod.example.com/ns/frontend-admin/sa/web"),
    expected: false,
  },
  {
    name: "spiffePrefix other domain",
    matcher: { spiffePrefix: "spiffe://prod.example.com/ns/frontend/" },
    identity: workload("spiffe://dev.example.com/ns/frontend/sa/web"),
    expected: false,
  },
  {
    name: "spiffePrefix anonymous",
    matcher: { spiffePrefix: "spiffe://prod.example.com/" },
    identity: anonymous,
    expected: false,
  },
  // trustDomain
  {
    name: "trustDomain same domain",
    matcher: { trustDomain: "prod.example.com" },
    identity: workload(CHECKOUT),
    expected: true,
  },
  {
    name: "trustDomain bare id",
    matcher: { trustDomain: "prod.example.com" },
    identity: workload("spiffe://prod.example.com"),
    expected: true,
  },
  {
    name: "trustDomain sub-domain",
    matcher: { trustDomain: "example.com" },
    identity: workload(CHECKOUT),
    expected: false,
  },
  {
    name: "trustDomain longer domain",
    matcher: { trustDomain: "prod.example.co" },
    identity: workload(CHECKOUT),
    expected: false,
  },
  {
    name: "trustDomain not spiffe",
    matcher: { trustDomain: "prod.example.com" },
    identity: workload("https://prod.example.com/x"),
    expected: false,
  },
  // email
  { name: "email exact", matcher: { email: "alice@example.com" }, identity: user("alice@example.com"), expected: true },
  {
    name: "email identity upper case",
    matcher: { email: "alice@example.com" },
    identity: user("ALICE@Example.COM"),
    expected: true,
  },
  {
    name: "email policy upper case",
    matcher: { email: "Alice@Example.com" },
    identity: user("alice@example.com"),
    expected: true,
  },
  {
    name: "email other user",
    matcher: { email: "alice@example.com" },
    identity: user("bob@example.com"),
    expected: false,
  },
  {
    name: "email is not a token id",
    matcher: { email: "alice@example.com" },
    identity: token("alice@example.com"),
    expected: false,
  },
  // emailDomain
  {
    name: "emailDomain exact domain",
    matcher: { emailDomain: "example.com" },
    identity: user("bob@example.com"),
    expected: true,
  },
  {
    name: "emailDomain upper-case e-mail",
    matcher: { emailDomain: "example.com" },
    identity: user("Bob@EXAMPLE.com"),
    expected: true,
  },
  {
    name: "emailDomain sub-domain",
    matcher: { emailDomain: "example.com" },
    identity: user("bob@eu.example.com"),
    expected: false,
  },
  {
    name: "emailDomain suffix lookalike",
    matcher: { emailDomain: "example.com" },
    identity: user("bob@evilexample.com"),
    expected: false,
  },
  {
    name: "emailDomain other domain",
    matcher: { emailDomain: "example.com" },
    identity: user("bob@example.org"),
    expected: false,
  },
  {
    name: "emailDomain quoted @ in local part",
    matcher: { emailDomain: "example.com" },
    identity: user('"a@example.com"@evil.com'),
    expected: false,
  },
  // Only a well-formed address has a domain (the gateway refuses a token with any other; ward explain and
  // grants go through this same matcher): two "@" is no address, whichever one a reader splits at.
  {
    name: "emailDomain two @, the domain last",
    matcher: { emailDomain: "example.com" },
    identity: user("mallory@evil.io@example.com"),
    expected: false,
  },
  {
    name: "emailDomain two @, the domain first",
    matcher: { emailDomain: "evil.io" },
    identity: user("mallory@evil.io@example.com"),
    expected: false,
  },
  {
    name: "emailDomain quoted local part at the domain",
    matcher: { emailDomain: "example.com" },
    identity: user('"mallory@evil.io"@example.com'),
    expected: false,
  },
  {
    name: "emailDomain control character in the local part",
    matcher: { emailDomain: "example.com" },
    identity: user("ann\u0000@example.com"),
    expected: false,
  },
  {
    name: "email two @",
    matcher: { email: "mallory@evil.io" },
    identity: user("mallory@evil.io@example.com"),
    expected: false,
  },
  // Case is ignored over ASCII only: a Kelvin sign lower-cases to "k", which would make two addresses one.
  {
    name: "email Kelvin sign is not k",
    matcher: { email: "kate@example.com" },
    identity: user("\u212Aate@example.com"),
    expected: false,
  },
  {
    name: "emailDomain Kelvin sign in the domain",
    matcher: { emailDomain: "kelvin.example" },
    identity: user("ann@\u212Aelvin.example"),
    expected: false,
  },
  // group
  {
    name: "group member",
    matcher: { group: "sre" },
    identity: user("a@example.com", { groups: ["dev", "sre"] }),
    expected: true,
  },
  {
    name: "group not member",
    matcher: { group: "sre" },
    identity: user("a@example.com", { groups: ["dev"] }),
    expected: false,
  },
  {
    name: "group is case-sensitive",
    matcher: { group: "sre" },
    identity: user("a@example.com", { groups: ["SRE"] }),
    expected: false,
  },
  { name: "group not fetched", matcher: { group: "sre" }, identity: user("a@example.com"), expected: false },
  // claims
  {
    name: "claims equal",
    matcher: { claims: { dept: "eng" } },
    identity: user("a@example.com", {}, { claims: { dept: "eng" } }),
    expected: true,
  },
  {
    name: "claims different",
    matcher: { claims: { dept: "eng" } },
    identity: user("a@example.com", {}, { claims: { dept: "ops" } }),
    expected: false,
  },
  {
    name: "claims list value: any of",
    matcher: { claims: { dept: ["eng", "ops"] } },
    identity: user("a@example.com", {}, { claims: { dept: "ops" } }),
    expected: true,
  },
  {
    name: "claims list value: none of",
    matcher: { claims: { dept: ["eng", "ops"] } },
    identity: user("a@example.com", {}, { claims: { dept: "hr" } }),
    expected: false,
  },
  {
    name: "claims array claim holds member",
    matcher: { claims: { roles: "admin" } },
    identity: user("a@example.com", {}, { claims: { roles: ["viewer", "admin"] } }),
    expected: true,
  },
  {
    name: "claims array claim lacks member",
    matcher: { claims: { roles: "admin" } },
    identity: user("a@example.com", {}, { claims: { roles: ["viewer"] } }),
    expected: false,
  },
  {
    name: "claims list vs array claim",
    matcher: { claims: { roles: ["admin", "owner"] } },
    identity: user("a@example.com", {}, { claims: { roles: ["viewer", "owner"] } }),
    expected: true,
  },
  {
    name: "claims all names must hold",
    matcher: { claims: { dept: "eng", level: 3 } },
    identity: user("a@example.com", {}, { claims: { dept: "eng", level: 2 } }),
    expected: false,
  },
  {
    name: "claims number and boolean",
    matcher: { claims: { level: 3, mfa: true } },
    identity: user("a@example.com", {}, { claims: { level: 3, mfa: true } }),
    expected: true,
  },
  {
    name: "claims no type coercion",
    matcher: { claims: { level: 3 } },
    identity: user("a@example.com", {}, { claims: { level: "3" } }),
    expected: false,
  },
  {
    name: "claims missing claim",
    matcher: { claims: { dept: "eng" } },
    identity: user("a@example.com", {}, { claims: {} }),
    expected: false,
  },
  {
    name: "claims no claims at all",
    matcher: { claims: { dept: "eng" } },
    identity: user("a@example.com"),
    expected: false,
  },
  {
    name: "claims on a service token",
    matcher: { claims: { env: "ci" } },
    identity: token("ci.access", { claims: { env: "ci" } }),
    expected: true,
  },
  {
    name: "claims need an Access identity",
    matcher: { claims: { env: "ci" } },
    identity: { workload: { id: CHECKOUT }, claims: { env: "ci" } },
    expected: false,
  },
  // serviceToken
  {
    name: "serviceToken same id",
    matcher: { serviceToken: "ci.access" },
    identity: token("ci.access"),
    expected: true,
  },
  {
    name: "serviceToken other id",
    matcher: { serviceToken: "ci.access" },
    identity: token("cd.access"),
    expected: false,
  },
  {
    name: "serviceToken is case-sensitive",
    matcher: { serviceToken: "ci.access" },
    identity: token("CI.access"),
    expected: false,
  },
  {
    name: "serviceToken is not a user",
    matcher: { serviceToken: "ci@example.com" },
    identity: user("ci@example.com"),
    expected: false,
  },
  // authenticated
  { name: "authenticated workload", matcher: { authenticated: true }, identity: workload(CHECKOUT), expected: true },
  { name: "authenticated user", matcher: { authenticated: true }, identity: user("a@example.com"), expected: true },
  { name: "authenticated token", matcher: { authenticated: true }, identity: token("ci.access"), expected: true },
  { name: "authenticated anonymous", matcher: { authenticated: true }, identity: anonymous, expected: false },
  {
    name: "authenticated claims alone are not an identity",
    matcher: { authenticated: true },
    identity: { claims: { sub: "x" }, scopes: ["a"] },
    expected: false,
  },
  // public
  { name: "public anonymous", matcher: { public: true }, identity: anonymous, expected: true },
  { name: "public workload", matcher: { public: true }, identity: workload(CHECKOUT), expected: true },
  { name: "public user", matcher: { public: true }, identity: user("a@example.com"), expected: true },
];

describe("principalsMatch", () => {
  it.each(rows)("$name -> $expected", ({ matcher, identity, expected }) => {
    expect(matches(matcher, identity)).toBe(expected);
  });

  it("covers every matcher kind, matched and not matched (except public, which always matches)", () => {
    const kinds = [
      "spiffe",
      "spiffePrefix",
      "trustDomain",
      "email",
      "emailDomain",
      "group",
      "claims",
      "serviceToken",
      "authenticated",
    ];
    for (const kind of kinds) {
      const of = rows.filter((r) => kind in r.matcher);
      expect(
        of.some((r) => r.expected),
        kind,
      ).toBe(true);
      expect(
        of.some((r) => !r.expected),
        kind,
      ).toBe(true);
    }
  });

  it("any one matcher of a list is enough", () => {
    const p = compilePrincipals([{ email: "a@example.com" }, { spiffe: CHECKOUT }, { serviceToken: "ci.access" }], {});
    expect(principalsMatch(p, user("a@example.com"))).toBe(true);
    expect(principalsMatch(p, workload(CHECKOUT))).toBe(true);
    expect(principalsMatch(p, token("ci.access"))).toBe(true);
    expect(principalsMatch(p, user("b@example.com"))).toBe(false);
    expect(principalsMatch(p, anonymous)).toBe(false);
  });

  it("an identity with a workload and a user matches by either", () => {
    const both: Identity = { workload: { id: CHECKOUT }, user: { email: "a@example.com" } };
    expect(matches({ spiffe: CHECKOUT }, both)).toBe(true);
    expect(matches({ email: "a@example.com" }, both)).toBe(true);
    expect(matches({ email: "b@example.com" }, both)).toBe(false);
  });
});

describe("principal sets", () => {
  const sets: Record<string, PrincipalMatcher[]> = {
    checkout: [{ spiffe: CHECKOUT }],
    sre: [{ group: "sre" }, { email: "oncall@example.com" }],
    nested: [{ set: "sre" }, { email: "x@example.com" }],
  };

  it.each<[string, Identity, boolean]>([
    ["checkout", workload(CHECKOUT), true],
    ["checkout", workload(`${CHECKOUT}2`), false],
    ["sre", user("a@example.com", { groups: ["sre"] }), true],
    ["sre", user("ONCALL@example.com"), true],
    ["sre", user("a@example.com", { groups: ["dev"] }), false],
    ["unknown", workload(CHECKOUT), false],
    ["unknown", anonymous, false],
  ])("{ set: %s } with %j -> %s", (set, identity, expected) => {
    expect(matches({ set }, identity, sets)).toBe(expected);
  });

  it("expands to the members and drops nested sets", () => {
    expect(expandMatchers([{ set: "sre" }, { public: true }], sets)).toEqual([
      { group: "sre" },
      { email: "oncall@example.com" },
      { public: true },
    ]);
    expect(expandMatchers([{ set: "nested" }], sets)).toEqual([{ email: "x@example.com" }]);
    expect(expandMatchers([{ set: "unknown" }], sets)).toEqual([]);
    expect(matches({ set: "nested" }, user("a@example.com", { groups: ["sre"] }), sets)).toBe(false);
    expect(matches({ set: "nested" }, user("x@example.com"), sets)).toBe(true);
  });

  it("labels name the set, not its members", () => {
    expect(compilePrincipals([{ set: "sre" }, { email: "a@example.com" }], sets).labels).toEqual([
      "set sre",
      "email a@example.com",
    ]);
  });
});

describe("describeMatcher", () => {
  it.each<[PrincipalMatcher, string]>([
    [{ spiffe: CHECKOUT }, `spiffe ${CHECKOUT}`],
    [{ emailDomain: "example.com" }, "emailDomain example.com"],
    [{ public: true }, "public"],
    [{ authenticated: true }, "authenticated"],
    [{ claims: { dept: ["eng", "ops"] } }, 'claims {"dept":["eng","ops"]}'],
  ])("%j -> %s", (matcher, text) => {
    expect(describeMatcher(matcher)).toBe(text);
  });
});

describe("claimsHold", () => {
  it.each<[Record<string, unknown>, Record<string, unknown> | undefined, boolean]>([
    [{ a: 1 }, { a: 1 }, true],
    [{ a: 1 }, undefined, false],
    [{ a: [1, 2] }, { a: 2 }, true],
    [{ a: [1, 2] }, { a: [3, 2] }, true],
    [{ a: [1, 2] }, { a: [3] }, false],
    [{ a: "x", b: "y" }, { a: "x" }, false],
    [{ a: true }, { a: "true" }, false],
  ])("%j in %j -> %s", (required, claims, expected) => {
    expect(claimsHold(required, claims)).toBe(expected);
  });
});
