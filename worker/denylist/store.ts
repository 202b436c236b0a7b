// Who is refused whatever the policy says: revoked credentials (a SPIFFE ID, a certificate by fingerprint or
// by issuer and serial number, a user's e-mail or sub, a service token) and quarantined identities. One
// object per environment ("denylist"): the list is small and every isolate keeps a copy, so no request waits
// for it. Entries may expire; releasing or un-revoking is recorded, never deleted.
import { DurableObject } from "cloudflare:workers";
import type { DenyEntry, MatchKind, NewDenyEntry } from "../../policy/index.ts";
import type { Env } from "../env.ts";

// The records are the core's (policy/denylist.ts): the CLI prints them too.
export type { DenyEntry, MatchKind, NewDenyEntry };

export const DENYLIST_NAME = "denylist";

interface Row {
  id: string;
  kind: string;
  match: string;
  value: string;
  reason: string;
  created_at: number;
  created_by: string;
  expires_at: number | null;
  released_at: number | null;
  released_by: string | null;
}

const entryOf = (r: Row): DenyEntry => ({
  id: r.id,
  kind: r.kind as DenyEntry["kind"],
  match: r.match as MatchKind,
  value: r.value,
  reason: r.reason,
  createdAt: r.created_at,
  createdBy: r.created_by,
  expiresAt: r.expires_at,
  releasedAt: r.released_at,
  releasedBy: r.released_by,
});

export class Denylist extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS entries (
      id TEXT PRIMARY KEY, kind TEXT NOT NULL, match TEXT NOT NULL, value TEXT NOT NULL, reason TEXT NOT NULL,
      created_at INTEGER NOT NULL, created_by TEXT NOT NULL, expires_at INTEGER, released_at INTEGER, released_by TEXT)`);
  }

  private rows(where: string, ...params: SqlStorageValue[]): DenyEntry[] {
    return this.ctx.storage.sql
      .exec<Row & Record<string, SqlStorageValue>>(`SELECT * FROM entries ${where}`, ...params)
      .toArray()
      .map(entryOf);
  }

  async add(entry: NewDenyEntry, who: string, now: number): Promise<DenyEntry> {
    // Quarantining an identity already quarantined extends nothing: the first entry stands until it ends.
    if (entry.kind === "quarantine") {
      const [open] = this.rows(
        "WHERE kind = 'quarantine' AND match = ? AND value = ? AND released_at IS NULL AND (expires_at IS NULL OR expires_at > ?)",
        entry.match,
        entry.value,
        now,
      );
      if (open) return open;
    }
    const id = `${entry.kind === "quarantine" ? "q" : "rev"}-${crypto.randomUUID().slice(0, 8)}`;
    this.ctx.storage.sql.exec(
      "INSERT INTO entries (id, kind, match, value, reason, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      id,
      entry.kind,
      entry.match,
      entry.value,
      entry.reason,
      now,
      who,
      entry.expiresAt,
    );
    return this.rows("WHERE id = ?", id)[0]!;
  }

  /** In force at `now`: not released, not expired. */
  async active(now: number): Promise<DenyEntry[]> {
    return this.rows("WHERE released_at IS NULL AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at", now);
  }

  async list(includeClosed: boolean, now: number): Promise<DenyEntry[]> {
    return includeClosed ? this.rows("ORDER BY created_at") : this.active(now);
  }

  async release(id: string, who: string, now: number): Promise<DenyEntry | undefined> {
    this.ctx.storage.sql.exec(
      "UPDATE entries SET released_at = ?, released_by = ? WHERE id = ? AND released_at IS NULL",
      now,
      who,
      id,
    );
    return this.rows("WHERE id = ?", id)[0];
  }
}
