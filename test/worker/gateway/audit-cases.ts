// Generated policies and callers for the audit differential test (audit-differential.test.ts): services in
// enforce or audit mode, allow and deny rules (some deny rules on trial, `mode: audit`) on nested routes, and
// callers that each hold one identity of their own (a person, a service token, a GitHub Actions token, a person
// with such a token, or nobody), some revoked, some holding a grant, sending a browser's Fetch Metadata headers or
// none. Everything here is a description; audit-oracle.ts reads it and the docs, the test turns it into requests.
import { stringify } from "yaml";
import { AUD, TEAM } from "../support/access-tokens.ts";
import { CA_SKI } from "../support/client-certs.ts";

export { AUD, TEAM };
export const GITHUB_ISS = "https://token.actions.githubusercontent.com";
export const GITHUB = "github-actions";
export const ADMIN_EMAIL = "admin@example.com";
export const GROUPS = ["g-red", "g-blue"] as const;
export const REPOS = ["ward-demo/r1", "ward-demo/r2"] as const;
export const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export type Method = (typeof METHODS)[number];

/** The route patterns a service may have (each at most once), and the paths requests ask for. */
export const PATTERNS = [
  { kind: "pathPrefix", pattern: "/", id: "root" },
  { kind: "pathPrefix", pattern: "/a", id: "a" },
  { kind: "pathPrefix", pattern: "/a/b", id: "ab" },
  { kind: "path", pattern: "/a/b/c", id: "abc" },
  { kind: "path", pattern: "/x", id: "x" },
] as const;
export const PATHS = ["/", "/a", "/a/b", "/a/b/c", "/a/b/c/d", "/a/z", "/x", "/x/y", "/q"];

export type Matcher =
  | { email: string }
  | { emailDomain: string }
  | { group: string }
  | { serviceToken: string }
  | { claims: { repository: string } }
  | { authenticated: true }
  | { public: true };

export interface GenRule {
  id: string;
  effect: "allow" | "deny";
  trial: boolean;
  principals: Matcher[];
}
export interface GenRoute {
  id: string;
  kind: "path" | "pathPrefix";
  pattern: string;
  methods: Method[] | ["*"];
  rules: GenRule[];
}
export interface GenService {
  name: string;
  host: string;
  mode: "enforce" | "audit";
  hide: boolean;
  /** No caller here has a client certificate: every one of them is `401 certificate-required`. */
  requireCertificate: boolean;
  routes: GenRoute[];
}

/** A caller: one identity of its own, so which of them are quarantined says which of their denials counted. */
export type Who =
  | { kind: "anonymous" }
  /** `spelt`: the e-mail as the token writes it (the policy, grants and revocations write it in lower case). */
  | { kind: "person"; email: string; spelt: string; groups: string[] }
  | { kind: "service"; clientId: string }
  | { kind: "github"; sub: string; repository: string }
  | { kind: "person+github"; email: string; spelt: string; groups: string[]; sub: string; repository: string };

export interface Browser {
  site?: "none" | "same-origin" | "same-site" | "cross-site";
  mode?: "navigate" | "cors" | "no-cors" | "same-origin";
  dest?: "document" | "empty" | "image" | "script" | "iframe";
  user?: "?1" | "?0";
  origin?: "own" | "foreign" | "null";
  purpose?: "prefetch";
}

export interface Grant {
  kind: "exception" | "break-glass";
  /** `email`, `token:ID` or `group:NAME`. */
  principal: string;
  service: number;
  routes?: string[];
  methods?: Method[];
}

export interface Case {
  who: Who;
  service: number;
  method: Method;
  path: string;
  browser: Browser;
  revoked: boolean;
  grant?: Grant;
  /** A GET or HEAD sent with content (an empty body: `Content-Length: 0`). */
  body?: true;
  /** A WebSocket upgrade (no route here carries `websocket`). */
  upgrade?: true;
}

