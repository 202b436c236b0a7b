// validate: one fixture per IssueCode, each provoking exactly that issue (code, severity, exact path), the
// did-you-mean hints, and the example policies (valid, zero issues).
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Issue, IssueCode, Severity } from "../../policy/issues.ts";
import { formatIssue } from "../../policy/issues.ts";
import { loadStoredDocument, validatePolicyText } from "../../policy/load.ts";
import { canonicalJson } from "../../policy/hash.ts";
import { validatePolicy } from "../../policy/validate/index.ts";
import { cluster, github, spire } from "./support/token-issuers.ts";

const CHECKOUT = "spiffe://prod.example.com/ns/checkout/sa/api";
// A client certificate the fixtures CA issued (test/fixtures/certs/README.md).
const CHECKOUT_PEM = readFileSync(join(import.meta.dirname, "../fixtures/certs/checkout.pem"), "utf8");
const CA_PEM = readFileSync(join(import.meta.dirname, "../fixtures/certs/ca.pem"), "utf8");

/** A policy with zero issues; each fixture below changes one thing. */
function base(): any {
  return {
    version: 1,
    metadata: { environment: "dev", trustDomains: ["prod.example.com"], owners: ["security@example.com"] },
    identity: {
      access: { teamDomain: "https://example.cloudflareaccess.com", audiences: ["a".repeat(64)] },
      mtls: { issuers: [{ dn: "CN=Example Workload CA", trustDomains: ["prod.example.com"] }] },
    },
    principalSets: { checkout: [{ spiffe: CHECKOUT }] },
    identityBindings: { "checkout-ops": [{ workload: CHECKOUT, access: "ops@example.com" }] },
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
            rules: [{ id: "checkout", effect: "allow", principals: [{ set: "checkout" }] }],
          },
        ],
      },
    },
  };
}

const R0 = "services.payments.routes[0]";
const RULE0 = `${R0}.rules[0]`;
const route0 = (d: any) => d.services.payments.routes[0];
const rule0 = (d: any) => route0(d).rules[0];
const anotherRoute = (over: object) => ({
  id: "other",
  methods: ["POST"],
  path: "/v1/other",
  rules: [{ id: "checkout", effect: "allow", principals: [{ set: "checkout" }] }],
  ...over,
});

/** A trusted transmitter of security events (sharedSignals), valid as it stands. */
const signals = (d: any, over: object = {}) => {
  d.sharedSignals = {
    audience: "https://ward.example.com/dev",
    transmitters: {
      idp: { issuer: "https://idp.example.com/", jwksUri: "https://idp.example.com/jwks", events: ["session-revoked"] },
    },
  };
  Object.assign(d.sharedSignals.transmitters.idp, over);
  return d.sharedSignals;
};
const IDP = "sharedSignals.transmitters.idp";

interface Fixture {
  /** Changes the base document, or is the policy text itself. */
  change: ((d: any) => void) | string;
  severity: Severity;
  path: string;
  message?: string | RegExp;
  hint?: string;
}

