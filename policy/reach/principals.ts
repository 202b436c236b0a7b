// Principals as reach names them (`spiffe://...`, `email:a@b.c`, `group:sre`, `W + A` for bothFactors ...),
// conditions in words, and whether two named principals may be the same caller (which decides whether a
// deny rule is listed against a grant).
import { emailDomainOf } from "../email-address.ts";
import { canonicalJson } from "../hash.ts";
import { trustDomainOf } from "../identity.ts";
import { expandMatchers } from "../principals.ts";
import type { Conditions, PolicyDocument, PrincipalMatcher, Rule } from "../schema.ts";
import { unique } from "./sort.ts";

/**
 * Free text of a policy (a group's name, a token's id, a scope, a posture check) as reach names it: as written,
 * or JSON-quoted when it holds what reach joins names with (" + ", ", ", "; ", " when ") or a quote. The names
 * are what `ward diff` compares: two different policies must never be named alike (`group:Sales + Marketing`
 * would read as a bothFactors pair, `group:contractors, group:vendors` as two groups).
 */
export function freeText(text: string): string {
  return /[\s,;+"]/.test(text) ? JSON.stringify(text) : text;
}

/** The stable name of the identity a matcher names (after set expansion). */
export function principalName(m: PrincipalMatcher): string {
  if ("spiffe" in m) return m.spiffe;
  if ("spiffePrefix" in m) return `${m.spiffePrefix}*`;
  if ("trustDomain" in m) return `trust-domain:${m.trustDomain}`;
  if ("email" in m) return `email:${m.email.toLowerCase()}`;
  if ("emailDomain" in m) return `email-domain:${m.emailDomain}`;
  if ("group" in m) return `group:${freeText(m.group)}`;
  if ("claims" in m) return `claims:${canonicalJson(m.claims)}`;
  if ("serviceToken" in m) return `token:${freeText(m.serviceToken)}`;
  if ("authenticated" in m) return "any-authenticated";
  if ("public" in m) return "public";
  return `set:${m.set}`;
}

/** The conditions of a rule in words, in a fixed order. */
export function describeConditions(when: Conditions | undefined): string[] {
  const out: string[] = [];
  if (!when) return out;
  if (when.scopes) out.push(`scopes ${when.scopes.map(freeText).join(", ")}`);
  if (when.claims) out.push(`claims ${canonicalJson(when.claims)}`);
  if (when.time?.days) out.push(`days ${when.time.days.join("/")}`);
  if (when.time?.hours) out.push(`hours ${when.time.hours.from}-${when.time.hours.to} UTC`);
  if (when.time?.notBefore) out.push(`not before ${when.time.notBefore}`);
  if (when.time?.notAfter) out.push(`not after ${when.time.notAfter}`);
  if (when.country) out.push(`country ${when.country.join(", ")}`);
  if (when.devicePosture) out.push(`device posture ${when.devicePosture.map(freeText).join(", ")}`);
  return out;
}

/** The principals a rule names: its matchers with sets expanded, or bothFactors as `workload + access` pairs. */
export function rulePrincipals(rule: Rule, doc: PolicyDocument): string[] {
  const names = (ms: readonly PrincipalMatcher[]) => unique(expandMatchers(ms, doc.principalSets).map(principalName));
  if (rule.principals) return names(rule.principals);
  if (rule.bothFactors) {
    const access = names(rule.bothFactors.access);
    return names(rule.bothFactors.workload).flatMap((w) => access.map((a) => `${w} + ${a}`));
  }
  return [];
}

type Workload = { exact: string } | { prefix: string } | { domain: string };

function workloadOf(p: string): Workload | undefined {
  if (p.startsWith("trust-domain:")) return { domain: p.slice("trust-domain:".length) };
  if (!p.startsWith("spiffe://")) return undefined;
  return p.endsWith("*") ? { prefix: p.slice(0, -1) } : { exact: p };
}

/** A workload principal, or a bothFactors pair: it proves a certificate, so no extra certificate condition. */
export function isWorkloadPrincipal(p: string): boolean {
  return workloadOf(p) !== undefined || splitPair(p) !== undefined;
}

function workloadsOverlap(a: Workload, b: Workload): boolean {
  if ("exact" in a) {
    if ("exact" in b) return a.exact === b.exact;
    if ("prefix" in b) return a.exact.startsWith(b.prefix);
    return trustDomainOf(a.exact) === b.domain;
  }
  if ("prefix" in a) {
    if ("exact" in b || "domain" in b) return workloadsOverlap(b, a);
    return a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix);
  }
  if ("domain" in b) return a.domain === b.domain;
  if ("exact" in b) return workloadsOverlap(b, a);
  const root = `spiffe://${a.domain}/`;
  return root.startsWith(b.prefix) || b.prefix.startsWith(root);
}