export interface GenPolicy {
  services: GenService[];
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const chance = (r: () => number, p: number) => r() < p;

/** Identities of a run: `nonce` keeps them apart from every other run's (the denylist outlives a run). */
export interface Names {
  emails: string[];
  clientIds: string[];
}

export function names(nonce: string, count: number): Names {
  const hex = (i: number) => `${nonce}${i.toString(16).padStart(6, "0")}`.padEnd(32, "0").slice(0, 32);
  return {
    emails: Array.from({ length: count }, (_, i) => `p${i}-${nonce}@${i % 3 === 2 ? "other.org" : "example.com"}`),
    clientIds: Array.from({ length: count }, (_, i) => `${hex(i)}.access`),
  };
}

function genMatcher(r: () => number, n: Names): Matcher {
  switch (Math.floor(r() * 9)) {
    case 0:
      return { email: pick(r, n.emails) };
    case 1:
      return { emailDomain: pick(r, ["example.com", "other.org"]) };
    case 2:
    case 3:
      return { group: pick(r, GROUPS) };
    case 4:
      return { serviceToken: pick(r, n.clientIds) };
    case 5:
    case 6:
      return { claims: { repository: pick(r, REPOS) } };
    case 7:
      return { authenticated: true };
    default:
      return { public: true };
  }
}

function genRoute(r: () => number, n: Names, p: (typeof PATTERNS)[number]): GenRoute {
  const some = METHODS.filter(() => chance(r, 0.6));
  const methods: GenRoute["methods"] = chance(r, 0.3) ? ["*"] : some.length > 0 ? some : ["GET"];
  const rules: GenRule[] = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, i) => {
    const effect = chance(r, 0.5) ? "allow" : "deny";
    return {
      id: `r${i}`,
      effect,
      trial: effect === "deny" && chance(r, 0.5),
      principals: Array.from({ length: 1 + Math.floor(r() * 2) }, () => genMatcher(r, n)),
    };
  });
  return { id: p.id, kind: p.kind, pattern: p.pattern, methods, rules };
}

export function genPolicy(r: () => number, n: Names, label: string): GenPolicy {
  const services = Array.from({ length: 2 }, (_, s): GenService => {
    const patterns = PATTERNS.filter(() => chance(r, 0.65));
    return {
      name: `s${s}`,
      host: `s${s}-${label}.audit.test`,
      mode: chance(r, 0.45) ? "audit" : "enforce",
      hide: chance(r, 0.3),
      requireCertificate: chance(r, 0.12),
      routes: (patterns.length > 0 ? patterns : [PATTERNS[0]]).map((p) => genRoute(r, n, p)),
    };
  });
  return { services };
}

function genBrowser(r: () => number): Browser {
  if (chance(r, 0.3)) return chance(r, 0.5) ? {} : { origin: pick(r, ["own", "foreign", "null"] as const) };
  const b: Browser = {};
  if (chance(r, 0.9)) b.site = pick(r, ["none", "same-origin", "same-site", "cross-site"] as const);
  if (chance(r, 0.9)) b.mode = pick(r, ["navigate", "cors", "no-cors", "same-origin"] as const);
  if (chance(r, 0.9)) b.dest = pick(r, ["document", "empty", "image", "script", "iframe"] as const);
  if (chance(r, 0.4)) b.user = chance(r, 0.85) ? "?1" : "?0";
  if (chance(r, 0.3)) b.origin = pick(r, ["own", "foreign", "null"] as const);
  if (chance(r, 0.08)) b.purpose = "prefetch";
  return b;
}

/** The same address in other letter case: `P7-ab12@Example.com`. */
export function otherCase(email: string): string {
  const [local, domain] = email.split("@") as [string, string];
  return `${local[0]!.toUpperCase()}${local.slice(1)}@${domain[0]!.toUpperCase()}${domain.slice(1)}`;
}

