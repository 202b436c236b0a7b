// Review helper (token differential): generated workload tokens that a TRUSTED issuer key signs but that are hostile in
// every other way, plus Access tokens signed by the team key, and an oracle written from docs/policy.md
// (identity.access, identity.tokenIssuers), docs/workload-tokens.md and docs/origin-assertion.md.
import { base64url, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { inject } from "vitest";
import { FIXTURES, issuerKey } from "../support/workload-tokens.ts";
import { AUD, TEAM } from "../support/access-tokens.ts";

export type IssuerName = "spire" | "cluster" | "github";
export const ISS: Record<IssuerName, string> = {
  spire: "https://spire.demo.ward.internal",
  cluster: "https://kubernetes.demo.ward.internal",
  github: "https://token.actions.githubusercontent.com",
};
export const NAMES: Record<IssuerName, string> = {
  spire: "demo-spire",
  cluster: "demo-cluster",
  github: "github-actions",
};
/** The policy variant under test (mutable: setVariant). */
export const CONF = {
  variant: 0,
  maxLife: { spire: 300, cluster: 600, github: 600 } as Record<IssuerName, number>,
  skew: { spire: 30, cluster: 30, github: 30 } as Record<IssuerName, number>,
  clusterTd: true,
  owners: ["ward-demo"] as string[],
};
const DURATION = (s: number) => (s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`);
export function setVariant(v: number): void {
  CONF.variant = v;
  if (v === 0) {
    Object.assign(CONF, {
      maxLife: { spire: 300, cluster: 600, github: 600 },
      skew: { spire: 30, cluster: 30, github: 30 },
      clusterTd: true,
      owners: ["ward-demo"],
    });
  } else {
    Object.assign(CONF, {
      maxLife: { spire: 3600, cluster: 3600, github: 60 },
      skew: { spire: 1, cluster: 300, github: 45 },
      clusterTd: false,
      owners: ["ward-demo", "acme"],
    });
  }
}
/** Access's fixed skew. */
export const SKEW = 30;
export const TD = "demo.ward.internal";
export const OTHER_AUD = "9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d";
export { AUD, TEAM };

export const SERVICES = [
  { name: "tok-a", host: "a.revtok.test", audience: "https://a.revtok.test" },
  { name: "tok-b", host: "b.revtok.test", audience: "urn:revtok:b" },
];

export function policyDoc(): unknown {
  const routes = [
    {
      id: "any",
      methods: ["GET", "POST"],
      path: "/any",
      rules: [{ id: "authn", effect: "allow", principals: [{ authenticated: true }] }],
    },
    {
      id: "open",
      methods: ["GET", "POST"],
      path: "/open",
      rules: [{ id: "pub", effect: "allow", principals: [{ public: true }] }],
    },
    {
      id: "scoped",
      methods: ["GET", "POST"],
      path: "/scoped",
      rules: [
        { id: "charge", effect: "allow", principals: [{ authenticated: true }], when: { scopes: ["payments:charge"] } },
      ],
    },
  ];
  return {
    version: 1,
    metadata: { environment: "dev", trustDomains: [TD], owners: ["rev@example.com"] },
    identity: {
      access: { teamDomain: TEAM, audiences: [AUD, OTHER_AUD] },
      tokenIssuers: [
        {
          name: NAMES.spire,
          kind: "spiffe-jwt-svid",
          issuer: ISS.spire,
          keys: { jwksUrl: `${ISS.spire}/bundle` },
          trustDomain: TD,
          maxLifetime: DURATION(CONF.maxLife.spire),
          clockSkew: DURATION(CONF.skew.spire),
        },
        {
          name: NAMES.cluster,
          kind: "kubernetes",
          issuer: ISS.cluster,
          keys: { discovery: `${ISS.cluster}/.well-known/openid-configuration` },
          ...(CONF.clusterTd ? { trustDomain: TD } : {}),
          maxLifetime: DURATION(CONF.maxLife.cluster),
          clockSkew: DURATION(CONF.skew.cluster),
        },
        {
          name: NAMES.github,
          kind: "oidc",
          issuer: ISS.github,
          keys: { discovery: `${ISS.github}/.well-known/openid-configuration` },
          requireClaims: { repository_owner: CONF.owners.length === 1 ? CONF.owners[0] : CONF.owners },
          maxLifetime: DURATION(CONF.maxLife.github),
          clockSkew: DURATION(CONF.skew.github),
        },
      ],
    },
    services: Object.fromEntries(
      SERVICES.map((s, i) => [
        s.name,
        {
          hosts: [s.host],
          origin: { tunnel: "PAYMENTS_API" },
          owner: "rev@example.com",
          forwardHeaders: ["Authorization"],
          ...(i === 1 ? { tokenAudience: s.audience } : {}),
          routes,
        },
      ]),
    ),
  };
}

// ------------------------------------------------------------------------------------------------------------
// Generation

export type Random = () => number;
const pick = <T>(r: Random, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
const chance = (r: Random, p: number) => r() < p;

/** Times are offsets from "now" (whole seconds) unless given raw. */
type Val = unknown;
const RAW = (text: string) => ({ __raw: text });
type RawVal = { __raw: string };
const isRaw = (v: unknown): v is RawVal => typeof v === "object" && v !== null && "__raw" in v;

export type Signer = "own" | "forger" | "hs256-public" | "none-empty" | "none-junk" | "pss" | "other-issuer";
export type SigEdit = "plain" | "spare-bits" | "high-s" | "der" | "truncated" | "extra-char";
export type Transport =
  | "Bearer "
  | "bearer "
  | "BEARER "
  | "Bearer    "
  | "lead-space"
  | "trail-space"
  | "Bearer\t"
  | "Bearer-nospace"
  | "twice"
  | "padding"
  | "Basic "
  | "DPoP "
  | "comma-two"
  | "trailing-word"
  // Readings a lenient reader undoes (from a black-box review): the token is still Ward's, never forwarded.
  | "json-serialization"
  | "percent-dots"
  | "double-percent-dots"
  | "payload-padded"
  | "comma-parts"
  | "none";

export interface WorkloadGen {
  issuer: IssuerName;
  header: Record<string, Val>;
  /** Claims; a time given as { off: n } is now + n. */
  payload: Record<string, Val>;
  /** Extra raw member text appended to the header / payload object (duplicates). */
  headerDup?: string;
  payloadDup?: string;
  /** The payload text is replaced whole (nested duplicates). */
  payloadNested?: string;
  signer: Signer;
  sig: SigEdit;
  transport: Transport;
  labels: string[];
}

export interface AccessGen {
  header: Record<string, Val>;
  payload: Record<string, Val>;
  payloadDup?: string;
  labels: string[];
}

export interface Case {
  service: number;
  path: "/any" | "/open" | "/scoped";
  method: "GET" | "POST";
  workload?: WorkloadGen;
  access?: AccessGen;
}

const off = (n: number) => ({ off: n });
type Off = { off: number };
const isOff = (v: unknown): v is Off =>
  typeof v === "object" && v !== null && "off" in v && Object.keys(v).length === 1;

function basePayload(issuer: IssuerName, audience: string): Record<string, Val> {
  const fx = FIXTURES[issuer].payload as Record<string, unknown>;
  const p: Record<string, Val> = {};
  for (const [k, v] of Object.entries(fx))
    p[k] = typeof v === "number" && ["exp", "iat", "nbf"].includes(k) ? off(v) : structuredClone(v);
  p.aud = Array.isArray(fx.aud) ? [audience] : audience;
  p.exp = off(Math.min(fx.exp as number, CONF.maxLife[issuer]));
  return p;
}

const CONTROL_CHARS = [
  "\u0000",
  "\n",
  "\r",
  "\u001b",
  "\u007f",
  "\u0085",
  "\u009b",
  "\u2028",
  "\u2029",
  "\u202e",
  "\u2066",
  "\u200f",
  "\u061c",
  "\ud800",
  "\udc00",
];
// Odd but not control characters; of them, U+200B and U+FEFF show as nothing and are refused (docs/policy.md).
const BENIGN_ODD = ["\u200b", "\u00e9", "\ufeff", "\u{1f600}", " ", "+user:ceo@example.com", "/../", "%2F"];

function mutateTimes(r: Random, p: Record<string, Val>, issuer: IssuerName, labels: string[]): void {
  const max = CONF.maxLife[issuer];
  const SKEW = CONF.skew[issuer];
  const m = pick(r, [
    "exact-max",
    "max+1",
    "exp-float",
    "exp-string",
    "exp-missing",
    "exp-negative",
    "exp-2^53",
    "exp-2^32",
    "exp-before-iat",
    "expired",
    "exp-within-skew",
    "iat-skew",
    "iat-skew+3",
    "iat-float",
    "iat-string",
    "iat-missing",
    "iat-null",
    "iat-1e309",
    "iat-whole-fraction",
    "exp-whole-exponent",
    "nbf-skew",
    "nbf-skew+3",
    "nbf-float",
    "nbf-string",
    "nbf-null",
    "nbf-negative",
    "nbf-zero",
    "iat-zero",
    "iat-negative",
    "exp-1e309",
    "exp-minus-zero",
    "iat-2^32-edge",
    "nbf-2^32",
  ] as const);
  labels.push(`time:${m}`);
  switch (m) {
    case "exact-max":
      p.iat = off(-5);
      p.exp = off(max - 5);
      break;
    case "max+1":
      p.iat = off(-5);
      p.exp = off(max - 4);
      break;
    case "exp-float":
      p.exp = { offFloat: 100.5 };
      break;
    case "exp-string":
      p.exp = { offString: 100 };
      break;
    case "exp-missing":
      delete p.exp;
      break;
    case "exp-negative":
      p.exp = -1;
      break;
    case "exp-2^53":
      p.exp = 2 ** 53;
      break;
    case "exp-2^32":
      p.iat = 2 ** 32 - 100;
      p.exp = 2 ** 32;
      break;
    case "exp-before-iat":
      p.iat = off(10);
      p.exp = off(5);
      break;
    case "expired":
      p.iat = off(-SKEW - 100);
      p.exp = off(-SKEW);
      delete p.nbf;
      break;
    case "exp-within-skew":
      p.iat = off(-SKEW - 97);
      p.exp = off(-SKEW + 3);
      delete p.nbf;
      break;
    case "iat-skew":
      p.iat = off(SKEW);
      p.exp = off(SKEW + 100);
      delete p.nbf;
      break;
    case "iat-skew+3":
      p.iat = off(SKEW + 3);
      p.exp = off(SKEW + 103);
      delete p.nbf;
      break;
    case "iat-float":
      p.iat = { offFloat: 0.25 };
      break;
    case "iat-string":
      p.iat = { offString: 0 };
      break;
    case "iat-missing":
      delete p.iat;
      break;
    case "iat-null":
      p.iat = null;
      break;
    case "iat-1e309":
      p.iat = RAW("1e309");
      break;
    case "iat-whole-fraction":
      p.iat = { offRaw: 0, suffix: ".000" };
      break;
    case "exp-whole-exponent":
      p.exp = { offRaw: 60, suffix: "e0" };
      break;
    case "nbf-skew":
      p.nbf = off(SKEW);
      break;
    case "nbf-skew+3":
      p.nbf = off(SKEW + 3);
      break;
    case "nbf-float":
      p.nbf = { offFloat: -1.5 };
      break;
    case "nbf-string":
      p.nbf = { offString: -1 };
      break;
    case "nbf-null":
      p.nbf = null;
      break;
    case "nbf-negative":
      p.nbf = -5;
      break;
    case "nbf-zero":
      p.nbf = 0;
      break;
    case "iat-zero":
      p.iat = 0;
      break;
    case "iat-negative":
      p.iat = -1;
      break;
    case "exp-1e309":
      p.exp = RAW("1e309");
      break;
    case "exp-minus-zero":
      p.exp = RAW("-0");
      break;
    case "iat-2^32-edge":
      p.iat = 2 ** 32 - 1;
      p.exp = 2 ** 32 - 1;
      break;
    case "nbf-2^32":
      p.nbf = 2 ** 32;
      break;
  }
}

function mutateAud(r: Random, p: Record<string, Val>, target: string, other: string, labels: string[]): void {
  const m = pick(r, [
    "string",
    "list",
    "dup",
    "empty-and",
    "nonstrings-and",
    "trailing-slash",
    "upper",
    "nested",
    "object",
    "missing",
    "empty-list",
    "other",
    "multi",
    "space",
    "nul",
    "null",
    "number",
    "only-nonstrings",
    "empty-string",
  ] as const);
  labels.push(`aud:${m}`);
  const v: Record<typeof m, Val> = {
    string: target,
    list: [target],
    dup: [target, target],
    "empty-and": ["", target],
    "nonstrings-and": [5, null, {}, [target], target],
    "trailing-slash": [`${target}/`],
    upper: target.toUpperCase(),
    nested: [[target]],
    object: { [target]: true },
    missing: undefined,
    "empty-list": [],
    other: [other],
    multi: [other, target],
    space: ` ${target}`,
    nul: `${target}\u0000`,
    null: null,
    number: 1,
    "only-nonstrings": [1, true],
    "empty-string": "",
  };
  if (m === "missing") delete p.aud;
  else p.aud = v[m];
}

function mutateIss(r: Random, p: Record<string, Val>, issuer: IssuerName, labels: string[]): void {
  const iss = ISS[issuer];
  const m = pick(r, [
    "slash",
    "case",
    "space",
    "array",
    "missing",
    "other-trusted",
    "team",
    "number",
    "nul",
    "bom",
  ] as const);
  labels.push(`iss:${m}`);
  const others = (Object.keys(ISS) as IssuerName[]).filter((n) => n !== issuer);
  const v: Record<typeof m, Val> = {
    slash: `${iss}/`,
    case: iss.replace("https://", "HTTPS://"),
    space: `${iss} `,
    array: [iss],
    missing: undefined,
    "other-trusted": ISS[pick(r, others)],
    team: TEAM,
    number: 1,
    nul: `${iss}\u0000`,
    bom: `\ufeff${iss}`,
  };
  if (m === "missing") delete p.iss;
  else p.iss = v[m];
}

function spiffeSub(r: Random, labels: string[]): Val {
  const m = pick(r, [
    "ok-frontend",
    "ok-upper-path",
    "ok-long",
    "other-td",
    "td-only",
    "td-only-slash",
    "trailing-slash",
    "dot",
    "dotdot",
    "upper-td",
    "percent",
    "port",
    "query",
    "fragment",
    "userinfo",
    "empty-seg",
    "scheme-case",
    "one-slash",
    "too-long",
    "number",
    "array",
    "control",
    "unicode",
    "tilde",
    "underscore-td",
    "1025",
  ] as const);
  labels.push(`sub:${m}`);
  const base = `spiffe://${TD}`;
  switch (m) {
    case "ok-frontend":
      return `${base}/ns/shop/sa/frontend`;
    case "ok-upper-path":
      return `${base}/ns/Shop/sa/Front_End-1.2`;
    case "ok-long":
      return `${base}/${"a".repeat(1024 - base.length - 1)}`;
    case "other-td":
      return "spiffe://partner.ward.internal/ns/billing/sa/sync";
    case "td-only":
      return base;
    case "td-only-slash":
      return `${base}/`;
    case "trailing-slash":
      return `${base}/ns/shop/`;
    case "dot":
      return `${base}/ns/./shop`;
    case "dotdot":
      return `${base}/ns/../shop`;
    case "upper-td":
      return `spiffe://Demo.ward.internal/ns/shop`;
    case "percent":
      return `${base}/ns%2Fshop`;
    case "port":
      return `spiffe://${TD}:443/ns/shop`;
    case "query":
      return `${base}/ns/shop?x=1`;
    case "fragment":
      return `${base}/ns/shop#x`;
    case "userinfo":
      return `spiffe://u@${TD}/ns/shop`;
    case "empty-seg":
      return `${base}//ns/shop`;
    case "scheme-case":
      return `SPIFFE://${TD}/ns/shop`;
    case "one-slash":
      return `spiffe:/${TD}/ns/shop`;
    case "too-long":
      return `${base}/${"a".repeat(2100)}`;
    case "number":
      return 5;
    case "array":
      return [`${base}/ns/shop/sa/checkout`];
    case "control":
      return `${base}/ns/shop${pick(r, CONTROL_CHARS)}`;
    case "unicode":
      return `${base}/ns/sh\u00f6p`;
    case "tilde":
      return `${base}/ns/~shop`;
    case "underscore-td":
      return `spiffe://demo_ward.internal/ns/shop`;
    case "1025":
      return `${base}/${"a".repeat(1025 - base.length - 1)}`;
  }
}

function clusterSub(r: Random, p: Record<string, Val>, labels: string[]): void {
  const m = pick(r, [
    "ns-mismatch",
    "name-mismatch",
    "binding-missing",
    "binding-string",
    "name-array",
    "dotted-name",
    "upper",
    "ns-63",
    "ns-64",
    "extra-colon",
    "group-form",
    "name-253",
    "name-254",
    "leading-dash",
    "double-dot",
    "binding-proto",
    "binding-nested-name-number",
  ] as const);
  labels.push(`k8s:${m}`);
  const bind = (ns: string, name: string) => ({
    namespace: ns,
    serviceaccount: { name, uid: "u" },
    pod: { name: "p", uid: "q" },
  });
  const set = (ns: string, name: string, bound = bind(ns, name)) => {
    p.sub = `system:serviceaccount:${ns}:${name}`;
    p["kubernetes.io"] = bound;
  };
  switch (m) {
    case "ns-mismatch":
      set("shop", "frontend", bind("other", "frontend"));
      break;
    case "name-mismatch":
      set("shop", "frontend", bind("shop", "checkout"));
      break;
    case "binding-missing":
      set("shop", "frontend");
      delete p["kubernetes.io"];
      break;
    case "binding-string":
      set("shop", "frontend");
      p["kubernetes.io"] = "shop";
      break;
    case "name-array":
      set("shop", "frontend", { namespace: "shop", serviceaccount: { name: ["frontend"] } } as never);
      break;
    case "dotted-name":
      set("shop", "front.end");
      break;
    case "upper":
      set("shop", "Frontend");
      break;
    case "ns-63":
      set("n".repeat(63), "frontend");
      break;
    case "ns-64":
      set("n".repeat(64), "frontend");
      break;
    case "extra-colon":
      p.sub = "system:serviceaccount:shop:front:end";
      break;
    case "group-form":
      p.sub = "system:serviceaccounts:shop";
      break;
    case "name-253":
      set("shop", `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`);
      break;
    case "name-254":
      set("shop", `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(62)}`);
      break;
    case "leading-dash":
      set("-shop", "frontend");
      break;
    case "double-dot":
      set("shop", "a..b");
      break;
    case "binding-proto":
      set("shop", "frontend");
      p["kubernetes.io"] = { __protoJson: true };
      break;
    case "binding-nested-name-number":
      set("shop", "frontend", { namespace: "shop", serviceaccount: { name: 5 } } as never);
      break;
  }
}

function githubSub(r: Random, p: Record<string, Val>, labels: string[]): void {
  const m = pick(r, ["control", "benign-odd", "1024", "1025", "empty", "number", "array", "null", "missing"] as const);
  labels.push(`ghsub:${m}`);
  const base = "repo:ward-demo/orders:ref:refs/heads/main";
  switch (m) {
    case "control":
      p.sub = `${base}${pick(r, CONTROL_CHARS)}x`;
      break;
    case "benign-odd":
      p.sub = `${base}${pick(r, BENIGN_ODD)}`;
      break;
    case "1024":
      p.sub = `${base}${"x".repeat(1024 - base.length)}`;
      break;
    case "1025":
      p.sub = `${base}${"x".repeat(1025 - base.length)}`;
      break;
    case "empty":
      p.sub = "";
      break;
    case "number":
      p.sub = 42;
      break;
    case "array":
      p.sub = [base];
      break;
    case "null":
      p.sub = null;
      break;
    case "missing":
      delete p.sub;
      break;
  }
}

function mutateScope(r: Random, p: Record<string, Val>, labels: string[]): void {
  const m = pick(r, [
    "one",
    "two",
    "spaces",
    "tab",
    "newline",
    "dup",
    "100",
    "101",
    "quote",
    "backslash",
    "255",
    "256",
    "empty",
    "array-scope",
    "scp-list",
    "scp-string",
    "scp-number",
    "both",
    "null",
    "unicode",
    "scp-empty",
    "nbsp",
    "scp-space-inside",
    "scp-nested",
    "scope-number",
    "scp-101",
    "del",
  ] as const);
  labels.push(`scope:${m}`);
  delete p.scope;
  delete p.scp;
  const tok = (n: number) => Array.from({ length: n }, (_, i) => `s${i}`);
  switch (m) {
    case "one":
      p.scope = "payments:charge";
      break;
    case "two":
      p.scope = "payments:charge orders:read";
      break;
    case "spaces":
      p.scope = "  payments:charge   orders:read ";
      break;
    case "tab":
      p.scope = "payments:charge\torders:read";
      break;
    case "newline":
      p.scope = "orders:read\npayments:charge";
      break;
    case "dup":
      p.scope = "payments:charge payments:charge";
      break;
    case "100":
      p.scope = ["payments:charge", ...tok(99)].join(" ");
      break;
    case "101":
      p.scope = ["payments:charge", ...tok(100)].join(" ");
      break;
    case "quote":
      p.scope = 'payments:charge or"ders';
      break;
    case "backslash":
      p.scope = "payments:charge or\\ders";
      break;
    case "255":
      p.scope = `payments:charge ${"x".repeat(255)}`;
      break;
    case "256":
      p.scope = `payments:charge ${"x".repeat(256)}`;
      break;
    case "empty":
      p.scope = "";
      break;
    case "array-scope":
      p.scope = ["payments:charge"];
      break;
    case "scp-list":
      p.scp = ["payments:charge", "orders:read"];
      break;
    case "scp-string":
      p.scp = "payments:charge";
      break;
    case "scp-number":
      p.scp = [1];
      break;
    case "both":
      p.scope = "payments:charge";
      p.scp = ["payments:charge"];
      break;
    case "null":
      p.scope = null;
      break;
    case "unicode":
      p.scope = "payments:charge p\u00e4y";
      break;
    case "scp-empty":
      p.scp = [];
      break;
    case "nbsp":
      p.scope = "payments:charge\u00a0admin";
      break;
    case "scp-space-inside":
      p.scp = ["payments:charge orders:read"];
      break;
    case "scp-nested":
      p.scp = [["payments:charge"]];
      break;
    case "scope-number":
      p.scope = 7;
      break;
    case "scp-101":
      p.scp = ["payments:charge", ...tok(100)];
      break;
    case "del":
      p.scope = "payments:charge\u007f";
      break;
  }
}

function mutateRequire(r: Random, p: Record<string, Val>, labels: string[]): void {
  const m = pick(r, [
    "missing",
    "case",
    "array",
    "array-other-first",
    "number",
    "space",
    "proto",
    "nul",
    "nested",
    "array-wrong",
  ] as const);
  labels.push(`require:${m}`);
  const v: Record<typeof m, Val> = {
    missing: undefined,
    case: "Ward-Demo",
    array: ["ward-demo"],
    "array-other-first": ["evil", "ward-demo"],
    number: 5,
    space: "ward-demo ",
    proto: undefined,
    nul: "ward-demo\u0000",
    nested: { value: "ward-demo" },
    "array-wrong": ["evil"],
  };
  if (m === "missing") delete p.repository_owner;
  else if (m === "proto") {
    delete p.repository_owner;
    p.__protoOwner = true;
  } else p.repository_owner = v[m];
}

function mutateShape(r: Random, p: Record<string, Val>, labels: string[]): void {
  const m = pick(r, [
    "depth-3",
    "depth-12",
    "values-100",
    "values-700",
    "long-string",
    "names-odd",
    "proto-claim",
    "constructor-claim",
    "empty-name",
    "control-name",
    "big-number",
    "deep-array-12",
  ] as const);
  labels.push(`shape:${m}`);
  const nest = (d: number, leaf: unknown): unknown => (d === 0 ? leaf : { n: nest(d - 1, leaf) });
  const nestA = (d: number): unknown => (d === 0 ? 1 : [nestA(d - 1)]);
  switch (m) {
    case "depth-3":
      p.custom = nest(3, "x");
      break;
    case "depth-12":
      p.custom = nest(12, "x");
      break;
    case "values-100":
      p.custom = Array.from({ length: 100 }, (_, i) => i);
      break;
    case "values-700":
      p.custom = Array.from({ length: 700 }, () => 1);
      break;
    case "long-string":
      p.custom = "z".repeat(5000);
      break;
    case "names-odd":
      p["na\u00efve"] = 1;
      p["a.b"] = { "c.d": 2 };
      break;
    case "proto-claim":
      p.__protoClaim = true;
      break;
    case "constructor-claim":
      Object.assign(p, JSON.parse('{"constructor":"x","toString":"y","hasOwnProperty":1}'));
      break;
    case "empty-name":
      p[""] = "x";
      break;
    case "control-name":
      p["x\u0000\n"] = "y";
      break;
    case "big-number":
      p.custom = RAW("1e400");
      break;
    case "deep-array-12":
      p.custom = nestA(12);
      break;
  }
}

const HEADER_MUTATIONS = [
  "alg-none",
  "alg-hs256",
  "alg-es384",
  "alg-rs256-on-ec",
  "alg-ps256",
  "alg-lower",
  "alg-missing",
  "alg-array",
  "kid-missing",
  "kid-unknown",
  "kid-empty",
  "kid-257",
  "kid-space",
  "kid-number",
  "typ-jwt-lower",
  "typ-jose",
  "typ-app-jwt",
  "typ-at-jwt",
  "typ-secevent",
  "typ-empty",
  "typ-number",
  "typ-missing",
  "jku",
  "x5u",
  "jwk",
  "x5c",
  "crit",
  "crit-empty",
  "b64",
  "cty",
  "x5t",
  "foo",
  "proto",
  "kid-control",
  "typ-JWT-upper-app",
  "typ-dpop",
  "zip",
] as const;

function mutateHeader(r: Random, h: Record<string, Val>, labels: string[]): void {
  const m = pick(r, HEADER_MUTATIONS);
  labels.push(`header:${m}`);
  switch (m) {
    case "alg-none":
      h.alg = "none";
      break;
    case "alg-hs256":
      h.alg = "HS256";
      break;
    case "alg-es384":
      h.alg = "ES384";
      break;
    case "alg-rs256-on-ec":
      h.alg = h.alg === "ES256" ? "RS256" : "ES256";
      break;
    case "alg-ps256":
      h.alg = "PS256";
      break;
    case "alg-lower":
      h.alg = String(h.alg).toLowerCase();
      break;
    case "alg-missing":
      delete h.alg;
      break;
    case "alg-array":
      h.alg = [h.alg];
      break;
    case "kid-missing":
      delete h.kid;
      break;
    case "kid-unknown":
      h.kid = "no-such-kid";
      break;
    case "kid-empty":
      h.kid = "";
      break;
    case "kid-257":
      h.kid = "k".repeat(257);
      break;
    case "kid-space":
      h.kid = `${h.kid} `;
      break;
    case "kid-number":
      h.kid = 1;
      break;
    case "typ-jwt-lower":
      h.typ = "jwt";
      break;
    case "typ-jose":
      h.typ = "JOSE";
      break;
    case "typ-app-jwt":
      h.typ = "application/jwt";
      break;
    case "typ-at-jwt":
      h.typ = "at+jwt";
      break;
    case "typ-secevent":
      h.typ = "secevent+jwt";
      break;
    case "typ-empty":
      h.typ = "";
      break;
    case "typ-number":
      h.typ = 1;
      break;
    case "typ-missing":
      delete h.typ;
      break;
    case "jku":
      h.jku = "https://evil.example/jwks";
      break;
    case "x5u":
      h.x5u = "https://evil.example/cert";
      break;
    case "jwk":
      h.jwk = { kty: "EC", crv: "P-256", x: "AA", y: "AA" };
      break;
    case "x5c":
      h.x5c = ["MIIB"];
      break;
    case "crit":
      h.crit = ["exp"];
      break;
    case "crit-empty":
      h.crit = [];
      break;
    case "b64":
      h.b64 = true;
      break;
    case "cty":
      h.cty = "JWT";
      break;
    case "x5t":
      h.x5t = "zEE1Jxc_WgWXbpxSsde0MZ2ZR4g";
      break;
    case "foo":
      h.foo = "bar";
      break;
    case "proto":
      h.__protoHeader = true;
      break;
    case "kid-control":
      h.kid = `${h.kid}\n`;
      break;
    case "typ-JWT-upper-app":
      h.typ = "APPLICATION/JWT";
      break;
    case "typ-dpop":
      h.typ = "dpop+jwt";
      break;
    case "zip":
      h.zip = "DEF";
      break;
  }
}

/** A duplicate member, spelt with an escape sometimes. */
function dupMember(r: Random, names: string[], labels: string[], where: string): string {
  const name = pick(r, names);
  const escaped = chance(r, 0.5)
    ? JSON.stringify(name).replace(/[a-z]/, (c) => `\\u00${c.charCodeAt(0).toString(16)}`)
    : JSON.stringify(name);
  labels.push(`dup-${where}:${name}${escaped.includes("\\u") ? "(escaped)" : ""}`);
  const value = pick(r, ['"x"', "1", "null", '["x"]']);
  return `,${escaped}:${value}`;
}

export function generateWorkload(r: Random, service: number): WorkloadGen {
  const issuer = pick(r, ["spire", "spire", "cluster", "github", "github"] as const);
  const target = SERVICES[service]!.audience;
  const other = SERVICES[1 - service]!.audience;
  const labels: string[] = [];
  const header: Record<string, Val> = structuredClone(FIXTURES[issuer].header) as Record<string, Val>;
  const payload = basePayload(issuer, target);
  if (issuer === "spire" || issuer === "github") {
    // A fresh, plausible scope.
    if (chance(r, 0.5)) payload.scope = pick(r, ["payments:charge", "orders:read", "payments:charge orders:read"]);
    else delete payload.scope;
  }
  if (issuer === "spire")
    payload.sub = pick(r, [`spiffe://${TD}/ns/shop/sa/checkout`, `spiffe://${TD}/ns/shop/sa/frontend`]);
  const n = chance(r, 0.12) ? 0 : chance(r, 0.7) ? 1 : 2;
  const kinds = [
    "times",
    "aud",
    "iss",
    "sub",
    "scope",
    "require",
    "shape",
    "header",
    "dup-header",
    "dup-payload",
    "dup-nested",
    "signer",
    "sig",
    "transport",
  ] as const;
  const chosen = new Set<string>();
  for (let i = 0; i < n; i++) chosen.add(pick(r, kinds));
  let signer: Signer = "own";
  let sig: SigEdit = "plain";
  let transport: Transport = pick(r, ["Bearer ", "Bearer ", "Bearer ", "bearer "] as const);
  const gen: WorkloadGen = { issuer, header, payload, signer, sig, transport, labels };
  const wantDup = { header: false, payload: false };
  for (const k of chosen) {
    switch (k) {
      case "times":
        mutateTimes(r, payload, issuer, labels);
        break;
      case "aud":
        mutateAud(r, payload, target, other, labels);
        break;
      case "iss":
        mutateIss(r, payload, issuer, labels);
        break;
      case "sub":
        if (issuer === "spire") payload.sub = spiffeSub(r, labels);
        else if (issuer === "cluster") clusterSub(r, payload, labels);
        else githubSub(r, payload, labels);
        break;
      case "scope":
        mutateScope(r, payload, labels);
        break;
      case "require":
        if (issuer === "github") mutateRequire(r, payload, labels);
        break;
      case "shape":
        mutateShape(r, payload, labels);
        break;
      case "header":
        mutateHeader(r, header, labels);
        break;
      case "dup-header":
        wantDup.header = true;
        break;
      case "dup-payload":
        wantDup.payload = true;
        break;
      case "dup-nested": {
        const m = pick(r, ["k8s-ns", "array-obj", "same-name-other-objects"] as const);
        labels.push(`dup-nested:${m}`);
        gen.payloadNested = m;
        break;
      }
      case "signer":
        signer = pick(r, ["forger", "hs256-public", "none-empty", "none-junk", "pss", "other-issuer"] as const);
        labels.push(`signer:${signer}`);
        break;
      case "sig":
        sig = pick(r, ["spare-bits", "high-s", "der", "truncated", "extra-char"] as const);
        labels.push(`sig:${sig}`);
        break;
      case "transport":
        transport = pick(r, [
          "BEARER ",
          "Bearer    ",
          "lead-space",
          "trail-space",
          "Bearer\t",
          "Bearer-nospace",
          "twice",
          "padding",
          "Basic ",
          "DPoP ",
          "comma-two",
          "trailing-word",
          "json-serialization",
          "percent-dots",
          "double-percent-dots",
          "payload-padded",
          "comma-parts",
          "none",
        ] as const);
        labels.push(`transport:${JSON.stringify(transport)}`);
        break;
    }
  }
  const present = (o: Record<string, Val>) => Object.keys(o).filter((k) => !k.startsWith("__") && o[k] !== undefined);
  if (wantDup.header && present(header).length > 0) gen.headerDup = dupMember(r, present(header), labels, "header");
  if (wantDup.payload && present(payload).length > 0)
    gen.payloadDup = dupMember(r, present(payload), labels, "payload");
  gen.signer = signer;
  gen.sig = sig;
  gen.transport = transport;
  return gen;
}

export function generateAccess(r: Random): AccessGen {
  const labels: string[] = [];
  const person = chance(r, 0.75);
  const payload: Record<string, Val> = {
    type: "app",
    iat: off(0),
    nbf: off(0),
    exp: off(3600),
    iss: TEAM,
    aud: [AUD],
    sub: person ? "7335d417-61da-459d-899c-0a01c76a2f94" : "",
    ...(person
      ? { email: pick(r, ["ann@example.com", "Bob@Example.com"]), identity_nonce: "6ei69kawdKzMIAPF", country: "US" }
      : { common_name: "4e21e9b2c4eca176e6665d37384985b6.access" }),
  };
  const header: Record<string, Val> = { alg: "RS256", kid: inject("accessPrivateJwk").kid, typ: "JWT" };
  const gen: AccessGen = { header, payload, labels };
  if (chance(r, 0.5)) return gen;
  const m = pick(r, [
    "lifetime-24h",
    "lifetime-24h+1",
    "exp-float",
    "exp-string",
    "iat-missing",
    "nbf-missing",
    "nbf-float",
    "iat-future",
    "type-missing",
    "type-org",
    "aud-string",
    "aud-multi",
    "aud-other-only",
    "aud-unlisted",
    "sub-256",
    "sub-255",
    "sub-control",
    "sub-number",
    "email-bad",
    "email-control",
    "email-empty-cn",
    "cn-not-id",
    "cn-team-suffix",
    "dup-email",
    "dup-email-escaped",
    "kid-missing",
    "alg-ps256",
    "crit",
    "jku",
    "iss-slash",
    "exp-before-iat",
    "iat-1e309",
    "email-null",
    "email-and-cn",
    "cn-number",
    "sub-bidi",
    "typ-secevent",
  ] as const);
  labels.push(`access:${m}`);
  switch (m) {
    case "lifetime-24h":
      payload.iat = off(-10);
      payload.exp = off(86400 - 10);
      break;
    case "lifetime-24h+1":
      payload.iat = off(-10);
      payload.exp = off(86400 - 9);
      break;
    case "exp-float":
      payload.exp = { offFloat: 100.5 };
      break;
    case "exp-string":
      payload.exp = { offString: 100 };
      break;
    case "iat-missing":
      delete payload.iat;
      break;
    case "nbf-missing":
      delete payload.nbf;
      break;
    case "nbf-float":
      payload.nbf = { offFloat: -0.5 };
      break;
    case "iat-future":
      payload.iat = off(SKEW + 3);
      payload.nbf = off(0);
      break;
    case "type-missing":
      delete payload.type;
      break;
    case "type-org":
      payload.type = "org";
      break;
    case "aud-string":
      payload.aud = AUD;
      break;
    case "aud-multi":
      payload.aud = ["f0".repeat(32), AUD];
      break;
    case "aud-other-only":
      payload.aud = [OTHER_AUD];
      break;
    case "aud-unlisted":
      payload.aud = ["f0".repeat(32)];
      break;
    case "sub-256":
      payload.sub = "s".repeat(256);
      break;
    case "sub-255":
      payload.sub = "s".repeat(255);
      break;
    case "sub-control":
      payload.sub = "abc\r\nx";
      break;
    case "sub-number":
      payload.sub = 5;
      break;
    case "email-bad":
      payload.email = "mallory@evil.io@example.com";
      break;
    case "email-control":
      payload.email = "ann@example.com\n";
      break;
    case "email-empty-cn":
      payload.email = "";
      payload.common_name = "4e21e9b2c4eca176e6665d37384985b6.access";
      break;
    case "cn-not-id":
      delete payload.email;
      payload.common_name = "checkout.internal";
      break;
    case "cn-team-suffix":
      delete payload.email;
      payload.common_name = "4e21e9b2c4eca176e6665d37384985b6.access.example.com";
      break;
    case "dup-email":
      if (!person) payload.email = "ann@example.com";
      gen.payloadDup = ',"email":"mallory@example.com"';
      break;
    case "dup-email-escaped":
      if (!person) payload.email = "ann@example.com";
      gen.payloadDup = ',"\\u0065mail":"mallory@example.com"';
      break;
    case "kid-missing":
      delete header.kid;
      break;
    case "alg-ps256":
      header.alg = "PS256";
      break;
    case "crit":
      header.crit = ["exp"];
      break;
    case "jku":
      header.jku = "https://evil.example/jwks";
      break;
    case "iss-slash":
      payload.iss = `${TEAM}/`;
      break;
    case "exp-before-iat":
      payload.iat = off(10);
      payload.exp = off(5);
      break;
    case "iat-1e309":
      payload.iat = RAW("1e309");
      break;
    case "email-null":
      payload.email = null;
      break;
    case "email-and-cn":
      payload.email = "ann@example.com";
      payload.common_name = "4e21e9b2c4eca176e6665d37384985b6.access";
      break;
    case "cn-number":
      delete payload.email;
      payload.common_name = 5;
      break;
    case "sub-bidi":
      payload.sub = "abc\u202e";
      break;
    case "typ-secevent":
      header.typ = "secevent+jwt";
      break;
  }
  return gen;
}

export function generateCase(r: Random): Case {
  const service = chance(r, 0.8) ? 0 : 1;
  const path = pick(r, ["/any", "/any", "/open", "/scoped"] as const);
  const method = chance(r, 0.8) ? "GET" : "POST";
  const c: Case = { service, path, method };
  if (chance(r, 0.9)) c.workload = generateWorkload(r, service);
  if (chance(r, 0.3)) c.access = generateAccess(r);
  return c;
}

// ------------------------------------------------------------------------------------------------------------
// Materialising: texts with times resolved against now, signed.

const PROTO_TEXT = {
  owner: '"__proto__":{"repository_owner":"ward-demo"}',
  claim: '"__proto__":{"admin":true,"repository_owner":"ward-demo"}',
  header: '"__proto__":{"alg":"none"}',
  binding: '{"__proto__":{"namespace":"shop","serviceaccount":{"name":"frontend"}}}',
};

/** JSON text of an object whose values may be offsets, raw texts or proto markers. */
export function textOf(obj: Record<string, Val>, nowSeconds: number, extra = ""): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (k === "__protoOwner") {
      parts.push(PROTO_TEXT.owner);
      continue;
    }
    if (k === "__protoClaim") {
      parts.push(PROTO_TEXT.claim);
      continue;
    }
    if (k === "__protoHeader") {
      parts.push(PROTO_TEXT.header);
      continue;
    }
    parts.push(`${JSON.stringify(k)}:${valueText(v, nowSeconds)}`);
  }
  return `{${parts.join(",")}${parts.length === 0 ? extra.replace(/^,/, "") : extra}}`;
}

