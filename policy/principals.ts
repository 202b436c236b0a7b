// Principal matchers, compiled once per policy version into sets so that matching is a few lookups.
import type { PrincipalMatcher } from "./schema.ts";
import { canonicalEmail, emailDomainOf } from "./email-address.ts";
import { isAuthenticated, trustDomainOf, workloadIdsOf, type Identity } from "./identity.ts";

type ClaimRequirement = Readonly<Record<string, unknown>>;

export interface CompiledPrincipals {
  public: boolean;
  authenticated: boolean;
  spiffe: ReadonlySet<string>;
  spiffePrefixes: readonly string[];
  trustDomains: ReadonlySet<string>;
  emails: ReadonlySet<string>;
  emailDomains: ReadonlySet<string>;
  groups: ReadonlySet<string>;
  claims: readonly ClaimRequirement[];
  serviceTokens: ReadonlySet<string>;
  /** Human-readable list, for explain. */
  labels: readonly string[];
}

/** Replaces `{ set }` references by the set's members (sets do not nest; validation says so). */
export function expandMatchers(
  matchers: readonly PrincipalMatcher[],
  sets: Readonly<Record<string, readonly PrincipalMatcher[]>>,
): PrincipalMatcher[] {
  // Own keys only: a set named "constructor" must not find Object.prototype's.
  return matchers.flatMap((m) =>
    "set" in m ? (Object.hasOwn(sets, m.set) ? sets[m.set]! : []).filter((x) => !("set" in x)) : [m],
  );
}

export function describeMatcher(m: PrincipalMatcher): string {
  const [key, value] = Object.entries(m)[0]!;
  return typeof value === "object" ? `${key} ${JSON.stringify(value)}` : value === true ? key : `${key} ${value}`;
}

export function compilePrincipals(
  matchers: readonly PrincipalMatcher[],
  sets: Readonly<Record<string, readonly PrincipalMatcher[]>>,
): CompiledPrincipals {
  const out = {
    public: false,
    authenticated: false,
    spiffe: new Set<string>(),
    spiffePrefixes: [] as string[],
    trustDomains: new Set<string>(),
    emails: new Set<string>(),
    emailDomains: new Set<string>(),
    groups: new Set<string>(),
    claims: [] as ClaimRequirement[],
    serviceTokens: new Set<string>(),
    labels: matchers.map((m) => ("set" in m ? `set ${m.set}` : describeMatcher(m))),
  };
  for (const m of expandMatchers(matchers, sets)) {
    if ("public" in m) out.public = true;
    else if ("authenticated" in m) out.authenticated = true;
    else if ("spiffe" in m) out.spiffe.add(m.spiffe);
    else if ("spiffePrefix" in m) out.spiffePrefixes.push(m.spiffePrefix);
    else if ("trustDomain" in m) out.trustDomains.add(m.trustDomain);
    // An address that is not well-formed (a grant stored before this form was required) names nobody.
    else if ("email" in m) {
      const email = canonicalEmail(m.email);
      if (email !== undefined) out.emails.add(email);
    } else if ("emailDomain" in m) out.emailDomains.add(m.emailDomain);
    else if ("group" in m) out.groups.add(m.group);
    else if ("claims" in m) out.claims.push(m.claims);
    else if ("serviceToken" in m) out.serviceTokens.add(m.serviceToken);
  }
  // A policy compiles one of these per distinct principal list (thousands, with per-route lists), and most of
  // their sets stay empty: one shared empty set and list take their place, a fraction of a policy's memory.
  return {
    ...out,
    spiffe: orNone(out.spiffe),
    spiffePrefixes: orNoList(out.spiffePrefixes),
    trustDomains: orNone(out.trustDomains),
    emails: orNone(out.emails),
    emailDomains: orNone(out.emailDomains),
    groups: orNone(out.groups),
    claims: orNoList(out.claims),
    serviceTokens: orNone(out.serviceTokens),
  };
}

const NONE: ReadonlySet<string> = new Set();
const NO_LIST: readonly never[] = Object.freeze([]);
const orNone = (set: Set<string>): ReadonlySet<string> => (set.size === 0 ? NONE : set);
const orNoList = <T>(list: T[]): readonly T[] => (list.length === 0 ? NO_LIST : list);

/** A claim requirement holds when the claim equals the value, or one of the listed values; array claims match by member. */
export function claimsHold(required: ClaimRequirement, claims: Readonly<Record<string, unknown>> | undefined): boolean {
  if (!claims) return false;
  for (const [name, want] of Object.entries(required)) {
    const wanted = Array.isArray(want) ? want : [want];
    const have = claims[name];
    const haves = Array.isArray(have) ? have : [have];
    if (!haves.some((h) => wanted.some((w) => w === h))) return false;
  }
  return true;
}

/**
 * `unknownHolds` is for deny rules: a person whose groups could not be fetched counts as in every group the
 * rule names, so an unreachable directory can never switch a deny off. For allow rules unknown is no match.
 */
export function principalsMatch(p: CompiledPrincipals, identity: Identity, unknownHolds = false): boolean {
  if (p.public) return true;
  if (p.authenticated && isAuthenticated(identity)) return true;
  // A certificate's SPIFFE ID and a workload token's are the same kind of identity.
  for (const workload of workloadIdsOf(identity)) {
    if (p.spiffe.has(workload)) return true;
    const domain = trustDomainOf(workload);
    if (domain !== undefined && p.trustDomains.has(domain)) return true;
    if (p.spiffePrefixes.some((prefix) => workload.startsWith(prefix))) return true;
  }
  const user = identity.user;
  if (user) {
    // Only a well-formed address matches by address or domain (the gateway refuses a token with any other,
    // so this is for `ward explain` and grants saying what the gateway does): the domain of
    // `mallory@evil.io@example.com` is not example.com, whichever "@" one splits at.
    const email = canonicalEmail(user.email);
    if (email !== undefined && p.emails.has(email)) return true;
    const domain = emailDomainOf(user.email);
    if (domain !== undefined && p.emailDomains.has(domain)) return true;
    if (user.groups === undefined ? unknownHolds && p.groups.size > 0 : user.groups.some((g) => p.groups.has(g)))
      return true;
  }
  if (identity.serviceToken && p.serviceTokens.has(identity.serviceToken.clientId)) return true;
  if (p.claims.length > 0 && p.claims.some((c) => claimsHeld(c, identity, true))) return true;
  return false;
}

/**
 * A claim requirement holds when one credential's claims satisfy all of it: the Access token's (a person's or
 * a service token's) or the workload token's, never some claims from each, so two credentials cannot be
 * combined into a caller neither of them is. Write `iss` in it to say whose token must carry the claims.
 */
export function claimsHeld(required: ClaimRequirement, identity: Identity, accessPrincipal = false): boolean {
  // `accessPrincipal`: as a matcher, the Access token's claims name someone only with the person or service
  // token that token identified.
  const accessCounts = !accessPrincipal || identity.user !== undefined || identity.serviceToken !== undefined;
  if (accessCounts && claimsHold(required, identity.claims)) return true;
  return identity.workloadToken !== undefined && claimsHold(required, identity.workloadToken.claims);
}

/** The Access half of an identity, for matching the `access` side of bothFactors. */
export function accessPart(identity: Identity): Identity {
  return { user: identity.user, serviceToken: identity.serviceToken, claims: identity.claims, scopes: identity.scopes };
}

export function accessName(identity: Identity): string | undefined {
  return identity.user ? canonicalEmail(identity.user.email) : identity.serviceToken?.clientId;
}