// `satisfies Record<IssueCode, ...>`: a new code fails the type check until it has a fixture here.
const FIXTURES = {
  "invalid-syntax": { change: "version: 1\nmetadata: [\n", severity: "error", path: "(document)" },
  "unknown-field": {
    change: (d) => (rule0(d).descripton = "typo"),
    severity: "error",
    path: `${RULE0}.descripton`,
    message: 'unknown field "descripton"',
    hint: 'did you mean "description"?',
  },
  "missing-field": {
    change: (d) => delete d.services.payments.owner,
    severity: "error",
    path: "services.payments.owner",
    message: "required field is missing (expected string)",
  },
  "invalid-type": {
    change: (d) => (d.services.payments.hosts = "payments.example.com"),
    severity: "error",
    path: "services.payments.hosts",
    message: /expected array, received string/,
  },
  "invalid-value": {
    change: (d) => (rule0(d).effect = "permit"),
    severity: "error",
    path: `${RULE0}.effect`,
    message: 'must be one of "allow", "deny"',
  },
  "invalid-format": {
    change: (d) => (d.services.payments.hosts = ["Payments.example.com"]),
    severity: "error",
    path: "services.payments.hosts[0]",
    message: /lower-case host name/,
  },
  "out-of-range": {
    change: (d) => (rule0(d).rateLimit = { limit: 0, period: "60s" }),
    severity: "error",
    path: `${RULE0}.rateLimit.limit`,
  },
  "duplicate-id": {
    change: (d) => d.services.payments.routes.push(anotherRoute({ id: "charge" })),
    severity: "error",
    path: "services.payments.routes[1].id",
    message: 'route id "charge" is already used by routes[0]',
  },
  "duplicate-fingerprint": {
    change: (d) =>
      (d.identity.mtls.registry = [
        { fingerprintSha256: "ab".repeat(32), id: "spiffe://prod.example.com/legacy/billing" },
        { fingerprintSha256: `${"AB:".repeat(31)}AB`, id: "spiffe://prod.example.com/legacy/ledger" },
      ]),
    severity: "error",
    path: "identity.mtls.registry[1].fingerprintSha256",
    message: "the fingerprint of registry[0] again",
    hint: "list each certificate once, with the one id it stands for",
  },
  "duplicate-route": {
    change: (d) => d.services.payments.routes.push(anotherRoute({ methods: ["GET", "POST"], path: "/v1/charge" })),
    severity: "error",
    path: "services.payments.routes[1].path",
    message: "same path and method as routes[0]",
    hint: "merge the rules into one route",
  },
  "overlapping-hosts": {
    change: (d) => (d.services.orders = { ...structuredClone(d.services.payments), origin: { tunnel: "ORDERS_API" } }),
    severity: "error",
    path: "services.orders.hosts[0]",
    message: 'host "payments.example.com" is already served by service "payments"',
  },
  "unknown-principal-set": {
    change: (d) => (rule0(d).principals = [{ set: "chekout" }]),
    severity: "error",
    path: `${RULE0}.principals[0]`,
    message: 'unknown principal set "chekout"',
    hint: 'did you mean "checkout"?',
  },
  "unknown-identity-binding": {
    change: (d) => {
      delete rule0(d).principals;
      rule0(d).bothFactors = {
        workload: [{ set: "checkout" }],
        access: [{ email: "ops@example.com" }],
        binding: "checkout-op",
      };
    },
    severity: "error",
    path: `${RULE0}.bothFactors.binding`,
    message: 'unknown identity binding "checkout-op"',
    hint: 'did you mean "checkout-ops"?',
  },
  "invalid-path-pattern": {
    change: (d) => (route0(d).path = "/v1/{**}/charge"),
    severity: "error",
    path: `${R0}.path`,
    message: "{**} may only be the last segment",
  },
  "invalid-rule-principals": {
    change: (d) => delete rule0(d).principals,
    severity: "error",
    path: RULE0,
    message: "a rule names who with exactly one of principals or bothFactors",
  },
  "origin-not-tunnel": {
    change: (d) => (d.services.payments.origin = "PAYMENTS_API"),
    severity: "error",
    path: "services.payments.origin",
    message: "origin must be written { tunnel: PAYMENTS_API }",
  },
  "public-origin": {
    change: (d) => (d.services.payments.origin = { url: "https://payments.example.com", publicUrl: true }),
    severity: "warning",
    path: "services.payments.origin",
    message: /routable address/,
  },
  "access-not-configured": {
    change: (d) => {
      delete d.identity.access;
      rule0(d).principals = [{ email: "alice@example.com" }];
    },
    severity: "error",
    path: `${RULE0}.principals[0]`,
    message: "email alice@example.com needs identity.access",
  },
  "mtls-not-configured": {
    change: (d) => {
      delete d.identity.mtls;
      d.principalSets = {};
      rule0(d).principals = [{ email: "alice@example.com" }, { trustDomain: "prod.example.com" }];
    },
    severity: "error",
    path: `${RULE0}.principals[1]`,
    message: "trustDomain prod.example.com needs identity.mtls",
  },
  "issuer-trust-domains-missing": {
    change: (d) => delete d.identity.mtls.issuers[0].trustDomains,
    severity: "warning",
    path: "identity.mtls.issuers[0]",
    message:
      "the issuer does not name the trust domains it may issue for, so it may issue SPIFFE IDs for every trust domain in metadata.trustDomains (prod.example.com)",
    hint: "add trustDomains: [prod.example.com] (only that CA's trust domains)",
  },
  "invalid-issuer-certificate": {
    // A leaf, not a CA: its key signs no certificate.
    change: (d) => (d.identity.mtls.issuers[0] = { certificate: CHECKOUT_PEM, trustDomains: ["prod.example.com"] }),
    severity: "error",
    path: "identity.mtls.issuers[0].certificate",
    message: "the pinned certificate is not a CA's certificate (no basicConstraints with CA:TRUE)",
    hint: "paste the issuing CA's certificate as PEM (the file uploaded to Cloudflare for mTLS), under certificate: |",
  },
  "issuer-pinned-by-name-too": {
    change: (d) => {
      d.identity.mtls.issuers = [
        { certificate: CA_PEM, trustDomains: ["prod.example.com"] },
        { ski: "3A:45:F8:48:C6:05:0C:D8:6D:58:FE:6D:A7:72:C4:F3:C3:CE:F5:C2", trustDomains: ["prod.example.com"] },
      ];
    },
    severity: "warning",
    path: "identity.mtls.issuers[1].ski",
    message:
      "this CA is pinned by its certificate too, and this pin by its SKI alone: a look-alike CA that carries the SKI gets this pin's trust domains, whatever the certificate pin checks",
    hint: "remove this pin (give its trust domains to the certificate pin)",
  },
  "spiffe-outside-trust-domain": {
    change: (d) => (d.principalSets.checkout = [{ spiffe: "spiffe://prod.exmple.com/ns/checkout/sa/api" }]),
    severity: "warning",
    path: "principalSets.checkout[0]",
    message: 'trust domain "prod.exmple.com" is not in metadata.trustDomains',
    hint: 'did you mean "prod.example.com"?',
  },
  "open-spiffe-prefix": {
    change: (d) => (d.principalSets.checkout = [{ spiffePrefix: "spiffe://prod.example.com" }]),
    severity: "warning",
    path: "principalSets.checkout[0]",
    message: `"spiffe://prod.example.com" does not end in '/': it also matches "spiffe://prod.example.com.evil.example/..."`,
    hint: `end it with '/': "spiffe://prod.example.com/"`,
  },
  "invalid-time-window": {
    change: (d) => (rule0(d).when = { time: { hours: { from: "09:00", to: "09:00" } } }),
    severity: "error",
    path: `${RULE0}.when.time.hours`,
    message: "from and to are equal: the window is empty",
  },
  "unknown-country-code": {
    change: (d) => (rule0(d).when = { country: ["DE", "XX"] }),
    severity: "warning",
    path: `${RULE0}.when.country[1]`,
    message: "XX is Cloudflare's code for no country known, read as an unknown country: an allow rule never matches it",
    hint: "remove XX",
  },
  "literal-star": {
    change: (d) => (route0(d).path = "/v1/*"),
    severity: "warning",
    path: `${R0}.path`,
    message: '"*" in /v1/* is a literal character, not a wildcard',
    hint: "use {*} for one segment, {**} or pathPrefix for the rest of the path",
  },
  "rate-limit-not-shared": {
    change: (d) => {
      rule0(d).rateLimit = { limit: 100, period: "60s", key: "principal" };
      d.services.payments.routes.push(
        anotherRoute({
          rules: [
            {
              id: "checkout",
              effect: "allow",
              principals: [{ set: "checkout" }],
              rateLimit: { limit: 10, period: "1s", key: "principal" },
            },
          ],
        }),
      );
    },
    severity: "warning",
    path: "services.payments.routes[1].rules[0].rateLimit",
    message: `rules with key: principal share one count of the caller's requests only with the same limit and period: this one (10 per 1s) counts apart from ${RULE0}.rateLimit (100 per 60s)`,
    hint: "give them the same limit and period for one count across the service, or key: principal+route for a count per route",
  },
  "rate-limit-on-deny": {
    change: (d) =>
      route0(d).rules.unshift({
        id: "no-ops",
        effect: "deny",
        principals: [{ email: "ops@example.com" }],
        rateLimit: { limit: 1, period: "1s" },
      }),
    severity: "error",
    path: `${RULE0}.rateLimit`,
    message: "a deny rule cannot carry a rate limit",
  },
  "headers-on-deny": {
    change: (d) =>
      route0(d).rules.push({
        id: "no-ops",
        effect: "deny",
        principals: [{ email: "ops@example.com" }],
        headers: { "x-team": "ops" },
      }),
    severity: "error",
    path: `${R0}.rules[1].headers`,
    message: "a deny rule forwards nothing, so it cannot set headers",
  },
  "reserved-header": {
    change: (d) => (rule0(d).headers = { "X-Forwarded-For": "10.0.0.1" }),
    severity: "error",
    path: `${RULE0}.headers.X-Forwarded-For`,
    message:
      'header "X-Forwarded-For" is set by Ward or Cloudflare, or overrides what the policy decided: no rule sets it',
  },
  "identity-header-forwarded": {
    change: (d) => (d.services.payments.forwardHeaders = ["X-User-Email"]),
    severity: "warning",
    path: "services.payments.forwardHeaders[0]",
    message: '"X-User-Email" looks like a header that names the caller: any client can send it',
    hint: "an origin learns who called from Ward's assertion (ward-assertion), never from a header a client can set",
  },
  "shadowed-rule": {
    change: (d) => route0(d).rules.push({ id: "again", effect: "allow", principals: [{ spiffe: CHECKOUT }] }),
    severity: "warning",
    path: `${R0}.rules[1]`,
    message: 'rule "again" can never decide: it is shadowed by "checkout"',
    hint: "remove it or narrow the earlier rule",
  },
  "route-letters-refused": {
    change: (d) => d.services.payments.routes.push(anotherRoute({ path: "/v1/charg\u00e9" })),
    severity: "warning",
    path: "services.payments.routes[1].path",
    message:
      "requests to /v1/charg\u00e9 are refused (path-letters-ambiguous): an origin that changes letters reads it as /v1/charge, the path of routes[0]",
    hint: "rename one of the two paths, or merge their rules into one route",
  },
  "route-letters-decomposed": {
    // From a closing review: `cafe` + U+0301 shows as `café`, an admin route's path beside it, and is not it.
    change: (d) => d.services.payments.routes.push(anotherRoute({ path: "/v1/cafe\u0301" })),
    severity: "warning",
    path: "services.payments.routes[1].path",
    message:
      '"/v1/cafe\\u0301" is not in NFC: it shows as /v1/caf\u00e9, which a request written so (as browsers send it) does not reach',
    hint: "write it composed: /v1/caf\u00e9",
  },
  "route-never-allows": {
    change: (d) => (rule0(d).effect = "deny"),
    severity: "warning",
    path: R0,
    message: 'route "charge" has no allow rule',
  },
  "deny-covers-route": {
    change: (d) =>
      d.services.payments.routes.push(
        anotherRoute({
          id: "v1",
          path: undefined,
          pathPrefix: "/v1",
          rules: [{ id: "no-ops", effect: "deny", principals: [{ email: "ops@example.com" }] }],
        }),
      ),
    severity: "warning",
    path: "services.payments.routes[1]",
    message: 'deny rules no-ops of route "v1" also apply to requests route "charge" takes (such as POST /v1/charge)',
  },
  "route-escapable": {
    change: (d) =>
      d.services.payments.routes.push(
        anotherRoute({
          id: "reports",
          methods: ["GET"],
          path: "/v1/reports",
          rules: [{ id: "ops", effect: "allow", principals: [{ email: "ops@example.com" }] }],
        }),
        anotherRoute({
          id: "heads",
          methods: ["HEAD"],
          path: undefined,
          pathPrefix: "/v1",
          rules: [{ id: "staff", effect: "allow", principals: [{ emailDomain: "example.com" }] }],
        }),
      ),
    severity: "warning",
    path: "services.payments.routes[1]",
    message:
      'HEAD /v1/reports is decided by route "heads" (allow rules staff), not by route "reports": its origin most likely serves it with the same handler',
    hint: 'add HEAD to the methods of "reports", so its rules decide HEAD too',
  },
  "route-escapes-unchecked": {
    // `/{*}/charge/` shares paths with every `/bN/{*}`: two trie nodes each, past route-escapable's 500.
    change: (d) => {
      route0(d).path = "/{*}/charge";
      for (let i = 0; i < 300; i++) d.services.payments.routes.push(anotherRoute({ id: `b${i}`, path: `/b${i}/{*}` }));
    },
    severity: "warning",
    path: "services.payments.routes",
    message:
      'route "charge" overlaps so many other routes that route-escapable compared its HEAD, trailing-slash and PATH_INFO spellings with only the first 64 paths or 500 path-tree nodes: a way around it may go unreported',
  },
  "too-many-routes": {
    // Reported alone: the other checks' memory grows with the routes, so they do not run.
    change: (d) => {
      for (let i = d.services.payments.routes.length; i <= 10_000; i++)
        d.services.payments.routes.push(anotherRoute({ id: `r${i}`, path: `/r${i}` }));
    },
    severity: "error",
    path: "services",
    message: "the policy has 10001 routes; a policy may have at most 10000, its services together",
  },
  "audit-on-allow-rule": {
    change: (d) => (rule0(d).mode = "audit"),
    severity: "error",
    path: `${RULE0}.mode`,
    message: /mode is for deny rules/,
  },
  "audit-in-production": {
    change: (d) => {
      d.metadata.environment = "production";
      d.services.payments.mode = "audit";
    },
    severity: "warning",
    path: "services.payments.mode",
    message: /audit mode in production/,
  },
  "websocket-without-get": {
    change: (d) => (d.services.payments.routes[0].websocket = true),
    severity: "error",
    path: "services.payments.routes[0].websocket",
    message: "route charge allows WebSocket upgrades but not GET, the only method an upgrade comes with",
  },
  "websocket-rate-below-message": {
    change: (d) => {
      d.services.payments.routes[0].methods = ["GET"];
      d.services.payments.routes[0].websocket = { maxMessageBytes: 65536, maxBytesPerSecond: 4096 };
    },
    severity: "warning",
    path: "services.payments.routes[0].websocket.maxBytesPerSecond",
    message:
      "route charge allows messages of 65536 bytes but 4096 bytes a second: Ward applies 65600 a second (a message counts 64 bytes besides its own), so that one such message can pass",
    hint: "set maxBytesPerSecond to at least 65600, or lower maxMessageBytes",
  },
  "duplicate-token-issuer": {
    change: (d) => (d.identity.tokenIssuers = [spire(), spire({ name: "spire-again" })]),
    severity: "error",
    path: "identity.tokenIssuers[1].issuer",
    message: "the issuer of tokenIssuers[0] again",
  },
  "token-issuer-trust-domain": {
    change: (d) => (d.identity.tokenIssuers = [spire({ trustDomain: undefined })]),
    severity: "error",
    path: "identity.tokenIssuers[0]",
    message: /needs the trust domain its SPIFFE IDs belong to/,
  },
  "invalid-jwks": {
    change: (d) =>
      (d.identity.tokenIssuers = [
        spire({ keys: { jwks: { keys: [{ kty: "EC", crv: "P-256", x: "x", y: "y", d: "secret", kid: "k1" }] } } }),
      ]),
    severity: "error",
    path: "identity.tokenIssuers[0].keys.jwks.keys[0].d",
    message: "a private key member: push only the public key",
  },
  "jwks-key-unusable": {
    change: (d) =>
      (d.identity.tokenIssuers = [
        spire({
          keys: {
            jwks: {
              keys: [
                { kty: "OKP", crv: "Ed448", x: "x", kid: "k0", use: "jwt-svid" },
                { kty: "EC", crv: "P-256", x: "x", y: "y", kid: "k1", use: "jwt-svid" },
              ],
            },
          },
        }),
      ]),
    severity: "warning",
    path: "identity.tokenIssuers[0].keys.jwks.keys[0]",
    message: "an OKP key on Ed448, where EdDSA is on Ed25519: the gateway verifies no token with it",
  },
  "token-issuer-unconstrained": {
    change: (d) => (d.identity.tokenIssuers = [github({ requireClaims: undefined })]),
    severity: "warning",
    path: "identity.tokenIssuers[0]",
    message: /whoever it was minted for/,
  },
  "kubernetes-trust-domain-shared": {
    change: (d) =>
      (d.identity.tokenIssuers = [
        cluster({ trustDomain: "prod.example.com" }),
        cluster({
          name: "cluster-b",
          issuer: "https://kubernetes-b.prod.example.com",
          keys: { discovery: "https://kubernetes-b.prod.example.com/.well-known/openid-configuration" },
          trustDomain: "prod.example.com",
        }),
      ]),
    severity: "warning",
    path: "identity.tokenIssuers[1].trustDomain",
    message: /tokenIssuers\[0\] maps its cluster's service accounts into "prod.example.com" too/,
  },
  "duplicate-token-audience": {
    change: (d) => {
      d.services.payments.tokenAudience = "https://orders.example.com";
      d.services.orders = { ...structuredClone(d.services.payments), hosts: ["orders.example.com"] };
      delete d.services.orders.tokenAudience;
    },
    severity: "error",
    path: "services.orders.hosts[0]",
    message: 'workload tokens for "https://orders.example.com" would count at services "payments" and "orders" alike',
  },
  "admin-audience-claimed": {
    change: (d) => {
      d.admin = { principals: [{ email: "ops@example.com" }] };
      d.services.payments.accessAudiences = ["a".repeat(64)];
    },
    severity: "warning",
    path: "identity.access.audiences",
    message: /no Access token counts on a host no service answers/,
  },
  "unknown-access-audience": {
    change: (d) => (d.services.payments.accessAudiences = ["b".repeat(64)]),
    severity: "error",
    path: "services.payments.accessAudiences[0]",
    message: /not one of identity.access.audiences/,
  },
  "scopes-not-carried": {
    change: (d) => (rule0(d).when = { scopes: ["payments:charge"] }),
    severity: "warning",
    path: `${RULE0}.when.scopes`,
    message: /no configured credential carries scopes/,
  },
  "invalid-service-token-id": {
    // A name as a person might write it: not one Access puts in a service token's common_name.
    change: (d) => (rule0(d).principals = [{ serviceToken: "ci-bot" }]),
    severity: "error",
    path: `${RULE0}.principals[0]`,
    message: '"ci-bot" is not a service token\'s client id: no Access token would match it',
  },
  "group-white-space": {
    // Quoted YAML keeps the space; Access's groups never match it, and a grant may not name it (a session's note).
    change: (d) => (rule0(d).principals = [{ group: " sre" }]),
    severity: "warning",
    path: `${RULE0}.principals[0]`,
    message: 'the group " sre" has white space around it: it matches only a group spelt with it',
  },
  "group-mixed-scripts": {
    // `сre` with a Cyrillic `с` (U+0441): reads as `cre`, matches no group so spelt in Latin (a black-box review).
    change: (d) => (rule0(d).principals = [{ group: "\u0441re-team" }]),
    severity: "warning",
    path: `${RULE0}.principals[0]`,
    message:
      'the group "\u0441re-team" has a word mixing Latin and Cyrillic letters ("\\u0441re-team"): it reads as another name, and matches only a group spelt with those very letters',
  },
  "condition-source-missing": {
    // From a docs review: a condition on a fact no credential supplies validated clean; a deny rule so written
    // refuses everyone it names, an allow rule admits nobody.
    change: (d) => {
      delete d.identity.access;
      delete d.identityBindings;
      rule0(d).when = { claims: { team: "payments" } };
    },
    severity: "warning",
    path: `${RULE0}.when.claims`,
    message:
      "claims come from Access tokens or identity.tokenIssuers, and neither is configured: no caller has a claim, so it admits nobody",
  },
  "break-glass-capped": {
    // From a docs review: the admin API takes --minutes up to 1,440 whatever the policy allows.
    change: (d) => (d.exceptions = { breakGlassMaxDuration: "2d" }),
    severity: "warning",
    path: "exceptions.breakGlassMaxDuration",
    message:
      "2d is longer than a break-glass grant may last (24 h: the caller approves their own): ward breakglass --minutes takes at most 1440",
  },
  "ssf-key-source": {
    change: (d) => signals(d, { jwks: { keys: [{ kty: "EC", crv: "P-256", x: "x", y: "y" }] } }),
    severity: "error",
    path: IDP,
    message: "both jwksUri and jwks: name one source of signing keys",
  },
  "ssf-key-unusable": {
    change: (d) =>
      signals(d, { jwksUri: undefined, jwks: { keys: [{ kty: "EC", crv: "P-256", x: "x", y: "y", d: "secret" }] } }),
    severity: "error",
    path: `${IDP}.jwks.keys[0]`,
    message: "a private or secret key (d): give only the public key",
  },
  "ssf-algorithm": {
    change: (d) => signals(d, { algorithms: ["RS256", "HS256"] }),
    severity: "error",
    path: `${IDP}.algorithms[1]`,
    message: "HS256 is a shared secret: whoever can check a SET could forge one",
  },
  "ssf-duplicate-issuer": {
    change: (d) => {
      signals(d).transmitters.again = {
        issuer: "https://idp.example.com/",
        jwksUri: "https://idp.example.com/k",
        events: ["account-disabled"],
      };
    },
    severity: "error",
    path: "sharedSignals.transmitters.again.issuer",
    message: 'issuer https://idp.example.com/ is already trusted as transmitter "idp"',
  },
  "ssf-without-access": {
    change: (d) => {
      signals(d);
      delete d.identity.access;
      delete d.identityBindings;
    },
    severity: "warning",
    path: "sharedSignals",
  },
  "ssf-hold-shorter-than-tokens": {
    change: (d) => {
      signals(d);
      d.sharedSignals.holdFor = "24h";
      d.identity.access.maxTokenLifetime = "720h";
    },
    severity: "warning",
    path: "sharedSignals.holdFor",
    message:
      "holdFor 24h is shorter than the 720h a person's Access token may count (identity.access maxTokenLifetime): a token of a session revoked by an event counts again once the hold ends",
  },
} satisfies Record<IssueCode, Fixture>;

