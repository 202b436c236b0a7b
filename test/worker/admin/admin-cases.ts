// The cases of the admin API's generated differential (admin-differential.test.ts): hosts, callers, browsers,
// bodies, methods, endpoints and path spellings, drawn from a seeded PRNG, and the requests they make.
import { inject } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { accessToken } from "../support/access-tokens.ts";
import { CERTS, tlsClientAuth } from "../support/client-certs.ts";
import { rawRequest } from "../support/raw-request.ts";
import { workloadToken } from "../support/workload-tokens.ts";

const signing = inject("accessPrivateJwk");

const ADMIN_TOKEN_ID = "3c1f0a9e7d2b4c6a8e0f1d3b5a7c9e2f.access";
const OTHER_TOKEN_ID = "0123456789abcdef0123456789abcdef.access";
const CHECKOUT = "spiffe://demo.ward.internal/ns/shop/sa/checkout";
export const policyText = (label: string) =>
  demoPolicy
    .replace("description: Ward local demo", `description: Ward admin differential (${label})`)
    .replace(
      "principals: [{ group: ward-admins }]",
      `principals: [{ group: ward-admins }, { serviceToken: ${ADMIN_TOKEN_ID} }, { spiffe: ${CHECKOUT} }]`,
    );

// ---------------------------------------------------------------------------------------------- the cases

type HostKind = "admin" | "service" | "invalid" | "hostile";
const HOSTS: { host: string; kind: HostKind }[] = [
  { host: "ward.localhost", kind: "admin" },
  { host: "WARD.Localhost", kind: "admin" },
  { host: "ward.localhost.", kind: "admin" },
  { host: "ward.localhost:8443", kind: "admin" },
  { host: "wiki.localhost", kind: "service" },
  { host: "Wiki.LOCALHOST", kind: "service" },
  { host: "wiki.localhost.", kind: "service" },
  { host: "wiki.localhost:443", kind: "service" },
  { host: "orders.localhost", kind: "service" },
  { host: "payments.localhost.:8443", kind: "service" },
  { host: "ward_localhost", kind: "invalid" },
  // What bare workerd builds request.url from when the Host header is no host: `new URL` refuses it.
  { host: "a b", kind: "hostile" },
  { host: "[x", kind: "hostile" },
];

type Caller =
  | "none"
  | "admin-header"
  | "admin-cookie"
  | "admin-header-other-cookie"
  | "admin-two-cookies"
  | "admin-header-twice"
  | "person-header"
  | "person-cookie"
  | "revoked-admin"
  | "service-admin"
  | "service-other"
  | "admin-expired"
  | "admin-wrong-aud"
  | "admin-forged"
  | "cert-admin"
  | "cert-other"
  | "cert-none"
  | "workload-token";
const CALLERS: Caller[] = [
  "none",
  "admin-header",
  "admin-header",
  "admin-header",
  "admin-cookie",
  "admin-header-other-cookie",
  "admin-two-cookies",
  "admin-header-twice",
  "person-header",
  "person-cookie",
  "revoked-admin",
  "service-admin",
  "service-admin",
  "service-other",
  "admin-expired",
  "admin-wrong-aud",
  "admin-forged",
  "cert-admin",
  "cert-admin",
  "cert-other",
  "cert-none",
  "workload-token",
];

type Browser =
  | "none"
  | "node-fetch"
  | "same-origin-fetch"
  | "cross-site-fetch"
  | "same-site-fetch"
  | "navigation"
  | "cross-site-form"
  | "origin-evil"
  | "origin-null"
  | "origin-own";
const BROWSERS: Browser[] = [
  "none",
  "none",
  "none",
  "node-fetch",
  "same-origin-fetch",
  "cross-site-fetch",
  "same-site-fetch",
  "navigation",
  "cross-site-form",
  "origin-evil",
  "origin-null",
  "origin-own",
];

type BodyKind = "valid" | "none" | "malformed" | "huge" | "text-plain" | "duplicate" | "proto";
const BODIES: BodyKind[] = ["valid", "valid", "valid", "none", "malformed", "huge", "text-plain", "duplicate", "proto"];

