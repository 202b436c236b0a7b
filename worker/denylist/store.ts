// Who is refused whatever the policy says: revoked credentials (a SPIFFE ID, a certificate by fingerprint or
// by issuer and serial number, a user's e-mail or sub, a service token) and quarantined identities. One
// object per environment ("denylist"): the list is small and every isolate keeps a copy, so no request waits
// for it. Entries may expire; releasing or un-revoking is recorded, never deleted.
//
// Security events (worker/ssf/) write here too, in one call per SET: refusals marked with the transmitter, event
// and jti that put them there (so account-enabled lifts only what account-disabled put), and "directory
// refreshes": people whose cached groups and posture every isolate must drop, read with the list.
import { DurableObject } from "cloudflare:workers";
import type { DenyEntry, MatchKind, NewDenyEntry, SignalOp } from "../../policy/index.ts";
import type { Env } from "../env.ts";

// The records are the core's (policy/denylist.ts): the CLI prints them too.
export type { DenyEntry, MatchKind, NewDenyEntry };

export const DENYLIST_NAME = "denylist";

/** Refusals open at once from security events: beyond this a SET is answered 503 (retried), never dropped. */
export const MAX_SIGNAL_ENTRIES = 10_000;
/** People with a pending directory refresh or posture hold: beyond this, likewise. */
export const MAX_REFRESHES = 10_000;
/**
 * How long a refresh is kept: a cached get-identity answer lives at most this long (access-directory.ts), so an
 * older refresh has nothing left to drop. Posture holds are kept until they end.
 */
export const REFRESH_KEPT_MS = 6 * 60_000;

/** A person whose cached directory facts fetched before `at` are not to be used; posture unknown until `postureUntil`. */
export interface DirectoryRefresh {
  match: "email" | "sub";
  value: string;
  at: number;
  postureUntil: number | null;
}

/** What every isolate copies: the entries in force and the directory refreshes. */
export interface DenylistState {
  entries: DenyEntry[];
  refreshes: DirectoryRefresh[];
}

export type SignalResult = { ok: true; changes: number } | { ok: false; problem: "denylist-full" | "refreshes-full" };

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
  signal_transmitter: string | null;
  signal_event: string | null;
  signal_jti: string | null;
}

/** Columns added after the table's first release: added in place to an existing object's table. */
const SIGNAL_COLUMNS = ["signal_transmitter", "signal_event", "signal_jti"] as const;

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
  ...(r.signal_event
    ? { signal: { transmitter: r.signal_transmitter ?? "", event: r.signal_event, jti: r.signal_jti ?? "" } }
    : {}),
});

