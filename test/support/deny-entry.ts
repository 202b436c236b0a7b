import type { DenyEntry, MatchKind } from "../../policy/denylist.ts";

/** A denylist entry as the store keeps it: a quarantine when it names a principal, else a revocation. */
export function denyEntry(id: string, match: MatchKind, value: string, expiresAt: number | null = null): DenyEntry {
  return {
    id,
    kind: match === "principal" ? "quarantine" : "revocation",
    match,
    value,
    reason: "test",
    createdAt: 0,
    createdBy: "t",
    expiresAt,
    releasedAt: null,
    releasedBy: null,
  };
}
