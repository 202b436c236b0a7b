// Generated policy pairs and callers for the shadow differential test (shadow-differential.test.ts): an active
// policy of two services (enforce or audit mode, nested routes, allow and deny rules, some deny rules on trial)
// and a shadow candidate made from it by a few random edits (an effect flipped, a rule put on trial or enforced, a
// principal changed, a rule or route added or removed, a service's mode, hide or certificate requirement
// switched), or with the same rules under another version, or the very same text. Callers hold one identity each
// (a person, a workload by its client certificate or its SPIRE JWT-SVID, a workload with a person's sign-in, or
// nobody); some people are revoked, some hold a grant. Everything here is a description: shadow-oracle.ts reads it
// and the docs, the test turns it into requests.
import { stringify } from "yaml";
import { AUD, TEAM } from "../support/access-tokens.ts";
import { CA_SKI } from "../support/client-certs.ts";

export const ADMIN_EMAIL = "admin@example.com";
export const SPIRE_ISS = "https://spire.demo.ward.internal";
export const TRUST_DOMAIN = "demo.ward.internal";
/** The SPIFFE ID of the client certificate the workloads present (test/fixtures/certs/checkout.pem). */
export const CHECKOUT = `spiffe://${TRUST_DOMAIN}/ns/shop/sa/checkout`;
export const SPIFFE_IDS = [
  CHECKOUT,
  `spiffe://${TRUST_DOMAIN}/ns/shop/sa/cart`,
  `spiffe://${TRUST_DOMAIN}/ns/ops/sa/deploy`,
];
export const GROUPS = ["g-red", "g-blue"] as const;
export const DOMAINS = ["example.com", "other.org"] as const;
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
  | { spiffe: string }
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
  requireCertificate: boolean;
  /** The `aud` a workload token must name to count here (default `https://` and the host, what callers send). */
  tokenAudience?: string;
  routes: GenRoute[];
}
export interface GenPolicy {
  services: GenService[];
  /** Free text: a candidate with the same rules differs from the active policy only here. */
  description: string;
}

export type Who =
  | { kind: "anonymous" }
  | { kind: "person"; email: string; groups: string[] }
  /** The checkout workload's client certificate. */
  | { kind: "cert" }
  /** A SPIRE JWT-SVID naming this SPIFFE ID. */
  | { kind: "svid"; spiffe: string }
  /** The checkout workload's certificate and a person's Access sign-in on the same request. */
  | { kind: "cert+person"; email: string; groups: string[] };

/** A time-bounded exception for a person (by e-mail), at one service, maybe for some routes or methods. */
export interface Grant {
  email: string;
  /** The service's name. */
  service: string;
  routes?: string[];
  methods?: Method[];
}

export interface Case {
  who: Who;
  /** The host asked for: one of the active policy's services', or one only the candidate has. */
  host: string;
  method: Method;
  path: string;
  /** The person's e-mail is revoked (`match: email`). */
  revoked: boolean;
  grant?: Grant;
  /** A GET or HEAD sent with content (`Content-Length: 0`). */
  body?: true;
}

export interface Pair {
  active: GenPolicy;
  candidate: GenPolicy;
  /** How the candidate was made. */
  how: "edited" | "same-rules" | "same-text";
  edits: string[];
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const chance = (r: () => number, p: number) => r() < p;

/** People of a run: `nonce` keeps them apart from other runs' (the denylist and grants outlive a pair). */
export function emails(nonce: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `p${i}-${nonce}@${DOMAINS[i % 3 === 2 ? 1 : 0]}`);
}

function genMatcher(r: () => number, people: string[]): Matcher {
  switch (Math.floor(r() * 9)) {
    case 0:
      return { email: pick(r, people) };
    case 1:
      return { emailDomain: pick(r, DOMAINS) };
    case 2:
    case 3:
      return { group: pick(r, GROUPS) };
    case 4:
    case 5:
      return { spiffe: pick(r, SPIFFE_IDS) };
    case 6:
      return { authenticated: true };
    default:
      return { public: true };
  }
}

