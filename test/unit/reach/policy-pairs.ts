// Random valid policies and random mutations of them, for the differential test of `ward diff`
// (diff-differential.test.ts). Everything is drawn from small pools so that two policies, and the requests
// drawn from them, keep meeting: the same hosts, path literals, principals and instants recur.
//
// To extend: each kind of thing has one function (`matcher`, `conditions`, `rateLimit`, `allowRule`,
// `denyRule`, `pattern`, `route`, `service`), and each mutation is one entry of MUTATIONS.
import {
  METHODS,
  validatePolicy,
  type Conditions,
  type PolicyDocument,
  type PolicyInput,
  type PrincipalMatcher,
  type Rule,
} from "../../../policy/index.ts";
import { parsePathPattern } from "../../../policy/path-pattern.ts";
import type { Rand } from "./random.ts";

export const TRUST_DOMAINS = ["td.example", "other.example"];
export const WORKLOADS = [
  "spiffe://td.example/ns/a/sa/web",
  "spiffe://td.example/ns/a/sa/job",
  "spiffe://td.example/ns/b/sa/web",
  "spiffe://other.example/ns/a/sa/web",
];
// One without the closing '/': it also matches `ns/bx/...` (a warning, still valid).
export const SPIFFE_PREFIXES = [
  "spiffe://td.example/ns/a/",
  "spiffe://td.example/",
  "spiffe://other.example/ns/",
  "spiffe://td.example/ns/b",
];
export const EMAILS = ["alice@example.com", "Bob@example.com", "carol@other.org"];
export const EMAIL_DOMAINS = ["example.com", "other.org"];
export const GROUPS = ["sre", "dev", "contractors"];
export const TOKENS = ["b39c6e807ddf3d49301980906d3130df.access", "84d119208edee720b0ed2c39bd1825a2.access"];
export const CLAIMS: Record<string, string | number | (string | number)[]>[] = [
  { role: "admin" },
  { role: ["admin", "ops"] },
  { tier: 1 },
];
export const SCOPES = ["read", "write"];
export const COUNTRIES = ["DE", "FR", "US"];
export const POSTURE = ["managed", "disk"];
export const HOSTS = [
  "a.example.com",
  "b.example.com",
  "*.example.com",
  "x.b.example.com",
  "*.b.example.com",
  "api.other.org",
  "*.other.org",
];
export const ORIGINS = ["ORIGIN_A", "ORIGIN_B", "ORIGIN_C"];
// `á` is `a` to an origin that folds letters: deny rules reach it that way, and a route of each is refused there
// (path-letters-ambiguous), which a black-box review found `ward diff` did not see.
export const LITERALS = ["a", "b", "c", "á"];
const SETS = ["staff", "bots"];
const BINDING = "ops";
const HOURS = [
  { from: "08:00", to: "18:00" },
  { from: "22:00", to: "06:00" },
];
const DAYS: NonNullable<NonNullable<Conditions["time"]>["days"]>[] = [
  ["mon", "tue", "wed", "thu", "fri"],
  ["sat", "sun"],
  ["mon"],
];
const INSTANTS = ["2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z"];
/** The clock of a sampled request: before, between and after INSTANTS, on weekdays and weekends, day and night. */
export const NOWS = [
  "2025-12-15T12:00:00Z",
  "2026-03-02T10:00:00Z",
  "2026-03-07T23:30:00Z",
  "2026-07-01T03:00:00Z",
].map((t) => Date.parse(t));

type Input = PolicyInput;
type ServiceInput = Input["services"][string];
type RouteInput = ServiceInput["routes"][number];

// ---- who ---------------------------------------------------------------------------------------

const MATCHER_KINDS = [
  "spiffe",
  "spiffePrefix",
  "trustDomain",
  "email",
  "emailDomain",
  "group",
  "claims",
  "serviceToken",
  "authenticated",
  "public",
  "set",
] as const;

