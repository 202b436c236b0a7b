// The semantic diff of two policies: access gained and lost per (principal, route, method), grants whose terms
// (conditions, mode, overriding denies) changed, and the changes beyond the grants (settings, hosts, services,
// requests that move between routes). `diffWidens` is the one decision `ward diff` and `ward push --dry-run`
// exit 4 on; test/unit/reach/diff-differential.test.ts holds it to the gateway's own decisions.
import { normalizeMethods, expandMethods, type ReachMethod } from "./methods.ts";
import type { Grant, Reach } from "./model.ts";
import { lettersLifted } from "./diff-letters.ts";
import { patternChanges, routingChanges } from "./diff-routing.ts";
import { settingChanges } from "./diff-settings.ts";
import { denyWho, looser } from "./looser.ts";
import type { SettingChange } from "./setting-change.ts";
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
  /** Changes outside the grants, widening or not (empty when two `Grant[]` are compared). */
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

/**
 * The deny rules of a policy: `shown` by name, who and when (what a reviewer reads); `key` by what decides
 * where and to whom one applies where it may override a grant: who and when, and the pattern and methods of
 * its route, or only "its route" when that is the grant's own (a route's own denies cover every request it
 * takes, whatever its pattern). Equal keys, equal denies; a renamed deny is no change.
 */
interface DenyTerms {
  shown: (rule: string) => string;
  key: (rule: string, grantRoute: string) => string;
}

function denyTermsOf(r: Reach): DenyTerms {
  const routes = new Map(r.routes.map((x) => [x.route, x]));
  const denies = new Map(r.denies.map((d) => [d.rule, d]));
  const name = (rule: string) => rule.slice(rule.lastIndexOf("/") + 1);
  return {
    shown: (rule) => {
      const d = denies.get(rule);
      return d ? `${name(rule)} (${denyWho(d)})` : name(rule);
    },
    key: (rule, grantRoute) => {
      const d = denies.get(rule);
      if (!d) return rule;
      const route = routes.get(d.route);
      const where = d.route === grantRoute ? "its route" : route ? [route.pattern, route.methods] : d.route;
      return JSON.stringify([denyWho(d), where]);
    },
  };
}

/** What decides whether a grant applies, without the rule's name (a renamed rule is no change). */
function termOf(g: Grant, deny: (rule: string) => string): string {
  const when = g.conditions.length > 0 ? `when ${g.conditions.join("; ")}` : "always";
  const audit = g.mode === "audit" ? " [audit]" : "";
  // The deny rules by who and when they apply, in a fixed order: narrowing one changes the terms.
  const overriding = g.overriddenBy.map(deny).sort(compare);
  const unless = overriding.length > 0 ? ` unless deny ${overriding.join(", ")}` : "";
  return `${when}${audit}${unless}`;
}

/** Without the policy's deny rules (two `Grant[]` compared), a deny is known by its name. */
const byName = (rule: string) => rule.slice(rule.lastIndexOf("/") + 1);

function termsOf(grants: readonly Grant[], denies?: DenyTerms): GrantTerms {
  const sorted = [...grants].sort((a, b) => compare(a.rule, b.rule));
  return {
    rules: unique(sorted.map((g) => g.rule)),
    terms: unique(sorted.map((g) => `${g.rule} ${termOf(g, denies?.shown ?? byName)}`)),
  };
}

/** The keys of the deny rules that may override the grant. */
function denyKeys(g: Grant, denies?: DenyTerms): string[] {
  return g.overriddenBy.map((d) => (denies ? denies.key(d, g.route) : d));
}

function termKey(grants: readonly Grant[], denies?: DenyTerms): string {
  return unique(grants.map((g) => termOf(g, (d) => (denies ? denies.key(d, g.route) : d))))
    .sort(compare)
    .join("\n");
}

function delta(a: Access, methods: ReachMethod[]): GrantDelta {
  const rules = unique(methods.flatMap((m) => (a.byMethod.get(m) ?? []).map((g) => g.rule))).sort(compare);
  return { principal: a.principal, service: a.service, route: a.route, methods: normalizeMethods(methods), rules };
}

/**
 * A change of terms on one route may widen access unless it provably does not (looser.ts). The deny rules are
 * compared by key: a deny of another route that covers other requests than before may no longer apply here.
 * (Requests that reach the route only in NEW are routingChanges' part.)
 */
function mayWiden(before: readonly Grant[], after: readonly Grant[], oldTerms?: DenyTerms, newTerms?: DenyTerms) {
  const denies = (gs: readonly Grant[], terms?: DenyTerms) => new Set(gs.flatMap((g) => denyKeys(g, terms)));
  return looser(before, after, denies(before, oldTerms), denies(after, newTerms));
}

/** Grants gained and lost from OLD to NEW, by (principal, service/route, method), and grants whose terms changed. */
export function diffReach(before: Reach | readonly Grant[], after: Reach | readonly Grant[]): PolicyDiff {
  const oldMap = accessMap("grants" in before ? before.grants : before);
  const newMap = accessMap("grants" in after ? after.grants : after);
  const oldTerms = "denies" in before ? denyTermsOf(before) : undefined;
  const newTerms = "denies" in after ? denyTermsOf(after) : undefined;
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
        // Method by method: a grant's terms hold for its own methods only (a GET-only exception's conditions
        // must not pass for a POST the new rule admits under them; from a review).
        widens: differing.some((m) => mayWiden(o.byMethod.get(m)!, n.byMethod.get(m)!, oldTerms, newTerms)),
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
  const widened = new Set(
    [...gained, ...changed.filter((c) => c.widens)].flatMap((d) =>
      expandMethods(d.methods).map((m) => `${d.principal}\u0000${d.route}\u0000${m}`),
    ),
  );
  // Principals the moved requests already list on a route: requests refused for their letters that now reach it
  // too are listed for the others only.
  const listed = new Set<string>();
  const settings =
    "routes" in before && "routes" in after
      ? [
          ...settingChanges(before.settings, after.settings),
          ...patternChanges(before, after),
          ...routingChanges(before, after, (p, route, m) => widened.has(`${p}\u0000${route}\u0000${m}`), listed),
          ...lettersLifted(before, after, (a, b) => listed.has(`${a}\u0000${b}`)),
        ]
      : [];
  return { gained: gained.sort(order), lost: lost.sort(order), changed: changed.sort(order), settings };
}

/** What the CI gate exits 4 on: any grant gained, terms that may let more through, or a widening change beyond the grants. */
export function diffWidens(diff: PolicyDiff): boolean {
  return diff.gained.length > 0 || diff.changed.some((c) => c.widens) || diff.settings.some((s) => s.widens);
}
