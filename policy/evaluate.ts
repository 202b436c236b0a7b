// evaluate(compiled, request, now) -> Decision. Pure; never throws for request data. Default deny; a
// deny rule that applies, on any route matching the request, overrides any allow.
import { mayCarryPathInfo, mayRunAsScript, suffixlessSpellings } from "./format-suffix.ts";
import { canonicalTarget, type CanonicalTarget, type Method } from "./canonical-target.ts";
import { addressKey } from "./client-address.ts";
import { caseAmbiguous, foldCase } from "./case-fold.ts";
import { foldedSpellings, MAX_SPELLINGS } from "./folded-spellings.ts";
import { failedConditions, type CompiledConditions } from "./conditions.ts";
import { grantHolders, readsGrants } from "./grant-holders.ts";
import { countedAs } from "./rate-limit-keys.ts";
import { isReservedPath } from "./reserved-paths.ts";
import {
  findService,
  type CompiledPolicy,
  type CompiledRoute,
  type CompiledRule,
  type CompiledService,
} from "./compile.ts";
import type { Decision, Obligations, Reason, RuleTrace } from "./decision.ts";
import { isAuthenticated, principalKey, type Identity } from "./identity.ts";
import { accessName, accessPart, principalsMatch } from "./principals.ts";
import { statusFor } from "./status.ts";

export interface RequestFacts {
  method: string;
  host: string;
  /** The raw path as received (percent-encoded, without the query). */
  path: string;
  /** The raw query as received, without the `?`: never matched, only refused if it overrides the method. */
  query?: string;
  identity: Identity;
  /** Cloudflare's country code for the client. */
  country?: string;
  /** CF-Connecting-IP, set by Cloudflare's edge: an anonymous caller's rate limits count by it (client-address.ts). */
  clientAddress?: string;
  /** The request carries content (the Worker: `request.body !== null`, i.e. a Content-Length or Transfer-Encoding). */
  body?: boolean;
}

/**
 * What fails of the rule's conditions. An allow rule's scopes and claims are read from one credential the rule's
 * principals match (policy/grant-holders.ts), never pieced together from two; a deny rule reads the whole
 * caller (holding a grant through any credential is enough to be refused).
 */
function conditionsFailed(
  rule: CompiledRule,
  conditions: CompiledConditions,
  request: RequestFacts,
  now: number,
  deny: boolean,
): string[] {
  const context = { identity: request.identity, now, country: request.country, unknownHolds: deny };
  if (deny || !readsGrants(conditions)) return failedConditions(conditions, context);
  let first: string[] | undefined;
  for (const identity of grantHolders(rule, request.identity)) {
    const failed = failedConditions(conditions, { ...context, identity });
    if (failed.length === 0) return failed;
    first ??= failed;
  }
  return first ?? [];
}

function traceRule(rule: CompiledRule, request: RequestFacts, now: number): RuleTrace {
  const { identity } = request;
  const trace: RuleTrace = { rule: rule.id, effect: rule.effect, outcome: "applies", detail: [] };
  const deny = rule.effect === "deny";
  if (rule.principals && !principalsMatch(rule.principals, identity, deny)) {
    trace.outcome = "principal-not-matched";
    trace.detail.push(`caller is none of: ${rule.principals.labels.join("; ")}`);
  }
  const both = rule.bothFactors;
  if (both) {
    const missing: string[] = [];
    if (!identity.workload || !principalsMatch(both.workload, { workload: identity.workload })) {
      missing.push(`no workload among: ${both.workload.labels.join("; ")}`);
    }
    const access = accessPart(identity);
    if (!isAuthenticated(access) || !principalsMatch(both.access, access, deny)) {
      missing.push(`no Access identity among: ${both.access.labels.join("; ")}`);
    }
    const name = accessName(identity);
    if (missing.length === 0 && (name === undefined || !both.pairs.has(`${identity.workload!.id} ${name}`))) {
      missing.push(`workload and Access identity are not paired in binding ${both.binding}`);
    }
    if (missing.length > 0) {
      trace.outcome = "principal-not-matched";
      trace.detail.push(...missing);
    }
  }
  if (rule.conditions) {
    const failed = conditionsFailed(rule, rule.conditions, request, now, deny);
    if (failed.length > 0) {
      if (trace.outcome === "applies") trace.outcome = "conditions-failed";
      trace.detail.push(...failed);
    }
  }
  return trace;
}

function emptyObligations(): Obligations {
  return { rateLimits: [], headers: {} };
}