function genRule(r: () => number, people: string[], id: string): GenRule {
  const effect = chance(r, 0.5) ? "allow" : "deny";
  return {
    id,
    effect,
    trial: effect === "deny" && chance(r, 0.45),
    principals: Array.from({ length: 1 + Math.floor(r() * 2) }, () => genMatcher(r, people)),
  };
}

function genMethods(r: () => number): GenRoute["methods"] {
  const some = METHODS.filter(() => chance(r, 0.6));
  return chance(r, 0.3) ? ["*"] : some.length > 0 ? some : ["GET"];
}

function genRoute(r: () => number, people: string[], p: (typeof PATTERNS)[number]): GenRoute {
  const rules = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, i) => genRule(r, people, `r${i}`));
  return { id: p.id, kind: p.kind, pattern: p.pattern, methods: genMethods(r), rules };
}

export const hostOf = (label: string, s: number) => `s${s}-${label}.shadow.test`;

function genService(r: () => number, people: string[], label: string, s: number): GenService {
  const patterns = PATTERNS.filter(() => chance(r, 0.65));
  return {
    name: `${label}s${s}`,
    host: hostOf(label, s),
    mode: chance(r, 0.25) ? "audit" : "enforce",
    hide: chance(r, 0.25),
    requireCertificate: chance(r, 0.1),
    routes: (patterns.length > 0 ? patterns : [PATTERNS[0]]).map((p) => genRoute(r, people, p)),
  };
}

function genActive(r: () => number, people: string[], label: string): GenPolicy {
  return { services: [genService(r, people, label, 0), genService(r, people, label, 1)], description: "active" };
}

/** One random edit of `p` (in place); what it did. */
function edit(r: () => number, p: GenPolicy, people: string[], label: string): string {
  if (chance(r, 0.08)) {
    if (p.services.length > 1 && chance(r, 0.5)) {
      const gone = p.services.splice(Math.floor(r() * p.services.length), 1)[0]!;
      return `${gone.name} service removed`;
    }
    if (p.services.some((x) => x.name === `${label}s2`)) return "nothing";
    p.services.push(genService(r, people, label, 2));
    return `${label}s2 service added`;
  }
  const s = pick(r, p.services);
  const route = pick(r, s.routes);
  const rule = pick(r, route.rules);
  switch (Math.floor(r() * 11)) {
    case 0:
    case 1:
      rule.effect = rule.effect === "allow" ? "deny" : "allow";
      rule.trial = false;
      return `${s.name}/${route.id}/${rule.id} effect ${rule.effect}`;
    case 2:
      if (rule.effect !== "deny") return "nothing";
      rule.trial = !rule.trial;
      return `${s.name}/${route.id}/${rule.id} ${rule.trial ? "on trial" : "enforced"}`;
    case 3:
    case 4:
      rule.principals = [genMatcher(r, people), ...rule.principals.slice(1)];
      return `${s.name}/${route.id}/${rule.id} principals ${JSON.stringify(rule.principals)}`;
    case 5: {
      const id = `r${route.rules.length + Math.floor(r() * 90) + 10}`;
      if (route.rules.some((x) => x.id === id)) return "nothing";
      const added = genRule(r, people, id);
      route.rules.splice(Math.floor(r() * (route.rules.length + 1)), 0, added);
      return `${s.name}/${route.id} added ${JSON.stringify(added)}`;
    }
    case 6:
      if (route.rules.length < 2) return "nothing";
      route.rules.splice(route.rules.indexOf(rule), 1);
      return `${s.name}/${route.id}/${rule.id} removed`;
    case 7:
      s.mode = s.mode === "audit" ? "enforce" : "audit";
      return `${s.name} mode ${s.mode}`;
    case 8:
      s.hide = !s.hide;
      return `${s.name} hide ${s.hide}`;
    case 9: {
      const missing = PATTERNS.filter((x) => !s.routes.some((y) => y.id === x.id));
      if (missing.length > 0 && chance(r, 0.5)) {
        s.routes.push(genRoute(r, people, pick(r, missing)));
        return `${s.name} route added`;
      }
      if (s.routes.length < 2) return "nothing";
      s.routes.splice(s.routes.indexOf(route), 1);
      return `${s.name}/${route.id} route removed`;
    }
    default:
      if (chance(r, 0.5)) {
        route.methods = genMethods(r);
        return `${s.name}/${route.id} methods ${route.methods.join(",")}`;
      }
      s.requireCertificate = !s.requireCertificate;
      return `${s.name} requireCertificate ${s.requireCertificate}`;
  }
}

