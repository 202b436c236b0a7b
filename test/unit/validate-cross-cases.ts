// Cross-field cases of validate-differential.test.ts: references, duplicates and contradictions the reference
// names (docs/policy.md, "Validation issues"), with names an object's prototype holds (`constructor`), case
// folding, and identity sources taken away. Verdicts from the reference alone (validate-oracle.ts).
import { baseDocument, type Case, type Doc, withValue } from "./validate-cases.ts";
import { ACCEPT, FORMAT, refuse } from "./validate-oracle.ts";

const PUBLIC = [{ effect: "allow", principals: [{ public: true }] }];
const RULE = ["services", "payments", "routes", 0, "rules", 0] as const;
const route = (id: string, methods: string[], where: Record<string, string>) => ({
  id,
  methods,
  ...where,
  rules: PUBLIC,
});
const service = (hosts: string[], extra: Record<string, unknown> = {}) => ({
  hosts,
  origin: { tunnel: "OTHER" },
  owner: "o@example.com",
  routes: [route("r", ["GET"], { pathPrefix: "/" })],
  ...extra,
});
const changed = (...edits: [readonly (string | number)[], unknown][]): Doc =>
  edits.reduce((doc, [path, value]) => withValue(doc, path, value), baseDocument());
const one = (what: string, doc: Doc, verdict: Case["verdict"]): Case => ({ what, doc, verdict });

/** Two routes of one service, for duplicate-route. */
function twoRoutes(a: object, b: object, extra: [readonly (string | number)[], unknown][] = []): Doc {
  return changed(...extra, [["services", "orders"], { ...service(["orders.example.com"]), routes: [a, b] }]);
}

