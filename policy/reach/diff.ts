// The semantic diff of two policies' grants: access gained and lost per (principal, route, method), and
// grants whose terms (conditions, mode, overriding denies, the route's pattern) changed.
import { normalizeMethods, expandMethods, type ReachMethod } from "./methods.ts";
import type { DenyRule, Grant, Reach } from "./model.ts";
import { routeAndSettingChanges, type SettingChange } from "./diff-settings.ts";
import { compare, unique } from "./sort.ts";

export interface GrantDelta {
  principal: string;
  service: string;
  route: string;
  /** The methods gained or lost, in METHODS order (`["*"]`: all). */
  methods: string[];
  /** The rules responsible: in the new policy for a gain, in the old one for a loss. */
  rules: string[];
}

export interface GrantTerms {
  rules: string[];
  /** One line per granting rule: `rule when ...` / `rule always`, `[audit]`, `unless deny ...`. */
  terms: string[];
}

export interface GrantChange {
  principal: string;
  service: string;
  route: string;
  /** The methods granted before and after whose terms changed. */
  methods: string[];
  before: GrantTerms;
  after: GrantTerms;
  /** Whether the change may let more through: see mayWiden. */
  widens: boolean;
}

export interface PolicyDiff {
  gained: GrantDelta[];
  lost: GrantDelta[];
  changed: GrantChange[];
  /** Changes outside the grants that may widen access (empty when two `Grant[]` are compared). */
  settings: SettingChange[];
}

interface Access {
  principal: string;
  service: string;
  route: string;
  byMethod: Map<ReachMethod, Grant[]>;
}

function accessMap(grants: readonly Grant[]): Map<string, Access> {
  const map = new Map<string, Access>();
  for (const g of grants) {
    const key = `${g.principal}\u0000${g.route}`;
    let entry = map.get(key);
    if (!entry)
      map.set(key, (entry = { principal: g.principal, service: g.service, route: g.route, byMethod: new Map() }));
    for (const m of expandMethods(g.methods)) {
      const list = entry.byMethod.get(m);
      if (list) list.push(g);
      else entry.byMethod.set(m, [g]);
    }
  }
  return map;
}

/** A deny rule by what decides it, for comparing: who and when (its name only if the policy's denies are unknown). */
type DenyTerms = ReadonlyMap<string, string>;

function denyTermsOf(denies: readonly DenyRule[]): DenyTerms {
  return new Map(
    denies.map((d) => [
      d.rule,
      `${d.rule.slice(d.rule.lastIndexOf("/") + 1)} (${[...d.principals].sort(compare).join(", ")}${d.conditions.length > 0 ? ` when ${[...d.conditions].sort(compare).join("; ")}` : ""})`,
    ]),
  );
}

/**
 * What decides whether a grant applies, without the rule's name (a renamed rule is no change). The route's
 * pattern is part of what is compared (`withPath`), not of what is shown: the route changes say it.
 */
function termOf(g: Grant, denies?: DenyTerms, withPath = false): string {
  const when = g.conditions.length > 0 ? `when ${g.conditions.join("; ")}` : "always";
  const audit = g.mode === "audit" ? " [audit]" : "";
  // The deny rules by who and when they apply, in a fixed order: narrowing one changes the terms.
  const overriding = g.overriddenBy.map((d) => denies?.get(d) ?? d.slice(d.lastIndexOf("/") + 1)).sort(compare);
  const unless = overriding.length > 0 ? ` unless deny ${overriding.join(", ")}` : "";
  return `${withPath ? `on ${g.path}: ` : ""}${when}${audit}${unless}`;
}

function termsOf(grants: readonly Grant[], denies?: DenyTerms): GrantTerms {
  const sorted = [...grants].sort((a, b) => compare(a.rule, b.rule));
  return {
    rules: unique(sorted.map((g) => g.rule)),
    terms: unique(sorted.map((g) => `${g.rule} ${termOf(g, denies)}`)),
  };
}