/** One matcher of any kind (a set reference only where `sets`). */
export function matcher(r: Rand, sets = true): PrincipalMatcher {
  const kinds = sets ? MATCHER_KINDS : MATCHER_KINDS.filter((k) => k !== "set");
  switch (r.pick(kinds)) {
    case "spiffe":
      return { spiffe: r.pick(WORKLOADS) };
    case "spiffePrefix":
      return { spiffePrefix: r.pick(SPIFFE_PREFIXES) };
    case "trustDomain":
      return { trustDomain: r.pick(TRUST_DOMAINS) };
    case "email":
      return { email: r.pick(EMAILS) };
    case "emailDomain":
      return { emailDomain: r.pick(EMAIL_DOMAINS) };
    case "group":
      return { group: r.pick(GROUPS) };
    case "claims":
      return { claims: r.pick(CLAIMS) };
    case "serviceToken":
      return { serviceToken: r.pick(TOKENS) };
    case "authenticated":
      return { authenticated: true };
    case "public":
      return { public: true };
    case "set":
      return { set: r.pick(SETS) };
  }
}

const WORKLOAD_SIDE = (r: Rand): PrincipalMatcher =>
  r.pick<PrincipalMatcher>([
    { spiffe: r.pick(WORKLOADS) },
    { spiffePrefix: r.pick(SPIFFE_PREFIXES) },
    { trustDomain: r.pick(TRUST_DOMAINS) },
    // Either side may be anyone with a credential of its kind (or anyone): reach names such pairs too.
    { authenticated: true },
    { public: true },
  ]);
const ACCESS_SIDE = (r: Rand): PrincipalMatcher =>
  r.pick<PrincipalMatcher>([
    { email: r.pick(EMAILS) },
    { emailDomain: r.pick(EMAIL_DOMAINS) },
    { group: r.pick(GROUPS) },
    { serviceToken: r.pick(TOKENS) },
    { claims: r.pick(CLAIMS) },
    { authenticated: true },
    { public: true },
  ]);

/** Who a rule names: one or two matchers, or (rarely) a workload and an Access identity together. */
function who(r: Rand): Pick<Rule, "principals" | "bothFactors"> {
  if (r.chance(0.1)) {
    const side = (make: (r: Rand) => PrincipalMatcher) => Array.from({ length: 1 + r.int(2) }, () => make(r));
    return { bothFactors: { workload: side(WORKLOAD_SIDE), access: side(ACCESS_SIDE), binding: BINDING } };
  }
  return { principals: Array.from({ length: 1 + r.int(2) }, () => matcher(r)) };
}

// ---- when --------------------------------------------------------------------------------------

const CONDITION_KINDS = [
  "scopes",
  "claims",
  "days",
  "hours",
  "notBefore",
  "notAfter",
  "country",
  "devicePosture",
] as const;

/** One or two conditions of any kind. */
export function conditions(r: Rand): Conditions {
  const when: Conditions = {};
  for (const kind of r.some(CONDITION_KINDS, 1, 2)) {
    if (kind === "scopes") when.scopes = r.some(SCOPES);
    else if (kind === "claims") when.claims = r.pick(CLAIMS);
    else if (kind === "days") when.time = { ...when.time, days: r.pick(DAYS) };
    else if (kind === "hours") when.time = { ...when.time, hours: r.pick(HOURS) };
    else if (kind === "notBefore") when.time = { ...when.time, notBefore: INSTANTS[0] };
    else if (kind === "notAfter") when.time = { ...when.time, notAfter: INSTANTS[1] };
    else if (kind === "country") when.country = r.some(COUNTRIES, 1, 2);
    else when.devicePosture = r.some(POSTURE, 1, 1);
  }
  return when;
}

// ---- how many ----------------------------------------------------------------------------------

type RuleInput = RouteInput["rules"][number];
type RateLimitInput = NonNullable<RuleInput["rateLimit"]>;

/**
 * A rate limit, `failOpen` as often left to its default (false) as written either way. Its terms (limit,
 * period, key) decide how many requests pass, which the differential does not sample; they vary so that two
 * rules' limits are seldom equal by chance. `key: principal` with other terms is only a warning.
 */
export function rateLimit(r: Rand): RateLimitInput {
  const failOpen = r.int(3);
  return {
    limit: r.pick([10, 100, 5000]),
    period: r.pick(["60s", "1h"]),
    ...(r.chance(0.3) ? { key: "principal" as const } : {}),
    ...(failOpen === 0 ? {} : { failOpen: failOpen === 1 }),
  };
}

