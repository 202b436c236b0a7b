// The oracle of the shadow differential test, written from docs/policy.md ("How a request is decided", "Which
// route", "A deny rule on trial", "Audit mode", "Principal matchers", `exceptions`) and docs/operations.md ("Shadow:
// a candidate on live traffic", "The decision log"), without reading Ward's implementation: what a policy decides
// for a generated caller (the candidate's decision the log's `shadow` must hold), what the gateway answers with
// the active policy, its grants and revocations (the answer must be the active policy's, whatever the candidate
// says), and what `ward shadow report` must count from the lines.
import {
  CHECKOUT,
  type Case,
  type GenPolicy,
  type GenRoute,
  type GenService,
  type Grant,
  type Matcher,
  type Who,
} from "./shadow-cases.ts";

/** What a policy alone decides (evaluate): the candidate's decision as the log's `shadow` member holds it. */
export interface PolicyDecision {
  effect: "allow" | "deny";
  status: number;
  reasons: string[];
  /** `service/route`, or null when no route was reached. */
  route: string | null;
  /** `service/route/rule`: the allow or deny rule that decided, or null. */
  rule: string | null;
  wouldDeny: { status: number; reasons: string[]; rule?: string } | null;
}

/** What the gateway does with the active policy, its grants and the denylist. */
export interface Answer extends PolicyDecision {
  forwarded: boolean;
  /** Decided by a grant or the denylist: the report counts it apart. */
  outside: boolean;
}

const emailOf = (w: Who) => (w.kind === "person" || w.kind === "cert+person" ? w.email : undefined);
const groupsOf = (w: Who) => (w.kind === "person" || w.kind === "cert+person" ? w.groups : []);
const spiffeOf = (w: Who) =>
  w.kind === "cert" || w.kind === "cert+person" ? CHECKOUT : w.kind === "svid" ? w.spiffe : undefined;
/** requireCertificate: a workload token is no certificate. */
const hasCertificate = (w: Who) => w.kind === "cert" || w.kind === "cert+person";

/** Either identity of the caller satisfying the matcher is enough (policy.md, Principal matchers). */
function matches(m: Matcher, w: Who): boolean {
  const email = emailOf(w);
  if ("public" in m) return true;
  if ("authenticated" in m) return w.kind !== "anonymous";
  if ("email" in m) return email !== undefined && email.toLowerCase() === m.email.toLowerCase();
  if ("emailDomain" in m) return email !== undefined && email.split("@")[1] === m.emailDomain;
  if ("group" in m) return groupsOf(w).includes(m.group);
  return spiffeOf(w) === m.spiffe;
}

/**
 * `workload:<id>`, `user:<e-mail>`, joined by `+` in that order, or `anonymous` (policy.md, The decision), as the
 * active policy verified them: a workload token counts only at a service whose `tokenAudience` it names, so at a
 * host the active policy has no service for (`counts` false) it is no identity.
 */
export function principalOf(w: Who, counts = true): string {
  const parts: string[] = [];
  const spiffe = w.kind === "svid" && !counts ? undefined : spiffeOf(w);
  if (spiffe) parts.push(`workload:${spiffe}`);
  const email = emailOf(w);
  if (email) parts.push(`user:${email.toLowerCase()}`);
  return parts.length > 0 ? parts.join("+") : "anonymous";
}

function covers(route: GenRoute, path: string): boolean {
  if (route.kind === "path") return route.pattern === path;
  return route.pattern === "/" || path === route.pattern || path.startsWith(`${route.pattern}/`);
}
const lists = (route: GenRoute, method: string) =>
  route.methods.includes("*" as never) || route.methods.includes(method as never);
/** A route's deny rules also refuse `HEAD` where it lists `GET`. */
const denies = (route: GenRoute, method: string) => lists(route, method) || (method === "HEAD" && lists(route, "GET"));
/** Most specific first: deeper first, and an exact path before a prefix ending at the same depth. */
function specificity(route: GenRoute): number {
  const depth = route.pattern === "/" ? 0 : route.pattern.split("/").length - 1;
  return depth * 2 + (route.kind === "path" ? 1 : 0);
}

/** Callers send a workload token for `https://<host>`, the default audience. */
export const tokenCounts = (s: GenService, c: Case) =>
  c.who.kind !== "svid" || (s.tokenAudience ?? `https://${s.host}`) === `https://${c.host}`;

