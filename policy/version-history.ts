// The policy history PolicyControl records (worker/policy-store/control.ts), read the same way by the admin API
// and by `ward rollback`: the CLI shows the diff to the version a rollback returns to, the gateway moves to it.

/** What a rollback needs of a history entry. */
export interface HistoryMove {
  action: string;
  version: string;
  previous: string | null;
}

/** The actions that moved the active pointer (shadow set and clear never do). */
const MOVES = new Set(["push", "rollback", "promote"]);

/**
 * The version a plain rollback returns to: the one the latest move to `active` came from. A move from a version
 * to itself (recorded by an earlier Ward) names no earlier version. Undefined when `history` (newest first)
 * holds no such move.
 */
export function versionBefore(history: readonly HistoryMove[], active: string): string | undefined {
  const move = history.find((e) => MOVES.has(e.action) && e.version === active && e.previous !== e.version);
  return move?.previous ?? undefined;
}