export function genCase(r: () => number, p: GenPolicy, n: Names, i: number): Case {
  const email = n.emails[i]!;
  const groups = GROUPS.filter(() => chance(r, 0.4));
  const sub = `repo:ward-demo/x${i}:ref:refs/heads/${n.clientIds[i]!.slice(0, 12)}`;
  const repository = pick(r, REPOS);
  const spelt = chance(r, 0.3) ? otherCase(email) : email;
  const kind = pick(r, ["anonymous", "person", "person", "person", "service", "github", "person+github"] as const);
  const who: Who =
    kind === "anonymous"
      ? { kind }
      : kind === "person"
        ? { kind, email, spelt, groups }
        : kind === "service"
          ? { kind, clientId: n.clientIds[i]! }
          : kind === "github"
            ? { kind, sub, repository }
            : { kind, email, spelt, groups, sub, repository };
  const service = Math.floor(r() * p.services.length);
  const method = pick(r, METHODS);
  const path = pick(r, PATHS);
  const browser = genBrowser(r);
  const revoked = kind !== "anonymous" && chance(r, 0.07);
  let grant: Grant | undefined;
  if ((kind === "person" || kind === "service" || kind === "person+github") && chance(r, 0.3)) {
    const principal =
      who.kind === "service"
        ? `token:${who.clientId}`
        : "groups" in who && who.groups.length > 0 && chance(r, 0.3)
          ? `group:${pick(r, who.groups)}`
          : email;
    const granted = chance(r, 0.85) ? service : 1 - service;
    const routes = p.services[granted]!.routes.map((x) => x.id);
    grant = {
      kind: chance(r, 0.3) ? "break-glass" : "exception",
      principal,
      service: granted,
      ...(chance(r, 0.5) ? { routes: routes.filter(() => chance(r, 0.6)) } : {}),
      ...(chance(r, 0.4) ? { methods: METHODS.filter(() => chance(r, 0.6)) } : {}),
    };
    if (grant.routes?.length === 0) delete grant.routes;
    if (grant.methods?.length === 0) delete grant.methods;
  }
  const body = (method === "GET" || method === "HEAD") && chance(r, 0.06);
  const upgrade = method === "GET" && !body && chance(r, 0.08);
  return {
    who,
    service,
    method,
    path,
    browser,
    revoked,
    ...(grant ? { grant } : {}),
    ...(body ? { body } : {}),
    ...(upgrade ? { upgrade } : {}),
  };
}

/** The policy document: quarantine after one denial, so each counted denial shows as a quarantine. */
export function policyYaml(p: GenPolicy): string {
  const doc = {
    version: 1,
    metadata: { environment: "dev", owners: ["audit-gen@example.com"] },
    identity: {
      access: { teamDomain: TEAM, audiences: [AUD] },
      mtls: { issuers: [{ ski: CA_SKI, trustDomains: ["demo.ward.internal"] }] },
      tokenIssuers: [
        {
          name: GITHUB,
          kind: "oidc",
          issuer: GITHUB_ISS,
          keys: { discovery: `${GITHUB_ISS}/.well-known/openid-configuration` },
          requireClaims: { repository_owner: "ward-demo" },
          maxLifetime: "10m",
        },
      ],
    },
    quarantine: { deniedRequests: 1, within: "1h", for: "1h" },
    admin: { principals: [{ email: ADMIN_EMAIL }] },
    services: Object.fromEntries(
      p.services.map((s) => [
        s.name,
        {
          hosts: [s.host],
          origin: { tunnel: "ORDERS_API" },
          owner: "audit-gen@example.com",
          mode: s.mode,
          hide: s.hide,
          requireCertificate: s.requireCertificate,
          routes: s.routes.map((route) => ({
            id: route.id,
            methods: route.methods,
            [route.kind]: route.pattern,
            rules: route.rules.map((rule) => ({
              id: rule.id,
              effect: rule.effect,
              ...(rule.trial ? { mode: "audit" } : {}),
              principals: rule.principals,
            })),
          })),
        },
      ]),
    ),
  };
  return stringify(doc);
}