interface Evaluated extends PolicyDecision {
  /** The chosen route's id, for a grant's routes. */
  chosen?: string;
  /** A deny rule on trial that applies (it marks an allow by a grant too). */
  trial?: string;
  /** 403, or 404 with `hide`. */
  hidden: number;
}

/** evaluate(policy, request): the policy alone, no grants, no denylist. */
export function evaluate(policy: GenPolicy, asSent: Case): Evaluated {
  const s = policy.services.find((x) => x.host === asSent.host);
  // A workload token counts only at a service whose tokenAudience it names (policy.md, services): else no identity.
  const c = s && !tokenCounts(s, asSent) ? { ...asSent, who: { kind: "anonymous" as const } } : asSent;
  const refusedFirst = (status: number, reason: string): Evaluated => ({
    effect: "deny",
    status,
    reasons: [reason],
    route: null,
    rule: null,
    wouldDeny: null,
    hidden: status,
  });
  // In every mode: no service has the host; a GET or HEAD with content, before any rule.
  if (!s) return refusedFirst(404, "host-not-found");
  if (c.body) return refusedFirst(400, "body-not-allowed");
  const identified = c.who.kind !== "anonymous";
  const hidden = s.hide ? 404 : 403;
  const bySpecificity = s.routes.filter((r) => covers(r, c.path)).sort((a, b) => specificity(b) - specificity(a));
  const chosen = bySpecificity.find((r) => lists(r, c.method));
  let refusal: { status: number; reasons: string[]; rule?: string; route: string | null };
  if (s.requireCertificate && !hasCertificate(c.who))
    refusal = { status: 401, reasons: ["certificate-required"], route: null };
  else if (!chosen)
    refusal = identified
      ? { status: 404, reasons: ["route-not-found"], route: null }
      : { status: 401, reasons: ["unauthenticated"], route: null };
  else {
    const route = `${s.name}/${chosen.id}`;
    // The chosen route's rules in order, then the deny rules of every other route that matches, most specific first.
    const covering = bySpecificity.filter((r) => r !== chosen && denies(r, c.method));
    const applying = [chosen, ...covering].flatMap((r) =>
      r.rules
        .filter((rule) => rule.effect === "deny" && rule.principals.some((m) => matches(m, c.who)))
        .map((rule) => ({ rule, id: `${s.name}/${r.id}/${rule.id}` })),
    );
    const enforced = applying.find((d) => !d.rule.trial);
    const trial = applying.find((d) => d.rule.trial)?.id;
    const allowing = chosen.rules.find(
      (rule) => rule.effect === "allow" && rule.principals.some((m) => matches(m, c.who)),
    );
    if (enforced) refusal = { status: hidden, reasons: ["denied-by-rule"], rule: enforced.id, route };
    else if (allowing)
      return {
        effect: "allow",
        status: 200,
        reasons: trial ? ["allowed-by-rule", "audit-would-deny"] : ["allowed-by-rule"],
        route,
        rule: `${route}/${allowing.id}`,
        wouldDeny: trial ? { status: hidden, reasons: ["denied-by-rule"], rule: trial } : null,
        chosen: chosen.id,
        hidden,
      };
    else if (!identified) refusal = { status: 401, reasons: ["unauthenticated"], route };
    else refusal = { status: hidden, reasons: ["no-matching-rule"], route };
    // A deny rule on trial that applies beside a refusal changes nothing: the request is refused as usual.
    const more = { chosen: chosen.id, hidden, ...(trial ? { trial } : {}) };
    if (s.mode !== "audit") return { effect: "deny", ...refusal, rule: refusal.rule ?? null, wouldDeny: null, ...more };
    return { ...audited(refusal), ...more };
  }
  if (s.mode !== "audit") return { effect: "deny", ...refusal, rule: null, wouldDeny: null, hidden };
  return { ...audited(refusal), hidden };
}

/** Audit mode: the deny becomes an allow, `audit-would-deny` before the reasons it replaced. */
function audited(refusal: { status: number; reasons: string[]; rule?: string; route: string | null }): PolicyDecision {
  return {
    effect: "allow",
    status: 200,
    reasons: ["audit-would-deny", ...refusal.reasons],
    route: refusal.route,
    rule: refusal.rule ?? null,
    wouldDeny: { status: refusal.status, reasons: refusal.reasons, ...(refusal.rule ? { rule: refusal.rule } : {}) },
  };
}

