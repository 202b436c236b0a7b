// The changes outside the grants that may let more through, for `diffReach`: routes whose pattern changed or
// that are gone (their requests may now reach another route), services switched to audit mode, and entries
// added to the settings (admins, identity sources, binding pairs).
import { parsePathPattern, type PatternToken } from "../path-pattern.ts";
import { expandMethods, type ReachMethod } from "./methods.ts";
import type { Reach, ReachSettings, RouteInfo } from "./model.ts";
import { unique } from "./sort.ts";

/**
 * A change outside the grants that may let more through: a route that matches other requests, or is gone
 * (its requests may now reach another route of the service), a service in audit mode, an added admin,
 * identity source or identity-binding pair. Only these (widening) ones are listed.
 */
export interface SettingChange {
  /** `route`, `mode`, `admin`, `identity source` or `binding`. */
  kind: "route" | "mode" | "admin" | "identity source" | "binding";
  /** What changed, in words: `payments/charge: path /v1/charge -> /v1/{**}`, `+ group:sre`, ... */
  change: string;
}

/**
 * Route changes that may send requests elsewhere: a route gone, or narrowed to fewer methods, while its
 * service has another route (which may now match what it matched); a route whose pattern changed (it may
 * match new requests, and its old ones may fall through); a service switched to audit mode.
 */
function routeChanges(before: readonly RouteInfo[], after: readonly RouteInfo[]): SettingChange[] {
  const changes: SettingChange[] = [];
  const now = new Map(after.map((r) => [r.route, r]));
  /** Another route of NEW that matches a request OLD's route matched (its pattern's own sample path). */
  const fallback = (old: RouteInfo, methods: readonly ReachMethod[]) =>
    after.find(
      (r) =>
        r.service === old.service &&
        r.route !== old.route &&
        methods.some((m) => expandMethods(r.methods).includes(m)) &&
        routeMatchesPath(r, samplePath(old)),
    );
  for (const old of before) {
    const next = now.get(old.route);
    if (!next) {
      const other = fallback(old, expandMethods(old.methods));
      if (other)
        changes.push({ kind: "route", change: `${old.route} removed: its requests may now match ${other.route}` });
      continue;
    }
    if (next.path !== old.path)
      changes.push({ kind: "route", change: `${old.route}: path ${old.path} -> ${next.path}` });
    const dropped = expandMethods(old.methods).filter((m) => !expandMethods(next.methods).includes(m));
    const other = dropped.length > 0 ? fallback(old, dropped) : undefined;
    if (other)
      changes.push({
        kind: "route",
        change: `${old.route}: no longer ${dropped.join(", ")}: such requests may now match ${other.route}`,
      });
  }
  const auditBefore = new Set(before.filter((r) => r.mode === "audit").map((r) => r.service));
  for (const service of unique(
    after.filter((r) => r.mode === "audit" && !auditBefore.has(r.service)).map((r) => r.service),
  )) {
    changes.push({ kind: "mode", change: `${service}: enforce -> audit (every request it serves is forwarded)` });
  }
  return changes;
}

/** A route's pattern as RouteInfo writes it: `/a/{id}`, or `/a (prefix)`. */
function patternOf(route: RouteInfo): PatternToken[] {
  const prefix = route.path.endsWith(" (prefix)");
  const parsed = parsePathPattern(prefix ? route.path.slice(0, -" (prefix)".length) : route.path, prefix);
  return parsed.ok ? parsed.tokens : [];
}

/** One path the route matches: its literals, `x` for each one-segment parameter, nothing for the rest. */
function samplePath(route: RouteInfo): string {
  const segments = patternOf(route).flatMap((t) =>
    t.kind === "literal" ? [t.value] : t.kind === "segment" ? ["x"] : [],
  );
  return `/${segments.join("/")}`;
}

function routeMatchesPath(route: RouteInfo, path: string): boolean {
  const tokens = patternOf(route);
  const segments = path === "/" ? [""] : path.slice(1).split("/");
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind === "rest") return true;
    const segment = segments[i];
    if (segment === undefined) return false;
    if (token.kind === "literal" ? token.value !== segment : segment === "") return false;
  }
  return tokens.length === segments.length;
}

/** Entries of NEW's settings that OLD did not have: each may let someone in. */
function settingChanges(before: ReachSettings, after: ReachSettings): SettingChange[] {
  const added = (a: readonly string[], b: readonly string[]) => b.filter((x) => !a.includes(x));
  return [
    ...added(before.admins, after.admins).map((p) => ({
      kind: "admin" as const,
      change: `+ ${p} may use the admin API`,
    })),
    ...added(before.identitySources, after.identitySources).map((s) => ({
      kind: "identity source" as const,
      change: `+ ${s}`,
    })),
    ...added(before.bindingPairs, after.bindingPairs).map((b) => ({ kind: "binding" as const, change: `+ ${b}` })),
  ];
}

/** The changes from OLD to NEW beside the grants that may widen access, each to be listed. */
export function routeAndSettingChanges(
  before: Pick<Reach, "routes" | "settings">,
  after: Pick<Reach, "routes" | "settings">,
): SettingChange[] {
  return [...routeChanges(before.routes, after.routes), ...settingChanges(before.settings, after.settings)];
}