function run(change: Fixture["change"]): ReturnType<typeof validatePolicy> {
  if (typeof change === "string") return validatePolicyText(change);
  const doc = base();
  change(doc);
  return validatePolicy(doc);
}

describe("validatePolicy", () => {
  it("the base fixture is valid with zero issues", () => {
    expect(validatePolicy(base())).toMatchObject({ ok: true, issues: [] });
  });

  it.each(Object.entries(FIXTURES) as [IssueCode, Fixture][])("%s", (code, fixture) => {
    const result = run(fixture.change);
    expect(result.issues.map((i) => i.code)).toEqual([code]);
    const issue = result.issues[0]!;
    expect(issue.severity).toBe(fixture.severity);
    expect(issue.path).toBe(fixture.path);
    expect(issue.message.length).toBeGreaterThan(0);
    if (typeof fixture.message === "string") expect(issue.message).toBe(fixture.message);
    else if (fixture.message) expect(issue.message).toMatch(fixture.message);
    if (fixture.hint !== undefined) expect(issue.hint).toBe(fixture.hint);
    // Warnings never make a policy invalid; errors always do.
    expect(result.ok).toBe(fixture.severity === "warning");
  });
});

describe("the route bound", () => {
  it("takes MAX_ROUTES routes, its services together, and refuses one more wherever it is", () => {
    const withRoutes = (d: any, perService: number[]) => {
      const template = d.services.payments;
      d.services = {};
      perService.forEach((count, s) => {
        const routes = Array.from({ length: count }, (_, i) => anotherRoute({ id: `r${i}`, path: `/r${i}` }));
        d.services[`svc-${s}`] = { ...template, hosts: [`svc-${s}.internal.example.com`], routes };
      });
    };
    expect(run((d) => withRoutes(d, [4_000, 6_000])).issues.map((i) => i.code)).not.toContain("too-many-routes");
    expect(run((d) => withRoutes(d, [4_000, 6_001])).issues.map((i) => i.code)).toEqual(["too-many-routes"]);
    // Beside a schema error too: the routes that have their shape are counted (a broken one is left out).
    const mixed = run((d) => {
      withRoutes(d, [10_002]);
      d.services["svc-0"].routes[0].owner = "x";
    });
    expect(mixed.issues.map((i) => i.code)).toEqual(["unknown-field", "too-many-routes"]);
  });

  it("a version already stored loads past it: an upgrade does not stop the gateway loading what it runs", () => {
    const doc = base();
    for (let i = 0; i <= 10_000; i++) doc.services.payments.routes.push(anotherRoute({ id: `r${i}`, path: `/r${i}` }));
    expect(validatePolicy(doc).issues.map((i) => i.code)).toEqual(["too-many-routes"]);
    const stored = loadStoredDocument(canonicalJson(doc), "v");
    expect(stored.ok && stored.policy.document.services.payments!.routes.length).toBe(10_002);
  });
});

describe("the longest periods a policy may set", () => {
  it("takes a year (366d) as a rate-limit window, the exception limits and a quarantine's", () => {
    const d = base();
    rule0(d).rateLimit = { limit: 5, period: "366d" };
    d.exceptions = { maxDuration: "366d", breakGlassMaxDuration: "8784h" };
    d.quarantine = { deniedRequests: 5, within: "366d", for: "366d" };
    const result = validatePolicy(d);
    expect(result.ok, JSON.stringify(result.issues)).toBe(true);
  });
});

