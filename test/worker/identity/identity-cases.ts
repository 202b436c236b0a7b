// Generated callers for the identity differential test (identity-differential.test.ts): small random policies
// whose rules name every kind of principal, and requests carrying any combination of a client certificate, an
// Access token and a workload token, each in a good or a bad state, sent in the ways a client can send them.
// Everything here is a description (which fixture, which claims, which state): identity-oracle.ts reads the
// description and the docs, and only the request builder (identity-requests.ts) turns it into signed tokens.
import { stringify } from "yaml";
import caPem from "../../fixtures/certs/ca.pem?raw";
import { AUD, TEAM } from "../support/access-tokens.ts";

export { AUD, TEAM };
/** A second Access application of the team, and an AUD tag the policy does not list. */
export const OTHER_APP = "9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d";
export const UNLISTED_APP = "f0".repeat(32);

export const DEMO_TD = "demo.ward.internal";
export const PARTNER_TD = "partner.ward.internal";
export const CHECKOUT = `spiffe://${DEMO_TD}/ns/shop/sa/checkout`;
export const FRONTEND = `spiffe://${DEMO_TD}/ns/shop/sa/frontend`;
export const BILLING = `spiffe://${PARTNER_TD}/ns/billing/sa/sync`;
/** Ids only the fingerprint registry gives. */
export const LEGACY = `spiffe://${DEMO_TD}/ns/billing/sa/legacy`;
export const REMAPPED = `spiffe://${DEMO_TD}/ns/ops/sa/remapped`;
export const MINTED = `spiffe://${DEMO_TD}/ns/partner/sa/minted`;

export const SPIRE_ISS = "https://spire.demo.ward.internal";
export const CLUSTER_ISS = "https://kubernetes.demo.ward.internal";
export const GITHUB_ISS = "https://token.actions.githubusercontent.com";
export const UNKNOWN_ISS = "https://tokens.unknown.example";
export const ISSUER_NAMES = { spire: "demo-spire", cluster: "demo-cluster", github: "github-actions" } as const;

export const SERVICE_TOKENS = ["4e21e9b2c4eca176e6665d37384985b6.access", "0123456789abcdef0123456789abcdef.access"];
/** People: `sre@` and `editor@` are in groups at the stand-in directory (vitest.config.ts). */
export const EMAILS = [
  "ann@example.com",
  "Bob@Example.com",
  "sre@example.com",
  "editor@example.com",
  "eve@other.org",
  // A `+` in an address: a principal key is compared whole, never split.
  "sre+oncall@example.com",
];

// ---------------------------------------------------------------------------------------------------------------
// Client certificates: the fixtures (test/fixtures/certs/README.md), as Cloudflare would report them.

export type CertFixture =
  | "checkout"
  | "partnerBilling"
  | "partnerMintedCheckout"
  | "legacy"
  | "twoSpiffe"
  | "severalUriSans";

/** What each fixture is: who issued it (the pinned workload CA, the partner CA, or itself), its URI SANs, a CA's or not. */
export const CERT_FIXTURES: Record<CertFixture, { issuer: "demo" | "partner" | "self"; uris: string[]; ca: boolean }> =
  {
    checkout: { issuer: "demo", uris: [CHECKOUT], ca: false },
    partnerBilling: { issuer: "partner", uris: [BILLING], ca: false },
    partnerMintedCheckout: { issuer: "partner", uris: [CHECKOUT], ca: false },
    legacy: { issuer: "demo", uris: [], ca: false },
    twoSpiffe: { issuer: "demo", uris: [`spiffe://${DEMO_TD}/a`, `spiffe://${DEMO_TD}/b`], ca: false },
    // Self-signed; the harness reports the workload CA as its issuer (a name any CA can carry).
    severalUriSans: { issuer: "self", uris: [CHECKOUT, "https://checkout.demo.ward.internal/"], ca: true },
  };

/** What Cloudflare says of it: as issued, or not verified, revoked, from an issuer nobody pinned, out of date, absent. */
export type CertState = "ok" | "unverified" | "revoked" | "unpinned" | "expired" | "not-presented";

export interface CertSpec {
  fixture: CertFixture;
  state: CertState;
}

// ---------------------------------------------------------------------------------------------------------------
// Access tokens.

