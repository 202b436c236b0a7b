// Plain-text and JSON renderings of reach reports and policy diffs, for `ward reach` and `ward diff`.
import {
  type DenyRule,
  type Grant,
  type IdentityReach,
  type PolicyDiff,
  principalsMayOverlap,
  principalWidth,
  type ReachReport,
} from "../../policy/index.ts";

function methods(list: readonly string[]): string {
  return list.join(",");
}

/** `via RULE  when ...  [audit]  unless deny ...`: what a grant depends on. */
export function grantTerms(g: Grant): string {
  const parts = [`via ${g.rule}`];
  if (g.conditions.length > 0) parts.push(`when ${g.conditions.join("; ")}`);
  if (g.mode === "audit") parts.push("[audit]");
  if (g.overriddenBy.length > 0) parts.push(`unless deny ${g.overriddenBy.join(", ")}`);
  return parts.join("  ");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** An inherited grant, or how many routes the public or any authenticated caller reach (which all inherit). */
export type InheritedRow = { grant: Grant } | { everyone: string; routes: number };

/** The grants of each principal and the deny rules by id: what an identity's inherited rows are read from. */
export function inheritance(report: ReachReport): {
  grantsOf: ReadonlyMap<string, readonly Grant[]>;
  denies: ReadonlyMap<string, DenyRule>;
} {
  return {
    grantsOf: new Map(report.byIdentity.map((i) => [i.principal, i.grants])),
    denies: new Map(report.byRoute.flatMap((r) => r.denies.map((d) => [d.rule, d]))),
  };
}

/**
 * The grants an identity holds as part of a wider principal, each with only the deny rules that may apply to the
 * identity itself (a deny naming another address of the e-mail domain does not); those of the public and of any
 * authenticated caller, which every identity inherits, as a count each (they are listed under their own name).
 */
export function inheritedRows(identity: IdentityReach, from: ReturnType<typeof inheritance>): InheritedRow[] {
  const rows: InheritedRow[] = [];
  const everyone: InheritedRow[] = [];
  for (const holder of identity.inheritedFrom) {
    const grants = from.grantsOf.get(holder) ?? [];
    if (holder === "public" || holder === "any-authenticated") {
      everyone.push({ everyone: holder, routes: new Set(grants.map((g) => g.route)).size });
      continue;
    }
    for (const g of grants) {
      const overriddenBy = g.overriddenBy.filter((rule) =>
        (from.denies.get(rule)?.principals ?? [identity.principal]).some((p) =>
          principalsMayOverlap(identity.principal, p),
        ),
      );
      rows.push({ grant: { ...g, overriddenBy } });
    }
  }
  return [...rows, ...everyone];
}

/** `as PRINCIPAL  via RULE ...`: an inherited grant's terms; or the count of routes open to everyone. */
export function inheritedTerms(row: InheritedRow): string {
  return "grant" in row
    ? `as ${row.grant.principal}  ${grantTerms(row.grant)}`
    : `as ${row.everyone}: ${plural(row.routes, "route")} (listed under ${row.everyone})`;
}

export function reachText(report: ReachReport): string[] {
  const lines: string[] = [];
  const from = inheritance(report);
  lines.push(`identities (${report.byIdentity.length}):`);
  for (const identity of report.byIdentity) {
    lines.push(`  ${identity.principal}  (${plural(identity.routes, "route")})`);
    for (const g of identity.grants) lines.push(`    ${g.route}  ${methods(g.methods)}  ${grantTerms(g)}`);
    for (const row of inheritedRows(identity, from))
      lines.push(
        "grant" in row
          ? `    ${row.grant.route}  ${methods(row.grant.methods)}  ${inheritedTerms(row)}`
          : `    ${inheritedTerms(row)}`,
      );
  }
  lines.push(`routes (${report.byRoute.length}):`);
  for (const route of report.byRoute) {
    const flags = [
      route.public ? "public" : "",
      route.anyAuthenticated ? "any-authenticated" : "",
      route.mode === "audit" ? "audit" : "",
    ].filter(Boolean);
    lines.push(
      `  ${route.route}  ${methods(route.methods)}  ${route.path}  (${plural(route.identities, "identity").replace("identitys", "identities")})${flags.length ? `  [${flags.join(", ")}]` : ""}`,
    );
    if (route.grants.length === 0) lines.push("    nobody (default deny)");
    for (const g of route.grants) {
      const own = methods(g.methods) === methods(route.methods) ? "" : `  ${methods(g.methods)}`;
      lines.push(`    ${g.principal}${own}  ${grantTerms(g)}`);
    }
    if (route.inheritedBy.length > 0) lines.push(`    through wider grants: ${namesOf(route.inheritedBy)}`);
    for (const d of route.denies) {
      lines.push(
        `    deny ${d.rule}: ${d.principals.join(", ")}${d.conditions.length ? `  when ${d.conditions.join("; ")}` : ""}`,
      );
    }
  }
  const s = report.summary;
  lines.push("summary:");
  lines.push(`  identities                   ${s.identities}`);
  lines.push(`  grants                       ${s.grants}`);
  lines.push(`  routes reachable             ${s.reachableRoutes} of ${s.routes}`);
  lines.push(`  average routes per identity  ${s.averageRoutesPerIdentity.toFixed(2)}`);
  lines.push("  widest identities:");
  for (const w of s.widestIdentities) lines.push(`    ${plural(w.routes, "route").padEnd(10)}  ${w.principal}`);
  lines.push("  most exposed routes:");
  for (const e of s.mostExposedRoutes) {
    // A whole trust domain or e-mail domain is named: every workload or person in it may call.
    const domain = principalWidth(e.widest) === 3 ? e.widest : "";
    const flags = [e.public ? "public" : "", e.anyAuthenticated ? "any-authenticated" : "", domain].filter(Boolean);
    const count = e.identities === 1 ? "1 identity" : `${e.identities} identities`;
    lines.push(`    ${count.padEnd(14)}  ${e.route}${flags.length ? `  [${flags.join(", ")}]` : ""}`);
  }
  return lines;
}

export function reachJson(report: ReachReport, extra: Record<string, unknown>): string {
  return JSON.stringify(
    {
      ...extra,
      summary: report.summary,
      identities: report.byIdentity,
      routes: report.byRoute,
    },
    null,
    2,
  );
}

/** The last line of `ward diff`, the one CI logs show. */
export function diffVerdict(diff: PolicyDiff): string {
  const lost = plural(diff.lost.length, "grant");
  const loosened = diff.changed.filter((c) => c.widens).length;
  if (diff.gained.length > 0)
    return `access widened: ${plural(diff.gained.length, "grant")} gained, ${diff.lost.length} lost`;
  if (loosened > 0) return `access may widen: ${plural(loosened, "grant")} with looser terms, ${diff.lost.length} lost`;
  const widening = diff.settings.filter((s) => s.widens).length;
  if (widening > 0)
    return `access may widen: ${plural(widening, "change")} beyond the grants, ${diff.lost.length} lost`;
  return `no access gained: ${lost} lost`;
}

export function diffText(diff: PolicyDiff): string[] {
  const lines: string[] = [];
  if (diff.gained.length > 0) {
    lines.push(`gained (${diff.gained.length}):`);
    for (const d of diff.gained)
      lines.push(`  + ${d.principal}  ${d.route}  ${methods(d.methods)}  by ${d.rules.join(", ")}`);
  }
  if (diff.lost.length > 0) {
    lines.push(`lost (${diff.lost.length}):`);
    for (const d of diff.lost)
      lines.push(`  - ${d.principal}  ${d.route}  ${methods(d.methods)}  by ${d.rules.join(", ")}`);
  }
  if (diff.changed.length > 0) {
    lines.push(`changed (${diff.changed.length}):`);
    for (const c of diff.changed) {
      lines.push(`  ~ ${c.principal}  ${c.route}  ${methods(c.methods)}${c.widens ? "  (may widen)" : ""}`);
      for (const t of c.before.terms) lines.push(`      before: ${t}`);
      for (const t of c.after.terms) lines.push(`      after:  ${t}`);
    }
  }
  if (diff.settings.length > 0) {
    const widening = diff.settings.filter((s) => s.widens).length;
    lines.push(`beyond the grants (${diff.settings.length}, ${widening} may widen):`);
    // `!` may let more through; `-` does not (a narrowing, or a change listed for the reviewer).
    for (const s of diff.settings) lines.push(`  ${s.widens ? "!" : "-"} ${s.kind}: ${s.change}`);
  }
  lines.push(diffVerdict(diff));
  return lines;
}

/** At most this many identities named on a route's line of inherited callers; the rest counted. */
const NAMED_INHERITORS = 10;

/** A list of identities, the first NAMED_INHERITORS named. */
export function namesOf(identities: readonly string[]): string {
  const named = identities.slice(0, NAMED_INHERITORS).join(", ");
  const more = identities.length - NAMED_INHERITORS;
  return more > 0 ? `${named} and ${more} more` : named;
}