describe("more fixtures per code", () => {
  it.each<[string, (d: any) => void, IssueCode, string]>([
    ["version 2", (d) => (d.version = 2), "invalid-value", "version"],
    // From a black-box review: 12345678901234567890 is read as 12345678901234567000, which tokens of other ids
    // round to as well. In a matcher, a condition, a list of values and an issuer's requireClaims.
    [
      "a claim's whole number past 2^53",
      (d) => (rule0(d).principals = [{ claims: { org_id: Number("12345678901234567890") } }]),
      "invalid-value",
      `${RULE0}.principals[0].claims.org_id`,
    ],
    [
      "one past 2^53 in a condition's list",
      (d) => (rule0(d).when = { claims: { org: [1, 2 ** 53] } }),
      "invalid-value",
      `${RULE0}.when.claims.org[1]`,
    ],
    [
      "device posture in a deny rule without identity.access",
      (d) => {
        delete d.identity.access;
        delete d.identityBindings;
        route0(d).rules.push({
          id: "unmanaged",
          effect: "deny",
          principals: [{ set: "checkout" }],
          when: { devicePosture: ["disk-encrypted"] },
        });
      },
      "condition-source-missing",
      `${R0}.rules[1].when.devicePosture`,
    ],
    // From a docs review: a host no request can name (over 253 characters) served nothing, silently.
    [
      "a host over 253 characters",
      (d) => (d.services.payments.hosts = [`${"a.".repeat(126)}com`]),
      "out-of-range",
      "services.payments.hosts[0]",
    ],
    // From a docs review: `spiffe://td` names the trust domain, never a workload, so these named nobody (a deny too).
    [
      "a spiffe matcher naming a trust domain's own ID",
      (d) => (rule0(d).principals = [{ spiffe: "spiffe://prod.example.com" }]),
      "invalid-value",
      `${RULE0}.principals[0].spiffe`,
    ],
    [
      "a binding's workload that is a trust domain's own ID",
      (d) => (d.identityBindings["checkout-ops"][0].workload = "spiffe://prod.example.com"),
      "invalid-value",
      "identityBindings.checkout-ops[0].workload",
    ],
    // From a docs review: only a service's audit mode warned; a deny rule on trial forwards what it would refuse.
    [
      "a deny rule on trial in production",
      (d) => {
        d.metadata.environment = "production";
        route0(d).rules.unshift({ id: "trial", effect: "deny", mode: "audit", principals: [{ authenticated: true }] });
      },
      "audit-in-production",
      `${RULE0}.mode`,
    ],
    ["unknown metadata field", (d) => (d.metadata.owner = "x"), "unknown-field", "metadata.owner"],
    ["missing metadata", (d) => delete d.metadata, "missing-field", "metadata"],
    // From a generated review: a missing enum, literal or union field was invalid-value, as if it had a value.
    ["missing effect", (d) => delete rule0(d).effect, "missing-field", `${RULE0}.effect`],
    ["missing version", (d) => delete d.version, "missing-field", "version"],
    ["missing origin", (d) => delete d.services.payments.origin, "missing-field", "services.payments.origin"],
    ["effect null", (d) => (rule0(d).effect = null), "invalid-value", `${RULE0}.effect`],
    ["hide is not a boolean", (d) => (d.services.payments.hide = "yes"), "invalid-type", "services.payments.hide"],
    [
      "service name not lower case",
      (d) => (d.services = { Payments: d.services.payments }),
      "invalid-format",
      "services.Payments",
    ],
    ["no routes", (d) => (d.services.payments.routes = []), "out-of-range", "services.payments.routes"],
    [
      "bad duration",
      (d) => (rule0(d).rateLimit = { limit: 5, period: "5 minutes" }),
      "invalid-format",
      `${RULE0}.rateLimit.period`,
    ],
    // A window past a year: a 310-digit one is Infinity seconds (no limit at all), one of millennia asks the
    // limiter for an alarm past what the runtime accepts.
    [
      "a rate-limit period above 366d",
      (d) => (rule0(d).rateLimit = { limit: 5, period: "367d" }),
      "out-of-range",
      `${RULE0}.rateLimit.period`,
    ],
    [
      "a rate-limit period of 310 digits",
      (d) => (rule0(d).rateLimit = { limit: 5, period: `1${"0".repeat(309)}s` }),
      "out-of-range",
      `${RULE0}.rateLimit.period`,
    ],
    [
      "a quarantine counted within millennia",
      (d) => (d.quarantine = { deniedRequests: 5, within: "100000d", for: "1h" }),
      "out-of-range",
      "quarantine.within",
    ],
    [
      "a quarantine of millennia",
      (d) => (d.quarantine = { deniedRequests: 5, within: "60s", for: "100000000d" }),
      "out-of-range",
      "quarantine.for",
    ],
    [
      "an exceptions.maxDuration above 366d",
      (d) => (d.exceptions = { maxDuration: "9999999d" }),
      "out-of-range",
      "exceptions.maxDuration",
    ],
    [
      "an exceptions.breakGlassMaxDuration of 310 digits",
      (d) => (d.exceptions = { breakGlassMaxDuration: `1${"0".repeat(309)}m` }),
      "out-of-range",
      "exceptions.breakGlassMaxDuration",
    ],
    [
      "bad hour",
      (d) => (rule0(d).when = { time: { hours: { from: "9:00", to: "17:00" } } }),
      "invalid-format",
      `${RULE0}.when.time.hours.from`,
    ],
    ["lower-case country", (d) => (rule0(d).when = { country: ["de"] }), "invalid-format", `${RULE0}.when.country[0]`],
    // A token's scope string copied whole: no token holds it, so a deny rule naming it never applies (from a review).
    [
      "a scope holding a space",
      (d) => (rule0(d).when = { scopes: ["orders:read", "payments:refund admin"] }),
      "invalid-format",
      `${RULE0}.when.scopes[1]`,
    ],
    [
      "a scope holding a quote",
      (d) => (rule0(d).when = { scopes: ['a"b'] }),
      "invalid-format",
      `${RULE0}.when.scopes[0]`,
    ],
    [
      "a scope of 256 characters",
      (d) => (rule0(d).when = { scopes: ["s".repeat(256)] }),
      "invalid-format",
      `${RULE0}.when.scopes[0]`,
    ],
    ["unknown method", (d) => (route0(d).methods = ["TRACE"]), "invalid-value", `${R0}.methods[0]`],
    // Access's own tokens would count as workload tokens, under a workload issuer's limits and subjects.
    [
      "the Access team domain as a workload token issuer",
      (d) =>
        (d.identity.tokenIssuers = [
          github({
            name: "access",
            issuer: "https://example.cloudflareaccess.com/",
            keys: { discovery: "https://example.cloudflareaccess.com/.well-known/openid-configuration" },
          }),
        ]),
      "duplicate-token-issuer",
      "identity.tokenIssuers[0].issuer",
    ],
    // No token Access issues lives longer than a month (730h): a longer limit could only admit forged ones.
    [
      "a person's token lifetime above 730h",
      (d) => (d.identity.access.maxTokenLifetime = "731h"),
      "out-of-range",
      "identity.access.maxTokenLifetime",
    ],
    [
      "a service token's lifetime of 31 days",
      (d) => (d.identity.access.serviceTokenMaxLifetime = "31d"),
      "out-of-range",
      "identity.access.serviceTokenMaxLifetime",
    ],
    [
      "a token age above 730h in minutes",
      (d) => (d.identity.access.maxTokenAge = "43801m"),
      "out-of-range",
      "identity.access.maxTokenAge",
    ],
    [
      "a token lifetime that is no duration",
      (d) => (d.identity.access.maxTokenLifetime = "1 day"),
      "invalid-format",
      "identity.access.maxTokenLifetime",
    ],
    [
      "misspelt maxTokenLifetime",
      (d) => (d.identity.access.maxTokenLifetme = "8h"),
      "unknown-field",
      "identity.access.maxTokenLifetme",
    ],
    // The e-mail matcher takes the addresses the gateway takes from a token (policy/email-address.ts).
    [
      "an e-mail with a quoted local part",
      (d) => (d.principalSets.ops = [{ email: '"ops"@example.com' }]),
      "invalid-format",
      "principalSets.ops[0].email",
    ],
    [
      "an e-mail with a Kelvin sign",
      (d) => (d.principalSets.ops = [{ email: "\u212Aate@example.com" }]),
      "invalid-format",
      "principalSets.ops[0].email",
    ],
    [
      "nested principal set",
      (d) => (d.principalSets.all = [{ set: "checkout" }]),
      "invalid-value",
      "principalSets.all[0]",
    ],
    [
      "a SPIFFE ID with a trailing slash",
      (d) => (d.principalSets.checkout = [{ spiffe: "spiffe://prod.example.com/ns/frontend/sa/web/" }]),
      "invalid-format",
      "principalSets.checkout[0].spiffe",
    ],
    [
      "a SPIFFE ID with an upper-case trust domain",
      (d) => (d.principalSets.checkout = [{ spiffe: "spiffe://Prod.example.com/ns/x" }]),
      "invalid-format",
      "principalSets.checkout[0].spiffe",
    ],
    [
      "a SPIFFE ID with a dot segment",
      (d) => (d.principalSets.checkout = [{ spiffe: "spiffe://prod.example.com/ns/./x" }]),
      "invalid-format",
      "principalSets.checkout[0].spiffe",
    ],
    // Names that are also Object.prototype's keys are still just unknown names.
    [
      "a set named constructor",
      (d) => (rule0(d).principals = [{ set: "constructor" }]),
      "unknown-principal-set",
      `${RULE0}.principals[0]`,
    ],
    [
      "a binding named constructor",
      (d) => (
        (rule0(d).principals = undefined),
        (rule0(d).bothFactors = {
          workload: [{ spiffe: CHECKOUT }],
          access: [{ email: "ops@example.com" }],
          binding: "constructor",
        })
      ),
      "unknown-identity-binding",
      `${RULE0}.bothFactors.binding`,
    ],
    [
      "admin through a set named constructor",
      (d) => (d.admin = { principals: [{ set: "constructor" }] }),
      "unknown-principal-set",
      "admin.principals[0]",
    ],
    [
      "a claim named __proto__",
      (d) => (rule0(d).when = { claims: JSON.parse('{"__proto__": "admin", "dept": "eng"}') }),
      "invalid-value",
      `${RULE0}.when.claims.__proto__`,
    ],
    [
      "admin API open to everyone",
      (d) => (d.admin = { principals: [{ email: "a@example.com" }, { authenticated: true }] }),
      "invalid-value",
      "admin.principals[1]",
    ],
    [
      "admin API open to everyone through a set",
      (d) => {
        d.principalSets.everyone = [{ email: "a@example.com" }, { authenticated: true }];
        d.admin = { principals: [{ set: "everyone" }] };
      },
      "invalid-value",
      "admin.principals[0]",
    ],
    [
      "two keys in a matcher",
      (d) => (rule0(d).principals = [{ email: "a@example.com", group: "sre" }]),
      "invalid-value",
      `${RULE0}.principals[0]`,
    ],
    [
      "duplicate rule id",
      (d) => route0(d).rules.push({ id: "checkout", effect: "allow", principals: [{ email: "a@example.com" }] }),
      "duplicate-id",
      `${R0}.rules[1].id`,
    ],
    [
      "default rule ids clash",
      (d) =>
        route0(d).rules.push(
          { id: "rule-3", effect: "allow", principals: [{ email: "a@example.com" }] },
          { effect: "allow", principals: [{ email: "b@example.com" }] },
        ),
      "duplicate-id",
      `${R0}.rules[2].id`,
    ],
    [
      "prefix / and path /{**}",
      (d) =>
        d.services.payments.routes.push(
          anotherRoute({ methods: ["*"], path: undefined, pathPrefix: "/" }),
          anotherRoute({ id: "all", methods: ["GET"], path: "/{**}" }),
        ),
      "duplicate-route",
      "services.payments.routes[2].path",
    ],
    [
      "{id} and {*} are one pattern",
      (d) =>
        d.services.payments.routes.push(anotherRoute({ path: "/v1/{id}" }), anotherRoute({ id: "x", path: "/v1/{*}" })),
      "duplicate-route",
      "services.payments.routes[2].path",
    ],
    [
      "wildcard over an exact host",
      (d) => (d.services.orders = { ...structuredClone(d.services.payments), hosts: ["*.example.com"] }),
      "overlapping-hosts",
      "services.orders.hosts[0]",
    ],
    ["both path and pathPrefix", (d) => (route0(d).pathPrefix = "/v1"), "invalid-path-pattern", R0],
    ["neither path nor pathPrefix", (d) => delete route0(d).path, "invalid-path-pattern", R0],
    ["a path Ward answers itself", (d) => (route0(d).path = "/.ward/apps"), "invalid-path-pattern", `${R0}.path`],
    ["Ward's own prefix itself", (d) => (route0(d).path = "/.well-known/ward"), "invalid-path-pattern", `${R0}.path`],
    [
      "pathPrefix with a dot segment",
      (d) => {
        delete route0(d).path;
        route0(d).pathPrefix = "/v1/../admin";
      },
      "invalid-path-pattern",
      `${R0}.pathPrefix`,
    ],
    [
      "both principals and bothFactors",
      (d) =>
        (rule0(d).bothFactors = {
          workload: [{ set: "checkout" }],
          access: [{ email: "ops@example.com" }],
          binding: "checkout-ops",
        }),
      "invalid-rule-principals",
      RULE0,
    ],
    [
      "origin is a URL string",
      (d) => (d.services.payments.origin = "https://payments.example.com"),
      "origin-not-tunnel",
      "services.payments.origin",
    ],
    [
      "access matcher in a set without access",
      (d) => {
        delete d.identity.access;
        d.principalSets.ops = [{ group: "ops" }];
      },
      "access-not-configured",
      "principalSets.ops[0]",
    ],
    [
      "mtls matcher in a set without mtls",
      (d) => delete d.identity.mtls,
      "mtls-not-configured",
      "principalSets.checkout[0]",
    ],
    [
      "notBefore after notAfter",
      (d) => (rule0(d).when = { time: { notBefore: "2026-02-01T00:00:00Z", notAfter: "2026-01-01T00:00:00Z" } }),
      "invalid-time-window",
      `${RULE0}.when.time`,
    ],
    ["Host header", (d) => (rule0(d).headers = { host: "x" }), "reserved-header", `${RULE0}.headers.host`],
    [
      "cf- header",
      (d) => (rule0(d).headers = { "CF-Access-Jwt-Assertion": "x" }),
      "reserved-header",
      `${RULE0}.headers.CF-Access-Jwt-Assertion`,
    ],
    [
      "ward- header",
      (d) => (rule0(d).headers = { "ward-principal": "x" }),
      "reserved-header",
      `${RULE0}.headers.ward-principal`,
    ],
    // What forwardHeaders may not name, a rule may not set either: it reaches the origin just the same.
    [
      "Next.js middleware marker (CVE-2025-29927)",
      (d) => (rule0(d).headers = { "X-Middleware-Subrequest": "middleware" }),
      "reserved-header",
      `${RULE0}.headers.X-Middleware-Subrequest`,
    ],
    [
      "Envoy path override",
      (d) => (rule0(d).headers = { "x-envoy-original-path": "/admin" }),
      "reserved-header",
      `${RULE0}.headers.x-envoy-original-path`,
    ],
    [
      "client-ip",
      (d) => (rule0(d).headers = { "client-ip": "10.0.0.1" }),
      "reserved-header",
      `${RULE0}.headers.client-ip`,
    ],
    [
      "24:00 to 00:00",
      (d) => (rule0(d).when = { time: { hours: { from: "24:00", to: "00:00" } } }),
      "invalid-time-window",
      `${RULE0}.when.time.hours`,
    ],
    [
      "requireCertificate without identity.mtls",
      (d) => {
        delete d.identity.mtls;
        d.principalSets = {};
        rule0(d).principals = [{ email: "ops@example.com" }];
        d.services.payments.requireCertificate = true;
      },
      "mtls-not-configured",
      "services.payments.requireCertificate",
    ],
    [
      "an e-mail on the workload side of bothFactors",
      (d) => {
        delete rule0(d).principals;
        rule0(d).bothFactors = {
          workload: [{ set: "checkout" }, { email: "ops@example.com" }],
          access: [{ email: "ops@example.com" }],
          binding: "checkout-ops",
        };
      },
      "invalid-rule-principals",
      `${RULE0}.bothFactors.workload[1]`,
    ],
    [
      "a SPIFFE ID on the access side of bothFactors",
      (d) => {
        delete rule0(d).principals;
        rule0(d).bothFactors = {
          workload: [{ set: "checkout" }],
          access: [{ spiffe: CHECKOUT }],
          binding: "checkout-ops",
        };
      },
      "invalid-rule-principals",
      `${RULE0}.bothFactors.access[0]`,
    ],
    [
      "a * inside a segment",
      (d) => {
        delete route0(d).path;
        route0(d).pathPrefix = "/v1/charge*";
      },
      "literal-star",
      `${R0}.pathPrefix`,
    ],
    [
      "Forwarded header",
      (d) => (rule0(d).headers = { Forwarded: "for=10.0.0.1" }),
      "reserved-header",
      `${RULE0}.headers.Forwarded`,
    ],
    [
      "Authorization header",
      (d) => (rule0(d).headers = { authorization: "Bearer secret" }),
      "reserved-header",
      `${RULE0}.headers.authorization`,
    ],
    [
      "Content-Length header",
      (d) => (rule0(d).headers = { "content-length": "0" }),
      "reserved-header",
      `${RULE0}.headers.content-length`,
    ],
    [
      "forwarded X-Forwarded-Host",
      (d) => (d.services.payments.forwardHeaders = ["X-Forwarded-Host"]),
      "reserved-header",
      "services.payments.forwardHeaders[0]",
    ],
    [
      "forwarded X-Envoy-Original-Path",
      (d) => (route0(d).forwardHeaders = ["accept", "X-Envoy-Original-Path"]),
      "reserved-header",
      `${R0}.forwardHeaders[1]`,
    ],
    [
      "forwarded x-middleware-subrequest",
      (d) => (route0(d).forwardHeaders = ["x-middleware-subrequest"]),
      "reserved-header",
      `${R0}.forwardHeaders[0]`,
    ],
    [
      "forwarded Cf-Access-Jwt-Assertion",
      (d) => (d.services.payments.forwardHeaders = ["Cf-Access-Jwt-Assertion"]),
      "reserved-header",
      "services.payments.forwardHeaders[0]",
    ],
    [
      "forwarded header spelt with _",
      (d) => (d.services.payments.forwardHeaders = ["x_tenant"]),
      "invalid-format",
      "services.payments.forwardHeaders[0]",
    ],
    [
      "forwarded header spelt with .",
      (d) => (route0(d).forwardHeaders = ["x.tenant"]),
      "invalid-format",
      `${R0}.forwardHeaders[0]`,
    ],
    [
      "forwarded X-Real-IP",
      (d) => (d.services.payments.forwardHeaders = ["X-Real-IP"]),
      "reserved-header",
      "services.payments.forwardHeaders[0]",
    ],
    [
      "x-ward- header",
      (d) => (rule0(d).headers = { "x-ward-identity": "x" }),
      "reserved-header",
      `${RULE0}.headers.x-ward-identity`,
    ],
    [
      "method override header",
      (d) => (rule0(d).headers = { "X-HTTP-Method-Override": "DELETE" }),
      "reserved-header",
      `${RULE0}.headers.X-HTTP-Method-Override`,
    ],
    [
      "client address header",
      (d) => (rule0(d).headers = { "X-Real-IP": "10.0.0.1" }),
      "reserved-header",
      `${RULE0}.headers.X-Real-IP`,
    ],
    [
      "a second issuer without trust domains",
      (d) => d.identity.mtls.issuers.push({ ski: "AB:CD" }),
      "issuer-trust-domains-missing",
      "identity.mtls.issuers[1]",
    ],
    [
      "SPIFFE IDs read by default, an issuer without trust domains",
      (d) => (d.identity.mtls = { required: true, issuers: [{ ski: "AB:CD" }] }),
      "issuer-trust-domains-missing",
      "identity.mtls.issuers[0]",
    ],
    [
      "an issuer bound to a trust domain outside metadata.trustDomains",
      (d) => d.identity.mtls.issuers[0].trustDomains.push("prod.exmple.com"),
      "spiffe-outside-trust-domain",
      "identity.mtls.issuers[0].trustDomains[1]",
    ],
    [
      "an issuer bound to no trust domain at all",
      (d) => (d.identity.mtls.issuers[0].trustDomains = []),
      "out-of-range",
      "identity.mtls.issuers[0].trustDomains",
    ],
    [
      "an issuer's trust domain in upper case",
      (d) => (d.identity.mtls.issuers[0].trustDomains = ["Prod.example.com"]),
      "invalid-format",
      "identity.mtls.issuers[0].trustDomains[0]",
    ],
    [
      "a trustDomain matcher in upper case",
      (d) => (rule0(d).principals = [{ trustDomain: "Prod.example.com" }]),
      "invalid-format",
      `${RULE0}.principals[0].trustDomain`,
    ],
    [
      "a trustDomain matcher with a port",
      (d) => (rule0(d).principals = [{ trustDomain: "prod.example.com:443" }]),
      "invalid-format",
      `${RULE0}.principals[0].trustDomain`,
    ],
    [
      "a trustDomain matcher percent-encoded",
      (d) => (rule0(d).principals = [{ trustDomain: "prod%2eexample.com" }]),
      "invalid-format",
      `${RULE0}.principals[0].trustDomain`,
    ],
    [
      "an empty trustDomain matcher",
      (d) => (rule0(d).principals = [{ trustDomain: "" }]),
      "invalid-format",
      `${RULE0}.principals[0].trustDomain`,
    ],
    [
      "an empty trust domain in metadata",
      (d) => (d.metadata.trustDomains = [""]),
      "invalid-format",
      "metadata.trustDomains[0]",
    ],
    ["a transmitter without keys", (d) => signals(d, { jwksUri: undefined }), "ssf-key-source", IDP],
    [
      "a transmitter's secret key inline",
      (d) => signals(d, { jwksUri: undefined, jwks: { keys: [{ kty: "oct", k: "c2VjcmV0" }] } }),
      "ssf-key-unusable",
      `${IDP}.jwks.keys[0]`,
    ],
    [
      "a transmitter's RSA private key inline",
      (d) => signals(d, { jwksUri: undefined, jwks: { keys: [{ kty: "RSA", n: "n", e: "AQAB", p: "p", q: "q" }] } }),
      "ssf-key-unusable",
      `${IDP}.jwks.keys[0]`,
    ],
    [
      "a transmitter's encryption key inline",
      (d) => signals(d, { jwksUri: undefined, jwks: { keys: [{ kty: "RSA", n: "n", e: "AQAB", use: "enc" }] } }),
      "ssf-key-unusable",
      `${IDP}.jwks.keys[0]`,
    ],
    ["unsigned SETs", (d) => signals(d, { algorithms: ["none"] }), "ssf-algorithm", `${IDP}.algorithms[0]`],
    ["an unknown algorithm", (d) => signals(d, { algorithms: ["RS1"] }), "ssf-algorithm", `${IDP}.algorithms[0]`],
    [
      "a key set over http",
      (d) => signals(d, { jwksUri: "http://idp.example.com/jwks" }),
      "invalid-format",
      `${IDP}.jwksUri`,
    ],
    [
      "an issuer over http",
      (d) => signals(d, { issuer: "http://idp.example.com/" }),
      "invalid-format",
      `${IDP}.issuer`,
    ],
    [
      "an event Ward does not know",
      (d) => signals(d, { events: ["session-hijacked"] }),
      "invalid-value",
      `${IDP}.events[0]`,
    ],
    ["no event at all", (d) => signals(d, { events: [] }), "out-of-range", `${IDP}.events`],
    ["a hold longer than a month", (d) => (signals(d).holdFor = "31d"), "out-of-range", "sharedSignals.holdFor"],
    // From a generated review: the poll's bounds were invalid-value, every other duration's out-of-range.
    ...(["4s", "61m", "2d"] as const).map((every): [string, (d: any) => void, IssueCode, string] => [
      `a poll every ${every}`,
      (d) => signals(d, { poll: { endpoint: "https://idp.example.com/ssf/poll", authorization: "SSF_IDP", every } }),
      "out-of-range",
      `${IDP}.poll.every`,
    ]),
    [
      "a poll every 30 (no unit)",
      (d) =>
        signals(d, { poll: { endpoint: "https://idp.example.com/ssf/poll", authorization: "SSF_IDP", every: "30" } }),
      "invalid-format",
      `${IDP}.poll.every`,
    ],
    ["no transmitter", (d) => (signals(d).transmitters = {}), "invalid-value", "sharedSignals.transmitters"],
    ["no audience", (d) => delete signals(d).audience, "missing-field", "sharedSignals.audience"],
    [
      "an authorization that is not a secret's name",
      (d) => signals(d, { authorization: "Bearer abc" }),
      "invalid-format",
      `${IDP}.authorization`,
    ],
    [
      "an open prefix is not inside the trust domain that starts it",
      (d) => {
        rule0(d).principals = [{ spiffePrefix: "spiffe://prod.example.com" }];
        route0(d).rules.push({ id: "nobody", effect: "deny", principals: [{ trustDomain: "prod.example.com" }] });
      },
      "open-spiffe-prefix",
      `${RULE0}.principals[0]`,
    ],
    [
      "allow under a broader deny",
      (d) => route0(d).rules.push({ id: "nobody", effect: "deny", principals: [{ trustDomain: "prod.example.com" }] }),
      "shadowed-rule",
      `${RULE0}`,
    ],
  ])("%s -> %s at %s", (_name, change, code, path) => {
    const result = run(change);
    expect(result.issues.map((i) => [i.code, i.path])).toEqual([[code, path]]);
  });

  it.each<[string, (d: any) => void]>([
    ["hours 00:00-24:00 (all day)", (d) => (rule0(d).when = { time: { hours: { from: "00:00", to: "24:00" } } })],
    ["hours 22:00-06:00 (past midnight)", (d) => (rule0(d).when = { time: { hours: { from: "22:00", to: "06:00" } } })],
    ["{*} and {**} placeholders", (d) => (route0(d).path = "/v1/{*}/charge/{**}")],
    [
      "trust domains the SPIFFE standard allows (underscores, a leading _)",
      (d) => {
        d.metadata.trustDomains = ["prod.example.com", "_dmarc.example.org", "trust_domain_1.example.org"];
        d.identity.mtls.issuers[0].trustDomains = ["_dmarc.example.org", "trust_domain_1.example.org"];
        rule0(d).principals = [
          { trustDomain: "_dmarc.example.org" },
          { trustDomain: "trust_domain_1.example.org" },
          { spiffe: "spiffe://trust_domain_1.example.org/ns/x" },
        ];
      },
    ],
    [
      "an issuer without trust domains while SPIFFE IDs are not read",
      (d) => {
        d.identity.mtls = {
          spiffe: false,
          issuers: [{ ski: "AB:CD" }],
          registry: [{ fingerprintSha256: "ab".repeat(32), id: CHECKOUT }],
        };
      },
    ],
    [
      "sets on both sides of bothFactors",
      (d) => {
        delete rule0(d).principals;
        rule0(d).bothFactors = {
          workload: [{ set: "checkout" }],
          access: [{ email: "ops@example.com" }],
          binding: "checkout-ops",
        };
      },
    ],
    [
      "token limits at the cap",
      (d) =>
        Object.assign(d.identity.access, {
          maxTokenLifetime: "730h",
          serviceTokenMaxLifetime: "30d",
          maxTokenAge: "43800m",
        }),
    ],
    ["an e-mail with a plus tag, in any case", (d) => (d.principalSets.ops = [{ email: "Ops+Oncall@Example.com" }])],
  ])("no issue: %s", (_name, change) => {
    expect(run(change).issues).toEqual([]);
  });

  it.each([
    ["a line break", "first\nsecond"],
    ["a carriage return", "a\rb"],
    ["a NUL", "a\u0000b"],
    ["another control character", "a\u0001b"],
    ["DEL", "a\u007fb"],
    ["a character beyond Latin-1", "caf\u00e9 \u2713"],
  ])(
    "a rule header value with %s is an error (the route would answer 500, or the origin refuse it)",
    (_what, value) => {
      const result = run((d) => (rule0(d).headers = { "x-note": value }));
      expect(result.issues).toEqual([
        expect.objectContaining({
          severity: "error",
          path: `${RULE0}.headers.x-note`,
          message: expect.stringContaining("must be a header value"),
        }),
      ]);
    },
  );

  it("a rule header value with Latin-1 letters and tabs is no issue", () => {
    expect(run((d) => (rule0(d).headers = { "x-note": "caf\u00e9\tcr\u00e8me" })).issues).toEqual([]);
  });

  it("an allowed header is no issue", () => {
    expect(run((d) => (rule0(d).headers = { "x-team": "checkout" })).issues).toEqual([]);
  });

  it("a spiffe matcher or binding naming a trust domain's own ID that the registry gives is no issue", () => {
    // A legacy workload registered under it (revoke-registered-id.test.ts): the matcher does name a caller.
    const result = run((d) => {
      d.identity.mtls.registry = [{ fingerprintSha256: "ab".repeat(32), id: "spiffe://prod.example.com" }];
      rule0(d).principals = [{ spiffe: "spiffe://prod.example.com" }];
      d.identityBindings["checkout-ops"][0].workload = "spiffe://prod.example.com";
    });
    expect(result.issues.filter((i) => i.severity === "error")).toEqual([]);
  });

  it("a deny rule on trial (mode: audit) shadows nothing: it refuses nobody", () => {
    const result = run((d) => {
      route0(d).rules.unshift({ id: "trial", effect: "deny", mode: "audit", principals: [{ authenticated: true }] });
      route0(d).rules.push({ id: "no-frontend", effect: "deny", principals: [{ spiffe: CHECKOUT }] });
    });
    expect(result.issues.filter((i) => i.code === "shadowed-rule")).toEqual([
      // The enforced deny does override the allow before it; the trial is named by nothing.
      expect.objectContaining({ message: expect.stringContaining('overridden by deny rule "no-frontend"') }),
    ]);
  });

  it("route-escapable: an exact path's other trailing-slash spelling, taken by a catch-all", () => {
    const result = run((d) =>
      d.services.payments.routes.push(
        anotherRoute({ id: "everything", methods: ["*"], path: undefined, pathPrefix: "/v1" }),
        anotherRoute({ id: "export", methods: ["POST"], path: "/v1/export/{*}" }),
      ),
    );
    const everything = result.issues.filter((i) => i.code === "route-escapable");
    // Both narrow routes admit only checkout; the catch-all admits checkout too: nobody gains.
    expect(everything).toEqual([]);
    const widened = run((d) =>
      d.services.payments.routes.push(
        anotherRoute({
          id: "everything",
          methods: ["*"],
          path: undefined,
          pathPrefix: "/v1",
          rules: [{ id: "staff", effect: "allow", principals: [{ emailDomain: "example.com" }] }],
        }),
      ),
    );
    expect(widened.issues.filter((i) => i.code === "route-escapable")).toEqual([
      {
        severity: "warning",
        code: "route-escapable",
        path: R0,
        message:
          'POST /v1/charge/ (the other trailing-slash spelling) is decided by route "everything" (allow rules staff), not by route "charge": its origin most likely serves it with the same handler',
        hint: 'add a route for /v1/charge/ with the rules of "charge", or refuse the callers it must not admit with a deny rule, which reaches both spellings',
      },
    ]);
  });

  it("route-escapable: not when the route's own deny rules refuse whom the other route admits", () => {
    const result = run((d) => {
      route0(d).methods = ["GET"];
      route0(d).rules.push({ id: "no-contractors", effect: "deny", principals: [{ email: "eve@example.com" }] });
      d.services.payments.routes.push(
        anotherRoute({
          id: "heads",
          methods: ["HEAD"],
          path: undefined,
          pathPrefix: "/",
          rules: [{ id: "eve", effect: "allow", principals: [{ email: "eve@example.com" }] }],
        }),
      );
    });
    expect(result.issues.filter((i) => i.code === "route-escapable")).toEqual([]);
  });

  it("a deny on GET under a catch-all that takes HEAD: the warning names the HEAD it now refuses", () => {
    const result = run((d) =>
      d.services.payments.routes.push(
        anotherRoute({ id: "everything", methods: ["*"], path: undefined, pathPrefix: "/" }),
        anotherRoute({
          id: "drafts",
          methods: ["GET"],
          path: undefined,
          pathPrefix: "/drafts",
          rules: [{ id: "no-ops", effect: "deny", principals: [{ email: "ops@example.com" }] }],
        }),
      ),
    );
    expect(result.issues.filter((i) => i.code === "deny-covers-route").map((i) => i.message)).toContain(
      'deny rules no-ops of route "drafts" also apply to requests route "everything" takes (such as HEAD /drafts)',
    );
  });

  it("a deny reaching another route only through its letters as an origin reads them: the warning names it", () => {
    // From a black-box review: `/x/café` is `/x/cafe` to an origin that changes letters, and the gateway applies the
    // deny of `/{*}/cafe` to it; the warning named only the route the deny's pattern overlaps as written.
    const deny = [{ id: "no-ops", effect: "deny" as const, principals: [{ email: "ops@example.com" }] }];
    const result = run((d) =>
      d.services.payments.routes.push(
        anotherRoute({ id: "cafe-page", methods: ["GET"], path: "/x/café" }),
        anotherRoute({ id: "x-any", methods: ["GET"], path: "/x/{*}" }),
        anotherRoute({ id: "cafes", methods: ["GET"], path: "/{*}/cafe", rules: deny }),
      ),
    );
    const messages = result.issues.filter((i) => i.code === "deny-covers-route").map((i) => i.message);
    expect(messages).toContain(
      'deny rules no-ops of route "cafes" also apply to requests route "cafe-page" takes (such as GET /x/café)',
    );
  });

  it("a deny reaching another route only through a format suffix: the warning names the suffixed request", () => {
    const deny = [{ id: "no-ops", effect: "deny" as const, principals: [{ email: "ops@example.com" }] }];
    const result = run((d) =>
      d.services.payments.routes.push(
        anotherRoute({ id: "admin", methods: ["GET"], path: "/admin", rules: deny }),
        anotherRoute({ id: "admin-json", methods: ["GET"], path: "/admin.json" }),
        anotherRoute({ id: "report-slash", methods: ["GET"], path: "/reports/q3.v2.csv/" }),
        anotherRoute({ id: "reports", methods: ["GET"], path: "/reports/q3", rules: deny }),
        anotherRoute({ id: "exports", methods: ["GET"], path: undefined, pathPrefix: "/exports.tar" }),
        anotherRoute({ id: "export-deny", methods: ["GET"], path: undefined, pathPrefix: "/exports", rules: deny }),
      ),
    );
    const messages = result.issues.filter((i) => i.code === "deny-covers-route").map((i) => i.message);
    expect(messages).toContain(
      'deny rules no-ops of route "admin" also apply to requests route "admin-json" takes (such as GET /admin.json)',
    );
    // Cut at the first dot (Spring), the trailing slash kept as the route spells it.
    expect(messages).toContain(
      'deny rules no-ops of route "reports" also apply to requests route "report-slash" takes (such as GET /reports/q3.v2.csv/)',
    );
    // A prefix `/exports` reaches `/exports.tar` itself (the cut of the last segment), not what lies below it.
    expect(messages).toContain(
      'deny rules no-ops of route "export-deny" also apply to requests route "exports" takes (such as GET /exports.tar)',
    );
    // (Control: a route no deny reaches, suffix or not, is not named.)
    expect(messages.filter((m) => m.includes('"admin-json"') && !m.includes('"admin"'))).toEqual([]);
  });

  it("a deny reaching another route through PATH_INFO: the warning names a request below the script", () => {
    const deny = [{ id: "no-ops", effect: "deny" as const, principals: [{ email: "ops@example.com" }] }];
    const result = run((d) =>
      d.services.payments.routes.push(
        anotherRoute({ id: "pages", methods: ["GET"], path: "/pages.php/{page}" }),
        anotherRoute({ id: "pages-deny", methods: ["GET"], path: "/pages.php", rules: deny }),
        anotherRoute({ id: "plain", methods: ["GET"], path: "/plain/{x}" }),
        anotherRoute({ id: "plain-deny", methods: ["GET"], path: "/plain", rules: deny }),
      ),
    );
    const messages = result.issues.filter((i) => i.code === "deny-covers-route").map((i) => i.message);
    expect(messages).toContain(
      'deny rules no-ops of route "pages-deny" also apply to requests route "pages" takes (such as GET /pages.php/{*})',
    );
    // (Control: no dot, no script: a deny on `/plain` does not reach `/plain/x`.)
    expect(messages.filter((m) => m.includes('"plain-deny"'))).toEqual([]);
  });

  it("route-escapable: a script's path with PATH_INFO after it, taken by a catch-all", () => {
    const staff = [{ id: "staff", effect: "allow" as const, principals: [{ emailDomain: "example.com" }] }];
    const escapable = (script: string) =>
      run((d) =>
        d.services.payments.routes.push(
          anotherRoute({ id: "everything", methods: ["GET"], path: undefined, pathPrefix: "/", rules: staff }),
          anotherRoute({ id: "admin", methods: ["GET"], path: script }),
          // The other trailing-slash spelling taken alike: one warning a route, and that way is closed.
          anotherRoute({ id: "admin-slash", methods: ["GET"], path: `${script}/` }),
        ),
      ).issues.filter((i) => i.code === "route-escapable");
    const warned = escapable("/admin.php");
    expect(warned.map((i) => i.path)).toEqual(["services.payments.routes[2]", "services.payments.routes[3]"]);
    expect(warned).toContainEqual({
      severity: "warning",
      code: "route-escapable",
      path: "services.payments.routes[2]",
      message:
        'GET /admin.php/{*} (its path with PATH_INFO after it) is decided by route "everything" (allow rules staff), not by route "admin": its origin most likely serves it with the same handler',
      hint: 'where a server runs /admin.php as a script (PHP, CGI, ASP.NET), make "admin" a pathPrefix so its rules decide the paths below it, or refuse the callers it must not admit with a deny rule, which reaches them',
    });
    // No dot, no script.
    expect(escapable("/admin")).toEqual([]);
  });

  it("a conditional earlier rule shadows nothing", () => {
    const result = run((d) => {
      d.identity.tokenIssuers = [spire()];
      rule0(d).when = { scopes: ["payments:charge"] };
      route0(d).rules.push({ id: "again", effect: "allow", principals: [{ spiffe: CHECKOUT }] });
    });
    expect(result.issues).toEqual([]);
  });
});

