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

/**
 * Whether `to` was first made active after `active` first was: going to it rolls forward, not back (`ward
 * rollback --to` a version pushed since). A version shows first as a move's `previous` when it was activated
 * outside the history (the bootstrap writes KV directly). Undefined when the recent history (newest first) does
 * not show both.
 */
export function activatedSince(history: readonly HistoryMove[], to: string, active: string): boolean | undefined {
  // How far back a version first shows: a move's index, half a step further for the version it moved from.
  const first = (version: string) => {
    let at = -1;
    history.forEach((e, i) => {
      if (!MOVES.has(e.action)) return;
      if (e.previous === version) at = Math.max(at, i + 0.5);
      if (e.version === version) at = Math.max(at, i);
    });
    return at;
  };
  const [since, before] = [first(to), first(active)];
  return since < 0 || before < 0 ? undefined : since < before;
}
