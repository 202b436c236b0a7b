// The oracle of the audit differential test, written from docs/policy.md ("Audit mode", "A deny rule on trial",
// "How a request is decided", "Which route", `quarantine`, `exceptions`) and docs/operations.md ("Exceptions and
// break-glass", "Revocation and quarantine"), without reading Ward's implementation: what the gateway answers a
// generated caller, what the decision log says (reasons, rule, wouldDeny), and whether the refusal counts toward
// quarantine, and as whom.
import {
  GITHUB,
  type Browser,
  type Case,
  type GenPolicy,
  type GenRoute,
  type Grant,
  type Matcher,
  type Who,
} from "./audit-cases.ts";

export interface WouldDeny {
  status: number;
  reasons: string[];
  rule?: string;
}

export interface Assertion {
  ward_route?: string;
  /** Only when a rule allowed the request. */
  ward_rule?: string;
  ward_mode: string;
  /** `exception` or `break-glass` (the claim is `<kind>:<id>`). */
  ward_exception?: string;
  /** The deny rule, or the reason. */
  ward_would_deny?: string;
}

export interface Expected {
  status: number;
  forwarded: boolean;
  reasons: string[];
  /** `service/route/rule`, for allowed-by-rule and denied-by-rule. */
  rule?: string;
  wouldDeny: WouldDeny | null;
  /** What the origin's assertion says of the decision (docs/origin-assertion.md), when forwarded. */
  assertion?: Assertion;
  /** The log's mode when not the service's: `enforce` for a request refused in every mode before any rule. */
  mode?: "enforce";
  /** Refused as an upgrade: the log's reasons hold `upgrade-not-allowed`, the rest is not compared. */
  upgradeRefused?: true;
  /** Another answer the docs allow (a refusal both a revocation and a certificate requirement give). */
  or?: { status: number; reasons: string[] };
  /** The quarantine entry's value a counted denial creates (deniedRequests: 1), or null when not counted. */
  counted: string | null;
}

const person = (w: Who) => (w.kind === "person" || w.kind === "person+github" ? w : undefined);
const token = (w: Who) => (w.kind === "github" || w.kind === "person+github" ? w : undefined);

function matches(m: Matcher, w: Who): boolean {
  const p = person(w);
  if ("public" in m) return true;
  if ("authenticated" in m) return w.kind !== "anonymous";
  if ("email" in m) return !!p && p.email.toLowerCase() === m.email.toLowerCase();
  if ("emailDomain" in m) return !!p && p.email.split("@")[1] === m.emailDomain;
  if ("group" in m) return !!p && p.groups.includes(m.group);
  if ("serviceToken" in m) return w.kind === "service" && w.clientId === m.serviceToken;
  // A claims matcher: a token (here only the workload token carries `repository`) holding every listed claim.
  return token(w)?.repository === m.claims.repository;
}

/** "Its pattern matches the path": a prefix is the path and everything below it, an exact path only itself. */
function covers(route: GenRoute, path: string): boolean {
  if (route.kind === "path") return route.pattern === path;
  return route.pattern === "/" || path === route.pattern || path.startsWith(`${route.pattern}/`);
}

const lists = (route: GenRoute, method: string) =>
  route.methods.includes("*" as never) || route.methods.includes(method as never);
/** A route's deny rules also refuse `HEAD` where it lists `GET` (frameworks answer `HEAD` with the `GET` handler). */
const denies = (route: GenRoute, method: string) => lists(route, method) || (method === "HEAD" && lists(route, "GET"));

/** Most specific first: deeper first, and an exact path before a prefix ending at the same depth. */
function specificity(route: GenRoute): number {
  const depth = route.pattern === "/" ? 0 : route.pattern.split("/").length - 1;
  return depth * 2 + (route.kind === "path" ? 1 : 0);
}

/** The principal's parts, in the docs' order: workload, person or service token, token subject. */
export function principalOf(w: Who): string {
  const parts: string[] = [];
  const p = person(w);
  if (p) parts.push(`user:${p.email.toLowerCase()}`);
  if (w.kind === "service") parts.push(`token:${w.clientId}`);
  const t = token(w);
  if (t) parts.push(`subject:${GITHUB}/${t.sub}`);
  return parts.length > 0 ? parts.join("+") : "anonymous";
}