function valueText(v: Val, now: number): string {
  if (v === undefined) return "null";
  if (isRaw(v)) return v.__raw;
  if (isOff(v)) return String(now + v.off);
  if (typeof v === "object" && v !== null) {
    const o = v as Record<string, unknown>;
    if ("offFloat" in o) return String(now + (o.offFloat as number));
    if ("offString" in o) return JSON.stringify(String(now + (o.offString as number)));
    if ("offRaw" in o) return `${now + (o.offRaw as number)}${o.suffix as string}`;
    if ("__protoJson" in o) return PROTO_TEXT.binding;
  }
  return JSON.stringify(v);
}

/** The nested-duplicate payloads (whole texts). */
function nestedPayloadText(kind: string, base: string): string {
  const body = base.slice(0, -1);
  switch (kind) {
    case "k8s-ns":
      return `${body},"extra":{"namespace":"shop","namespace":"other"}}`;
    case "array-obj":
      return `${body},"extra":[{"a":1,"a":2}]}`;
    default:
      return `${body},"extra":[{"a":1},{"a":2}],"more":{"a":{"a":1}}}`;
  }
}

const enc = (s: string) => base64url.encode(new TextEncoder().encode(s));

let forgerKeys: Promise<{ ec: JWK; rsa: JWK }> | undefined;
function forgers() {
  forgerKeys ??= (async () => {
    const ec = await generateKeyPair("ES256", { extractable: true });
    const rsa = await generateKeyPair("RS256", { extractable: true });
    return {
      ec: { ...(await exportJWK(ec.privateKey)), alg: "ES256" },
      rsa: { ...(await exportJWK(rsa.privateKey)), alg: "RS256" },
    };
  })();
  return forgerKeys;
}