export function crossCases(): Case[] {
  return [
    // Names Object.prototype holds are names like any other: a reference to a missing one is unknown.
    one(
      "{ set: constructor } with no such set",
      changed([[...RULE, "principals"], [{ set: "constructor" }]]),
      refuse("unknown-principal-set"),
    ),
    one(
      "{ set: hasownproperty }",
      changed([[...RULE, "principals"], [{ set: "hasownproperty" }]]),
      refuse("unknown-principal-set"),
    ),
    one(
      "binding: constructor",
      changed([["services", "payments", "routes", 1, "rules", 0, "bothFactors", "binding"], "constructor"]),
      refuse("unknown-identity-binding"),
    ),
    one(
      "a set named constructor, used",
      changed(
        [["principalSets", "constructor"], [{ public: true }]],
        [[...RULE, "principals"], [{ set: "constructor" }]],
      ),
      ACCEPT,
    ),
    one("a service named constructor", changed([["services", "constructor"], service(["c.example.com"])]), ACCEPT),
    one(
      "route ids constructor twice",
      twoRoutes(route("constructor", ["GET"], { path: "/a" }), route("constructor", ["GET"], { path: "/b" })),
      refuse("duplicate-id"),
    ),
    one("claims key constructor", changed([[...RULE, "principals"], [{ claims: { constructor: "x" } }]]), ACCEPT),

    // duplicate-route: placeholder names ignored, pathPrefix /a = path /a/{**}, one trailing / ignored, "*".
    one(
      "/a/{x} and /a/{*}",
      twoRoutes(route("a", ["GET"], { path: "/a/{x}" }), route("b", ["GET"], { path: "/a/{*}" })),
      refuse("duplicate-route"),
    ),
    one(
      "pathPrefix /a/ and /a",
      twoRoutes(route("a", ["GET"], { pathPrefix: "/a/" }), route("b", ["GET"], { pathPrefix: "/a" })),
      refuse("duplicate-route"),
    ),
    one(
      "pathPrefix / and path /{**}",
      twoRoutes(route("a", ["*"], { pathPrefix: "/" }), route("b", ["OPTIONS"], { path: "/{**}" })),
      refuse("duplicate-route"),
    ),
    one("/a and /a/", twoRoutes(route("a", ["GET"], { path: "/a" }), route("b", ["GET"], { path: "/a/" })), ACCEPT),
    one(
      "/a/{**} GET and /a/{**} POST",
      twoRoutes(route("a", ["GET"], { path: "/a/{**}" }), route("b", ["POST"], { pathPrefix: "/a" })),
      ACCEPT,
    ),
    // caseInsensitivePaths: literals lower case; two spellings one simple case mapping apart are one pattern.
    one(
      "caseInsensitivePaths with /Admin",
      withCaseInsensitive(twoRoutes(route("a", ["GET"], { path: "/Admin" }), route("b", ["GET"], { path: "/b" }))),
      refuse("invalid-path-pattern"),
    ),
    one(
      "caseInsensitivePaths with /\u212aelvin (Kelvin sign, upper case)",
      withCaseInsensitive(
        twoRoutes(route("a", ["GET"], { path: "/\u212aelvin" }), route("b", ["GET"], { path: "/b" })),
      ),
      refuse("invalid-path-pattern"),
    ),
    one(
      "caseInsensitivePaths with /\u00c9t\u00e9",
      withCaseInsensitive(
        twoRoutes(route("a", ["GET"], { path: "/\u00c9t\u00e9" }), route("b", ["GET"], { path: "/b" })),
      ),
      refuse("invalid-path-pattern"),
    ),
    one(
      "caseInsensitivePaths with {Id} (a name, no literal)",
      withCaseInsensitive(twoRoutes(route("a", ["GET"], { path: "/a/{Id}" }), route("b", ["GET"], { path: "/b" }))),
      ACCEPT,
    ),
    // (Ward refuses µ and ς themselves as not lower case: their simple folding is μ and σ. A doc gap, not a hole.)
    one(
      "caseInsensitivePaths /\u00b5 and /\u03bc (micro sign reads as mu)",
      withCaseInsensitive(
        twoRoutes(route("a", ["GET"], { path: "/\u00b5" }), route("b", ["GET"], { path: "/\u03bc" })),
      ),
      refuse("duplicate-route", "invalid-path-pattern"),
    ),
    one(
      "caseInsensitivePaths /\u03c2 and /\u03c3 (final sigma reads as sigma)",
      withCaseInsensitive(
        twoRoutes(route("a", ["GET"], { path: "/x\u03c2" }), route("b", ["GET"], { path: "/x\u03c3" })),
      ),
      refuse("duplicate-route", "invalid-path-pattern"),
    ),
    one(
      "/\u00b5 and /\u03bc, case-sensitive service",
      twoRoutes(route("a", ["GET"], { path: "/\u00b5" }), route("b", ["GET"], { path: "/\u03bc" })),
      ACCEPT,
    ),

    // Hosts: one service per host; a wildcard covers exactly one more label.
    one(
      "*.example.com beside payments.example.com",
      changed([["services", "orders"], service(["*.example.com"])]),
      refuse("overlapping-hosts"),
    ),
    one(
      "*.payments.example.com beside payments.example.com",
      changed([["services", "orders"], service(["*.payments.example.com"])]),
      ACCEPT,
    ),
    one(
      "*.example.com in two services",
      changed([["services", "orders"], service(["*.example.com"])], [["services", "pay2"], service(["*.example.com"])]),
      refuse("overlapping-hosts"),
    ),
    // At most 253 characters (the reference's *host name*): no request names a longer one.
    one(
      "a host of 300 characters",
      changed([["services", "payments", "hosts"], [`${"a.".repeat(149)}com`]]),
      refuse("out-of-range"),
    ),
    one("a host of 253 characters", changed([["services", "payments", "hosts"], [`${"a.".repeat(125)}com`]]), ACCEPT),

    // Token audiences: unique across services, compared as strings.
    one(
      "tokenAudience equal to another's default",
      changed([
        ["services", "orders"],
        service(["orders.example.com"], { tokenAudience: "https://payments.example.com" }),
      ]),
      refuse("duplicate-token-audience"),
    ),
    one(
      "tokenAudience with a trailing slash",
      changed([
        ["services", "orders"],
        service(["orders.example.com"], { tokenAudience: "https://payments.example.com/" }),
      ]),
      ACCEPT,
    ),
    one(
      "two services with the same tokenAudience",
      changed(
        [["services", "orders"], service(["orders.example.com"], { tokenAudience: "x" })],
        [["services", "pay2"], service(["pay2.example.com"], { tokenAudience: "x" })],
      ),
      refuse("duplicate-token-audience"),
    ),

    // Identity sources taken away.
    one(
      "requireCertificate without mtls, with a SPIRE issuer",
      changed(
        [["identity", "mtls"], undefined],
        [["identity", "tokenIssuers", 1], SPIRE],
        [["services", "payments", "requireCertificate"], true],
        [["services", "payments", "routes", 1], undefined],
      ),
      refuse("mtls-not-configured"),
    ),
    one(
      "spiffe matchers without mtls, with a SPIRE issuer",
      changed(
        [["identity", "mtls"], undefined],
        [["identity", "tokenIssuers", 1], SPIRE],
        [["services", "payments", "routes", 1], undefined],
      ),
      ACCEPT,
    ),
    // bothFactors' workload side is the certificate alone: without identity.mtls it can never hold, and a deny
    // rule written with it never applies (as requireCertificate: true without mtls, mtls-not-configured).
    one(
      "bothFactors deny without mtls, with a SPIRE issuer",
      changed(
        [["identity", "mtls"], undefined],
        [["identity", "tokenIssuers", 1], SPIRE],
        [["services", "payments", "routes", 1, "rules", 0, "effect"], "deny"],
      ),
      refuse("mtls-not-configured"),
    ),
    one(
      "spiffe matchers without mtls, with a kubernetes issuer and no trustDomain",
      changed(
        [["identity", "mtls"], undefined],
        [["identity", "tokenIssuers", 1], KUBE],
        [["services", "payments", "routes", 1], undefined],
      ),
      refuse("mtls-not-configured"),
    ),
    one(
      "claims matcher without access, with a token issuer",
      changed(
        [["identity", "access"], undefined],
        [["principalSets"], {}],
        [["admin", "principals"], [{ spiffe: "spiffe://prod.example.com/ops" }]],
        [["services", "payments", "routes", 0, "rules", 1], undefined],
        [["services", "payments", "routes", 1], undefined],
        [[...RULE, "principals"], [{ claims: { a: "b" } }]],
      ),
      ACCEPT,
    ),
    one(
      "claims matcher without access or token issuers",
      changed(
        [["identity", "access"], undefined],
        [["identity", "tokenIssuers"], undefined],
        [["principalSets"], {}],
        [["admin", "principals"], [{ spiffe: "spiffe://prod.example.com/ops" }]],
        [["services", "payments", "routes", 0, "rules", 1], undefined],
        [["services", "payments", "routes", 1], undefined],
        [[...RULE, "principals"], [{ claims: { a: "b" } }]],
      ),
      refuse("access-not-configured"),
    ),
    one(
      "accessAudiences without access",
      changed(
        [["identity", "access"], undefined],
        [["principalSets"], {}],
        [["admin", "principals"], [{ spiffe: "spiffe://prod.example.com/ops" }]],
        [["services", "payments", "routes", 0, "rules", 1], undefined],
        [["services", "payments", "routes", 1], undefined],
        [["services", "payments", "accessAudiences"], ["a".repeat(64)]],
      ),
      refuse("access-not-configured"),
    ),
    one(
      "token issuer whose issuer is the team domain",
      changed([["identity", "tokenIssuers", 0, "issuer"], "https://acme.cloudflareaccess.com"]),
      refuse("duplicate-token-issuer"),
    ),
    one(
      "kubernetes issuer with trustDomain",
      changed([["identity", "tokenIssuers", 1], { ...KUBE, trustDomain: "prod.example.com" }]),
      ACCEPT,
    ),
    one(
      "spiffe-jwt-svid without trustDomain",
      changed([["identity", "tokenIssuers", 1], { ...SPIRE, trustDomain: undefined }]),
      refuse("token-issuer-trust-domain"),
    ),

    // Inline key sets.
    one(
      "jwks with a private member",
      changed([["identity", "tokenIssuers", 0, "keys"], { jwks: { keys: [{ ...EC_KEY, d: "x" }] } }]),
      refuse("invalid-jwks"),
    ),
    one(
      "jwks with two keys of one kid",
      changed([["identity", "tokenIssuers", 0, "keys"], { jwks: { keys: [EC_KEY, EC_KEY] } }]),
      refuse("invalid-jwks"),
    ),
    one(
      "jwks with an oct key",
      changed([["identity", "tokenIssuers", 0, "keys"], { jwks: { keys: [{ kty: "oct", kid: "k", k: "c2VjcmV0" }] } }]),
      refuse("invalid-jwks"),
    ),
    one(
      "jwks with a key without kid",
      changed([["identity", "tokenIssuers", 0, "keys"], { jwks: { keys: [{ ...EC_KEY, kid: undefined }] } }]),
      refuse("invalid-jwks"),
    ),
    one(
      "jwks with one usable key",
      changed([["identity", "tokenIssuers", 0, "keys"], { jwks: { keys: [EC_KEY] } }]),
      ACCEPT,
    ),
    one(
      "ssf jwks with a private key",
      changed(
        [["sharedSignals", "transmitters", "okta", "jwksUri"], undefined],
        [["sharedSignals", "transmitters", "okta", "jwks"], { keys: [{ ...EC_KEY, d: "x" }] }],
      ),
      refuse("ssf-key-unusable"),
    ),
    one(
      "ssf with neither key source",
      changed([["sharedSignals", "transmitters", "okta", "jwksUri"], undefined]),
      refuse("ssf-key-source"),
    ),
    one(
      "ssf jwks of 17 keys",
      changed(
        [["sharedSignals", "transmitters", "okta", "jwksUri"], undefined],
        [
          ["sharedSignals", "transmitters", "okta", "jwks"],
          { keys: Array.from({ length: 17 }, (_, i) => ({ ...EC_KEY, kid: `k${i}` })) },
        ],
      ),
      refuse("out-of-range", "ssf-key-unusable", "invalid-value"),
    ),

    // Rule headers whose names differ only in case name one header twice.
    one(
      "headers X-A and x-a",
      changed([[...RULE, "headers"], { "X-A": "1", "x-a": "2" }]),
      refuse("invalid-value", "duplicate-id", "invalid-format", "reserved-header"),
    ),
    // Bindings: any value with @ is an e-mail.
    one("binding access a@b@c", changed([["identityBindings", "deployers", 0, "access"], "a@b@example.com"]), ACCEPT),
    one("hours without to", changed([[...RULE, "when", "time", "hours"], { from: "08:00" }]), refuse("missing-field")),
    one("quarantine {}", changed([["quarantine"], {}]), refuse("missing-field")),
    one(
      "route with path and pathPrefix",
      changed([["services", "payments", "routes", 0, "pathPrefix"], "/v1"]),
      refuse("invalid-path-pattern"),
    ),
    one(
      "route with neither path nor pathPrefix",
      changed([["services", "payments", "routes", 0, "path"], undefined]),
      refuse("invalid-path-pattern"),
    ),
    one("a set named with upper case", changed([["principalSets", "SRE"], [{ public: true }]]), FORMAT),
  ];
}

function withCaseInsensitive(doc: Doc): Doc {
  return withValue(doc, ["services", "orders", "caseInsensitivePaths"], true);
}

const SPIRE = {
  name: "spire",
  kind: "spiffe-jwt-svid",
  issuer: "https://spire.example.com",
  keys: { jwksUrl: "https://spire.example.com/bundle" },
  trustDomain: "prod.example.com",
};
const KUBE = {
  name: "kube",
  kind: "kubernetes",
  issuer: "https://kube.example.com",
  keys: { jwksUrl: "https://kube.example.com/keys" },
};
const EC_KEY = {
  kty: "EC",
  crv: "P-256",
  kid: "k1",
  x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
  y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
};