/**
 * Audit mode answers allow but records the deny that enforce mode would have answered. Targets that
 * cannot be matched at all (bad request, unknown host) are refused in every mode.
 */
function finish(service: CompiledService | undefined, decision: Decision): Decision {
  if (decision.effect === "deny" && service?.mode === "audit") {
    return {
      ...decision,
      effect: "allow",
      status: statusFor("audit-would-deny"),
      reasons: ["audit-would-deny", ...decision.reasons],
      wouldDeny: { status: decision.status, reasons: decision.reasons, rule: decision.rule },
    };
  }
  return decision;
}

type DecisionBase = Omit<Decision, "effect" | "status" | "reasons">;

/** A deny for one reason, with the status the table gives it (`hidden`: the service answers refusals 404). */
function refuse(base: DecisionBase, reason: Reason, hidden = false): Decision {
  return { ...base, effect: "deny", status: statusFor(reason, hidden), reasons: [reason] };
}

/**
 * What the deciding allow rule asks of the gateway: its rate limit, counted per credential the rule matched, or
 * by address for an anonymous caller (and route: policy/rate-limit-keys.ts), and headers.
 */
function obligationsOf(
  rule: CompiledRule,
  request: RequestFacts,
  principal: string,
  service: string,
  route: string,
): Obligations {
  const obligations = emptyObligations();
  if (rule.rateLimit) {
    const { limit, periodSeconds, key, failOpen } = rule.rateLimit;
    // Nobody identified: counted by the client's address, so one client cannot spend everyone's requests.
    const counted =
      principal === "anonymous"
        ? [addressKey(request.clientAddress) ?? principal]
        : countedAs(rule, request.identity, principal);
    for (const who of counted) {
      // key: principal is one count per caller for the service's rules of the same terms: rules of other terms
      // count apart (a shared count leased by 1% of a large limit would spend a small one's at once).
      const counter =
        key === "principal" ? `${service} ${limit}/${periodSeconds}s ${who}` : `${rule.id} ${who} ${route}`;
      obligations.rateLimits.push({
        rule: rule.id,
        key: key === "principal" ? who : `${who} ${route}`,
        counter,
        limit,
        periodSeconds,
        failOpen,
      });
    }
  }
  if (rule.headers) Object.assign(obligations.headers, rule.headers);
  return obligations;
}

/** What the rules that apply say: the first of each kind, in the order they were traced. */
interface Applying {
  allow?: CompiledRule;
  deny?: CompiledRule;
  /** A deny rule in audit mode: recorded, not enforced. */
  auditedDeny?: CompiledRule;
}

function consider(rule: CompiledRule, request: RequestFacts, now: number, trace: RuleTrace[], found: Applying): void {
  const t = traceRule(rule, request, now);
  trace.push(t);
  if (t.outcome !== "applies") return;
  if (rule.effect === "allow") found.allow ??= rule;
  else if (rule.audit) found.auditedDeny ??= rule;
  else found.deny ??= rule;
}

/**
 * The segments the service's routes are matched on: as requested, or case-folded where the service's origin
 * serves paths whatever their case (a deny on `/admin` must reach `/ADMIN` and `/adm%C4%B1n` there:
 * policy/case-fold.ts). The path forwarded, logged
 * and asserted stays as requested.
 */
export function matchedSegments(service: CompiledService, segments: readonly string[]): readonly string[] {
  return service.caseInsensitivePaths ? segments.map(foldCase) : segments;
}

function routeTakes(route: CompiledRoute, method: Method): boolean {
  return route.methods === "any" || route.methods.has(method);
}

/**
 * Whether another route's deny rules reach this method: its own, and HEAD where it takes GET. Frameworks run the
 * GET handler for a HEAD (its side effects, its headers), so a deny on GET that a catch-all allowing HEAD let
 * through would be escaped by changing the method.
 */
function denyReaches(route: CompiledRoute, method: Method): boolean {
  return routeTakes(route, method) || (method === "HEAD" && routeTakes(route, "GET"));
}

/**
 * Whether an origin that changes letters would serve the request by a route its written path does not match, in
 * any of its readings (folded-spellings.ts): `/ａdmin` read as `/admin` where the gateway decides it by `/` (or by
 * no route at all). A route both spellings match decides both the same (a route of its own for `/café` is taken to
 * be served as written); so does any spelling nothing matches.
 */