const P256_N = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");

function bytesToBig(b: Uint8Array): bigint {
  return BigInt(`0x${[...b].map((x) => x.toString(16).padStart(2, "0")).join("") || "0"}`);
}
function bigToBytes(n: bigint, len: number): Uint8Array {
  const hex = n.toString(16).padStart(len * 2, "0");
  return Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}
function derInt(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  let v = b.slice(i);
  if (v[0]! & 0x80) v = Uint8Array.from([0, ...v]);
  return Uint8Array.from([2, v.length, ...v]);
}

async function rawSign(jwk: JWK, alg: string, input: string): Promise<Uint8Array> {
  const data = new TextEncoder().encode(input);
  if (alg === "ES256") {
    const key = (await importJWK(jwk, "ES256")) as CryptoKey;
    return new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, data));
  }
  if (alg === "PS256") {
    const { alg: _a, key_ops: _k, ...plain } = jwk as JWK & { key_ops?: unknown };
    const key = await crypto.subtle.importKey("jwk", plain as JsonWebKey, { name: "RSA-PSS", hash: "SHA-256" }, false, [
      "sign",
    ]);
    return new Uint8Array(await crypto.subtle.sign({ name: "RSA-PSS", saltLength: 32 }, key, data));
  }
  const key = (await importJWK(jwk, "RS256")) as CryptoKey;
  return new Uint8Array(await crypto.subtle.sign({ name: "RSASSA-PKCS1-v1_5" }, key, data));
}