describe("unknown fields of one object", () => {
  it("are named one by one up to 50, then counted", () => {
    const some = run((d) => {
      for (let i = 0; i < 50; i++) d.metadata[`extra${i}`] = i;
    });
    expect(some.issues.filter((i) => i.code === "unknown-field")).toHaveLength(50);
    const many = run((d) => {
      for (let i = 0; i < 900; i++) d.metadata[`extra${i}`] = i;
    });
    expect(many.issues.map((i) => [i.code, i.path])).toEqual([
      ...Array.from({ length: 50 }, (_, i) => ["unknown-field", `metadata.extra${i}`]),
      ["unknown-field", "metadata"],
    ]);
    expect(many.issues.at(-1)?.message).toBe("and 850 more unknown fields here");
  });
});

describe("did-you-mean hints", () => {
  it.each<[string, (d: any) => void, Partial<Issue>]>([
    [
      "principal set",
      (d) => (rule0(d).principals = [{ set: "chekout" }]),
      {
        code: "unknown-principal-set",
        path: "services.payments.routes[0].rules[0].principals[0]",
        hint: 'did you mean "checkout"?',
      },
    ],
    [
      "top-level field",
      (d) => {
        d.metdata = d.metadata;
        delete d.metadata;
      },
      { code: "unknown-field", path: "metdata", hint: 'did you mean "metadata"?' },
    ],
    [
      "service field",
      (d) => (d.services.payments.ownr = "x"),
      { code: "unknown-field", path: "services.payments.ownr", hint: 'did you mean "owner"?' },
    ],
    [
      "route field",
      (d) => (route0(d).pathprefix = "/x"),
      { code: "unknown-field", path: `${R0}.pathprefix`, hint: 'did you mean "pathPrefix"?' },
    ],
    [
      "rateLimit field",
      (d) => (rule0(d).rateLimit = { limit: 5, period: "1m", failopen: true }),
      { code: "unknown-field", path: `${RULE0}.rateLimit.failopen`, hint: 'did you mean "failOpen"?' },
    ],
    [
      "origin key",
      (d) => (d.services.payments.origin = { tunel: "PAYMENTS_API" }),
      {
        code: "invalid-value",
        path: "services.payments.origin",
        hint: 'unknown field "tunel": did you mean "tunnel"?',
      },
    ],
    [
      "matcher key",
      (d) => (rule0(d).principals = [{ emial: "a@example.com" }]),
      { code: "invalid-value", path: `${RULE0}.principals[0]`, hint: 'unknown field "emial": did you mean "email"?' },
    ],
    [
      "issuer field",
      (d) => (d.identity.mtls.issuers[0] = { dn: "CN=Example Workload CA", trustDomain: ["prod.example.com"] }),
      { code: "unknown-field", path: "identity.mtls.issuers[0].trustDomain", hint: 'did you mean "trustDomains"?' },
    ],
    [
      "identity binding",
      (d) => {
        delete rule0(d).principals;
        rule0(d).bothFactors = {
          workload: [{ set: "checkout" }],
          access: [{ email: "ops@example.com" }],
          binding: "chekout-ops",
        };
      },
      { code: "unknown-identity-binding", path: `${RULE0}.bothFactors.binding`, hint: 'did you mean "checkout-ops"?' },
    ],
  ])("%s", (_name, change, expected) => {
    const result = run(change);
    expect(result.issues).toContainEqual(expect.objectContaining(expected));
  });

  it("no hint when nothing is close", () => {
    const result = run((d) => (rule0(d).principals = [{ set: "backoffice-admins" }]));
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]!.hint).toBeUndefined();
  });
});