function termKey(grants: readonly Grant[], denies?: DenyTerms): string {
  return unique(grants.map((g) => termOf(g, denies, true)))
    .sort(compare)
    .join("\n");
}

function delta(a: Access, methods: ReachMethod[]): GrantDelta {
  const rules = unique(methods.flatMap((m) => (a.byMethod.get(m) ?? []).map((g) => g.rule))).sort(compare);
  return { principal: a.principal, service: a.service, route: a.route, methods: normalizeMethods(methods), rules };
}

/**
 * A change of terms may widen access unless it provably does not: it widens when a service goes to audit
 * mode, when a deny that could override stops applying, and when a new grant drops a condition every old
 * grant had (conditions only ever narrow).
 */
function mayWiden(
  before: readonly Grant[],
  after: readonly Grant[],
  oldTerms?: DenyTerms,
  newTerms?: DenyTerms,
): boolean {
  if (after.some((g) => g.mode === "audit") && !before.some((g) => g.mode === "audit")) return true;
  // A route that matches other paths may match requests it did not before.
  if (after.some((n) => !before.some((o) => o.path === n.path))) return true;
  // A deny rule that stopped applying, or applies to fewer callers or at fewer times, lets more through.
  const denies = (gs: readonly Grant[], terms?: DenyTerms) =>
    new Set(gs.flatMap((g) => g.overriddenBy.map((d) => terms?.get(d) ?? d)));
  const [oldDenies, newDenies] = [denies(before, oldTerms), denies(after, newTerms)];
  if ([...oldDenies].some((d) => !newDenies.has(d))) return true;
  // Narrower for certain only when every new grant keeps all the conditions of some old one (adding
  // conditions narrows); anything else is reported as possibly wider for a person to review.
  const keepsAll = (n: Grant) => before.some((o) => o.conditions.every((c) => n.conditions.includes(c)));
  return !after.every(keepsAll);
}

/** Grants gained and lost from OLD to NEW, by (principal, service/route, method), and grants whose terms changed. */
export function diffReach(before: Reach | readonly Grant[], after: Reach | readonly Grant[]): PolicyDiff {
  const oldMap = accessMap("grants" in before ? before.grants : before);
  const newMap = accessMap("grants" in after ? after.grants : after);
  const oldTerms = "denies" in before ? denyTermsOf(before.denies) : undefined;
  const newTerms = "denies" in after ? denyTermsOf(after.denies) : undefined;
  const gained: GrantDelta[] = [];
  const lost: GrantDelta[] = [];
  const changed: GrantChange[] = [];
  for (const [key, n] of newMap) {
    const o = oldMap.get(key);
    const added = [...n.byMethod.keys()].filter((m) => !o?.byMethod.has(m));
    if (added.length > 0) gained.push(delta(n, added));
    if (!o) continue;
    const common = [...n.byMethod.keys()].filter((m) => o.byMethod.has(m));
    const differing = common.filter(
      (m) => termKey(o.byMethod.get(m)!, oldTerms) !== termKey(n.byMethod.get(m)!, newTerms),
    );
    if (differing.length > 0) {
      const pick = (a: Access) => [...new Set(differing.flatMap((m) => a.byMethod.get(m)!))];
      changed.push({
        principal: n.principal,
        service: n.service,
        route: n.route,
        methods: normalizeMethods(differing),
        before: termsOf(pick(o), oldTerms),
        after: termsOf(pick(n), newTerms),
        widens: mayWiden(pick(o), pick(n), oldTerms, newTerms),
      });
    }
  }
  for (const [key, o] of oldMap) {
    const n = newMap.get(key);
    const removed = [...o.byMethod.keys()].filter((m) => !n?.byMethod.has(m));
    if (removed.length > 0) lost.push(delta(o, removed));
  }
  const order = (a: { route: string; principal: string }, b: { route: string; principal: string }) =>
    compare(a.route, b.route) || compare(a.principal, b.principal);
  const settings = "routes" in before && "routes" in after ? routeAndSettingChanges(before, after) : [];
  return { gained: gained.sort(order), lost: lost.sort(order), changed: changed.sort(order), settings };
}