export type AccessWho =
  | { kind: "person"; email: string }
  | { kind: "service"; clientId: string }
  /** A `common_name` that is no client id (a certificate's CN, as Access names it). */
  | { kind: "cn"; cn: string }
  /** An `email` that is no address. */
  | { kind: "bad-email"; email: string };

export type AccessState = "ok" | "expired" | "unlisted-audience" | "forged" | "other-app" | "not-app";

export interface AccessSpec {
  who: AccessWho;
  state: AccessState;
  /** Claims beside the identity's (`department`), which `claims` matchers and conditions read. */
  extra: Record<string, string>;
  /** Its `sub` (a person's): tokens of one spec are one token. */
  sub: string;
}

export type AccessDelivery =
  | "header"
  | "cookie"
  /** Two Cookie fields, the token in one and the other token in the other. */
  | "two-cookie-fields"
  /** A header that is no token, beside the token in the cookie. */
  | "bad-header-and-cookie"
  | "header-and-same-cookie"
  | "header-and-other-cookie"
  | "two-cookies"
  | "two-cookies-and-header"
  | "header-twice";

export interface AccessSent {
  token: AccessSpec;
  delivery: AccessDelivery;
  /** The other token of `header-and-other-cookie`, `two-cookies`, `two-cookies-and-header` and `header-twice`. */
  other: AccessSpec;
}

// ---------------------------------------------------------------------------------------------------------------
// Workload tokens.

export type WorkloadIssuer = "spire" | "cluster" | "github" | "unknown";
export type WorkloadState =
  | "ok"
  | "wrong-audience"
  | "expired"
  | "forged"
  | "twice"
  | "lifetime-too-long"
  /** Both `scope` and `scp`. */
  | "scope-and-scp"
  /** github: another owner than requireClaims names; spire: a SPIFFE ID outside the issuer's trust domain. */
  | "not-the-issuers";