export function genPair(r: () => number, people: string[], label: string): Pair {
  const active = genActive(r, people, label);
  const candidate = structuredClone(active) as GenPolicy;
  const roll = r();
  if (roll < 0.08) return { active, candidate, how: "same-text", edits: [] };
  candidate.description = "candidate";
  if (roll < 0.2) return { active, candidate, how: "same-rules", edits: [] };
  const edits = Array.from({ length: 1 + Math.floor(r() * 3) }, () => edit(r, candidate, people, label));
  return { active, candidate, how: "edited", edits };
}

export function genCase(r: () => number, pair: Pair, people: string[], i: number): Case {
  const email = people[i]!;
  const groups = GROUPS.filter(() => chance(r, 0.4));
  const kind = pick(r, ["anonymous", "person", "person", "person", "cert", "svid", "svid", "cert+person"] as const);
  const who: Who =
    kind === "anonymous" || kind === "cert"
      ? { kind }
      : kind === "svid"
        ? { kind, spiffe: pick(r, SPIFFE_IDS) }
        : { kind, email, groups };
  // Mostly the active policy's services; now and then one only the candidate has.
  const only = pair.candidate.services.filter((c) => !pair.active.services.some((a) => a.host === c.host));
  const host = only.length > 0 && chance(r, 0.2) ? pick(r, only).host : pick(r, pair.active.services).host;
  const service = pair.active.services.find((s) => s.host === host);
  const method = pick(r, METHODS);
  const path = pick(r, PATHS);
  const body = (method === "GET" || method === "HEAD") && chance(r, 0.05);
  const person = who.kind === "person" || who.kind === "cert+person";
  // A revoked person at a service that requires a certificate, at a host no service has, or sending a body could
  // be refused for either: not generated.
  const revoked = person && !!service && !service.requireCertificate && !body && chance(r, 0.08);
  let grant: Grant | undefined;
  if (person && service && !revoked && chance(r, 0.25)) {
    const routes = service.routes.map((x) => x.id).filter(() => chance(r, 0.6));
    const methods = METHODS.filter(() => chance(r, 0.6));
    grant = {
      email,
      service: service.name,
      ...(chance(r, 0.4) && routes.length > 0 ? { routes } : {}),
      ...(chance(r, 0.3) && methods.length > 0 ? { methods } : {}),
    };
  }
  return { who, host, method, path, revoked, ...(grant ? { grant } : {}), ...(body ? { body } : {}) };
}