export class Denylist extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS entries (
      id TEXT PRIMARY KEY, kind TEXT NOT NULL, match TEXT NOT NULL, value TEXT NOT NULL, reason TEXT NOT NULL,
      created_at INTEGER NOT NULL, created_by TEXT NOT NULL, expires_at INTEGER, released_at INTEGER, released_by TEXT)`);
    const columns = new Set(ctx.storage.sql.exec("SELECT * FROM entries LIMIT 0").columnNames);
    for (const column of SIGNAL_COLUMNS)
      if (!columns.has(column)) ctx.storage.sql.exec(`ALTER TABLE entries ADD COLUMN ${column} TEXT`);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS directory_refresh (
      match TEXT NOT NULL, value TEXT NOT NULL, at INTEGER NOT NULL, posture_until INTEGER, posture_by TEXT,
      PRIMARY KEY (match, value))`);
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

  /** The entries in force and the directory refreshes still worth acting on: what each isolate copies. */
  async state(now: number): Promise<DenylistState> {
    this.ctx.storage.sql.exec(
      "DELETE FROM directory_refresh WHERE at <= ? AND (posture_until IS NULL OR posture_until <= ?)",
      now - REFRESH_KEPT_MS,
      now,
    );
    const refreshes = this.ctx.storage.sql
      .exec<{ match: string; value: string; at: number; posture_until: number | null }>(
        "SELECT match, value, at, posture_until FROM directory_refresh",
      )
      .toArray()
      .map((r) => ({
        match: r.match as DirectoryRefresh["match"],
        value: r.value,
        at: r.at,
        postureUntil: r.posture_until !== null && r.posture_until > now ? r.posture_until : null,
      }));
    return { entries: await this.active(now), refreshes };
  }

  /**
   * What one SET does (policy/ssf/actions.ts), all of it or none: the operations run in one transaction. Past
   * the bounds nothing is written and the SET is answered 503, so the transmitter sends it again later.
   */
  async applySignals(
    source: { transmitter: string; jti: string },
    ops: SignalOp[],
    now: number,
  ): Promise<SignalResult> {
    const sql = this.ctx.storage.sql;
    const by = `ssf:${source.transmitter}`;
    const count = (query: string, ...params: SqlStorageValue[]) => sql.exec<{ n: number }>(query, ...params).one().n;
    if (
      ops.some((o) => o.op === "refuse") &&
      count(
        "SELECT COUNT(*) AS n FROM entries WHERE signal_event IS NOT NULL AND released_at IS NULL AND (expires_at IS NULL OR expires_at > ?)",
        now,
      ) >= MAX_SIGNAL_ENTRIES
    )
      return { ok: false, problem: "denylist-full" };
    if (
      ops.some((o) => o.op === "refresh" || o.op === "hold-posture") &&
      count("SELECT COUNT(*) AS n FROM directory_refresh") >= MAX_REFRESHES
    )
      return { ok: false, problem: "refreshes-full" };
    let changes = 0;
    this.ctx.storage.transactionSync(() => {
      for (const op of ops) {
        const { match, value } = op.fact;
        switch (op.op) {
          case "refuse": {
            // One open entry per transmitter, person and event: a repeated event extends it, never adds another.
            const [open] = this.rows(
              "WHERE created_by = ? AND match = ? AND value = ? AND signal_event = ? AND released_at IS NULL AND (expires_at IS NULL OR expires_at > ?)",
              by,
              match,
              value,
              op.event,
              now,
            );
            if (open) {
              sql.exec(
                "UPDATE entries SET expires_at = ?, reason = ?, signal_jti = ? WHERE id = ?",
                open.expiresAt === null ? null : Math.max(open.expiresAt, op.until),
                op.reason,
                source.jti,
                open.id,
              );
            } else {
              sql.exec(
                `INSERT INTO entries (id, kind, match, value, reason, created_at, created_by, expires_at, signal_transmitter, signal_event, signal_jti)
                 VALUES (?, 'revocation', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
                `ssf-${crypto.randomUUID().slice(0, 8)}`,
                match,
                value,
                op.reason,
                now,
                by,
                op.until,
                source.transmitter,
                op.event,
                source.jti,
              );
            }
            changes++;
            break;
          }
          case "lift":
            changes += sql.exec(
              "UPDATE entries SET released_at = ?, released_by = ? WHERE created_by = ? AND match = ? AND value = ? AND signal_event = ? AND released_at IS NULL",
              now,
              `${by} (account-enabled, jti ${source.jti})`,
              by,
              match,
              value,
              op.event,
            ).rowsWritten;
            break;
          case "refresh":
            sql.exec(
              "INSERT INTO directory_refresh (match, value, at) VALUES (?, ?, ?) ON CONFLICT (match, value) DO UPDATE SET at = excluded.at",
              match,
              value,
              now,
            );
            changes++;
            break;
          case "hold-posture":
            sql.exec(
              `INSERT INTO directory_refresh (match, value, at, posture_until, posture_by) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (match, value) DO UPDATE SET at = excluded.at,
                 posture_until = MAX(COALESCE(posture_until, 0), excluded.posture_until), posture_by = excluded.posture_by`,
              match,
              value,
              now,
              op.until,
              source.transmitter,
            );
            changes++;
            break;
          case "release-posture":
            // Only the transmitter that held the posture releases it.
            changes += sql.exec(
              "UPDATE directory_refresh SET posture_until = NULL, posture_by = NULL WHERE match = ? AND value = ? AND posture_by = ?",
              match,
              value,
              source.transmitter,
            ).rowsWritten;
            break;
        }
      }
    });
    return { ok: true, changes };
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