function accessKind(p: string): "email" | "email-domain" | "group" | "token" | "claims" | undefined {
  const kind = p.slice(0, p.indexOf(":"));
  return kind === "email" || kind === "email-domain" || kind === "group" || kind === "token" || kind === "claims"
    ? kind
    : undefined;
}

/**
 * A bothFactors pair `W + A`: its workload side is a SPIFFE ID, prefix or trust domain, or `any-authenticated` or
 * `public` (validation refuses Access kinds there, not these), which hold no space, so the first " + " ends it;
 * no other principal starts with one.
 */
export function splitPair(p: string): [string, string] | undefined {
  const plus = p.indexOf(" + ");
  if (plus === -1) return undefined;
  const workload = p.slice(0, plus);
  const side = workload === "any-authenticated" || workload === "public" || workloadOf(workload) !== undefined;
  return side ? [workload, p.slice(plus + 3)] : undefined;
}

/**
 * Conservative: false only when no caller can be both. A request may carry a workload and an Access
 * identity at once, so a workload principal and an Access principal always may overlap.
 */
export function principalsMayOverlap(a: string, b: string): boolean {
  // A bothFactors pair is a caller with exactly that workload and that Access identity.
  const pa = splitPair(a);
  const pb = splitPair(b);
  if (pa && pb) return principalsMayOverlap(pa[0], pb[0]) && principalsMayOverlap(pa[1], pb[1]);
  for (const [pair, other] of [
    [pa, b],
    [pb, a],
  ] as const) {
    if (!pair) continue;
    if (other === "public" || other === "any-authenticated") return true;
    return principalsMayOverlap(workloadOf(other) ? pair[0] : pair[1], other);
  }
  if (a === "public" || b === "public" || a === "any-authenticated" || b === "any-authenticated") return true;
  const wa = workloadOf(a);
  const wb = workloadOf(b);
  if (wa && wb) return workloadsOverlap(wa, wb);
  if (wa || wb) return true;
  return accessPrincipalsMayOverlap(a, b);
}

/**
 * Whether every caller `p` names is one `q` names too (`q` = `p` included): what `p` reaches through the grants
 * made to `q`. A trust domain holds its SPIFFE IDs and prefixes, a prefix those under it, an e-mail domain its
 * addresses, any authenticated caller all but the public, the public everyone. A bothFactors pair is a caller
 * with both sides, so it is held by what holds either side, and by a pair holding each side; no single
 * principal is held by a pair. Groups and claims hold only themselves: who is in them is Access's to say.
 */
export function principalContains(q: string, p: string): boolean {
  if (q === p || q === "public") return true;
  const pairQ = splitPair(q);
  const pairP = splitPair(p);
  if (pairQ)
    return pairP !== undefined && principalContains(pairQ[0], pairP[0]) && principalContains(pairQ[1], pairP[1]);
  if (pairP) return principalContains(q, pairP[0]) || principalContains(q, pairP[1]);
  if (q === "any-authenticated") return p !== "public";
  const wq = workloadOf(q);
  const wp = workloadOf(p);
  if (wq && wp) return workloadContains(wq, wp);
  if (q.startsWith("email-domain:") && p.startsWith("email:"))
    return emailDomainOf(p.slice("email:".length)) === q.slice("email-domain:".length);
  return false;
}