/** The policy document; active and candidate share everything but services and description. */
export function policyYaml(p: GenPolicy): string {
  const doc = {
    version: 1,
    metadata: { environment: "dev", owners: ["shadow-gen@example.com"], description: p.description },
    identity: {
      access: { teamDomain: TEAM, audiences: [AUD] },
      mtls: { issuers: [{ ski: CA_SKI, trustDomains: [TRUST_DOMAIN] }] },
      tokenIssuers: [
        {
          name: "demo-spire",
          kind: "spiffe-jwt-svid",
          issuer: SPIRE_ISS,
          keys: { jwksUrl: `${SPIRE_ISS}/bundle` },
          trustDomain: TRUST_DOMAIN,
          maxLifetime: "5m",
        },
      ],
    },
    admin: { principals: [{ email: ADMIN_EMAIL }] },
    services: Object.fromEntries(
      p.services.map((s) => [
        s.name,
        {
          hosts: [s.host],
          origin: { tunnel: "ORDERS_API" },
          owner: "shadow-gen@example.com",
          mode: s.mode,
          hide: s.hide,
          requireCertificate: s.requireCertificate,
          ...(s.tokenAudience ? { tokenAudience: s.tokenAudience } : {}),
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

/**
 * Hand-made pairs run before the generated ones, each the smallest case of a disagreement the generator found:
 * - `same-text`: `ward shadow set` of the active version itself is accepted (200, recorded), yet no decision
 *   line ever carries it, so `ward shadow report` finds no candidate;
 * - a candidate that adds a service: a workload's JWT-SVID for that service (its `aud` the new service's
 *   `tokenAudience`) is logged as decided for nobody, so a candidate that lets the workload in shows no change;
 * - a candidate that changes a service's `tokenAudience`: the workload token the active policy counts is still
 *   counted for the candidate, which once promoted no longer counts it (a lock-out the report does not show).
 */
export function pinnedPairs(label: (k: number) => string): { pair: Pair; cases: (people: string[]) => Case[] }[] {
  const route = (rules: GenRule[]): GenRoute => ({
    id: "root",
    kind: "pathPrefix",
    pattern: "/",
    methods: ["GET"],
    rules,
  });
  const service = (l: string, s: number, rules: GenRule[]): GenService => ({
    name: `${l}s${s}`,
    host: hostOf(l, s),
    mode: "enforce",
    hide: false,
    requireCertificate: false,
    routes: [route(rules)],
  });
  const allowAuthenticated: GenRule = {
    id: "r0",
    effect: "allow",
    trial: false,
    principals: [{ authenticated: true }],
  };
  const sameText = (l: string): Pair => {
    const active = { services: [service(l, 0, [allowAuthenticated])], description: "active" };
    return { active, candidate: structuredClone(active), how: "same-text", edits: [] };
  };
  const addedService = (l: string): Pair => {
    const active = { services: [service(l, 0, [allowAuthenticated])], description: "active" };
    const candidate = { services: [...active.services, service(l, 1, [allowAuthenticated])], description: "candidate" };
    return { active, candidate, how: "edited", edits: [`${l}s1 service added`] };
  };
  const audienceChanged = (l: string): Pair => {
    const active = { services: [service(l, 0, [allowAuthenticated])], description: "active" };
    const candidate = structuredClone(active);
    candidate.description = "candidate";
    candidate.services[0]!.tokenAudience = "https://elsewhere.shadow.test";
    return { active, candidate, how: "edited", edits: [`${l}s0 tokenAudience changed`] };
  };
  const ask = (who: Who, host: string): Case => ({ who, host, method: "GET", path: "/", revoked: false });
  return [
    {
      pair: sameText(label(100)),
      cases: (people) => [ask({ kind: "person", email: people[0]!, groups: [] }, hostOf(label(100), 0))],
    },
    {
      pair: addedService(label(101)),
      cases: (people) => [
        ask({ kind: "svid", spiffe: SPIFFE_IDS[1]! }, hostOf(label(101), 1)),
        ask({ kind: "person", email: people[0]!, groups: [] }, hostOf(label(101), 1)),
      ],
    },
    {
      pair: audienceChanged(label(102)),
      cases: (people) => [
        ask({ kind: "svid", spiffe: SPIFFE_IDS[1]! }, hostOf(label(102), 0)),
        ask({ kind: "person", email: people[0]!, groups: [] }, hostOf(label(102), 0)),
      ],
    },
  ];
}