// ---- rules, routes, services -------------------------------------------------------------------

/**
 * An allow rule, with a rate limit two times in five: often enough that a request meets a limited rule in
 * most pairs (what the rate-limit witnesses need), rarely enough that unlimited rules, which a limited rule's
 * requests fall to when it changes, stay as common.
 */
export function allowRule(r: Rand, id: string): RuleInput {
  return {
    id,
    effect: "allow",
    ...who(r),
    ...(r.chance(0.25) ? { when: conditions(r) } : {}),
    ...(r.chance(0.4) ? { rateLimit: rateLimit(r) } : {}),
  };
}

/** The one place deny rules are made: extend here (a rule `mode`, ...). */
export function denyRule(r: Rand, id: string): Rule {
  return {
    id,
    effect: "deny",
    // A deny rule on trial is logged, never enforced.
    ...(r.chance(0.15) ? { mode: "audit" as const } : {}),
    ...who(r),
    ...(r.chance(0.25) ? { when: conditions(r) } : {}),
  };
}

function rule(r: Rand, id: string): RuleInput {
  return r.chance(0.65) ? allowRule(r, id) : denyRule(r, id);
}

/** A path (literals, `{*}`, `{id}`, a final `{**}`, a trailing `/`) or a path prefix. */
export function pattern(r: Rand): { path: string } | { pathPrefix: string } {
  const length = r.int(4);
  const segments = Array.from({ length }, () => (r.chance(0.7) ? r.pick(LITERALS) : r.pick(["{*}", "{id}"])));
  if (r.chance(0.2)) return { pathPrefix: `/${segments.join("/")}` };
  if (r.chance(0.25)) segments.push("{**}");
  else if (length > 0 && r.chance(0.1)) segments.push("");
  return { path: `/${segments.join("/")}` };
}

export function methods(r: Rand): RouteInput["methods"] {
  return r.chance(0.25) ? ["*"] : r.some(METHODS, 1, 3);
}

export function route(r: Rand, id: string): RouteInput {
  const count = 1 + r.int(3);
  return { id, methods: methods(r), ...pattern(r), rules: Array.from({ length: count }, (_, i) => rule(r, `k${i}`)) };
}

/** Two routes the validator refuses side by side: the same pattern and a method in common. */
function sameRoute(a: RouteInput, b: RouteInput): boolean {
  const key = (x: RouteInput) => {
    const parsed = parsePathPattern(x.path ?? x.pathPrefix!, x.path === undefined);
    return parsed.ok ? parsed.key : x.path;
  };
  const any = (x: RouteInput) => x.methods.includes("*");
  return key(a) === key(b) && (any(a) || any(b) || a.methods.some((m) => b.methods.includes(m)));
}

export function service(r: Rand, hosts: string[]): ServiceInput {
  const routes: RouteInput[] = [];
  for (let i = 0, count = 1 + r.int(4); routes.length < count && i < 3 * count; i++) {
    const candidate = route(r, `r${routes.length}`);
    if (!routes.some((x) => sameRoute(x, candidate))) routes.push(candidate);
  }
  return {
    hosts,
    origin: { tunnel: r.pick(ORIGINS) },
    owner: "team@example.com",
    ...(r.chance(0.1) ? { mode: "audit" as const } : {}),
    ...(r.chance(0.2) ? { hide: true } : {}),
    ...(r.chance(0.2) ? { requireCertificate: r.chance(0.5) } : {}),
    ...(r.chance(0.2) ? { caseInsensitivePaths: true } : {}),
    routes,
  };
}

/** Two hosts one request may name: the validator refuses them in two services. */
function hostsClash(a: string, b: string): boolean {
  const covers = (wild: string, host: string) =>
    wild.startsWith("*.") && host.endsWith(wild.slice(1)) && !host.slice(0, -(wild.length - 1)).includes(".");
  return a === b || covers(a, b) || covers(b, a);
}