describe("every issue at once, each in its place", () => {
  it("reports independent problems together", () => {
    const result = run((d) => {
      rule0(d).principals = [{ set: "chekout" }];
      rule0(d).headers = { "x-forwarded-host": "x" };
      d.services.payments.origin = { url: "https://payments.example.com", publicUrl: true };
    });
    expect(result.ok).toBe(false);
    expect(result.issues.map((i) => `${i.severity} ${i.code} ${i.path}`).sort()).toEqual(
      [
        `error reserved-header ${RULE0}.headers.x-forwarded-host`,
        `error unknown-principal-set ${RULE0}.principals[0]`,
        "warning public-origin services.payments.origin",
      ].sort(),
    );
  });

  it("schema errors inside one service: the other services are still checked beyond the schema, in the same run", () => {
    const result = run((d) => {
      d.services.orders = {
        ...structuredClone(d.services.payments),
        hosts: ["orders.example.com"],
        routes: [anotherRoute({ rules: [{ effect: "allow", principals: [{ set: "chekout" }] }] })],
      };
      route0(d).methodz = ["GET"];
      rule0(d).effect = "permit";
    });
    expect(result.ok).toBe(false);
    expect(result.policy).toBeUndefined();
    expect(result.issues.map((i) => `${i.severity} ${i.code} ${i.path}`)).toEqual([
      `error invalid-value ${RULE0}.effect`,
      `error unknown-field ${R0}.methodz`,
      "error unknown-principal-set services.orders.routes[0].rules[0].principals[0]",
    ]);
  });

  it("a schema error outside the services: only schema issues, since a broken section would make other checks report what is not wrong", () => {
    const result = run((d) => {
      d.principalSet = d.principalSets; // misspelt: every { set } would look unknown
      delete d.principalSets;
      route0(d).methods = ["POST", "POST"];
      d.services.payments.routes.push(anotherRoute({ path: "/v1/charge" }));
    });
    expect(result.ok).toBe(false);
    expect(result.issues.map((i) => `${i.code} ${i.path}`)).toEqual(["unknown-field principalSet"]);
  });

  it("warnings alone keep ok true and return the policy", () => {
    const result = run((d) => {
      d.metadata.environment = "production";
      d.services.payments.mode = "audit";
      route0(d).rules.push({ id: "again", effect: "allow", principals: [{ set: "checkout" }] });
    });
    expect(result.ok).toBe(true);
    expect(result.issues.map((i) => i.severity)).toEqual(["warning", "warning"]);
    expect(result.policy?.services.payments?.mode).toBe("audit");
  });

  it("one error among warnings makes ok false and returns no policy", () => {
    const result = run((d) => {
      d.services.payments.origin = { url: "https://payments.example.com", publicUrl: true };
      route0(d).methods = ["POST"];
      rule0(d).effect = "deny";
      rule0(d).rateLimit = { limit: 1, period: "1s" };
    });
    expect(result.ok).toBe(false);
    expect(result.policy).toBeUndefined();
    expect(result.issues.filter((i) => i.severity === "error").map((i) => i.code)).toEqual(["rate-limit-on-deny"]);
    expect(
      result.issues
        .filter((i) => i.severity === "warning")
        .map((i) => i.code)
        .sort(),
    ).toEqual(["public-origin", "route-never-allows"]);
  });

  it("formatIssue prints severity, code, path, message and hint", () => {
    const issue = run((d) => (rule0(d).principals = [{ set: "chekout" }])).issues[0]!;
    expect(formatIssue(issue)).toBe(
      'error[unknown-principal-set] services.payments.routes[0].rules[0].principals[0]: unknown principal set "chekout" (did you mean "checkout"?)',
    );
  });
});

