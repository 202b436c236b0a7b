// Generated callers and requests for the assertion differential test (assertion-differential.test.ts): a fixed
// policy of two services (one enforcing, with a public route; one in audit mode), callers holding any consistent
// combination of a client certificate, an Access token (a person's, a service token's) and a workload token
// (SPIRE's, a cluster's, GitHub's, with caller-chosen subjects), and requests with every method, host spelling,
// path spelling (encoded, non-ASCII, long) and query, some with a forged `Ward-Assertion` of their own.
// Everything here is a description: assertion-oracle.ts reads it with the docs, the test turns it into requests.

export const TEAM = "https://ward-demo.cloudflareaccess.com";
export const SPIRE_ISS = "https://spire.demo.ward.internal";
export const CLUSTER_ISS = "https://kubernetes.demo.ward.internal";
export const GITHUB_ISS = "https://token.actions.githubusercontent.com";
export const CHECKOUT = "spiffe://demo.ward.internal/ns/shop/sa/checkout";
export const BILLING = "spiffe://partner.ward.internal/ns/billing/sa/sync";

export type Random = () => number;
export const pick = <T>(r: Random, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
const chance = (r: Random, p: number) => r() < p;

export interface Service {
  name: "alpha" | "beta" | "gamma";
  hosts: string[];
  mode: "enforce" | "audit";
  caseInsensitive?: boolean;
}

export const SERVICES: Service[] = [
  { name: "alpha", hosts: ["alpha.asrt.test", "alpha2.asrt.test"], mode: "enforce" },
  { name: "beta", hosts: ["beta.asrt.test"], mode: "audit" },
  { name: "gamma", hosts: ["gamma.asrt.test"], mode: "enforce", caseInsensitive: true },
];

/**
 * The policy: alpha lets any authenticated caller in and everyone at /pub, with a deny rule on trial for eve;
 * beta (audit) lets example.com people in; gamma is alpha without eve's rule, matching paths in any case.
 */
export const POLICY = `version: 1
metadata:
  environment: dev
  trustDomains: [demo.ward.internal, partner.ward.internal]
  owners: [platform-security@example.com]
identity:
  access:
    teamDomain: ${TEAM}
    audiences: ["4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2"]
  mtls:
    issuers:
      - ski: "3A:45:F8:48:C6:05:0C:D8:6D:58:FE:6D:A7:72:C4:F3:C3:CE:F5:C2"
        trustDomains: [demo.ward.internal]
      - ski: "A6:E2:3A:E8:8E:99:1E:B3:FF:EA:09:FF:61:04:0F:D8:80:73:63:D7"
        trustDomains: [partner.ward.internal]
  tokenIssuers:
    - name: demo-spire
      kind: spiffe-jwt-svid
      issuer: ${SPIRE_ISS}
      keys: { jwksUrl: https://spire.demo.ward.internal/bundle }
      trustDomain: demo.ward.internal
      maxLifetime: 5m
    - name: demo-cluster
      kind: kubernetes
      issuer: ${CLUSTER_ISS}
      keys: { discovery: https://kubernetes.demo.ward.internal/.well-known/openid-configuration }
      trustDomain: demo.ward.internal
      maxLifetime: 10m
    - name: github-actions
      kind: oidc
      issuer: ${GITHUB_ISS}
      keys: { discovery: https://token.actions.githubusercontent.com/.well-known/openid-configuration }
      requireClaims: { repository_owner: ward-demo }
      maxLifetime: 10m
services:
  alpha:
    hosts: [alpha.asrt.test, alpha2.asrt.test]
    origin: { tunnel: PAYMENTS_API }
    owner: alpha-team@example.com
    routes:
      - id: open
        methods: ["*"]
        pathPrefix: /pub
        rules:
          - { id: anyone, effect: allow, principals: [{ public: true }] }
      - id: any
        methods: ["*"]
        pathPrefix: /
        rules:
          - { id: no-eve, effect: deny, mode: audit, principals: [{ email: eve@other.org }] }
          - { id: known, effect: allow, principals: [{ authenticated: true }] }
  beta:
    hosts: [beta.asrt.test]
    origin: { tunnel: ORDERS_API }
    owner: beta-team@example.com
    mode: audit
    routes:
      - id: any
        methods: ["*"]
        pathPrefix: /
        rules:
          - { id: people, effect: allow, principals: [{ emailDomain: example.com }] }
  gamma:
    hosts: [gamma.asrt.test]
    origin: { tunnel: WIKI }
    owner: gamma-team@example.com
    caseInsensitivePaths: true
    routes:
      - id: open
        methods: ["*"]
        pathPrefix: /pub
        rules:
          - { id: anyone, effect: allow, principals: [{ public: true }] }
      - id: any
        methods: ["*"]
        pathPrefix: /
        rules:
          - { id: known, effect: allow, principals: [{ authenticated: true }] }
`;

// ---------------------------------------------------------------------------------------------------------------
// Callers.

export type CertFixture = "checkout" | "partnerBilling";
export type WorkloadToken =
  | { issuer: "spire"; sub: string; scopes: string[] }
  | { issuer: "cluster"; namespace: string; account: string }
  | { issuer: "github"; sub: string };
export type AccessWho = { kind: "person"; email: string } | { kind: "service"; clientId: string };

export interface Caller {
  cert?: CertFixture;
  token?: WorkloadToken;
  access?: AccessWho;
}

const EMAILS = ["ann@example.com", "Ann@Example.com", "ANN@EXAMPLE.COM", "sre+oncall@example.com", "eve@other.org"];
const CLIENT_IDS = ["4e21e9b2c4eca176e6665d37384985b6.access", "0123456789abcdef0123456789abcdef.access"];
const SCOPES = ["orders:read", "orders:write", "payments:charge", "a", "x.y"];
/** Subjects a CI run's caller chooses: `+`, `|`, `/`, `:`, spaces, quotes, non-ASCII, what looks like another principal. */
const GITHUB_SUBS = [
  "repo:ward-demo/orders:ref:refs/heads/main",
  "repo:ward-demo/orders:environment:x+user:ceo@example.com",
  "repo:ward-demo/orders:environment:x|GET|/pub",
  "repo:ward-demo/orders:environment:prod\u00e9 \u6587\u66f8",
  'repo:ward-demo/orders:environment:"quoted" \\ back',
  "repo:ward-demo/orders:environment:x\u2028y",
];

function workloadToken(r: Random): WorkloadToken {
  switch (pick(r, ["spire", "spire", "cluster", "github"] as const)) {
    case "spire": {
      const scopes = SCOPES.filter(() => chance(r, 0.3));
      return {
        issuer: "spire",
        sub: pick(r, [CHECKOUT, `spiffe://demo.ward.internal/ns/shop/sa/w${Math.floor(r() * 3)}`]),
        scopes,
      };
    }
    case "cluster":
      return { issuer: "cluster", namespace: pick(r, ["shop", "ops"]), account: pick(r, ["frontend", "api"]) };
    default:
      return { issuer: "github", sub: pick(r, GITHUB_SUBS) };
  }
}

function access(r: Random): AccessWho {
  return chance(r, 0.7)
    ? { kind: "person", email: pick(r, EMAILS) }
    : { kind: "service", clientId: pick(r, CLIENT_IDS) };
}

/** A caller whose credentials agree with each other (a certificate and a token naming one workload, at most). */
export function genCaller(r: Random): Caller {
  const kind = pick(r, [
    "none",
    "cert",
    "token",
    "access",
    "cert+token",
    "cert+access",
    "token+access",
    "cert+token+access",
  ] as const);
  const caller: Caller = {};
  if (kind.includes("cert")) caller.cert = pick(r, ["checkout", "checkout", "partnerBilling"] as const);
  if (kind.includes("token")) {
    caller.token = workloadToken(r);
    // With a certificate: mostly a SPIRE token naming its workload; else any token (one naming another
    // workload voids both, one naming none, GitHub's, counts beside it).
    if (caller.cert === "checkout" && chance(r, 0.5))
      caller.token = { issuer: "spire", sub: CHECKOUT, scopes: SCOPES.filter(() => chance(r, 0.3)) };
  }
  if (kind.includes("access")) caller.access = access(r);
  return caller;
}

// ---------------------------------------------------------------------------------------------------------------
// Requests.

export type Method = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";
export const METHODS: Method[] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
export type HostSpelling = "as-is" | "upper" | "trailing-dot" | "port";
/**
 * A client's own `Ward-Assertion`: none, junk, one Ward signed for another request, two fields, `_`-spelt, or
 * Ward's own header names listed in `Connection` (hop-by-hop: what the client sent under them is dropped).
 */
export type Spoof = "none" | "junk" | "replayed" | "twice" | "underscore" | "connection";

export interface Case {
  caller: Caller;
  service: Service;
  host: string;
  hostSpelling: HostSpelling;
  method: Method;
  /** The path as decoded segments (what the canonical path encodes), and as spelt in the URL. */
  segments: string[];
  trailingSlash: boolean;
  spelt: string;
  query: string;
  spoof: Spoof;
}

/** Characters a canonical path writes literally (docs/policy.md). */
export const LITERAL = /^[A-Za-z0-9\-._~!$&'()*+,=:@]$/;
const SAFE_LITERALS = "abcxyzABZ019-_~!$&'()*+,=:@.";
/** Others: encoded in the canonical path; none that is refused or that an origin may fold into ASCII. */
const OTHERS = [
  " ",
  '"',
  "<",
  ">",
  "`",
  "{",
  "}",
  "|",
  "^",
  "[",
  "]",
  "\u00e9",
  "\u0436",
  "\u6587",
  "\u30ac",
  "\u{1F600}",
];

const hex = (c: string, lower: boolean) =>
  [...new TextEncoder().encode(c)]
    .map((b) => `%${b.toString(16).padStart(2, "0")}`)
    .map((e) => (lower ? e.toLowerCase() : e.toUpperCase()))
    .join("");

function segment(r: Random, length: number): string {
  let s = "";
  while ([...s].length < length) s += chance(r, 0.7) ? pick(r, [...SAFE_LITERALS]) : pick(r, OTHERS);
  // Never a segment a canonical target refuses: one naming an NTFS stream (`:$`), a dot segment, one ending in a
  // dot or a space, or one starting with a space.
  while (s.includes(":$")) s = s.replace(":$", "$");
  s = s.replace(/[. ]+$/, "").replace(/^ +/, "");
  return s === "" || /^\.+$/.test(s) ? "s" : s;
}

/** A character as a client may spell it: as is (the URL parser encodes what it must), or percent-encoded. */
function spell(r: Random, c: string): string {
  if (c === ".") return c; // %2E is refused
  if (chance(r, 0.6)) return c;
  return hex(c, chance(r, 0.5));
}

export function genCase(r: Random, callers: Caller[]): Case {
  const caller = chance(r, 0.3) && callers.length > 0 ? pick(r, callers) : genCaller(r);
  const service = pick(r, SERVICES);
  const host = pick(r, service.hosts);
  const method = pick(r, METHODS);
  const shape = pick(r, ["pub", "short", "short", "many", "long"] as const);
  const count = shape === "many" ? 20 + Math.floor(r() * 60) : 1 + Math.floor(r() * 4);
  const segments = Array.from({ length: count }, (_, i) =>
    i === 0
      ? `z${segment(r, 1 + Math.floor(r() * 6))}`
      : segment(r, shape === "long" ? 200 + Math.floor(r() * 600) : 1 + Math.floor(r() * 8)),
  );
  if (shape === "pub") segments[0] = "pub";
  if (shape === "pub" && chance(r, 0.3)) segments.length = 1;
  // At a service matching paths in any case, letters in either case (forwarded and asserted as requested).
  if (service.caseInsensitive)
    for (const [i, s] of segments.entries())
      segments[i] = [...s].map((ch) => (chance(r, 0.4) ? ch.toUpperCase() : ch)).join("");
  const trailingSlash = chance(r, 0.15);
  const spelt = `/${segments.map((s) => [...s].map((c) => spell(r, c)).join("")).join("/")}${trailingSlash ? "/" : ""}`;
  const query = pick(r, [
    "",
    "a=1&b=2",
    "q=%0A%0D%00",
    "x='\"<>",
    "next=/admin&u=https://evil.example/?a#",
    "%E6%96%87=%F0%9F%98%80",
    "q=../../etc/passwd",
    `pad=${"q".repeat(1500)}`,
  ]).replace("#", "%23");
  return {
    caller,
    service,
    host,
    hostSpelling: pick(r, ["as-is", "as-is", "upper", "trailing-dot", "port"] as const),
    method,
    segments,
    trailingSlash,
    spelt,
    query,
    spoof: pick(r, ["none", "none", "junk", "replayed", "twice", "underscore", "connection"] as const),
  };
}

/** The host as the case spells it in the URL. */
export function spelledHost(c: Case): string {
  return c.hostSpelling === "upper"
    ? c.host.toUpperCase()
    : c.hostSpelling === "trailing-dot"
      ? `${c.host}.`
      : c.hostSpelling === "port"
        ? `${c.host}:8443`
        : c.host;
}
