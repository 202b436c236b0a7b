// When a grant's terms may let more through: shared by the per-route comparison (diff.ts) and the requests
// that move between routes (diff-routing.ts).
import type { DenyRule, Grant } from "./model.ts";
import { compare } from "./sort.ts";

/** What decides whether a deny rule applies to a caller at a request it covers: who and when, not its name. */
export function denyWho(d: DenyRule): string {
  const when = d.conditions.length > 0 ? ` when ${[...d.conditions].sort(compare).join("; ")}` : "";
  return `${[...d.principals].sort(compare).join(", ")}${when}`;
}

/**
 * Whether NEW's grants (of one principal, for one request or route and method) may admit a caller OLD's did
 * not, given the deny rules that may override each (as keys: equal keys, equal denies). False only when it
 * is certain: NEW is not in audit mode where OLD was not, every deny of OLD is in NEW, and every grant of NEW
 * keeps all the conditions of some grant of OLD (conditions only ever narrow).
 */
export function looser(
  before: readonly Grant[],
  after: readonly Grant[],
  oldDenies: ReadonlySet<string>,
  newDenies: ReadonlySet<string>,
): boolean {
  if (after.some((g) => g.mode === "audit") && !before.some((g) => g.mode === "audit")) return true;
  for (const d of oldDenies) if (!newDenies.has(d)) return true;
  const keepsAll = (n: Grant) => before.some((o) => o.conditions.every((c) => n.conditions.includes(c)));
  return !after.every(keepsAll);
}