describe("example policies", () => {
  const dir = join(import.meta.dirname, "../../policy/examples");
  const files = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f));

  it("there are examples", () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
  });

  it.each(files)("%s is valid with zero issues", (file) => {
    const result = validatePolicyText(readFileSync(join(dir, file), "utf8"));
    expect(result.issues).toEqual([]);
    expect(result.ok).toBe(true);
  });
});

describe("control characters in the text", () => {
  const demo = readFileSync(join(import.meta.dirname, "../../policy/examples/demo.yaml"), "utf8");

  // The YAML parser lets them through in comments: what a reviewer cannot see does not pass.
  it.each([
    ["\u0001", "0001"],
    ["\u001b[2K", "001B"],
    ["\u007f", "007F"],
    ["\u009b", "009B"],
  ])("refuses %j in a comment, naming the character and its line", (char, code) => {
    const text = `${demo}\n# looks empty${char}\n`;
    const line = text.split("\n").length - 1;
    expect(validatePolicyText(text)).toEqual({
      ok: false,
      issues: [
        {
          severity: "error",
          code: "invalid-syntax",
          path: "(document)",
          message: `control character U+${code} at line ${line}: YAML does not allow it in a document`,
        },
      ],
    });
  });

  it("takes tabs and line ends of either kind; refuses NEL, a line break to some editors and none to YAML", () => {
    expect(validatePolicyText(`${demo.replaceAll("\n", "\r\n")}\n#\tnote\n`).ok).toBe(true);
    expect(validatePolicyText(`${demo}\n#\tnote\u0085\n`).issues[0]!.message).toMatch(/U\+0085 at line \d+/);
  });
});