const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get", "Post", "delete", "PROPFIND"];

interface Endpoint {
  name: string;
  method: string;
  /** The path under /.ward/admin, or the whole own path when `own`. */
  sub: string;
  own?: "me" | "apps" | "jwks" | "ssf";
  body?: true;
}
export const ENDPOINTS: Endpoint[] = [
  { name: "policy", method: "GET", sub: "/policy" },
  { name: "version", method: "GET", sub: "/policy/versions/$ACTIVE" },
  { name: "push", method: "PUT", sub: "/policy", body: true },
  { name: "push-stale", method: "PUT", sub: "/policy", body: true },
  { name: "rollback", method: "POST", sub: "/policy/rollback", body: true },
  { name: "shadow-set", method: "PUT", sub: "/policy/shadow", body: true },
  { name: "shadow-clear", method: "DELETE", sub: "/policy/shadow" },
  { name: "promote", method: "POST", sub: "/policy/shadow/promote", body: true },
  { name: "grants", method: "GET", sub: "/grants" },
  { name: "grant-events", method: "GET", sub: "/grants/wiki/$GRANT/events" },
  { name: "exception", method: "POST", sub: "/exceptions", body: true },
  { name: "breakglass", method: "POST", sub: "/breakglass", body: true },
  { name: "grant-revoke", method: "DELETE", sub: "/grants/wiki/$GRANT" },
  { name: "denylist", method: "GET", sub: "/denylist" },
  { name: "revoke", method: "POST", sub: "/revocations", body: true },
  { name: "lift", method: "DELETE", sub: "/denylist/$REVOCATION" },
  { name: "ssf-verification", method: "POST", sub: "/ssf/verification", body: true },
  { name: "ssf-status", method: "GET", sub: "/ssf/status" },
  { name: "ssf-poll", method: "POST", sub: "/ssf/poll" },
  { name: "unknown", method: "GET", sub: "/nothing-here" },
  { name: "root", method: "GET", sub: "" },
  { name: "me", method: "GET", sub: "/.ward/me", own: "me" },
  { name: "apps", method: "GET", sub: "/.ward/apps", own: "apps" },
  { name: "jwks", method: "GET", sub: "/.well-known/ward/jwks.json", own: "jwks" },
  { name: "ssf-events", method: "POST", sub: "/.ward/ssf/events/nobody", own: "ssf" },
];

type Spelling =
  | "exact"
  | "encoded-letter"
  | "encoded-dot-prefix"
  | "trailing-slash"
  | "double-slash-inside"
  | "double-slash-first"
  | "dot-segment-inside"
  | "dot-segment-before"
  | "param-end"
  | "param-prefix"
  | "encoded-slash-prefix"
  | "encoded-slash-inside"
  | "capital-prefix"
  | "capital-sub";
const SPELLINGS: Spelling[] = [
  "exact",
  "exact",
  "exact",
  "exact",
  "exact",
  "encoded-letter",
  "encoded-dot-prefix",
  "trailing-slash",
  "double-slash-inside",
  "double-slash-first",
  "dot-segment-inside",
  "dot-segment-before",
  "param-end",
  "param-prefix",
  "encoded-slash-prefix",
  "encoded-slash-inside",
  "capital-prefix",
  "capital-sub",
];

