// Workload-token issuers in the pure core: the schema's limits (asymmetric algorithms only, short lifetimes),
// what validation asks of issuers, pushed key sets and service audiences, and how a verified workload token
// takes part in matching, principal names, the denylist and the decision log.
import { describe, expect, it } from "vitest";
import { credentialBehind } from "../../policy/credential.ts";
import { deniedBy, indexDenylist, type DenyEntry } from "../../policy/denylist.ts";
import { failedConditions, compileConditions } from "../../policy/conditions.ts";
import { isAuthenticated, principalKey, type Identity } from "../../policy/identity.ts";
import { compilePrincipals, principalsMatch } from "../../policy/principals.ts";
import type { PolicyDocument, PrincipalMatcher } from "../../policy/schema.ts";
import { compileTokenIssuer, tokenAudienceOf, tokenIssuersOf } from "../../policy/token-issuers.ts";
import { validatePolicy } from "../../policy/validate/index.ts";
import { diffReach, reach } from "../../policy/reach/index.ts";
import { denyEntry } from "../support/deny-entry.ts";
import type { IssueCode } from "../../policy/issues.ts";
import { cluster, github, spire } from "./support/token-issuers.ts";

const CHECKOUT = "spiffe://prod.example.com/ns/checkout/sa/api";

const ecKey = (over: object = {}) => ({ kty: "EC", crv: "P-256", x: "eA", y: "eQ", kid: "k1", ...over });

/** A policy without mtls or access: only workload tokens identify callers. */
function doc(issuers: object[], change: (d: any) => void = () => {}): any {
  const d = {
    version: 1,
    metadata: { environment: "dev", trustDomains: ["prod.example.com"], owners: ["security@example.com"] },
    identity: { tokenIssuers: issuers },
    services: {
      payments: {
        hosts: ["payments.example.com"],
        origin: { tunnel: "PAYMENTS_API" },
        owner: "payments-team@example.com",
        routes: [
          {
            id: "charge",
            methods: ["POST"],
            path: "/v1/charge",
            rules: [{ id: "checkout", effect: "allow", principals: [{ spiffe: CHECKOUT }] }],
          },
        ],
      },
    },
  };
  change(d);
  return d;
}

const issuesOf = (d: any) => validatePolicy(d).issues.map((i) => [i.code, i.path]);
const rule0 = (d: any) => d.services.payments.routes[0].rules[0];

describe("identity.tokenIssuers: the schema", () => {
  it.each<[string, object, IssueCode, string]>([
    ["alg none", { algorithms: ["none"] }, "invalid-value", "identity.tokenIssuers[0].algorithms[0]"],
    ["HS256", { algorithms: ["ES256", "HS256"] }, "invalid-value", "identity.tokenIssuers[0].algorithms[1]"],
    ["a 2 h lifetime", { maxLifetime: "2h" }, "out-of-range", "identity.tokenIssuers[0].maxLifetime"],
    ["a 61 m lifetime", { maxLifetime: "61m" }, "out-of-range", "identity.tokenIssuers[0].maxLifetime"],
    ["a 6 min clock skew", { clockSkew: "6m" }, "out-of-range", "identity.tokenIssuers[0].clockSkew"],
    [
      "an http issuer",
      { issuer: "http://spire.prod.example.com" },
      "invalid-format",
      "identity.tokenIssuers[0].issuer",
    ],
    [
      "an http key set",
      { keys: { jwksUrl: "http://spire.prod.example.com/bundle" } },
      "invalid-format",
      "identity.tokenIssuers[0].keys.jwksUrl",
    ],
    ["an unknown kind", { kind: "saml" }, "invalid-value", "identity.tokenIssuers[0].kind"],
    ["a misspelt field", { maxLifeTime: "5m" }, "unknown-field", "identity.tokenIssuers[0].maxLifeTime"],
  ])("refuses %s", (_name, over, code, path) => {
    expect(issuesOf(doc([spire(over)]))).toEqual([[code, path]]);
  });

  it("takes exactly 1 h and 5 min, and fills in the defaults: 15 m, 30 s, RS256 and ES256", () => {
    expect(issuesOf(doc([spire({ maxLifetime: "1h", clockSkew: "5m" })]))).toEqual([]);
    const parsed = validatePolicy(doc([spire()]));
    expect(parsed.ok && parsed.policy.identity.tokenIssuers![0]).toMatchObject({
      maxLifetime: "15m",
      clockSkew: "30s",
      algorithms: ["RS256", "ES256"],
    });
  });

  it("hints at the key forms for a misspelt one", () => {
    const result = validatePolicy(doc([spire({ keys: { jwks_url: "https://spire.prod.example.com/bundle" } })]));
    expect(result.issues[0]).toMatchObject({
      code: "invalid-value",
      hint: 'unknown field "jwks_url": did you mean "jwksUrl"?',
    });
  });
});