export interface WorkloadSpec {
  issuer: WorkloadIssuer;
  /** spire: the SPIFFE ID; cluster: `<namespace>:<service account>`; github and unknown: the branch. */
  subject: string;
  /** `scope` (space-separated) or `scp` (a list); a cluster's token is not read for them. */
  scopes: string[];
  scopesAs: "scope" | "scp";
  extra: Record<string, string>;
  state: WorkloadState;
  /** `Bearer`, `bearer`, or `Bearer` and three spaces: all one Bearer token. */
  scheme: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Policies.

export type Matcher = Record<string, unknown>;

export interface GenRule {
  id: string;
  effect: "allow" | "deny";
  principals?: Matcher[];
  bothFactors?: { workload: Matcher[]; access: Matcher[]; binding: string };
  when?: { scopes?: string[]; claims?: Record<string, unknown> };
  rateLimit?: { key: "principal" | "principal+route" };
}

export interface GenRoute {
  id: string;
  path: string;
  methods: Method[];
  rules: GenRule[];
}

export interface GenService {
  name: string;
  host: string;
  tunnel: string;
  hide: boolean;
  mode: "enforce" | "audit";
  requireCertificate?: boolean;
  accessAudiences?: string[];
  tokenAudience?: string;
  forwardAuthorization: boolean;
  routes: GenRoute[];
}

export type Method = "GET" | "HEAD" | "OPTIONS" | "POST" | "PUT" | "DELETE";
const METHOD_SETS: Method[][] = [["GET"], ["POST"], ["GET", "POST"], ["GET", "HEAD", "OPTIONS"], ["PUT", "DELETE"]];
const METHODS: Method[] = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE"];
/** The methods on which the CF_Authorization cookie counts (docs/policy.md). */
export const SAFE_METHODS: readonly Method[] = ["GET", "HEAD", "OPTIONS"];

export interface GenPolicy {
  demoPin: "ski" | "dn" | "certificate";
  spiffe: boolean;
  registry: { fixture: CertFixture; id: string }[];
  mtlsRequired: boolean;
  /** The cluster issuer maps service accounts into demo.ward.internal. */
  clusterTrustDomain: boolean;
  sets: Record<string, Matcher[]>;
  bindings: Record<string, { workload: string; access: string }[]>;
  services: GenService[];
}

export type Random = () => number;
export const pick = <T>(r: Random, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
const chance = (r: Random, p: number) => r() < p;
/** One of the weighted choices. */
function weighted<T>(r: Random, choices: readonly (readonly [T, number])[]): T {
  const total = choices.reduce((s, [, w]) => s + w, 0);
  let at = r() * total;
  for (const [value, w] of choices) if ((at -= w) < 0) return value;
  return choices[choices.length - 1]![0];
}
/** One to `max` distinct entries of `list`. */
function some<T>(r: Random, list: readonly T[], max: number): T[] {
  const n = 1 + Math.floor(r() * max);
  const out: T[] = [];
  for (let i = 0; i < n * 3 && out.length < n; i++) {
    const m = pick(r, list);
    if (!out.includes(m)) out.push(m);
  }
  return out;
}

const WORKLOAD_MATCHERS: Matcher[] = [
  { spiffe: CHECKOUT },
  { spiffe: FRONTEND },
  { spiffe: BILLING },
  { spiffe: LEGACY },
  { spiffe: REMAPPED },
  { spiffe: MINTED },
  { spiffePrefix: `spiffe://${DEMO_TD}/ns/shop/` },
  { trustDomain: DEMO_TD },
  { trustDomain: PARTNER_TD },
];
const ACCESS_MATCHERS: Matcher[] = [
  { email: "ann@example.com" },
  { email: "bob@example.com" },
  { emailDomain: "example.com" },
  { emailDomain: "other.org" },
  { group: "sre" },
  { group: "wiki-editors" },
  { serviceToken: SERVICE_TOKENS[0] },
  { serviceToken: SERVICE_TOKENS[1] },
  { claims: { department: "eng" } },
  { claims: { iss: TEAM, department: "ops" } },
];
const TOKEN_MATCHERS: Matcher[] = [
  { claims: { iss: GITHUB_ISS, repository: "ward-demo/orders" } },
  { claims: { iss: GITHUB_ISS, ref: "refs/heads/main" } },
  // Claims two tokens hold between them, never one: they must not be pieced together.
  { claims: { repository: "ward-demo/orders", department: "eng" } },
  { claims: { iss: CLUSTER_ISS, sub: "system:serviceaccount:shop:frontend" } },
];
const ANY_MATCHERS: Matcher[] = [{ authenticated: true }, { public: true }, { set: "team" }];

const SCOPE_CONDITIONS = [["payments:charge"], ["orders:read"], ["payments:charge", "orders:read"]];
const CLAIM_CONDITIONS: Record<string, unknown>[] = [
  { department: "eng" },
  { ref: "refs/heads/main" },
  { iss: GITHUB_ISS },
  { department: ["eng", "ops"] },
];

function principalsOf(r: Random): Matcher[] {
  const pool = weighted(r, [
    [WORKLOAD_MATCHERS, 4],
    [ACCESS_MATCHERS, 4],
    [TOKEN_MATCHERS, 2],
    [ANY_MATCHERS, 2],
  ] as const);
  const first = pick(r, pool);
  return chance(r, 0.35)
    ? [first, pick(r, pick(r, [WORKLOAD_MATCHERS, ACCESS_MATCHERS, TOKEN_MATCHERS, ANY_MATCHERS]))]
    : [first];
}

function ruleOf(r: Random, id: string): GenRule {
  const effect = chance(r, 0.72) ? "allow" : "deny";
  const rule: GenRule = { id, effect };
  if (chance(r, 0.15)) {
    // A set on either side: only its matchers of the side's kind can match there.
    rule.bothFactors = {
      workload: some(r, [...WORKLOAD_MATCHERS, { authenticated: true }, { set: "team" }], 2),
      access: some(r, [...ACCESS_MATCHERS, { authenticated: true }, { set: "team" }], 2),
      binding: "pairs",
    };
  } else rule.principals = principalsOf(r);
  if (chance(r, 0.3)) {
    const when: NonNullable<GenRule["when"]> = {};
    if (chance(r, 0.6)) when.scopes = pick(r, SCOPE_CONDITIONS);
    if (!when.scopes || chance(r, 0.3)) when.claims = pick(r, CLAIM_CONDITIONS);
    rule.when = when;
  }
  if (effect === "allow" && chance(r, 0.3)) rule.rateLimit = { key: chance(r, 0.5) ? "principal" : "principal+route" };
  return rule;
}

export function generatePolicy(r: Random): GenPolicy {
  const registry: GenPolicy["registry"] = [];
  if (chance(r, 0.6)) registry.push({ fixture: "legacy", id: LEGACY });
  if (chance(r, 0.2)) registry.push({ fixture: "checkout", id: REMAPPED });
  if (chance(r, 0.2)) registry.push({ fixture: "partnerMintedCheckout", id: MINTED });
  const mtlsRequired = chance(r, 0.05);
  const services: GenService[] = [];
  const count = 3 + Math.floor(r() * 2);
  for (let s = 0; s < count; s++) {
    const routes: GenRoute[] = [];
    const routeCount = 2 + Math.floor(r() * 2);
    for (let i = 0; i < routeCount; i++) {
      const rules = Array.from({ length: 1 + Math.floor(r() * 4) }, (_, j) => ruleOf(r, `rule-${j}`));
      routes.push({ id: `r${i}`, path: `/r${i}`, methods: pick(r, METHOD_SETS).slice(), rules });
    }
    const service: GenService = {
      name: `svc-${s}`,
      host: `s${s}.idgen.test`,
      tunnel: pick(r, ["PAYMENTS_API", "ORDERS_API", "WIKI"]),
      hide: chance(r, 0.3),
      mode: chance(r, 0.1) ? "audit" : "enforce",
      forwardAuthorization: chance(r, 0.3),
      routes,
    };
    if (chance(r, mtlsRequired ? 0.5 : 0.12)) service.requireCertificate = !mtlsRequired;
    if (chance(r, 0.35)) service.accessAudiences = chance(r, 0.6) ? [AUD] : [OTHER_APP];
    if (chance(r, 0.15)) service.tokenAudience = `urn:idgen:${service.name}`;
    services.push(service);
  }
  return {
    demoPin: pick(r, ["ski", "dn", "certificate"] as const),
    spiffe: chance(r, 0.9),
    registry,
    mtlsRequired,
    clusterTrustDomain: chance(r, 0.6),
    sets: { team: some(r, [...WORKLOAD_MATCHERS, ...ACCESS_MATCHERS, ...TOKEN_MATCHERS, { authenticated: true }], 3) },
    bindings: {
      pairs: [
        { workload: CHECKOUT, access: "ann@example.com" },
        { workload: CHECKOUT, access: SERVICE_TOKENS[0]! },
        // Compared ignoring case: Bob's token says Bob@Example.com.
        { workload: BILLING, access: "Bob@example.com" },
        { workload: REMAPPED, access: "sre@example.com" },
        { workload: LEGACY, access: SERVICE_TOKENS[1]! },
      ],
    },
    services,
  };
}

/** The audience a workload token must name at a service (docs/policy.md, `tokenAudience`). */
export const tokenAudienceOf = (s: GenService): string => s.tokenAudience ?? `https://${s.host}`;

/** The policy document, in YAML. `fingerprints`: each fixture's SHA-256, for the registry. */
export function policyYaml(p: GenPolicy, fingerprints: Record<CertFixture, string>): string {
  const demoPin =
    p.demoPin === "ski"
      ? { ski: "3A:45:F8:48:C6:05:0C:D8:6D:58:FE:6D:A7:72:C4:F3:C3:CE:F5:C2" }
      : p.demoPin === "dn"
        ? { dn: "O=Ward Tests,CN=Ward Test Workload CA" }
        : { certificate: caPem };
  const doc = {
    version: 1,
    metadata: { environment: "dev", trustDomains: [DEMO_TD, PARTNER_TD], owners: ["idgen@example.com"] },
    identity: {
      access: { teamDomain: TEAM, audiences: [AUD, OTHER_APP] },
      mtls: {
        required: p.mtlsRequired,
        issuers: [
          { ...demoPin, trustDomains: [DEMO_TD] },
          { ski: "A6:E2:3A:E8:8E:99:1E:B3:FF:EA:09:FF:61:04:0F:D8:80:73:63:D7", trustDomains: [PARTNER_TD] },
        ],
        spiffe: p.spiffe,
        ...(p.registry.length > 0
          ? { registry: p.registry.map((e) => ({ fingerprintSha256: fingerprints[e.fixture], id: e.id })) }
          : {}),
      },
      tokenIssuers: [
        {
          name: ISSUER_NAMES.spire,
          kind: "spiffe-jwt-svid",
          issuer: SPIRE_ISS,
          keys: { jwksUrl: `${SPIRE_ISS}/bundle` },
          trustDomain: DEMO_TD,
          maxLifetime: "5m",
        },
        {
          name: ISSUER_NAMES.cluster,
          kind: "kubernetes",
          issuer: CLUSTER_ISS,
          keys: { discovery: `${CLUSTER_ISS}/.well-known/openid-configuration` },
          ...(p.clusterTrustDomain ? { trustDomain: DEMO_TD } : {}),
          maxLifetime: "10m",
        },
        {
          name: ISSUER_NAMES.github,
          kind: "oidc",
          issuer: GITHUB_ISS,
          keys: { discovery: `${GITHUB_ISS}/.well-known/openid-configuration` },
          requireClaims: { repository_owner: "ward-demo" },
          maxLifetime: "10m",
        },
      ],
    },
    principalSets: p.sets,
    identityBindings: p.bindings,
    services: Object.fromEntries(
      p.services.map((s) => [
        s.name,
        {
          hosts: [s.host],
          origin: { tunnel: s.tunnel },
          owner: "idgen@example.com",
          hide: s.hide,
          mode: s.mode,
          ...(s.requireCertificate !== undefined ? { requireCertificate: s.requireCertificate } : {}),
          ...(s.accessAudiences ? { accessAudiences: s.accessAudiences } : {}),
          ...(s.tokenAudience ? { tokenAudience: s.tokenAudience } : {}),
          ...(s.forwardAuthorization ? { forwardHeaders: ["Authorization"] } : {}),
          routes: s.routes.map((route) => ({
            id: route.id,
            methods: route.methods,
            path: route.path,
            rules: route.rules.map((rule) => ({
              id: rule.id,
              effect: rule.effect,
              ...(rule.principals ? { principals: rule.principals } : {}),
              ...(rule.bothFactors ? { bothFactors: rule.bothFactors } : {}),
              ...(rule.when ? { when: rule.when } : {}),
              ...(rule.rateLimit ? { rateLimit: { limit: 1_000_000, period: "60s", key: rule.rateLimit.key } } : {}),
            })),
          })),
        },
      ]),
    ),
  };
  return stringify(doc);
}

// ---------------------------------------------------------------------------------------------------------------
// Requests.

/**
 * What a browser says of where the request came from: Fetch Metadata's `Sec-Fetch-Site` and the `Origin`
 * (`own`: the request's own origin, `foreign`: another site's, `null`), as a browser sends them; none for an
 * API client.
 */
export interface BrowserContext {
  site?: "cross-site" | "same-site" | "same-origin" | "none";
  origin?: "own" | "foreign" | "null";
}

export interface Case {
  /** Index into the policy's services, or -1 for a host no service answers. */
  service: number;
  /** How the host is spelt: as the policy writes it, with a trailing dot, or with a port. */
  hostSpelling: "plain" | "trailing-dot" | "port";
  path: string;
  method: Method;
  browser: BrowserContext;
  cert?: CertSpec;
  access?: AccessSent;
  workload?: WorkloadSpec;
}

function accessSpecOf(r: Random): AccessSpec {
  const who: AccessWho = weighted<AccessWho>(r, [
    [{ kind: "person", email: pick(r, EMAILS) }, 70],
    [{ kind: "service", clientId: pick(r, SERVICE_TOKENS) }, 22],
    [{ kind: "cn", cn: "checkout.internal" }, 4],
    [{ kind: "bad-email", email: "mallory@evil.io@example.com" }, 4],
  ]);
  const state = weighted<AccessState>(r, [
    ["ok", 64],
    ["expired", 7],
    ["unlisted-audience", 7],
    ["forged", 8],
    ["other-app", 10],
    ["not-app", 4],
  ]);
  const extra: Record<string, string> = chance(r, 0.4) ? { department: pick(r, ["eng", "ops"]) } : {};
  // A person's directory answer is cached by the token's identity_nonce: two people's tokens may share one.
  if (who.kind === "person" && chance(r, 0.5)) extra.identity_nonce = pick(r, ["n-shared", "n-other"]);
  // Access issues no scopes: one in its token is not read.
  if (chance(r, 0.15)) extra.scope = "payments:charge orders:read";
  return { who, state, extra, sub: `sub-${Math.floor(r() * 1e9).toString(36)}` };
}

function workloadSpecOf(r: Random): WorkloadSpec {
  const issuer = weighted<WorkloadIssuer>(r, [
    ["spire", 40],
    ["cluster", 25],
    ["github", 25],
    ["unknown", 10],
  ]);
  const subject =
    issuer === "spire"
      ? weighted(r, [
          [CHECKOUT, 5],
          [FRONTEND, 3],
          [REMAPPED, 1],
          [LEGACY, 1],
        ])
      : issuer === "cluster"
        ? pick(r, ["shop:frontend", "shop:checkout"])
        : // A subject holding `+user:...`: one workload, not a person.
          pick(r, ["main", "main", "dev", "x+user:ceo@example.com"]);
  const state = weighted<WorkloadState>(r, [
    ["ok", 64],
    ["wrong-audience", 7],
    ["expired", 6],
    ["forged", 6],
    ["twice", 6],
    ["lifetime-too-long", 4],
    ["scope-and-scp", issuer === "cluster" ? 0 : 3],
    ["not-the-issuers", issuer === "spire" || issuer === "github" ? 7 : 0],
  ]);
  return {
    issuer,
    subject,
    scopes: chance(r, 0.7) ? pick(r, SCOPE_CONDITIONS) : [],
    scopesAs: chance(r, 0.25) ? "scp" : "scope",
    extra: chance(r, 0.35) ? { department: pick(r, ["eng", "ops"]) } : {},
    state,
    scheme: weighted(r, [
      ["Bearer ", 8],
      ["bearer ", 1],
      ["Bearer   ", 1],
    ]),
  };
}

export function generateCase(r: Random, p: GenPolicy): Case {
  const service = chance(r, 0.03) ? -1 : Math.floor(r() * p.services.length);
  const routes = service === -1 ? [] : p.services[service]!.routes;
  const route = routes.length === 0 || chance(r, 0.06) ? undefined : pick(r, routes);
  // Mostly a method the route takes: another one is route-not-found, whoever calls.
  const method = route && chance(r, 0.9) ? pick(r, route.methods) : pick(r, METHODS);
  const browser = weighted<BrowserContext>(r, [
    [{}, 70],
    [{ site: "cross-site", origin: "foreign" }, 5],
    [{ site: "same-site", origin: "foreign" }, 3],
    [{ site: "same-origin", origin: "own" }, 4],
    [{ site: "same-origin", origin: "foreign" }, 2],
    [{ site: "none" }, 3],
    [{ origin: "foreign" }, 4],
    [{ origin: "null" }, 3],
    [{ origin: "own" }, 6],
  ]);
  const hostSpelling = weighted<Case["hostSpelling"]>(r, [
    ["plain", 8],
    ["trailing-dot", 1],
    ["port", 1],
  ]);
  const c: Case = { service, hostSpelling, path: route?.path ?? "/elsewhere", method, browser };
  if (chance(r, 0.6)) {
    c.cert = {
      fixture: weighted<CertFixture>(r, [
        ["checkout", 40],
        ["partnerBilling", 15],
        ["partnerMintedCheckout", 10],
        ["legacy", 15],
        ["twoSpiffe", 10],
        ["severalUriSans", 10],
      ]),
      state: weighted<CertState>(r, [
        ["ok", 70],
        ["unverified", 6],
        ["revoked", 6],
        ["unpinned", 6],
        ["expired", 6],
        ["not-presented", 6],
      ]),
    };
  }
  if (chance(r, 0.6)) {
    c.access = {
      token: accessSpecOf(r),
      delivery: weighted<AccessDelivery>(r, [
        ["header", 45],
        ["cookie", 20],
        ["two-cookie-fields", 4],
        ["bad-header-and-cookie", 4],
        ["header-and-same-cookie", 7],
        ["header-and-other-cookie", 8],
        ["two-cookies", 7],
        ["two-cookies-and-header", 5],
        ["header-twice", 6],
      ]),
      other: accessSpecOf(r),
    };
  }
  if (chance(r, 0.55)) c.workload = workloadSpecOf(r);
  return c;
}