/** One to three services, hosts dealt out so that no two services clash. */
function services(r: Rand): Input["services"] {
  // `constructor` is a name the schema allows that a lookup in a plain object finds on its prototype.
  const names = ["svc-a", r.chance(0.2) ? "constructor" : "svc-b", "svc-c"].slice(0, 1 + r.int(3));
  const hosts = new Map(names.map((n) => [n, [] as string[]]));
  for (const host of r.some(HOSTS, names.length, names.length + 2)) {
    const clashing = names.filter((n) => hosts.get(n)!.some((h) => hostsClash(h, host)));
    if (clashing.length > 1) continue;
    const empty = names.filter((n) => hosts.get(n)!.length === 0);
    hosts.get(clashing[0] ?? (empty.length > 0 ? empty[0]! : r.pick(names)))!.push(host);
  }
  const out: Input["services"] = {};
  for (const [name, own] of hosts) if (own.length > 0) out[name] = service(r, own);
  return out;
}

/** A random policy (valid but for rare clashes, which the caller retries). */
export function randomPolicy(r: Rand): Input {
  return {
    version: 1,
    metadata: { environment: "dev", owners: ["security@example.com"], trustDomains: ["td.example"] },
    identity: {
      access: { teamDomain: "https://ward.cloudflareaccess.com", audiences: ["a".repeat(64)] },
      mtls: {
        ...(r.chance(0.15) ? { required: true } : {}),
        issuers: [{ dn: "CN=Workload CA", trustDomains: [...TRUST_DOMAINS] }],
      },
    },
    principalSets: {
      staff: [{ emailDomain: "example.com" }, { group: "sre" }],
      bots: [{ serviceToken: TOKENS[0]! }, { spiffePrefix: SPIFFE_PREFIXES[0]! }],
    },
    identityBindings: {
      [BINDING]: [
        { workload: WORKLOADS[0]!, access: EMAILS[0]! },
        { workload: WORKLOADS[2]!, access: TOKENS[0]! },
      ],
    },
    services: services(r),
  };
}

// ---- mutations ---------------------------------------------------------------------------------

type Mutation = (doc: Input, r: Rand) => boolean;

const serviceOf = (doc: Input, r: Rand) => doc.services[r.pick(Object.keys(doc.services))]!;
const routeOf = (doc: Input, r: Rand) => r.pick(serviceOf(doc, r).routes);
const ruleOf = (doc: Input, r: Rand) => r.pick(routeOf(doc, r).rules);
const fresh = (taken: readonly string[], stem: string) => {
  for (let i = 0; ; i++) if (!taken.includes(`${stem}${i}`)) return `${stem}${i}`;
};
/**
 * A rule of the whole policy that `fits`, undefined when none does: drawn among those that fit rather than
 * among all (a mutation of limited rules would otherwise mostly find a rule without one, and not apply).
 */
const ruleWhere = (doc: Input, r: Rand, fits: (rule: RuleInput) => boolean) => {
  const all = Object.values(doc.services).flatMap((s) => s.routes.flatMap((x) => x.rules.filter(fits)));
  return all.length > 0 ? r.pick(all) : undefined;
};