/**
 * Whether a person's browser made this request unasked (docs/policy.md `quarantine`; operations.md adds what it
 * prefetched, `Sec-Purpose`, and what it loaded `no-cors`): for another origin's page, what a page embeds, or
 * anything else with Fetch Metadata that is neither a navigation the person made (`Sec-Fetch-User: ?1`) nor one
 * they started (`Sec-Fetch-Site: none`).
 *
 * Two readings the docs leave open, taken as Ward takes them (doc gaps, reported): a foreign `Origin` is read only
 * without `Sec-Fetch-Site` (as for an Access token on a state-changing request), and a request "with Fetch
 * Metadata" is one with `Sec-Fetch-Site` (every browser that sends any of them sends it; Node's fetch sends
 * `Sec-Fetch-Mode` alone).
 */
export function unasked(b: Browser): boolean {
  if (b.site !== undefined) {
    if (b.site === "cross-site" || b.site === "same-site") return true;
  } else if (b.origin === "foreign" || b.origin === "null") return true;
  if (b.dest !== undefined && b.dest !== "document" && b.dest !== "empty") return true;
  if (b.purpose !== undefined || b.mode === "no-cors") return true;
  if (b.site === undefined) return false;
  return !((b.mode === "navigate" && b.user === "?1") || b.site === "none");
}

/** Whether the revoked credential (the person's, the service token, or the GitHub token alone) still counts. */
function revokedStill(asSent: Case, c: Case): boolean {
  return asSent.who.kind === c.who.kind;
}

/**
 * The grant that lifts the caller's no-matching-rule denial, if any (operations.md: grants): of several that
 * cover it, the first created. `grants` are every grant of the run, in the order they were made.
 */
function grantFor(c: Case, grants: Grant[], serviceIndex: number, routeId: string): Grant | undefined {
  const p = person(c.who);
  return grants.find((g) => {
    if (g.service !== serviceIndex) return false;
    const holds = g.principal.startsWith("token:")
      ? c.who.kind === "service" && `token:${c.who.clientId}` === g.principal
      : g.principal.startsWith("group:")
        ? !!p && p.groups.includes(g.principal.slice(6))
        : !!p && p.email.toLowerCase() === g.principal.toLowerCase();
    return holds && (!g.routes || g.routes.includes(routeId)) && (!g.methods || g.methods.includes(c.method));
  });
}

export function effective(c: Case): Case {
  const b = c.browser;
  const foreign =
    b.site !== undefined
      ? b.site !== "same-origin" && b.site !== "none"
      : b.origin === "foreign" || b.origin === "null";
  if (c.method === "GET" || c.method === "HEAD" || c.method === "OPTIONS" || !foreign) return c;
  const w = c.who;
  if (w.kind === "person" || w.kind === "service") return { ...c, who: { kind: "anonymous" } };
  if (w.kind === "person+github") return { ...c, who: { kind: "github", sub: w.sub, repository: w.repository } };
  return c;
}

/**
 * An allowed request (by a rule, a grant, or audit mode) that asks for an upgrade its route does not carry:
 * `upgrade-not-allowed`, 403 or 404 with `hide`, in every mode.
 */
export function expectFor(policy: GenPolicy, asSent: Case, grants: Grant[]): Expected {
  const e = decide(policy, asSent, grants);
  if (!asSent.upgrade || !e.forwarded) return e;
  const s = policy.services[asSent.service]!;
  return {
    status: s.hide ? 404 : 403,
    forwarded: false,
    reasons: ["upgrade-not-allowed"],
    upgradeRefused: true,
    wouldDeny: null,
    // Not counted (doc gap: Ward's choice, policy/quarantine.ts): the caller may use the route, and an app that
    // retries its socket in a loop is misconfigured, not walking the graph.
    counted: null,
  };
}