export interface Case {
  /** The run's seed and the case's index: together, a name no other case of any run shares. */
  seed: number;
  i: number;
  endpoint: Endpoint;
  method: string;
  host: { host: string; kind: HostKind };
  spelling: Spelling;
  caller: Caller;
  browser: Browser;
  body: BodyKind;
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

export function genCase(r: () => number, seed: number, i: number): Case {
  const endpoint = pick(r, ENDPOINTS);
  if (r() < 0.3)
    // An admin's own call, as the CLI makes it, with the bodies and headers varied.
    return {
      seed,
      i,
      endpoint,
      method: endpoint.method,
      host: pick(r, HOSTS.slice(0, 4)),
      spelling: r() < 0.8 ? "exact" : "encoded-letter",
      caller: pick(r, ["admin-header", "service-admin", "cert-admin", "admin-header-other-cookie"] as Caller[]),
      browser: r() < 0.7 ? "none" : pick(r, BROWSERS),
      body: pick(r, BODIES),
    };
  const method = r() < 0.7 ? endpoint.method : pick(r, METHODS);
  return {
    seed,
    i,
    endpoint,
    method,
    host: r() < 0.6 ? pick(r, HOSTS.slice(0, 4)) : pick(r, HOSTS),
    spelling: pick(r, SPELLINGS),
    caller: pick(r, CALLERS),
    browser: r() < 0.5 ? "none" : pick(r, BROWSERS),
    body: pick(r, BODIES),
  };
}

// ---------------------------------------------------------------------------------------------- building

export interface Fixtures {
  active: string;
  previous: string | null;
  shadow: string | null;
  grant: string;
  revocation: string;
}

/** The whole path of a case as sent (raw: dot segments and all), before the query. */
export function pathOf(c: Case, f: Fixtures): string {
  const sub = c.endpoint.sub
    .replace("$ACTIVE", f.active)
    .replace("$GRANT", f.grant)
    .replace("$REVOCATION", f.revocation);
  const own = c.endpoint.own !== undefined;
  // [prefix, rest]: the prefix is "/.ward/admin" (or an own path's first segment), rest what follows.
  const whole = own ? sub : `/.ward/admin${sub}`;
  const firstEnd = whole.indexOf("/", 1);
  const first = whole.slice(0, firstEnd === -1 ? undefined : firstEnd); // "/.ward" or "/.well-known"
  const rest = firstEnd === -1 ? "" : whole.slice(firstEnd);
  switch (c.spelling) {
    case "exact":
      return whole;
    case "encoded-letter": {
      // A letter of a fixed segment, percent-encoded: the same path to every reader.
      const at = whole.search(/[a-z](?=[a-z])/);
      return `${whole.slice(0, at)}%${whole.charCodeAt(at).toString(16).toUpperCase()}${whole.slice(at + 1)}`;
    }
    case "encoded-dot-prefix":
      return `/%2E${whole.slice(2)}`;
    case "trailing-slash":
      return `${whole}/`;
    case "double-slash-inside":
      return `${first}/${rest}`;
    case "double-slash-first":
      return `/${whole}`;
    case "dot-segment-inside":
      return `${first}/x/..${rest}`;
    case "dot-segment-before":
      return `/x/..${whole}`;
    case "param-end":
      return `${whole};x=1`;
    case "param-prefix":
      return `${first};x${rest}`;
    case "encoded-slash-prefix":
      return `${first}%2F${rest.slice(1)}`;
    case "encoded-slash-inside": {
      const last = whole.lastIndexOf("/");
      return last > first.length ? `${whole.slice(0, last)}%2F${whole.slice(last + 1)}` : `${whole}%2Fx`;
    }
    case "capital-prefix":
      return `${first.toUpperCase()}${rest}`;
    case "capital-sub":
      return own ? `${first}${rest.toUpperCase()}` : `/.ward/admin${sub.toUpperCase()}`;
  }
}

const future = (ms: number) => new Date(Date.now() + ms).toISOString();

/** A valid body for the endpoint: one an admin's call would succeed with. */
function validBody(c: Case, f: Fixtures): Record<string, unknown> {
  const n = `${c.seed}-${c.i}`;
  switch (c.endpoint.name) {
    case "push":
      return { text: policyText(`push ${n}`), expected: f.active, message: `push ${n}` };
    case "push-stale":
      return { text: policyText(`stale ${n}`), expected: "0".repeat(64), message: "stale" };
    case "rollback":
      return { expected: f.active, message: `rollback ${n}` };
    case "shadow-set":
      return { text: policyText(`shadow ${n}`), message: `shadow ${n}` };
    case "promote":
      return { expected: f.active, candidate: f.shadow ?? "f".repeat(64), message: `promote ${n}` };
    case "exception":
      return {
        principal: { email: "grantee@example.com" },
        service: "wiki",
        reason: `exception ${n}`,
        ticket: "T-1",
        requestedBy: "someone",
        approvedBy: "someone else",
        notAfter: future(3_600_000),
      };
    case "breakglass":
      return {
        principal: { email: "grantee@example.com" },
        service: "wiki",
        minutes: 10,
        justification: `break glass ${n} now`,
      };
    case "revoke":
      return { match: "email", value: `victim-${n}@example.org`, reason: `revoke ${n}` };
    case "ssf-verification":
      return { transmitter: "nobody", state: "a".repeat(24) };
    default:
      return { x: 1 };
  }
}

export function bodyText(c: Case, f: Fixtures): { text: string; type: string } | undefined {
  if (c.method === "GET" || c.method === "HEAD") return undefined;
  const valid = validBody(c, f);
  const json = "application/json";
  switch (c.body) {
    case "none":
      return undefined;
    case "valid":
      return { text: JSON.stringify(valid), type: json };
    case "text-plain":
      return { text: JSON.stringify(valid), type: "text/plain;charset=UTF-8" };
    case "malformed":
      return { text: `${JSON.stringify(valid).slice(0, -1)},}`, type: json };
    case "huge":
      return { text: JSON.stringify({ ...valid, message: "x".repeat(70 * 1024) }), type: json };
    case "duplicate": {
      // The first value of the first member is another's; JSON.parse keeps the last.
      const [k] = Object.keys(valid);
      const inner = JSON.stringify(valid).slice(1);
      return { text: `{${JSON.stringify(k)}:${JSON.stringify("evil")},${inner}`, type: json };
    }
    case "proto":
      return { text: `{"__proto__":{"admin":true},${JSON.stringify(valid).slice(1)}`, type: json };
  }
}

export const tokens = new Map<string, Promise<string>>();
export function token(kind: string): Promise<string> {
  let t = tokens.get(kind);
  if (t) return t;
  const now = Date.now();
  const s = Math.floor(now / 1000);
  const person = (email: string, extra: Record<string, unknown> = {}) =>
    accessToken(signing, { email, identity_nonce: `n-admdiff-${email}`, ...extra });
  switch (kind) {
    case "admin":
      t = person("admin@example.com");
      break;
    case "other-admin":
      t = person("admin@elsewhere.example");
      break;
    case "person":
      t = person("ann@example.com");
      break;
    case "revoked":
      t = person("admin@revoked.example");
      break;
    case "service-admin":
      t = accessToken(signing, { common_name: ADMIN_TOKEN_ID, sub: "" });
      break;
    case "service-other":
      t = accessToken(signing, { common_name: OTHER_TOKEN_ID, sub: "" });
      break;
    case "expired":
      t = person("admin@example.com", { iat: s - 7200, nbf: s - 7200, exp: s - 120 });
      break;
    case "wrong-aud":
      t = person("admin@example.com", { aud: ["e".repeat(64)] });
      break;
    case "forged":
      t = person("admin@example.com").then(
        (x) => `${x.slice(0, -8)}${x.endsWith("AAAAAAAA") ? "BBBBBBBB" : "AAAAAAAA"}`,
      );
      break;
    default:
      throw new Error(kind);
  }
  tokens.set(kind, t);
  return t;
}

export async function requestOf(c: Case, f: Fixtures, query: string): Promise<Request> {
  const url = `https://${c.host.host}${pathOf(c, f)}?${query}`;
  // As a browser serialises it: lower case (a trailing dot and a port kept, the default port dropped).
  const own = URL.canParse(`https://${c.host.host}`)
    ? new URL(`https://${c.host.host}`).origin
    : `https://${c.host.host}`;
  const headers = new Headers();
  switch (c.caller) {
    case "none":
      break;
    case "admin-header":
      headers.set("cf-access-jwt-assertion", await token("admin"));
      break;
    case "admin-cookie":
      headers.set("cookie", `theme=dark; CF_Authorization=${await token("admin")}`);
      break;
    case "admin-header-other-cookie":
      headers.set("cf-access-jwt-assertion", await token("admin"));
      headers.set("cookie", `CF_Authorization=${await token("person")}`);
      break;
    case "admin-two-cookies":
      headers.set("cf-access-jwt-assertion", await token("admin"));
      headers.set("cookie", `CF_Authorization=${await token("admin")}; CF_Authorization=${await token("person")}`);
      break;
    case "admin-header-twice":
      headers.append("cf-access-jwt-assertion", await token("admin"));
      headers.append("cf-access-jwt-assertion", await token("other-admin"));
      break;
    case "person-header":
      headers.set("cf-access-jwt-assertion", await token("person"));
      break;
    case "person-cookie":
      headers.set("cookie", `CF_Authorization=${await token("person")}`);
      break;
    case "revoked-admin":
      headers.set("cf-access-jwt-assertion", await token("revoked"));
      break;
    case "service-admin":
      headers.set("cf-access-jwt-assertion", await token("service-admin"));
      break;
    case "service-other":
      headers.set("cf-access-jwt-assertion", await token("service-other"));
      break;
    case "admin-expired":
      headers.set("cf-access-jwt-assertion", await token("expired"));
      break;
    case "admin-wrong-aud":
      headers.set("cf-access-jwt-assertion", await token("wrong-aud"));
      break;
    case "admin-forged":
      headers.set("cf-access-jwt-assertion", await token("forged"));
      break;
    case "workload-token":
      headers.set(
        "authorization",
        `Bearer ${await workloadToken({ issuer: "spire", claims: { aud: ["https://payments.localhost"] } })}`,
      );
      break;
    default:
      break;
  }
  switch (c.browser) {
    case "none":
      break;
    case "node-fetch":
      headers.set("sec-fetch-mode", "cors");
      break;
    case "same-origin-fetch":
      headers.set("sec-fetch-site", "same-origin");
      headers.set("sec-fetch-mode", "cors");
      headers.set("sec-fetch-dest", "empty");
      headers.set("origin", own);
      break;
    case "cross-site-fetch":
      headers.set("sec-fetch-site", "cross-site");
      headers.set("sec-fetch-mode", "cors");
      headers.set("sec-fetch-dest", "empty");
      headers.set("origin", "https://evil.example");
      break;
    case "same-site-fetch":
      headers.set("sec-fetch-site", "same-site");
      headers.set("sec-fetch-mode", "cors");
      headers.set("sec-fetch-dest", "empty");
      headers.set("origin", "https://wiki.localhost");
      break;
    case "navigation":
      headers.set("sec-fetch-site", "none");
      headers.set("sec-fetch-mode", "navigate");
      headers.set("sec-fetch-dest", "document");
      headers.set("sec-fetch-user", "?1");
      headers.set("accept", "text/html,application/xhtml+xml");
      break;
    case "cross-site-form":
      headers.set("sec-fetch-site", "cross-site");
      headers.set("sec-fetch-mode", "navigate");
      headers.set("sec-fetch-dest", "document");
      headers.set("sec-fetch-user", "?1");
      headers.set("origin", "https://evil.example");
      headers.set("accept", "text/html");
      break;
    case "origin-evil":
      headers.set("origin", "https://evil.example");
      break;
    case "origin-null":
      headers.set("origin", "null");
      break;
    case "origin-own":
      headers.set("origin", own);
      break;
  }
  const body = bodyText(c, f);
  if (body) headers.set("content-type", body.type);
  const cf =
    c.caller === "cert-admin"
      ? await tlsClientAuth(CERTS.checkout)
      : c.caller === "cert-other"
        ? await tlsClientAuth(CERTS.partnerBilling)
        : c.caller === "cert-none"
          ? await tlsClientAuth(CERTS.legacy)
          : undefined;
  return rawRequest(url, {
    method: c.method,
    headers,
    ...(body ? { body: body.text } : {}),
    ...(cf ? { cf: { tlsClientAuth: cf } } : {}),
  });
}