describe("a polled transmitter's secret", () => {
  const poll = (authorization: string) => (d: any) =>
    signals(d, { poll: { endpoint: "https://idp.example.com/ssf/poll", authorization } });

  it("is one made for it (SSF_...): Ward sends its value to an endpoint the policy names", () => {
    expect(run(poll("SSF_IDP_POLL")).ok).toBe(true);
    for (const name of ["ASSERTION_SIGNING_KEYS", "NOTIFY_WEBHOOK", "ADMIN_TOKEN", "SSF"]) {
      const result = run(poll(name));
      expect(result.ok).toBe(false);
      expect(result.issues.map((i) => i.path)).toContain(`${IDP}.poll.authorization`);
    }
  });
});

describe("a pushed key set whose only keys the verifier refuses", () => {
  it.each([
    { kty: "OKP", crv: "Ed448", x: "x", kid: "k0", use: "jwt-svid" },
    { kty: "RSA", n: "AQAB".repeat(40), e: "AQAB", kid: "k0", use: "jwt-svid" },
    { kty: "EC", crv: "P-256", x: "x", y: "y", kid: "k0", use: "jwt-svid", key_ops: ["encrypt"] },
    // key_ops the gateway's usableKeys leaves out (from a review: these passed validation, and verified nothing).
    { kty: "EC", crv: "P-256", x: "x", y: "y", kid: "k0", use: "jwt-svid", key_ops: ["verify", "verify"] },
    { kty: "EC", crv: "P-256", x: "x", y: "y", kid: "k0", use: "jwt-svid", key_ops: "verify" },
    { kty: "EC", crv: "P-256", x: "x", y: "y", kid: "k0", use: "jwt-svid", key_ops: ["verify", 1] },
  ])("is an error, with the key's warning ($kty, $key_ops)", (key) => {
    const result = run((d) => (d.identity.tokenIssuers = [spire({ keys: { jwks: { keys: [key] } } })]));
    expect(result.issues.map((i) => i.code)).toEqual(["jwks-key-unusable", "invalid-jwks"]);
    expect(result.ok).toBe(false);
  });
});

describe("a claim's number", () => {
  const withClaims = (value: unknown, stored = false) => {
    const d = base();
    rule0(d).principals = [{ claims: { org_id: value } }];
    return validatePolicy(d, { stored });
  };

  it("is taken up to 2^53 - 1, and as a fraction or a negative", () => {
    for (const value of [2 ** 53 - 1, -(2 ** 53 - 1), 1.5, 0, [1, 2]]) expect(withClaims(value).ok).toBe(true);
  });

  it("past it is refused as written, in an issuer's requireClaims too, and loads in a stored version", () => {
    expect(withClaims(2 ** 64).issues[0]?.message).toBe(
      "a whole number past 2^53 (read as 18446744073709552000): no token's number can be compared with it exactly, as readers round such numbers",
    );
    expect(withClaims(-(2 ** 53)).ok).toBe(false);
    expect(withClaims(2 ** 64, true).ok).toBe(true);
    const d = base();
    d.identity.tokenIssuers = [spire({ requireClaims: { repository_id: 1e20 } })];
    expect(validatePolicy(d).issues).toContainEqual(
      expect.objectContaining({ code: "invalid-value", path: "identity.tokenIssuers[0].requireClaims.repository_id" }),
    );
  });
});