export function lettersAmbiguous(
  service: CompiledService,
  target: Pick<CanonicalTarget, "segments" | "folded" | "method">,
): boolean {
  const spellings = foldedSpellings(service.caseInsensitivePaths, target);
  if (spellings.length === 0) return false;
  // A path made to be read too many ways is refused rather than decided in each.
  if (spellings.length > MAX_SPELLINGS) return true;
  const matched = new Set<CompiledRoute>();
  service.routes.forEachMatch(matchedSegments(service, target.segments), (r) => matched.add(r));
  return spellings.some((spelling) => {
    const other = service.routes.find(spelling, (r) => routeTakes(r, target.method));
    return other !== undefined && !matched.has(other);
  });
}

/**
 * Whether the path is under Ward's own prefixes as written, case-folded at a caseInsensitivePaths service, or in
 * any spelling an origin may fold it to (folded-spellings.ts: `/.ｗａｒｄ/apps` is `/.ward/apps` to an origin that
 * normalises with NFKC). Cached per request, and none for an ASCII path.
 */
function inWardsNamespace(service: CompiledService, target: CanonicalTarget): boolean {
  if (isReservedPath(service.caseInsensitivePaths ? foldCase(target.path) : target.path)) return true;
  return foldedSpellings(service.caseInsensitivePaths, target).some((s) => isReservedPath(`/${s.join("/")}`));
}

/** The route a request is decided by: the most specific of the service's routes that takes its method. */
export function decidingRoute(
  service: CompiledService,
  segments: readonly string[],
  method: Method,
): CompiledRoute | undefined {
  return service.routes.find(matchedSegments(service, segments), (r) => routeTakes(r, method));
}

/**
 * Every route whose deny rules reach a request besides the one deciding it: each that matches it and takes its
 * method (or GET, for a HEAD), and each with an exact path the same but for a trailing slash. Express, ASP.NET
 * Core and older Spring serve `/reports/export/` as `/reports/export`, so the slash must not be a way around a
 * deny. Nor a format suffix: Rails routes every path with an optional `(.:format)` and Spring MVC before 5.3
 * matches `/admin.*` as `/admin`, so `/admin.json` is also matched as `/admin` (the last segment cut at its first
 * and at its last dot, before a trailing slash too). Nor PATH_INFO: PHP, CGI and ASP.NET run `/admin.php` for
 * `/admin.php/x`, so an exact route ending in a segment with a dot reaches the paths below it (format-suffix.ts,
 * mayRunAsScript). Nor letters an origin changes: each of those spellings of every reading of the path, as one
 * reads `/ａdmin` as `/admin` (folded-spellings.ts). The deciding route may be among them.
 */
export function forEachDenyingRoute(
  service: CompiledService,
  target: Pick<CanonicalTarget, "segments" | "folded" | "method">,
  visit: (route: CompiledRoute) => void,
): void {
  if (service.denyRoutes.empty) return;
  const matched = matchedSegments(service, target.segments);
  const cuts = suffixlessSpellings(matched);
  const pathInfo = mayCarryPathInfo(matched);
  // And as an origin that folds letters reads the path (`/ａdmin` as `/admin`: folded-spellings.ts).
  const folded = foldedSpellings(service.caseInsensitivePaths, target);
  // With a suffix or a second spelling, a route may match more than one spelling (`pathPrefix: /` all of them):
  // visited once.
  const seen = cuts.length > 0 || pathInfo || folded.length > 0 ? new Set<CompiledRoute>() : undefined;
  const reaching = (route: CompiledRoute) => {
    if (!denyReaches(route, target.method) || seen?.has(route)) return;
    seen?.add(route);
    visit(route);
  };
  reachSpelling(service, matched, cuts, pathInfo, reaching);
  for (const spelling of folded)
    reachSpelling(service, spelling, suffixlessSpellings(spelling), mayCarryPathInfo(spelling), reaching);
}

/** The deny routes matching one spelling of the path, with its trailing slash, format suffix or PATH_INFO. */
function reachSpelling(
  service: CompiledService,
  matched: readonly string[],
  cuts: readonly (readonly string[])[],
  pathInfo: boolean,
  reaching: (route: CompiledRoute) => void,
): void {
  service.denyRoutes.forEachMatch(matched, reaching);
  service.denyRoutes.forEachExactOtherSlash(matched, reaching);
  // Without the trailing slash: forEachExactOtherSlash reaches the spelling with it.
  for (const cut of cuts) {
    service.denyRoutes.forEachMatch(cut, reaching);
    service.denyRoutes.forEachExactOtherSlash(cut, reaching);
  }
  // A script and its PATH_INFO: `/admin.php/x` runs `/admin.php`.
  if (pathInfo) service.denyRoutes.forEachExactCutPrefix(matched, mayRunAsScript, reaching);
}

