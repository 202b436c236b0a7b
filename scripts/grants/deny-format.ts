// Denylist entries as operators read them.
import type { DenyEntry } from "../../policy/index.ts";

export function denyLine(e: DenyEntry, now: number): string {
  const until =
    e.releasedAt !== null
      ? `released by ${e.releasedBy}`
      : e.expiresAt === null
        ? "until lifted"
        : e.expiresAt <= now
          ? "expired"
          : `until ${new Date(e.expiresAt).toISOString()}`;
  return `${e.id}  ${e.kind}  ${e.match} ${e.value}  ${until}  "${e.reason}" by ${e.createdBy}`;
}