function workloadContains(q: Workload, p: Workload): boolean {
  if ("exact" in q) return "exact" in p && p.exact === q.exact;
  // A trust domain's own ID (`spiffe://td`, no path) is in it too: only a prefix of that holds the domain.
  const held = "exact" in p ? p.exact : "prefix" in p ? p.prefix : `spiffe://${p.domain}`;
  if ("prefix" in q) return held.startsWith(q.prefix);
  if ("exact" in p) return trustDomainOf(p.exact) === q.domain;
  return "domain" in p ? p.domain === q.domain : held.startsWith(`spiffe://${q.domain}/`);
}

/** Two Access principals (e-mail, e-mail domain, group, service token, claims). */
function accessPrincipalsMayOverlap(a: string, b: string): boolean {
  const ka = accessKind(a);
  const kb = accessKind(b);
  if (ka === "claims" || kb === "claims") return true;
  // One Access token is a person or a service token, never both; tokens have no e-mail or groups.
  if (ka === "token" || kb === "token") return a === b;
  if (ka === "group" || kb === "group") return true;
  const email = (p: string) => p.slice(p.indexOf(":") + 1);
  if (ka === "email" && kb === "email") return a === b;
  if (ka === "email-domain" && kb === "email-domain") return a === b;
  const [address, domain] = ka === "email" ? [email(a), email(b)] : [email(b), email(a)];
  return emailDomainOf(address) === domain;
}

/**
 * Whether a principal may overlap any of a list's, as `list.some((q) => principalsMayOverlap(p, q))` says, in
 * constant time for the e-mails, e-mail domains and service tokens a rule may list by the thousand (a scan of
 * each per principal made ward diff quadratic in a route's principals): looked up, not compared one by one.
 */
export class OverlapIndex {
  readonly #emails = new Set<string>();
  readonly #domains = new Set<string>();
  /** The domains of the e-mails listed, as `email-domain:` principals: an e-mail domain overlaps those. */
  readonly #domainsOfEmails = new Set<string>();
  readonly #tokens = new Set<string>();
  /** Everything else (groups, claims, workloads, pairs, public, any-authenticated): few, compared one by one. */
  readonly #others: string[] = [];
  readonly #simple: string[] = [];

  constructor(principals: readonly string[]) {
    for (const p of principals) {
      const kind = splitPair(p) ? undefined : accessKind(p);
      if (kind === "email") {
        this.#emails.add(p);
        const domain = emailDomainOf(p.slice("email:".length));
        if (domain !== undefined) this.#domainsOfEmails.add(`email-domain:${domain}`);
      } else if (kind === "email-domain") this.#domains.add(p);
      else if (kind === "token") this.#tokens.add(p);
      else {
        this.#others.push(p);
        continue;
      }
      this.#simple.push(p);
    }
  }

  mayOverlap(p: string): boolean {
    if (this.#others.some((o) => principalsMayOverlap(p, o))) return true;
    if (this.#simple.length === 0) return false;
    const kind = splitPair(p) ? undefined : accessKind(p);
    if (kind === "email") {
      const domain = emailDomainOf(p.slice("email:".length));
      return this.#emails.has(p) || (domain !== undefined && this.#domains.has(`email-domain:${domain}`));
    }
    if (kind === "email-domain") return this.#domains.has(p) || this.#domainsOfEmails.has(p);
    if (kind === "token") return this.#tokens.has(p);
    // A group overlaps every e-mail and domain, never a token; claims, workloads, public and any-authenticated
    // overlap them all. A pair, or anything else, is compared one by one.
    if (kind === "group") return this.#emails.size + this.#domains.size > 0;
    if (kind === "claims" || p === "public" || p === "any-authenticated" || workloadOf(p)) return true;
    return this.#simple.some((q) => principalsMayOverlap(p, q));
  }
}