/**
 * The chosen route's rules, then the deny rules of every other route of the service that matches the request
 * (a `deny` on `/admin` covers `/admin/users` too, as every matching DENY policy applies in Istio and Envoy).
 * Every rule is traced; a deny that applies wins over any allow, then the first allow of the chosen route
 * decides. Without one, an anonymous caller is asked to authenticate.
 */
function decideByRules(
  service: CompiledService,
  route: CompiledRoute,
  base: DecisionBase,
  request: RequestFacts,
  now: number,
): Decision {
  const found: Applying = {};
  for (const rule of route.rules) consider(rule, request, now, base.trace, found);
  const target = base.target!;
  // Only routes with deny rules are in that trie: a policy without denies pays nothing here, not even a closure.
  if (!service.denyRoutes.empty)
    forEachDenyingRoute(service, target, (other) => {
      if (other === route) return;
      for (const rule of other.denies) consider(rule, request, now, base.trace, found);
    });
  if (found.deny) return finish(service, { ...refuse(base, "denied-by-rule", service.hide), rule: found.deny.id });
  if (!found.allow)
    return finish(
      service,
      refuse(base, isAuthenticated(request.identity) ? "no-matching-rule" : "unauthenticated", service.hide),
    );
  const allowed: Decision = {
    ...base,
    effect: "allow",
    status: statusFor("allowed-by-rule"),
    reasons: ["allowed-by-rule"],
    rule: found.allow.id,
    obligations: obligationsOf(found.allow, request, base.principal, service.name, route.id),
  };
  if (!found.auditedDeny) return allowed;
  // A deny rule on trial: the request goes on as its allow rule says, and the denial it would have made is
  // recorded for the decision log, `ward shadow report` and `ward metrics`.
  return {
    ...allowed,
    reasons: ["allowed-by-rule", "audit-would-deny"],
    wouldDeny: {
      status: statusFor("denied-by-rule", service.hide),
      reasons: ["denied-by-rule"],
      rule: found.auditedDeny.id,
    },
  };
}

export function evaluate(policy: CompiledPolicy, request: RequestFacts, now: number): Decision {
  const base: DecisionBase = {
    mode: "enforce",
    principal: principalKey(request.identity),
    obligations: emptyObligations(),
    policyVersion: policy.version,
    trace: [],
  };
  const canonical = canonicalTarget(request.method, request.host, request.path, request.query);
  if (!canonical.ok) return { ...refuse(base, "bad-request"), problem: canonical.problem };
  const target: CanonicalTarget = canonical.target;
  const service = findService(policy, target.host);
  if (!service) return refuse({ ...base, target }, "host-not-found");
  // GET and HEAD carry no content (RFC 9110 §9.3.1-2). One that does cannot be forwarded as it came, and a body
  // the origin may or may not read is where request smuggling starts: refused in every mode, like a bad target.
  if (request.body && (target.method === "GET" || target.method === "HEAD")) {
    return refuse({ ...base, service: service.name, target }, "body-not-allowed");
  }

  if (service.caseInsensitivePaths && target.segments.some(caseAmbiguous))
    return { ...refuse({ ...base, service: service.name, target }, "bad-request"), problem: "path-case-ambiguous" };
  // Refused as it is, in every mode, the path itself being what is in doubt.
  if (lettersAmbiguous(service, target))
    return { ...refuse({ ...base, service: service.name, target }, "bad-request"), problem: "path-letters-ambiguous" };

  // Ward's own namespace: a path there that none of Ward's own paths answered matches no route, a catch-all's
  // included, and is refused in every mode (an audit-mode service would forward it).
  if (inWardsNamespace(service, target)) {
    const reason = isAuthenticated(request.identity) ? "route-not-found" : "unauthenticated";
    return refuse({ ...base, service: service.name, target }, reason, service.hide);
  }

  const serviceBase: DecisionBase = { ...base, mode: service.mode, service: service.name, target };
  if (service.requireCertificate && !request.identity.workload) {
    return finish(service, refuse(serviceBase, "certificate-required"));
  }
  const route = decidingRoute(service, target.segments, target.method);
  if (!route) {
    // An anonymous caller is asked to authenticate rather than told what exists.
    return finish(
      service,
      refuse(serviceBase, isAuthenticated(request.identity) ? "route-not-found" : "unauthenticated", service.hide),
    );
  }
  return decideByRules(service, route, { ...serviceBase, route: route.id }, request, now);
}
