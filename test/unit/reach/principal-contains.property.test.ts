// principalContains, the rule by which `ward reach` lets an identity inherit a wider principal's grants, held to
// the gateway's own matching (and Holders, which finds them by look-up, to principalContains itself): whenever it says q holds p, every generated caller p matches is matched by q too
// (principalsMatch, and a bothFactors pair matched as evaluate() matches one: the certificate's workload on one
// side, the Access part on the other). The seed is printed on failure; WARD_CONTAINS_SEED=<n> replays it.
import { describe, expect, it } from "vitest";
import type { Identity, PrincipalMatcher } from "../../../policy/index.ts";
import { isAuthenticated } from "../../../policy/identity.ts";
import { accessPart, compilePrincipals, principalsMatch } from "../../../policy/principals.ts";
import { Holders } from "../../../policy/reach/holders.ts";
import { principalContains, principalName } from "../../../policy/reach/principals.ts";
import { compare } from "../../../policy/reach/sort.ts";
import { prng, seedFrom } from "../../support/prng.ts";

const SEED = seedFrom("WARD_CONTAINS_SEED");
const CALLERS = 800;

const WORKLOADS = [
  "spiffe://a.example",
  "spiffe://a.example/ns/x/sa/1",
  "spiffe://a.example/ns/x/sa/2",
  "spiffe://a.example/ns/xy",
  "spiffe://a.example2/ns/x",
  "spiffe://b.example/ns/x/sa/1",
];
const EMAILS = ["ann@example.com", "bob@corp.example.com", "eve@example.org"];

const WORKLOAD_MATCHERS: PrincipalMatcher[] = [
  ...WORKLOADS.map((spiffe) => ({ spiffe })),
  ...[
    "spiffe://a.example/",
    "spiffe://a.example/ns/x",
    "spiffe://a.example/ns/x/",
    "spiffe://a.example/ns/x/sa/",
    "spiffe://a.example",
  ].map((spiffePrefix) => ({ spiffePrefix })),
  { trustDomain: "a.example" },
  { trustDomain: "b.example" },
];
const GROUPS = ["sre", "sre ops"];
const ACCESS_MATCHERS: PrincipalMatcher[] = [
  ...EMAILS.map((email) => ({ email })),
  { emailDomain: "example.com" },
  { emailDomain: "corp.example.com" },
  { serviceToken: "ci" },
  ...GROUPS.map((group) => ({ group })),
  { claims: { role: "admin" } },
  { claims: { role: "dev" } },
];
const AUTHENTICATED: PrincipalMatcher = { authenticated: true };
const PUBLIC: PrincipalMatcher = { public: true };
const EVERYONE: PrincipalMatcher[] = [AUTHENTICATED, PUBLIC];

type Principal = { single: PrincipalMatcher } | { workload: PrincipalMatcher; access: PrincipalMatcher };

const PRINCIPALS: Principal[] = [
  ...[...WORKLOAD_MATCHERS, ...ACCESS_MATCHERS, ...EVERYONE].map((single) => ({ single })),
  ...[...WORKLOAD_MATCHERS, AUTHENTICATED, PUBLIC].flatMap((workload) =>
    [...ACCESS_MATCHERS, AUTHENTICATED, PUBLIC].map((access) => ({ workload, access })),
  ),
];

/** As reach names it (policy/reach/principals.ts rulePrincipals). */
function nameOf(p: Principal): string {
  return "single" in p ? principalName(p.single) : `${principalName(p.workload)} + ${principalName(p.access)}`;
}

function matches(p: Principal, identity: Identity): boolean {
  if ("single" in p) return principalsMatch(compilePrincipals([p.single], {}), identity);
  const access = accessPart(identity);
  return (
    identity.workload !== undefined &&
    principalsMatch(compilePrincipals([p.workload], {}), { workload: identity.workload }) &&
    isAuthenticated(access) &&
    principalsMatch(compilePrincipals([p.access], {}), access)
  );
}

function randomCaller(r: () => number): Identity {
  const pick = <T>(items: readonly T[]): T | undefined =>
    r() < 0.35 ? undefined : items[Math.floor(r() * items.length)];
  const workload = pick(WORKLOADS);
  const tokenId = pick(WORKLOADS);
  const email = pick(EMAILS);
  return {
    ...(workload ? { workload: { id: workload } } : {}),
    ...(tokenId && r() < 0.4
      ? { workloadToken: { issuer: "k8s", kind: "jwt-svid", subject: tokenId, spiffeId: tokenId, claims: {} } }
      : {}),
    ...(email
      ? { user: { email, groups: GROUPS.filter(() => r() < 0.4) } }
      : r() < 0.3
        ? { serviceToken: { clientId: "ci" } }
        : {}),
    ...(r() < 0.4 ? { claims: { role: r() < 0.5 ? "admin" : "dev" } } : {}),
  } as Identity;
}