function decide(policy: GenPolicy, asSent: Case, grants: Grant[]): Expected {
  const c = effective(asSent);
  const s = policy.services[c.service]!;
  const identified = c.who.kind !== "anonymous";
  const hidden = s.hide ? 404 : 403;
  const principal = principalOf(c.who);
  // "Only a request whose credential is a person's Access sign-in alone is taken for a browser's"; a caller with
  // several credentials is counted as the person when one is present.
  const countAs = !identified ? null : c.who.kind === "person" && unasked(c.browser) ? null : principal.split("+")[0]!;
  // A GET or HEAD with content: 400 in every mode, before any rule (whether before a revocation is not said).
  if (c.body)
    return {
      status: 400,
      forwarded: false,
      reasons: ["body-not-allowed"],
      mode: "enforce",
      wouldDeny: null,
      counted: c.revoked ? "unknown" : null,
      ...(c.revoked ? { or: { status: 403, reasons: ["revoked"] } } : {}),
    };
  if (c.revoked && revokedStill(asSent, c))
    // Refused in every mode, before any rule: never forwarded. Whether it also counts is not said: left out.
    return {
      status: 403,
      forwarded: false,
      reasons: ["revoked"],
      wouldDeny: null,
      counted: "unknown",
      ...(s.requireCertificate ? { or: { status: 401, reasons: ["certificate-required"] } } : {}),
    };

  const bySpecificity = s.routes.filter((r) => covers(r, c.path)).sort((a, b) => specificity(b) - specificity(a));
  const chosen = bySpecificity.find((r) => lists(r, c.method));
  let refusal: { status: number; reasons: string[]; rule?: string };
  let allow: { reasons: string[]; rule?: string } | undefined;
  let trial: string | undefined;
  if (s.requireCertificate) refusal = { status: 401, reasons: ["certificate-required"] };
  else if (!chosen) {
    refusal = identified
      ? { status: 404, reasons: ["route-not-found"] }
      : { status: 401, reasons: ["unauthenticated"] };
  } else {
    // The chosen route's rules in order, then the deny rules of every other route that matches, most specific first.
    const covering = bySpecificity.filter((r) => r !== chosen && denies(r, c.method));
    const applying = [chosen, ...covering].flatMap((route) =>
      route.rules
        .filter((rule) => rule.effect === "deny" && rule.principals.some((m) => matches(m, c.who)))
        .map((rule) => ({ rule, id: `${s.name}/${route.id}/${rule.id}` })),
    );
    const enforced = applying.find((d) => !d.rule.trial);
    trial = applying.find((d) => d.rule.trial)?.id;
    const allowing = chosen.rules.find(
      (rule) => rule.effect === "allow" && rule.principals.some((m) => matches(m, c.who)),
    );
    if (enforced) refusal = { status: hidden, reasons: ["denied-by-rule"], rule: enforced.id };
    else if (allowing) {
      allow = { reasons: ["allowed-by-rule"], rule: `${s.name}/${chosen.id}/${allowing.id}` };
      refusal = { status: 0, reasons: [] };
    } else if (!identified) refusal = { status: 401, reasons: ["unauthenticated"] };
    else refusal = { status: hidden, reasons: ["no-matching-rule"] };
    // A grant lifts a no-matching-rule denial for its holder, in either mode (operations.md: a grant applies at
    // a service in audit mode as allowed-by-exception).
    const grant =
      !allow && refusal.reasons[0] === "no-matching-rule" ? grantFor(c, grants, c.service, chosen.id) : undefined;
    if (grant) allow = { reasons: [grant.kind === "break-glass" ? "allowed-by-break-glass" : "allowed-by-exception"] };
  }
  if (allow) {
    // A deny rule on trial that applies marks the allow (by a rule or a grant).
    const wouldDeny = trial ? { status: hidden, reasons: ["denied-by-rule"], rule: trial } : null;
    const grantKind = allow.rule
      ? undefined
      : allow.reasons[0] === "allowed-by-break-glass"
        ? "break-glass"
        : "exception";
    return {
      assertion: {
        ward_route: `${s.name}/${chosen!.id}`,
        ...(allow.rule ? { ward_rule: allow.rule } : {}),
        ward_mode: s.mode,
        ...(grantKind ? { ward_exception: grantKind } : {}),
        ...(trial ? { ward_would_deny: trial } : {}),
      },
      status: 200,
      forwarded: true,
      reasons: trial ? [...allow.reasons, "audit-would-deny"] : allow.reasons,
      ...(allow.rule ? { rule: allow.rule } : {}),
      wouldDeny,
      counted: null,
    };
  }
  if (s.mode === "audit")
    return {
      assertion: {
        ...(chosen && !s.requireCertificate ? { ward_route: `${s.name}/${chosen.id}` } : {}),
        ward_mode: s.mode,
        ward_would_deny: refusal.rule ?? refusal.reasons[0]!,
      },
      status: 200,
      forwarded: true,
      reasons: ["audit-would-deny", ...refusal.reasons],
      ...(refusal.rule ? { rule: refusal.rule } : {}),
      wouldDeny: { status: refusal.status, reasons: refusal.reasons, ...(refusal.rule ? { rule: refusal.rule } : {}) },
      counted: null,
    };
  // Refused as usual (a rule on trial that applies changes nothing here). 401 is never counted. A browser's page
  // load that would be 401 is sent to the Access login instead (302).
  const pageLoad = c.method === "GET" && c.browser.mode === "navigate";
  return {
    status: refusal.reasons[0] === "unauthenticated" && pageLoad ? 302 : refusal.status,
    forwarded: false,
    reasons: refusal.reasons,
    ...(refusal.rule ? { rule: refusal.rule } : {}),
    wouldDeny: null,
    counted: refusal.status === 401 ? null : countAs,
  };
}