/** The grant of the run that lifts this caller's no-matching-rule denial (the first made that covers it). */
function grantFor(c: Case, grants: readonly Grant[], service: string, chosen: string): Grant | undefined {
  const email = emailOf(c.who);
  return grants.find(
    (g) =>
      email !== undefined &&
      g.service === service &&
      g.email.toLowerCase() === email.toLowerCase() &&
      (!g.routes || g.routes.includes(chosen)) &&
      (!g.methods || g.methods.includes(c.method)),
  );
}

/** The gateway's answer with the active policy: the denylist first, then the policy, then a grant. */
export function answer(policy: GenPolicy, c: Case, grants: readonly Grant[]): Answer {
  const e = evaluate(policy, c);
  if (c.revoked)
    return {
      effect: "deny",
      status: 403,
      reasons: ["revoked"],
      route: e.route,
      rule: null,
      wouldDeny: null,
      forwarded: false,
      outside: true,
    };
  // A grant lifts a no-matching-rule denial, in either mode (audit mode: before audit turns it into an allow).
  const noRule = e.reasons.includes("no-matching-rule");
  const service = policy.services.find((x) => x.host === c.host)?.name ?? "";
  const grant = noRule && e.chosen ? grantFor(c, grants, service, e.chosen) : undefined;
  if (grant) {
    return {
      effect: "allow",
      status: 200,
      reasons: e.trial ? ["allowed-by-exception", "audit-would-deny"] : ["allowed-by-exception"],
      route: e.route,
      rule: null,
      wouldDeny: e.trial ? { status: e.hidden, reasons: ["denied-by-rule"], rule: e.trial } : null,
      forwarded: true,
      outside: true,
    };
  }
  return { ...e, forwarded: e.effect === "allow", outside: false };
}

// ---------------------------------------------------------------------------------------------------------------
// ward shadow report, from the lines as the oracle says they must be.

export interface Line {
  principal: string;
  method: string;
  host: string;
  path: string;
  active: Answer;
  shadow: PolicyDecision;
  /** The candidate's version the line names. */
  version: string;
}

export interface Group {
  principal: string;
  requests: number;
  /** `METHOD host/path` of every request of the group (the report shows up to three of them). */
  asked: Set<string>;
  /** Routes of the group's requests, as the active policy and the candidate named them. */
  routes: Set<string>;
}

export interface ReportOracle {
  compared: number;
  unchanged: number;
  decidedOutsideThePolicy: number;
  newlyDenied: Map<string, Group>;
  newlyAllowed: Map<string, Group>;
  /** Per deny rule on trial: the requests it would have refused, by identity. */
  rulesOnTrial: Map<string, Map<string, Group>>;
}

function add(groups: Map<string, Group>, l: Line, routes: (string | null)[]): void {
  const g = groups.get(l.principal) ?? { principal: l.principal, requests: 0, asked: new Set(), routes: new Set() };
  g.requests++;
  g.asked.add(`${l.method} ${l.host}${l.path}`);
  // A request no route took is shown by its host (doc gap: the report's way, `HOST (no route)`).
  for (const r of routes) g.routes.add(r ?? `${l.host} (no route)`);
  groups.set(l.principal, g);
}

/**
 * operations.md: decisions a grant or the denylist made are counted apart and not compared; the others are newly
 * denied (the active policy allowed, the candidate denies), newly allowed (the other way), or unchanged. Deny
 * rules on trial: every allowed request whose `wouldDeny` names a rule on trial (not a service in audit mode).
 */
export function reportOracle(lines: readonly Line[]): ReportOracle {
  const out: ReportOracle = {
    compared: 0,
    unchanged: 0,
    decidedOutsideThePolicy: 0,
    newlyDenied: new Map(),
    newlyAllowed: new Map(),
    rulesOnTrial: new Map(),
  };
  for (const l of lines) {
    const a = l.active;
    const trial =
      a.reasons.includes("audit-would-deny") && a.reasons[0] !== "audit-would-deny" ? a.wouldDeny?.rule : undefined;
    if (trial) {
      const per = out.rulesOnTrial.get(trial) ?? new Map<string, Group>();
      add(per, l, [a.route]);
      out.rulesOnTrial.set(trial, per);
    }
    if (a.outside) {
      out.decidedOutsideThePolicy++;
      continue;
    }
    out.compared++;
    if (a.effect === "allow" && l.shadow.effect === "deny") add(out.newlyDenied, l, [a.route, l.shadow.route]);
    else if (a.effect === "deny" && l.shadow.effect === "allow") add(out.newlyAllowed, l, [a.route, l.shadow.route]);
    else out.unchanged++;
  }
  return out;
}