export interface Materialised {
  headerText: string;
  payloadText: string;
  token: string;
  /** The Authorization values to send (none, one, or two fields). */
  authorization: string[];
}

export async function materialiseWorkload(g: WorkloadGen, nowSeconds: number): Promise<Materialised> {
  const headerText = textOf(g.header, nowSeconds, g.headerDup ?? "");
  let payloadText = textOf(g.payload, nowSeconds, g.payloadDup ?? "");
  if (g.payloadNested) payloadText = nestedPayloadText(g.payloadNested, payloadText);
  const input = `${enc(headerText)}.${enc(payloadText)}`;
  const own = issuerKey(g.issuer);
  let signature: Uint8Array;
  const f = await forgers();
  switch (g.signer) {
    case "own":
      signature = await rawSign(own, own.alg!, input);
      break;
    case "forger":
      signature = await rawSign(own.alg === "ES256" ? f.ec : f.rsa, own.alg!, input);
      break;
    case "other-issuer": {
      const o = issuerKey(g.issuer === "github" ? "cluster" : "github");
      signature = await rawSign(o, "RS256", input);
      break;
    }
    case "pss":
      signature = own.alg === "ES256" ? await rawSign(own, "ES256", input) : await rawSign(own, "PS256", input);
      break;
    case "hs256-public": {
      const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = own as JWK & Record<string, unknown>;
      const secret = new TextEncoder().encode(JSON.stringify(pub));
      const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(input)));
      break;
    }
    case "none-empty":
      signature = new Uint8Array(0);
      break;
    case "none-junk":
      signature = Uint8Array.from([1, 2, 3, 4, 5, 6]);
      break;
  }
  let sigText = base64url.encode(signature);
  switch (g.sig) {
    case "spare-bits": {
      const last = sigText[sigText.length - 1]!;
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      if (sigText.length % 4 !== 0) sigText = sigText.slice(0, -1) + alphabet[alphabet.indexOf(last) | 1];
      break;
    }
    case "high-s":
      if (signature.length === 64) {
        const s = bytesToBig(signature.slice(32));
        sigText = base64url.encode(Uint8Array.from([...signature.slice(0, 32), ...bigToBytes(P256_N - s, 32)]));
      }
      break;
    case "der":
      if (signature.length === 64) {
        const r1 = derInt(signature.slice(0, 32));
        const s1 = derInt(signature.slice(32));
        sigText = base64url.encode(Uint8Array.from([0x30, r1.length + s1.length, ...r1, ...s1]));
      } else sigText = base64url.encode(Uint8Array.from([0, ...signature]));
      break;
    case "truncated":
      sigText = base64url.encode(signature.slice(0, -1));
      break;
    case "extra-char":
      sigText = `${sigText}AAAA`;
      break;
  }
  const token = `${input}.${sigText}`;
  const t = g.transport;
  const [h, p] = input.split(".") as [string, string];
  const wrapped: Partial<Record<Transport, string>> = {
    "json-serialization": `Bearer ${JSON.stringify({ protected: h, payload: p, signature: sigText })}`,
    "percent-dots": `Bearer ${token.replaceAll(".", "%2E")}`,
    "double-percent-dots": `Bearer ${token.replaceAll(".", "%252E")}`,
    "payload-padded": `Bearer ${h}.${p}${"=".repeat((4 - (p.length % 4)) % 4 || 4)}.${sigText}`,
    "comma-parts": `Bearer ${token.replaceAll(".", ",")}`,
  };
  const authorization =
    t === "none"
      ? []
      : wrapped[t] !== undefined
        ? [wrapped[t]]
        : t === "twice"
          ? [`Bearer ${token}`, `Bearer ${token}`]
          : [
              t === "lead-space"
                ? `  Bearer ${token}`
                : t === "trail-space"
                  ? `Bearer ${token}  `
                  : t === "Bearer-nospace"
                    ? `Bearer${token}`
                    : t === "padding"
                      ? `Bearer ${token}==`
                      : t === "comma-two"
                        ? `Bearer ${token}, Bearer ${token}`
                        : t === "trailing-word"
                          ? `Bearer ${token} x`
                          : `${t}${token}`,
            ];
  return { headerText, payloadText, token, authorization };
}

export async function materialiseAccess(
  g: AccessGen,
  nowSeconds: number,
): Promise<{ token: string; headerText: string; payloadText: string }> {
  const headerText = textOf(g.header, nowSeconds);
  const payloadText = textOf(g.payload, nowSeconds, g.payloadDup ?? "");
  const input = `${enc(headerText)}.${enc(payloadText)}`;
  const key = inject("accessPrivateJwk");
  const signature = await rawSign(key, g.header.alg === "PS256" ? "PS256" : "RS256", input);
  return { token: `${input}.${base64url.encode(signature)}`, headerText, payloadText };
}
