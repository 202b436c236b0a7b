// Random requests for the differential test, drawn from the two policies themselves: their hosts (wildcards
// given a label), their routes' patterns (parameters filled with literals or fresh segments), and callers who
// match their rules' principals (plus near misses), at instants and from countries the conditions name.
import { expandMatchers } from "../../../policy/principals.ts";
import {
  METHODS,
  type Identity,
  type PolicyDocument,
  type PrincipalMatcher,
  type RequestFacts,
} from "../../../policy/index.ts";
import {
  COUNTRIES,
  EMAIL_DOMAINS,
  EMAILS,
  GROUPS,
  LITERALS,
  NOWS,
  POSTURE,
  SCOPES,
  SPIFFE_PREFIXES,
  TOKENS,
  TRUST_DOMAINS,
  WORKLOADS,
  HOSTS,
} from "./policy-pairs.ts";
import type { Rand } from "./random.ts";

export interface Sample {
  request: RequestFacts;
  now: number;
}

const LABELS = ["a", "b", "x", "zz"];

function hostFrom(r: Rand, host: string): string {
  return host.startsWith("*.") ? `${r.pick(LABELS)}.${host.slice(2)}` : host;
}

/** A path the pattern matches (or nearly: a parameter may be left empty, a segment added). */
function pathFrom(r: Rand, pattern: string, prefix: boolean): string {
  const segments = pattern
    .slice(1)
    .split("/")
    .flatMap((s) => {
      if (s === "{**}") return Array.from({ length: r.int(3) }, () => r.pick([...LITERALS, "q"]));
      if (s.startsWith("{")) return [r.pick([...LITERALS, "q", "q"])];
      return [s];
    });
  if (prefix) segments.push(...Array.from({ length: r.int(3) }, () => r.pick([...LITERALS, "q"])));
  if (r.chance(0.1)) segments.push(r.pick([...LITERALS, ""]));
  if (r.chance(0.05)) segments.pop();
  // The other trailing-slash spelling, which deny rules of exact paths reach too (policy/evaluate.ts).
  if (r.chance(0.1)) {
    if (segments.at(-1) === "") segments.pop();
    else segments.push("");
  }
  // A segment as an origin that changes letters may read it and Ward must decide it: `ａ` for `a` (fullwidth),
  // `a` and U+0301 for `á` (decomposed).
  if (r.chance(0.15) && segments.length > 0) {
    const i = r.int(segments.length);
    const s = segments[i]!;
    segments[i] = /[^\x00-\x7f]/.test(s)
      ? s.normalize("NFD")
      : s.replace(/^[!-~]/, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
  }
  const path = `/${segments.join("/")}`.replace(/^\/\/+/, "/");
  // Another case: the same route at a caseInsensitivePaths service, none elsewhere. Percent-encoded, as a URL is.
  return encodeURI(r.chance(0.1) ? path.toUpperCase() : path);
}

/** A workload under the prefix (a '/' added where the prefix has none). */
function prefixed(prefix: string): string {
  return `${prefix}${prefix.endsWith("/") ? "" : "/"}sa/q`;
}

function randomWorkload(r: Rand): string {
  return r.pick([...WORKLOADS, prefixed(r.pick(SPIFFE_PREFIXES)), `spiffe://${r.pick(TRUST_DOMAINS)}/ns/q/sa/q`]);
}

/** Extra facts an Access identity may carry, each sometimes absent. */
function accessExtras(r: Rand): Pick<Identity, "claims" | "scopes"> {
  return {
    ...(r.chance(0.4)
      ? { claims: { role: r.pick<unknown>(["admin", "ops", "dev", ["dev", "ops"]]), tier: r.pick([1, 2]) } }
      : {}),
    ...(r.chance(0.5) ? { scopes: r.some(SCOPES, 0) } : {}),
  };
}

function user(r: Rand, email: string, groups?: string[]): Identity["user"] {
  return {
    email,
    // Unknown groups (not fetched) match every group a deny names, and none an allow names.
    ...(r.chance(0.15) ? {} : { groups: groups ?? r.some(GROUPS, 0, 2) }),
    ...(r.chance(0.6) ? { devicePosture: Object.fromEntries(POSTURE.map((p) => [p, r.chance(0.6)])) } : {}),
  };
}

/** A caller the matcher names (its claims filled in for a `claims` matcher). */
function identityFor(r: Rand, m: PrincipalMatcher): Identity {
  if ("spiffe" in m) return { workload: { id: m.spiffe } };
  if ("spiffePrefix" in m) return { workload: { id: prefixed(m.spiffePrefix) } };
  if ("trustDomain" in m) return { workload: { id: `spiffe://${m.trustDomain}/ns/q/sa/q` } };
  if ("email" in m) return { user: user(r, r.chance(0.2) ? m.email.toUpperCase() : m.email), ...accessExtras(r) };
  if ("emailDomain" in m) return { user: user(r, `zed@${m.emailDomain}`), ...accessExtras(r) };
  if ("group" in m) return { user: user(r, r.pick(EMAILS), [m.group]), ...accessExtras(r) };
  if ("serviceToken" in m) return { serviceToken: { clientId: m.serviceToken }, ...accessExtras(r) };
  if ("claims" in m) {
    const claims = Object.fromEntries(Object.entries(m.claims).map(([k, v]) => [k, Array.isArray(v) ? r.pick(v) : v]));
    const base = r.chance(0.5) ? { serviceToken: { clientId: r.pick(TOKENS) } } : { user: user(r, r.pick(EMAILS)) };
    return { ...base, ...accessExtras(r), claims };
  }
  if ("public" in m) return {};
  return randomIdentity(r);
}

function randomIdentity(r: Rand): Identity {
  const kind = r.int(5);
  if (kind === 0) return {};
  if (kind === 1) return { workload: { id: randomWorkload(r) } };
  if (kind === 2) return { serviceToken: { clientId: r.pick(TOKENS) }, ...accessExtras(r) };
  return {
    user: user(r, r.pick([...EMAILS, `zed@${r.pick(EMAIL_DOMAINS)}`, "mallory@evil.test"])),
    ...accessExtras(r),
  };
}

/** Every matcher the policy names, sets expanded, bothFactors sides included. */
function matchersOf(doc: PolicyDocument): PrincipalMatcher[] {
  return Object.values(doc.services).flatMap((s) =>
    s.routes.flatMap((route) =>
      route.rules.flatMap((rule) =>
        expandMatchers(
          [...(rule.principals ?? []), ...(rule.bothFactors?.workload ?? []), ...(rule.bothFactors?.access ?? [])],
          doc.principalSets,
        ),
      ),
    ),
  );
}

/** A caller with both a workload and an Access identity: a binding's pair, or two callers combined. */
function combined(r: Rand, docs: readonly PolicyDocument[], named: readonly PrincipalMatcher[]): Identity {
  const pairs = docs.flatMap((d) => Object.values(d.identityBindings).flat());
  if (pairs.length > 0 && r.chance(0.5)) {
    const pair = r.pick(pairs);
    const access = pair.access.includes("@")
      ? { user: user(r, pair.access) }
      : { serviceToken: { clientId: pair.access } };
    return { workload: { id: pair.workload }, ...access, ...accessExtras(r) };
  }
  const one = named.length > 0 ? identityFor(r, r.pick(named)) : randomIdentity(r);
  const other = randomIdentity(r);
  // One Access token is a person's or a service token's, never both: the Access half comes from one of them.
  const access = one.user || one.serviceToken ? one : other;
  return {
    ...(access.user ? { user: access.user } : {}),
    ...(access.serviceToken ? { serviceToken: access.serviceToken } : {}),
    ...(access.claims ? { claims: access.claims } : {}),
    ...(access.scopes ? { scopes: access.scopes } : {}),
    workload: one.workload ?? other.workload ?? { id: randomWorkload(r) },
  };
}

function caller(r: Rand, docs: readonly PolicyDocument[], named: readonly PrincipalMatcher[]): Identity {
  const draw = r.next();
  if (draw < 0.6 && named.length > 0) return identityFor(r, r.pick(named));
  if (draw < 0.8) return combined(r, docs, named);
  return randomIdentity(r);
}

/** `count` requests against the hosts and routes of either policy, by callers either names. */
export function sampleRequests(r: Rand, docs: readonly PolicyDocument[], count: number): Sample[] {
  const routes = docs.flatMap((d) =>
    Object.values(d.services).flatMap((s) => s.routes.map((route) => ({ hosts: s.hosts, route }))),
  );
  const named = docs.flatMap(matchersOf);
  return Array.from({ length: count }, () => {
    const on = r.pick(routes);
    const host = r.chance(0.9) ? hostFrom(r, r.pick(on.hosts)) : hostFrom(r, r.pick([...HOSTS, "nowhere.test"]));
    const path = pathFrom(r, on.route.path ?? on.route.pathPrefix!, on.route.path === undefined);
    const served = on.route.methods.includes("*") ? METHODS : on.route.methods;
    // HEAD where the route takes GET: deny rules reach it there (policy/evaluate.ts), allow rules do not.
    const head = served.includes("GET") && r.chance(0.1);
    const method = head ? "HEAD" : r.chance(0.85) ? r.pick(served) : r.pick(METHODS);
    const country = r.chance(0.2) ? undefined : r.pick(COUNTRIES);
    return {
      request: { method, host, path, identity: caller(r, docs, named), ...(country ? { country } : {}) },
      now: r.pick(NOWS),
    };
  });
}