/** Each a change an operator might make; false when it does not apply to this policy. */
export const MUTATIONS: Record<string, Mutation> = {
  "add host": (doc, r) => {
    const s = serviceOf(doc, r);
    const host = r.pick(HOSTS);
    if (s.hosts.includes(host)) return false;
    s.hosts.push(host);
    return true;
  },
  "remove host": (doc, r) => {
    const s = serviceOf(doc, r);
    if (s.hosts.length < 2) return false;
    s.hosts.splice(r.int(s.hosts.length), 1);
    return true;
  },
  "move host": (doc, r) => {
    const [from, to] = [serviceOf(doc, r), serviceOf(doc, r)];
    if (from === to || from.hosts.length < 2) return false;
    to.hosts.push(...from.hosts.splice(r.int(from.hosts.length), 1));
    return true;
  },
  "change origin": (doc, r) => {
    serviceOf(doc, r).origin = { tunnel: r.pick(ORIGINS) };
    return true;
  },
  "toggle hide": (doc, r) => {
    const s = serviceOf(doc, r);
    s.hide = !s.hide;
    return true;
  },
  "toggle case": (doc, r) => {
    const s = serviceOf(doc, r);
    s.caseInsensitivePaths = !s.caseInsensitivePaths;
    return true;
  },
  "toggle mode": (doc, r) => {
    const s = serviceOf(doc, r);
    s.mode = s.mode === "audit" ? "enforce" : "audit";
    return true;
  },
  "service certificate": (doc, r) => {
    const s = serviceOf(doc, r);
    s.requireCertificate = r.pick([true, false, undefined]);
    return true;
  },
  "identity sources": (doc, r) => {
    // Nothing `evaluate` sees (the identity is given), but the diff must still read it without tripping.
    const access = doc.identity!.access!;
    const choice = r.int(3);
    if (choice === 0) access.audiences = r.chance(0.5) ? ["a".repeat(64), "b".repeat(64)] : ["b".repeat(64)];
    else if (choice === 1) access.maxTokenLifetime = r.pick(["1h", "24h", "7d"]);
    else doc.identity!.mtls!.issuers = [{ dn: "CN=Workload CA", trustDomains: r.some(TRUST_DOMAINS) }];
    return true;
  },
  "mtls required": (doc) => {
    const mtls = doc.identity!.mtls!;
    mtls.required = !mtls.required;
    return true;
  },
  "route pattern": (doc, r) => {
    const route = routeOf(doc, r);
    delete route.path;
    delete route.pathPrefix;
    Object.assign(route, pattern(r));
    return true;
  },
  "route methods": (doc, r) => {
    routeOf(doc, r).methods = methods(r);
    return true;
  },
  "add route": (doc, r) => {
    const s = serviceOf(doc, r);
    s.routes.push(
      route(
        r,
        fresh(
          s.routes.map((x) => x.id),
          "n",
        ),
      ),
    );
    return true;
  },
  "remove route": (doc, r) => {
    const s = serviceOf(doc, r);
    if (s.routes.length < 2) return false;
    s.routes.splice(r.int(s.routes.length), 1);
    return true;
  },
  "rename route": (doc, r) => {
    const s = serviceOf(doc, r);
    r.pick(s.routes).id = fresh(
      s.routes.map((x) => x.id),
      "m",
    );
    return true;
  },
  "add rule": (doc, r) => {
    const route = routeOf(doc, r);
    const id = fresh(
      route.rules.map((x) => x.id ?? ""),
      "n",
    );
    route.rules.splice(r.int(route.rules.length + 1), 0, r.chance(0.5) ? allowRule(r, id) : denyRule(r, id));
    return true;
  },
  "remove rule": (doc, r) => {
    const route = routeOf(doc, r);
    if (route.rules.length < 2) return false;
    route.rules.splice(r.int(route.rules.length), 1);
    return true;
  },
  "rename rule": (doc, r) => {
    const route = routeOf(doc, r);
    r.pick(route.rules).id = fresh(
      route.rules.map((x) => x.id ?? ""),
      "m",
    );
    return true;
  },
  "move rule": (doc, r) => {
    // Which allow rule decides is the first that applies: moved, another may decide (or count) a request.
    const route = routeOf(doc, r);
    if (route.rules.length < 2) return false;
    const [moved] = route.rules.splice(r.int(route.rules.length), 1);
    route.rules.splice(r.int(route.rules.length + 1), 0, moved!);
    return true;
  },
  "duplicate rule": (doc, r) => {
    // Put ahead of the original (a copy behind it never decides): it may then decide before the rules between
    // them, a limited one say, and a later mutation may take the copy's limit away.
    const route = routeOf(doc, r);
    const at = r.int(route.rules.length);
    const copy = structuredClone(route.rules[at]!);
    copy.id = fresh(
      route.rules.map((x) => x.id ?? ""),
      "d",
    );
    route.rules.splice(r.int(at + 1), 0, copy);
    return true;
  },
  "rate limit removed": (doc, r) => {
    const rule = ruleWhere(doc, r, (x) => x.rateLimit !== undefined);
    if (!rule) return false;
    delete rule.rateLimit;
    return true;
  },
  "rate limit added": (doc, r) => {
    const rule = ruleWhere(doc, r, (x) => x.effect === "allow" && x.rateLimit === undefined);
    if (!rule) return false;
    rule.rateLimit = rateLimit(r);
    return true;
  },
  "failOpen toggled": (doc, r) => {
    const limit = ruleWhere(doc, r, (x) => x.rateLimit !== undefined)?.rateLimit;
    if (!limit) return false;
    limit.failOpen = !limit.failOpen;
    return true;
  },
  "flip effect": (doc, r) => {
    const rule = ruleOf(doc, r);
    rule.effect = rule.effect === "allow" ? "deny" : "allow";
    if (rule.effect === "deny") delete rule.rateLimit;
    else delete rule.mode;
    return true;
  },
  "deny on trial or enforced": (doc, r) => {
    const rule = ruleOf(doc, r);
    if (rule.effect !== "deny") return false;
    if (rule.mode === "audit") delete rule.mode;
    else rule.mode = "audit";
    return true;
  },
  "change principals": (doc, r) => {
    const rule = ruleOf(doc, r);
    if (!rule.principals) return false;
    const i = r.int(rule.principals.length);
    const choice = r.int(3);
    if (choice === 0) rule.principals.push(matcher(r));
    else if (choice === 1 && rule.principals.length > 1) rule.principals.splice(i, 1);
    else rule.principals[i] = matcher(r);
    return true;
  },
  "change both factors": (doc, r) => {
    const rule = ruleOf(doc, r);
    if (!rule.bothFactors) return false;
    if (r.chance(0.5)) rule.bothFactors.workload = [WORKLOAD_SIDE(r)];
    else rule.bothFactors.access = [ACCESS_SIDE(r)];
    return true;
  },
  "change conditions": (doc, r) => {
    const rule = ruleOf(doc, r);
    if (rule.when && r.chance(0.4)) delete rule.when;
    else rule.when = { ...rule.when, ...conditions(r) };
    return true;
  },
  "change set": (doc, r) => {
    const set = doc.principalSets![r.pick(SETS)]!;
    if (set.length > 1 && r.chance(0.5)) set.splice(r.int(set.length), 1);
    else set.push(matcher(r, false));
    return true;
  },
  "change binding": (doc, r) => {
    const pairs = doc.identityBindings![BINDING]!;
    if (pairs.length > 1 && r.chance(0.5)) pairs.splice(r.int(pairs.length), 1);
    else pairs.push({ workload: r.pick(WORKLOADS), access: r.pick([...EMAILS, ...TOKENS]) });
    return true;
  },
  "add service": (doc, r) => {
    const name = fresh(Object.keys(doc.services), "svc-n");
    doc.services[name] = service(r, [r.pick(HOSTS)]);
    return true;
  },
  "remove service": (doc, r) => {
    const names = Object.keys(doc.services);
    if (names.length < 2) return false;
    delete doc.services[r.pick(names)];
    return true;
  },
};

// ---- pairs -------------------------------------------------------------------------------------

function validated(input: Input): PolicyDocument | undefined {
  const result = validatePolicy(input);
  return result.ok ? result.policy : undefined;
}

export interface Base {
  input: Input;
  doc: PolicyDocument;
}

export interface Mutant {
  doc: PolicyDocument;
  /** The mutations applied to the base's input. */
  mutations: string[];
}

/** A random valid policy; undefined in the rare case that none was found. */
export function randomBase(r: Rand): Base | undefined {
  for (let attempt = 0; attempt < 20; attempt++) {
    const input = randomPolicy(r);
    const doc = validated(input);
    if (doc) return { input, doc };
  }
  return undefined;
}

/** A valid random mutation of the base: one to three changes; undefined when none was found. */
export function randomMutant(r: Rand, base: Base): Mutant | undefined {
  const names = Object.keys(MUTATIONS);
  for (let attempt = 0; attempt < 20; attempt++) {
    const next = structuredClone(base.input);
    const applied = Array.from({ length: 1 + r.int(3) }, () => r.pick(names)).filter((name) =>
      MUTATIONS[name]!(next, r),
    );
    const doc = validated(next);
    if (doc) return { doc, mutations: applied };
  }
  return undefined;
}
