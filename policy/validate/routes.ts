// Routes of one service: unique ids, one valid path pattern each (outside Ward's own paths, no two routes for
// the same path and method), deny rules that reach other routes, and their rules: unique ids, each rule
// checked, none shadowed, one that allows.
import { ruleId } from "../compile.ts";
import { foldCase } from "../case-fold.ts";
import { parsePathPattern } from "../path-pattern.ts";
import type { PolicyDocument, Route } from "../schema.ts";
import type { Collector } from "./collector.ts";
import { checkForwardHeaders } from "./headers.ts";
import { checkCrossRouteDenies } from "./cross-route-deny.ts";
import { checkLetterRoutes } from "./letter-routes.ts";
import { literalNoPathHolds } from "./path-literals.ts";
import { checkRouteEscapes } from "./route-escapes.ts";
import { checkRule } from "./rules.ts";
import { checkShadowing, Coverages } from "./shadowing.ts";
import { isReservedPath, RESERVED_PREFIXES as RESERVED_PATHS } from "../reserved-paths.ts";
import { checkWebSocket } from "../websocket/validate.ts";

/** The routes seen so far with a pattern, by the pattern's key: two for one path and method clash. */
type Patterns = Map<string, { index: number; methods: readonly string[] }[]>;

/** `caseInsensitivePaths`: the service's; its requests are matched in lower case, so its literals must be. */
export function checkRoutes(
  doc: PolicyDocument,
  routes: readonly Route[],
  at: string,
  out: Collector,
  caseInsensitivePaths = false,
): void {
  const routeIds = new Map<string, number>();
  const patterns: Patterns = new Map();
  routes.forEach((route, r) => {
    const rat = `${at}.routes[${r}]`;
    if (routeIds.has(route.id)) {
      out.add(
        "error",
        "duplicate-id",
        `${rat}.id`,
        `route id "${route.id}" is already used by routes[${routeIds.get(route.id)}]`,
      );
    } else {
      routeIds.set(route.id, r);
    }
    checkForwardHeaders(route.forwardHeaders, rat, out);
    checkWebSocket(route, rat, out);
    checkPathPattern(route, r, rat, patterns, out, caseInsensitivePaths);
  });
  // Both can only warn: skipped where warnings are not wanted (a stored version loaded on a cold isolate).
  const covering = out.warnings ? checkCrossRouteDenies(routes, at, out, caseInsensitivePaths) : new Set<number>();
  // What rules' principals admit, indexed once for the service's routes.
  const coverages = new Coverages(doc.principalSets);
  if (out.warnings) checkRouteEscapes(routes, at, out, coverages);
  if (out.warnings) checkLetterRoutes(routes, at, out, caseInsensitivePaths);
  for (const [r, route] of routes.entries())
    checkRules(doc, route, `${at}.routes[${r}]`, covering.has(r), out, coverages);
}

function checkPathPattern(
  route: Route,
  r: number,
  rat: string,
  patterns: Patterns,
  out: Collector,
  caseInsensitivePaths: boolean,
): void {
  if ((route.path === undefined) === (route.pathPrefix === undefined)) {
    out.add("error", "invalid-path-pattern", rat, "a route has exactly one of path or pathPrefix");
    return;
  }
  const parsed = parsePathPattern(route.path ?? route.pathPrefix!, route.path === undefined);
  const field = route.path !== undefined ? "path" : "pathPrefix";
  const pattern = route.path ?? route.pathPrefix!;
  if (!parsed.ok) {
    out.add("error", "invalid-path-pattern", `${rat}.${field}`, parsed.message);
    return;
  }
  if (isReservedPath(pattern)) {
    out.add(
      "error",
      "invalid-path-pattern",
      `${rat}.${field}`,
      `${pattern} is reserved for Ward itself (${RESERVED_PATHS.join(", ")})`,
      "choose another path",
    );
    return;
  }
  // Not for a version already stored: validation took such literals before (the route matched nothing then too).
  const unheld = out.stored ? undefined : literalNoPathHolds(parsed.tokens);
  if (unheld) {
    out.add(
      "error",
      "invalid-path-pattern",
      `${rat}.${field}`,
      `segment "${unheld.literal}" is refused in every request that holds it (${unheld.problem}): the route could never match`,
      "write the path as its requests spell it, without letters an origin may read as '/', '.', a space or another separator",
    );
    return;
  }
  if (caseInsensitivePaths && parsed.tokens.some((t) => t.kind === "literal" && t.value !== foldCase(t.value))) {
    out.add(
      "error",
      "invalid-path-pattern",
      `${rat}.${field}`,
      `${pattern} has upper-case letters (or ı, İ, ſ or K, which such origins read as i, s or k), and the service matches paths case-folded (caseInsensitivePaths): it could never match`,
      `write it as ${foldCase(pattern)}`,
    );
    return;
  }
  // Istio, Envoy and many proxies read `*` as a wildcard; here it is a literal segment.
  if (pattern.split("/").some((segment) => segment.includes("*") && !/^\{\*\*?\}$/.test(segment))) {
    out.add(
      "warning",
      "literal-star",
      `${rat}.${field}`,
      `"*" in ${pattern} is a literal character, not a wildcard`,
      "use {*} for one segment, {**} or pathPrefix for the rest of the path",
    );
  }
  const same = patterns.get(parsed.key) ?? [];
  const clash = same.find(
    (s) =>
      s.methods.includes("*") ||
      route.methods.includes("*") ||
      s.methods.some((m) => route.methods.includes(m as never)),
  );
  if (clash) {
    out.add(
      "error",
      "duplicate-route",
      `${rat}.${field}`,
      `same path and method as routes[${clash.index}]`,
      "merge the rules into one route",
    );
  }
  same.push({ index: r, methods: route.methods });
  patterns.set(parsed.key, same);
}

/** `covers`: the route's deny rules reach other routes' requests, so having no allow rule is its purpose. */
function checkRules(
  doc: PolicyDocument,
  route: Route,
  rat: string,
  covers: boolean,
  out: Collector,
  coverages: Coverages,
): void {
  const ruleIds = new Map<string, number>();
  route.rules.forEach((rule, k) => {
    const id = ruleId(rule, k);
    if (ruleIds.has(id))
      out.add(
        "error",
        "duplicate-id",
        `${rat}.rules[${k}].id`,
        `rule id "${id}" is already used by rules[${ruleIds.get(id)}]`,
      );
    else ruleIds.set(id, k);
    checkRule(doc, rule, `${rat}.rules[${k}]`, out);
    // A deny rule on trial forwards what it would refuse: a step of a rollout, to be ended (a review found only a
    // service's audit mode warned of).
    if (rule.mode === "audit" && doc.metadata.environment === "production")
      out.add(
        "warning",
        "audit-in-production",
        `${rat}.rules[${k}].mode`,
        `deny rule "${id}" is on trial (mode: audit) in production: what it would refuse is forwarded and logged`,
        "switch it to enforce (or remove mode) once ward shadow report shows no refusal you did not expect",
      );
  });
  checkShadowing(route.rules, `${rat}.rules`, out, coverages);
  if (!covers && route.rules.every((rule) => rule.effect === "deny")) {
    out.add(
      "warning",
      "route-never-allows",
      rat,
      `route "${route.id}" has no allow rule`,
      "without it the route denies everyone (which default deny already does)",
    );
  }
}