describe("Holders: the principals holding each, by look-up, as principalContains against every name says", () => {
  it(`finds every holder among random sets of names (seed ${SEED})`, () => {
    const r = prng(SEED ^ 0x5eed);
    const names = PRINCIPALS.map(nameOf);
    for (let round = 0; round < 60; round++) {
      const chosen = names.filter(() => r() < 0.3);
      const holders = new Holders(chosen);
      for (const p of chosen) {
        const want = chosen.filter((q) => q !== p && principalContains(q, p)).sort(compare);
        const got = holders.of(p);
        if (JSON.stringify(got) !== JSON.stringify(want)) expect({ seed: SEED, round, p, got }).toEqual({ want });
      }
    }
  });
});

describe("principalContains against the gateway's matching (generated callers)", () => {
  it(`never says q holds p when a caller p matches is not matched by q (seed ${SEED})`, () => {
    const r = prng(SEED);
    const callers = Array.from({ length: CALLERS }, () => randomCaller(r));
    // Which callers each principal matches, decided once per principal and caller (not per pair compared).
    const matched = PRINCIPALS.map((p) => callers.map((caller) => matches(p, caller)));
    const names = PRINCIPALS.map(nameOf);
    const wrong: string[] = [];
    let held = 0;
    for (let qi = 0; qi < PRINCIPALS.length; qi++)
      for (let pi = 0; pi < PRINCIPALS.length; pi++) {
        if (!principalContains(names[qi]!, names[pi]!)) continue;
        held++;
        const escapee = callers.findIndex((_, c) => matched[pi]![c] && !matched[qi]![c]);
        if (escapee !== -1) wrong.push(`${names[qi]} ⊇ ${names[pi]}: ${JSON.stringify(callers[escapee])}`);
      }
    expect(wrong, `seed ${SEED}`).toEqual([]);
    // Not vacuous: beyond each principal holding itself, hundreds of wider ones hold narrower ones.
    expect(held).toBeGreaterThan(PRINCIPALS.length + 300);
  });

  it("finds each kind of holding, and none where a caller escapes", () => {
    const holds: [string, string][] = [
      ["trust-domain:a.example", "spiffe://a.example/ns/x/sa/1"],
      ["trust-domain:a.example", "spiffe://a.example"],
      ["trust-domain:a.example", "spiffe://a.example/ns/*"],
      ["spiffe://a.example/ns/*", "spiffe://a.example/ns/x/sa/*"],
      ["spiffe://a.example*", "trust-domain:a.example"],
      ["email-domain:example.com", "email:ann@example.com"],
      ["any-authenticated", "token:ci"],
      ["public", "any-authenticated"],
      ["trust-domain:a.example", "spiffe://a.example/ns/x + email:ann@example.com"],
      ["email-domain:example.com", "spiffe://a.example/ns/x + email:ann@example.com"],
      ["trust-domain:a.example + email-domain:example.com", "spiffe://a.example/ns/x + email:ann@example.com"],
      // A pair's own sides, whatever their kind.
      ["group:sre", "spiffe://a.example/ns/x + group:sre"],
      ["spiffe://a.example/ns/x", "spiffe://a.example/ns/x + group:sre"],
    ];
    const never: [string, string][] = [
      // A prefix without its "/" reaches other trust domains (a.example2); the trust domain does not hold it.
      ["trust-domain:a.example", "spiffe://a.example*"],
      ["spiffe://a.example/ns/x/*", "spiffe://a.example/ns/*"],
      ["email-domain:example.com", "email:bob@corp.example.com"],
      ["any-authenticated", "public"],
      // The trust domain's own ID, spiffe://a.example, has no path.
      ["spiffe://a.example/*", "trust-domain:a.example"],
      // A group's members are Access's to say; a pair is never held by one of its sides' callers alone.
      ["group:sre", "email:ann@example.com"],
      ['group:"sre ops"', "group:sre"],
      ['claims:{"role":"admin"}', "email:ann@example.com"],
      ["token:ci", 'claims:{"role":"admin"}'],
      ["public + email:ann@example.com", "email:ann@example.com"],
      ["trust-domain:a.example + email-domain:example.com", "spiffe://a.example/ns/x"],
      ["spiffe://a.example/ns/x + email:ann@example.com", "trust-domain:a.example + email:ann@example.com"],
    ];
    expect(holds.filter(([q, p]) => !principalContains(q, p))).toEqual([]);
    expect(never.filter(([q, p]) => principalContains(q, p))).toEqual([]);
  });
});