describe("identity.tokenIssuers: validation", () => {
  it.each<[string, object[], [IssueCode, string][]]>([
    ["a valid SPIRE, cluster and GitHub issuer", [spire(), cluster({ trustDomain: "prod.example.com" }), github()], []],
    [
      "one name twice",
      [spire(), github({ name: "spire" })],
      [["duplicate-token-issuer", "identity.tokenIssuers[1].name"]],
    ],
    [
      "an oidc issuer with a trust domain",
      [spire(), github({ trustDomain: "prod.example.com" })],
      [["token-issuer-trust-domain", "identity.tokenIssuers[1].trustDomain"]],
    ],
    [
      "a trust domain outside metadata.trustDomains",
      [spire({ trustDomain: "prod.exmaple.com" })],
      [["spiffe-outside-trust-domain", "identity.tokenIssuers[0].trustDomain"]],
    ],
    [
      "a shared secret pushed as a key",
      [spire({ keys: { jwks: { keys: [{ kty: "oct", k: "c2VjcmV0", kid: "k1", use: "jwt-svid" }] } } })],
      [["invalid-jwks", "identity.tokenIssuers[0].keys.jwks.keys[0].kty"]],
    ],
    [
      "a key without kid",
      [spire({ keys: { jwks: { keys: [ecKey({ kid: undefined, use: "jwt-svid" })] } } })],
      [["invalid-jwks", "identity.tokenIssuers[0].keys.jwks.keys[0]"]],
    ],
    [
      "two keys with one kid",
      [spire({ keys: { jwks: { keys: [ecKey({ use: "jwt-svid" }), ecKey({ use: "jwt-svid" })] } } })],
      [["invalid-jwks", "identity.tokenIssuers[0].keys.jwks.keys[1].kid"]],
    ],
    [
      "a SPIFFE bundle without a jwt-svid key",
      [spire({ keys: { jwks: { keys: [ecKey({ use: "x509-svid" })] } } })],
      [["invalid-jwks", "identity.tokenIssuers[0].keys.jwks"]],
    ],
    [
      "an OIDC key set with only SPIFFE keys",
      [spire(), github({ keys: { jwks: { keys: [ecKey({ use: "jwt-svid" })] } } })],
      [["invalid-jwks", "identity.tokenIssuers[1].keys.jwks"]],
    ],
  ])("%s", (_name, issuers, expected) => {
    expect(issuesOf(doc(issuers))).toEqual(expected);
  });

  it("takes a pushed SPIFFE bundle with its sequence and refresh hint, and a pushed cluster key set", () => {
    const bundle = {
      spiffe_sequence: 3,
      spiffe_refresh_hint: 300,
      keys: [ecKey({ use: "jwt-svid" }), ecKey({ kid: "x", use: "x509-svid" })],
    };
    expect(
      issuesOf(doc([spire({ keys: { jwks: bundle } }), cluster({ keys: { jwks: { keys: [ecKey()] } } })])),
    ).toEqual([]);
  });

  it("lets SPIFFE matchers stand on a token issuer that names SPIFFE IDs, and not on one that names none", () => {
    expect(issuesOf(doc([cluster({ trustDomain: "prod.example.com" })]))).toEqual([]);
    expect(issuesOf(doc([cluster(), github()]))).toEqual([
      ["mtls-not-configured", "services.payments.routes[0].rules[0].principals[0]"],
    ]);
  });

  it("refuses bothFactors without identity.mtls, though a token issuer names SPIFFE IDs: its workload side is the certificate", () => {
    // From a generated review: the exemption for SPIFFE matchers held for bothFactors too, so a deny rule that
    // can never apply (no certificate is ever read) was taken.
    const both = (effect: string) =>
      doc([spire()], (d) => {
        d.identityBindings = { deployers: [{ workload: CHECKOUT, access: "ann@example.com" }] };
        d.services.payments.routes[0].rules = [
          { id: "all", effect: "allow", principals: [{ spiffe: CHECKOUT }] },
          {
            id: "both",
            effect,
            bothFactors: {
              workload: [{ spiffe: CHECKOUT }],
              access: [{ claims: { repository: "example/deploy" } }],
              binding: "deployers",
            },
          },
        ];
      });
    for (const effect of ["deny", "allow"])
      expect(issuesOf(both(effect)).filter(([code]) => code === "mtls-not-configured")).toEqual([
        ["mtls-not-configured", "services.payments.routes[0].rules[1].bothFactors.workload"],
      ]);
  });

  it("lets claims matchers stand on token issuers, while email still needs identity.access", () => {
    expect(
      issuesOf(doc([github()], (d) => (rule0(d).principals = [{ claims: { repository: "example/deploy" } }]))),
    ).toEqual([]);
    expect(issuesOf(doc([github()], (d) => (rule0(d).principals = [{ email: "ann@example.com" }])))).toEqual([
      ["access-not-configured", "services.payments.routes[0].rules[0].principals[0]"],
    ]);
  });

  it("asks for identity.access where a service names Access audiences", () => {
    expect(issuesOf(doc([spire()], (d) => (d.services.payments.accessAudiences = ["a".repeat(64)])))).toEqual([
      ["access-not-configured", "services.payments.accessAudiences[0]"],
    ]);
  });

  it("refuses two services with one named audience, and one named like another's default", () => {
    const twoServices = (d: any, audiences: [string | undefined, string | undefined]) => {
      d.services.orders = { ...structuredClone(d.services.payments), hosts: ["orders.example.com"] };
      if (audiences[0]) d.services.payments.tokenAudience = audiences[0];
      if (audiences[1]) d.services.orders.tokenAudience = audiences[1];
    };
    expect(issuesOf(doc([spire()], (d) => twoServices(d, ["payments", "payments"])))).toEqual([
      ["duplicate-token-audience", "services.orders.tokenAudience"],
    ]);
    expect(issuesOf(doc([spire()], (d) => twoServices(d, [undefined, "https://payments.example.com"])))).toEqual([
      ["duplicate-token-audience", "services.orders.tokenAudience"],
    ]);
    expect(issuesOf(doc([spire()], (d) => twoServices(d, ["spiffe://prod.example.com/payments", undefined])))).toEqual(
      [],
    );
  });

  it("warns of scopes only while no configured issuer can carry them", () => {
    const scoped = (d: any) => (rule0(d).when = { scopes: ["payments:charge"] });
    expect(issuesOf(doc([cluster({ trustDomain: "prod.example.com" })], scoped))).toEqual([
      ["scopes-not-carried", "services.payments.routes[0].rules[0].when.scopes"],
    ]);
    expect(issuesOf(doc([spire()], scoped))).toEqual([]);
    expect(issuesOf(doc([cluster({ trustDomain: "prod.example.com" }), github()], scoped))).toEqual([]);
  });
});

describe("compiled issuers and audiences", () => {
  it("compiles durations to seconds and picks the key use from the kind and the key source", () => {
    const parsed = validatePolicy(
      doc([
        spire({ maxLifetime: "5m", clockSkew: "10s" }),
        spire({
          name: "spire-oidc",
          issuer: "https://oidc.spire.prod.example.com",
          keys: { discovery: "https://oidc.spire.prod.example.com/.well-known/openid-configuration" },
        }),
        github(),
      ]),
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const issuers = tokenIssuersOf(parsed.policy);
    expect(issuers.get("https://spire.prod.example.com")).toMatchObject({
      kind: "spiffe-jwt-svid",
      keyUse: "jwt-svid",
      maxLifetimeSeconds: 300,
      clockSkewSeconds: 10,
      trustDomain: "prod.example.com",
    });
    // SPIRE's OIDC Discovery Provider serves plain signature keys.
    expect(issuers.get("https://oidc.spire.prod.example.com")?.keyUse).toBe("sig");
    expect(issuers.get("https://token.actions.githubusercontent.com")).toMatchObject({
      keyUse: "sig",
      requireClaims: { repository_owner: "example" },
      maxLifetimeSeconds: 900,
    });
    expect(tokenIssuersOf(parsed.policy)).toBe(issuers);
    expect(compileTokenIssuer(parsed.policy.identity.tokenIssuers![0]!).fingerprint).toContain('"name":"spire"');
  });

  it("defaults a service's audience to https:// and its first host", () => {
    expect(tokenAudienceOf({ hosts: ["payments.example.com", "pay.example.com"] })).toBe(
      "https://payments.example.com",
    );
    expect(tokenAudienceOf({ hosts: ["payments.example.com"], tokenAudience: "payments" })).toBe("payments");
  });
});

describe("a verified workload token in the core", () => {
  const svid: Identity = {
    workloadToken: {
      issuer: "spire",
      kind: "spiffe-jwt-svid",
      subject: CHECKOUT,
      spiffeId: CHECKOUT,
      claims: { sub: CHECKOUT },
    },
  };
  const ci: Identity = {
    workloadToken: {
      issuer: "github-actions",
      kind: "oidc",
      subject: "repo:example/deploy:ref:refs/heads/main",
      claims: {
        iss: "https://token.actions.githubusercontent.com",
        repository: "example/deploy",
        ref: "refs/heads/main",
      },
    },
  };
  const match = (m: PrincipalMatcher, identity: Identity) => principalsMatch(compilePrincipals([m], {}), identity);

  it("is a workload identity for spiffe, spiffePrefix and trustDomain, like a certificate's", () => {
    expect(match({ spiffe: CHECKOUT }, svid)).toBe(true);
    expect(match({ spiffePrefix: "spiffe://prod.example.com/ns/checkout/" }, svid)).toBe(true);
    expect(match({ trustDomain: "prod.example.com" }, svid)).toBe(true);
    expect(match({ trustDomain: "staging.example.com" }, svid)).toBe(false);
    expect(match({ authenticated: true }, ci)).toBe(true);
    expect(isAuthenticated(ci)).toBe(true);
  });

  it("holds claims matchers and conditions on its own claims, never some from the Access token", () => {
    expect(match({ claims: { repository: "example/deploy", ref: "refs/heads/main" } }, ci)).toBe(true);
    expect(match({ claims: { repository: "example/deploy", ref: "refs/heads/dev" } }, ci)).toBe(false);
    // One claim from each credential is no caller either credential is.
    const mixed: Identity = { ...ci, user: { email: "ann@example.com" }, claims: { department: "ops" } };
    expect(match({ claims: { repository: "example/deploy", department: "ops" } }, mixed)).toBe(false);
    expect(match({ claims: { department: "ops" } }, mixed)).toBe(true);
    const when = compileConditions({ claims: { repository: "example/deploy", department: "ops" } });
    expect(failedConditions(when, { identity: mixed, now: 0 })).toHaveLength(1);
    expect(
      failedConditions(compileConditions({ claims: { ref: "refs/heads/main" } }), { identity: ci, now: 0 }),
    ).toEqual([]);
  });

  it("names the caller by its SPIFFE ID (once beside the same certificate), or by issuer and subject", () => {
    expect(principalKey(svid)).toBe(`workload:${CHECKOUT}`);
    expect(principalKey({ ...svid, workload: { id: CHECKOUT } })).toBe(`workload:${CHECKOUT}`);
    expect(principalKey(ci)).toBe("subject:github-actions/repo:example/deploy:ref:refs/heads/main");
    expect(principalKey({ ...ci, serviceToken: { clientId: "t.access" } })).toBe(
      "token:t.access+subject:github-actions/repo:example/deploy:ref:refs/heads/main",
    );
  });

  it("is refused by a revocation of its SPIFFE ID, and quarantined by its subject", () => {
    const entry = (match: DenyEntry["match"], value: string) => denyEntry("d1", match, value);
    expect(deniedBy(indexDenylist([entry("spiffe", CHECKOUT)]), svid, undefined, principalKey(svid), 1)?.id).toBe("d1");
    expect(deniedBy(indexDenylist([entry("spiffe", CHECKOUT)]), ci, undefined, principalKey(ci), 1)).toBeUndefined();
    const subject = "subject:github-actions/repo:example/deploy:ref:refs/heads/main";
    const both: Identity = { ...ci, serviceToken: { clientId: "t.access" } };
    expect(deniedBy(indexDenylist([entry("principal", subject)]), both, undefined, principalKey(both), 1)?.id).toBe(
      "d1",
    );
  });

  it("is the credential a decision is logged with when it named the principal", () => {
    const credentials = [
      { kind: "access-jwt" as const, lifetimeSeconds: 86400, issuer: "https://t.cloudflareaccess.com" },
      { kind: "workload-token" as const, lifetimeSeconds: 300, remainingSeconds: 120, issuer: "https://spire" },
    ];
    expect(credentialBehind({ principal: `workload:${CHECKOUT}` }, credentials)?.kind).toBe("workload-token");
    expect(credentialBehind({ principal: "subject:github-actions/x" }, credentials)?.kind).toBe("workload-token");
    expect(credentialBehind({ principal: "token:t.access" }, credentials)?.kind).toBe("access-jwt");
    const withCertificate = [{ kind: "client-certificate" as const, lifetimeSeconds: 3600 }, ...credentials];
    expect(credentialBehind({ principal: `workload:${CHECKOUT}` }, withCertificate)?.kind).toBe("client-certificate");
  });
});

describe("ward diff: workload tokens and audiences as possible widenings", () => {
  const settingsDiff = (change: (d: any) => void) => {
    const before = validatePolicy(
      doc(
        [spire()],
        (d) =>
          (d.identity.access = {
            teamDomain: "https://example.cloudflareaccess.com",
            audiences: ["a".repeat(64), "b".repeat(64)],
          }),
      ),
    );
    if (!before.ok) throw new Error(JSON.stringify(before.issues));
    const after = structuredClone(before.policy);
    change(after);
    // What may widen (exit 4); the lines a change takes away are listed too, as narrowings.
    return diffReach(reach(before.policy), reach(after))
      .settings.filter((s) => s.widens)
      .map((s) => s.change);
  };
  const at = "Token issuer spire (spiffe-jwt-svid, iss https://spire.prod.example.com)";

  it("lists a new issuer, a new algorithm, a longer lifetime, dropped required claims and a new audience", () => {
    expect(
      settingsDiff((d) =>
        d.identity.tokenIssuers.push({
          ...d.identity.tokenIssuers[0],
          name: "spire2",
          issuer: "https://spire2.prod.example.com",
        }),
      ),
    ).toContain("+ Token issuer spire2 (spiffe-jwt-svid, iss https://spire2.prod.example.com)");
    expect(settingsDiff((d) => d.identity.tokenIssuers[0].algorithms.push("PS256"))).toEqual([
      `+ ${at} algorithm PS256`,
    ]);
    expect(settingsDiff((d) => (d.identity.tokenIssuers[0].maxLifetime = "1h"))).toEqual([
      `+ ${at} lifetime up to 1h, clock skew 30s`,
    ]);
    expect(settingsDiff((d) => (d.services.payments.tokenAudience = "payments"))).toEqual([
      "+ Service payments takes workload tokens for audience payments",
    ]);
    expect(
      settingsDiff((d) => (d.identity.tokenIssuers[0].keys = { jwksUrl: "https://elsewhere.example.com/keys" })),
    ).toEqual([`+ ${at} key set https://elsewhere.example.com/keys`]);
  });

  it("lists a service that takes another Access application", () => {
    const narrowed = validatePolicy(
      doc([spire()], (d) => {
        d.identity.access = {
          teamDomain: "https://example.cloudflareaccess.com",
          audiences: ["a".repeat(64), "b".repeat(64)],
        };
        d.services.payments.accessAudiences = ["a".repeat(64)];
      }),
    );
    if (!narrowed.ok) throw new Error(JSON.stringify(narrowed.issues));
    const changes = (from: PolicyDocument, to: PolicyDocument) =>
      diffReach(reach(from), reach(to)).settings.map((s) => `${s.widens ? "widens" : "narrows"} ${s.change}`);
    const widened = structuredClone(narrowed.policy);
    delete widened.services.payments!.accessAudiences;
    // Unset, the service takes every audience of identity.access: dropping the list adds the others, and a host
    // no service answers (the admin API's) takes the application payments no longer claims.
    expect(changes(narrowed.policy, widened)).toEqual([
      `widens + Hosts no service answers (the admin API's) take Access tokens of audience ${"a".repeat(64)}`,
      `widens + Service payments takes Access tokens of audience ${"b".repeat(64)}`,
    ]);
    // Naming one application where every one counted is a narrowing only.
    expect(changes(widened, narrowed.policy)).toEqual([
      `narrows - Hosts no service answers (the admin API's) take Access tokens of audience ${"a".repeat(64)}`,
      `narrows - Service payments takes Access tokens of audience ${"b".repeat(64)}`,
    ]);
    // Naming both: payments takes what it took, and the admin host none (every application is a service's).
    const both = structuredClone(widened);
    both.services.payments!.accessAudiences = ["b".repeat(64), "a".repeat(64)];
    expect(changes(widened, both)).toEqual([
      `narrows - Hosts no service answers (the admin API's) take Access tokens of audience ${"a".repeat(64)}`,
      `narrows - Hosts no service answers (the admin API's) take Access tokens of audience ${"b".repeat(64)}`,
    ]);
    const onlyB = structuredClone(narrowed.policy);
    onlyB.services.payments!.accessAudiences = ["b".repeat(64)];
    // Payments moves from A to B: the admin host now takes A's sessions, and no longer B's.
    expect(changes(narrowed.policy, onlyB)).toEqual([
      `widens + Hosts no service answers (the admin API's) take Access tokens of audience ${"a".repeat(64)}`,
      `widens + Service payments takes Access tokens of audience ${"b".repeat(64)}`,
      `narrows - Hosts no service answers (the admin API's) take Access tokens of audience ${"b".repeat(64)}`,
      `narrows - Service payments takes Access tokens of audience ${"a".repeat(64)}`,
    ]);
    const another = structuredClone(narrowed.policy);
    another.services.payments!.accessAudiences!.push("b".repeat(64));
    expect(diffReach(reach(narrowed.policy), reach(another)).settings.map((s) => s.change)).toEqual([
      `+ Service payments takes Access tokens of audience ${"b".repeat(64)}`,
      `- Hosts no service answers (the admin API's) take Access tokens of audience ${"b".repeat(64)}`,
    ]);
  });
});
