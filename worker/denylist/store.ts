// Who is refused whatever the policy says: revoked credentials (a SPIFFE ID, a certificate by fingerprint or
// by issuer and serial number, a user's e-mail or sub, a service token) and quarantined identities. One
// object per environment ("denylist"): the list is small and every isolate keeps a copy, so no request waits
// for it. Entries may expire; releasing or un-revoking is recorded, never deleted.
//
// Security events (worker/ssf/) write here too, in one call per SET: refusals marked with the transmitter, event
// and jti that put them there (so account-enabled lifts only what account-disabled put), and "directory
// refreshes": people whose cached groups and posture every isolate must drop, read with the list.
import { DurableObject } from "cloudflare:workers";
import {
  indexDenylist,
  MAX_FUTURE_SECONDS,
  MAX_SET_AGE_SECONDS,
  type DenyEntry,
  type ListedEntry,
  type MatchKind,
  type NewDenyEntry,
  type SignalOp,
  sha256Hex,
} from "../../policy/index.ts";
import type { Env } from "../env.ts";
import { type PageQuery, readPage, type RowPage } from "../shared/listing-page.ts";
import { freshRecordId } from "../shared/record-id.ts";

// The records are the core's (policy/denylist.ts): the CLI prints them too.
export type { DenyEntry, MatchKind, NewDenyEntry };

export const DENYLIST_NAME = "denylist";

/** Refusals open at once from security events: beyond this a SET is answered 503 (retried), never dropped. */
export const MAX_SIGNAL_ENTRIES = 10_000;
/**
 * Revocations an admin may have in force at once (not lifted, not expired; security events' have their own cap,
 * above): every isolate copies the whole list (denylist/cache.ts), and 100,000 is what docs/performance.md
 * measured under the 128 MB an isolate has. Past it a revocation is refused (the admin API answers 409), never
 * dropped; quarantines have their own cap, below.
 */
export const MAX_REVOCATIONS = 100_000;
/** An admin's revocation, stored; or refused because MAX_REVOCATIONS (or the limit asked for) are in force. */
export type RevokeResult = { ok: true; entry: DenyEntry } | { ok: false; problem: "revocations-full"; limit: number };

/**
 * Quarantines in force at once. Denials make them, one per principal, so whoever can mint principals (one issuer's
 * workload tokens, each `sub` of its choosing) could otherwise grow every isolate's copy without end. Past it a new
 * one is not stored (DenialCounter keeps the count and logs it); none in force ends early to make room, or flooding
 * with new principals would free a quarantined one. A handful is the usual; this is far above, and well within what
 * the copy holds beside MAX_REVOCATIONS and MAX_SIGNAL_ENTRIES.
 */
export const MAX_QUARANTINES = 10_000;
/** A quarantine, stored or in force already; or left out because MAX_QUARANTINES (or the limit asked for) are. */
export type QuarantineResult =
  | { ok: true; entry: DenyEntry }
  | { ok: false; problem: "quarantines-full"; limit: number };

/** People with a pending directory refresh or posture hold: beyond this, likewise. */
export const MAX_REFRESHES = 10_000;
/**
 * People a transmitter last cleared (account-enabled, or compliant again), with that SET's `iat`: an older refusal
 * of theirs delivered later is not applied. Kept as long as a SET may be old (MAX_SET_AGE_SECONDS, and the
 * future skew): an older one is refused on receipt. Beyond this many, a clear is still applied but not kept (an
 * older refusal delivered after it then refuses, failing closed, as before the table existed).
 */
export const MAX_CLEARS = 10_000;
const CLEAR_KEPT_MS = (MAX_SET_AGE_SECONDS + MAX_FUTURE_SECONDS) * 1000;

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

/** The entries in force and the directory refreshes (the whole list: `state`, kept for older Workers). */
export interface DenylistState {
  entries: DenyEntry[];
  refreshes: DirectoryRefresh[];
}

/** A fact (match, value) changed since the asker's sequence, and the one entry now in force for it, if any. */
export interface ChangedFact {
  match: MatchKind;
  /** As the index keys it: e-mail addresses in lower case. */
  value: string;
  /**
   * The longest lasting entry in force (policy/denylist.ts keeps one per fact), or null: none left. Only what a
   * refusal needs of it: every isolate holds the whole list, so its reason and authorship stay in the store.
   */
  entry: ListedEntry | null;
}

/** One page of what changed since `from`: what an isolate applies to its copy. */
export interface DenylistChanges {
  /**
   * The sequence the page starts after: the asker's, or 0 when the store no longer knows it (a new store, or
   * facts forgotten since the asker's copy was begun).
   */
  from: number;
  /** How many times facts have been forgotten: the asker's copy names it with its next ask. */
  generation: number;
  /** The sequence the asker has reached once this page is applied. */
  seq: number;
  facts: ChangedFact[];
  /** Whether the asker is now up to date; only then are the directory refreshes sent (all of them). */
  complete: boolean;
  refreshes: DirectoryRefresh[];
}

/**
 * The most facts one `changes` answer carries (each with one entry, ~150 bytes: ~0.8 MB a page): far under the RPC
 * message limit, and what a busy isolate copies every DENYLIST_REFRESH_SECONDS is what changed, not the whole
 * list. A cold isolate reads the whole list in pages before its first answer, so fewer pages mean a faster start.
 */
export const CHANGES_PAGE = 5_000;

/**
 * `changes`: rows written; `refused`: refusals written (entries made or extended); `superseded`: refusals and
 * posture holds not applied because the transmitter had already cleared the person in a later SET; `clearsFull`:
 * a clear was applied but could not be kept (MAX_CLEARS).
 */
export type SignalResult =
  | { ok: true; changes: number; refused: number; superseded: number; clearsFull?: true }
  | { ok: false; problem: "denylist-full" | "refreshes-full" };

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

/** An entry in force at `?`: not released, not expired. */
const IN_FORCE = "released_at IS NULL AND (expires_at IS NULL OR expires_at > ?)";

/** A value as stored and as the index keys it (policy/denylist.ts): e-mail addresses in lower case. */
const storedValue = (match: string, value: string) => (match === "email" ? value.toLowerCase() : value);

const signalOf = (r: Pick<Row, "signal_transmitter" | "signal_event" | "signal_jti">) =>
  r.signal_event
    ? { signal: { transmitter: r.signal_transmitter ?? "", event: r.signal_event, jti: r.signal_jti ?? "" } }
    : {};

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
  ...signalOf(r),
});

/** The entry without its fact (the copy's key already says it), or null. */
function listedOnly(entry: (ListedEntry & Pick<DenyEntry, "match" | "value">) | undefined): ListedEntry | null {
  if (!entry) return null;
  const { match: _match, value: _value, ...listed } = entry;
  return listed;
}

/** The columns of an entry in force that a page carries (ChangedFact), and the fact it is indexed by. */
type ListedRow = Pick<
  Row,
  "id" | "kind" | "match" | "value" | "expires_at" | "signal_transmitter" | "signal_event" | "signal_jti"
>;

const listedOf = (r: ListedRow): ListedEntry & Pick<DenyEntry, "match" | "value"> => ({
  id: r.id,
  kind: r.kind as DenyEntry["kind"],
  match: r.match as MatchKind,
  value: r.value,
  expiresAt: r.expires_at,
  ...signalOf(r),
});

/**
 * The tables' layout, raised with each change to them. An object records the version it has upgraded to (table
 * `upkeep`), so it runs the upgrade (which scans the whole list: ~230 ms at 100,000 entries) once, not each time
 * it wakes.
 */
export const DENYLIST_SCHEMA = 9;

/**
 * A fact with no entry in force whose last change is older than this is forgotten (its row in fact_changes
 * deleted), and copies older than that change start again from 0: copies in use are seconds old, and without
 * this every fact ever touched (a transmitter disabling made-up people and enabling them again) would stay in a
 * cold isolate's read for good.
 */
export const FORGET_AFTER_MS = 3_600_000;
/** How often, at most, a read from 0 looks for facts to forget. */
const FORGET_EVERY_MS = 600_000;
/** At most this many facts are forgotten at once: one look bounded in time, whatever the history. */
const FORGET_BATCH = 100_000;

/**
 * A scope as kept: '' for a SET about the whole person, else the SHA-256 of its scope (a complex subject's other
 * members, bounded only by the SET's size).
 */
async function storedScope(scope: string | undefined): Promise<string> {
  return scope === undefined ? "" : sha256Hex(scope);
}

/** What signal_clears names a clear by: the refusal it clears, and the scope it was about ('' the whole person). */
const clearKey = (cleared: string, scope: string) => (scope === "" ? cleared : `${cleared} ${scope}`);

/** The security-event entries in force at `?`, counted by the index entries_open_signals (a refusing SET asks). */
export const COUNT_OPEN_SIGNAL_ENTRIES =
  "SELECT COUNT(*) AS n FROM entries WHERE signal_event IS NOT NULL AND released_at IS NULL AND (expires_at IS NULL OR expires_at > ?)";

/** The admins' revocations in force at `?`, counted by the index entries_open_revocations. */
export const COUNT_OPEN_REVOCATIONS =
  "SELECT COUNT(*) AS n FROM entries WHERE kind = 'revocation' AND signal_event IS NULL AND released_at IS NULL AND (expires_at IS NULL OR expires_at > ?)";

/** The quarantines in force at `?`, counted by the index entries_open_quarantines. */
export const COUNT_OPEN_QUARANTINES =
  "SELECT COUNT(*) AS n FROM entries WHERE kind = 'quarantine' AND released_at IS NULL AND (expires_at IS NULL OR expires_at > ?)";

/** Brings an object's tables to DENYLIST_SCHEMA from any earlier layout, the first release's included. */
function upgradeTables(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS entries (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, match TEXT NOT NULL, value TEXT NOT NULL, reason TEXT NOT NULL,
    created_at INTEGER NOT NULL, created_by TEXT NOT NULL, expires_at INTEGER, released_at INTEGER, released_by TEXT)`);
  const columns = new Set(sql.exec("SELECT * FROM entries LIMIT 0").columnNames);
  for (const column of SIGNAL_COLUMNS)
    if (!columns.has(column)) sql.exec(`ALTER TABLE entries ADD COLUMN ${column} TEXT`);
  // The refusing SET's iat (version 5), so an account-enabled lifts only what SETs issued before it refused.
  // Entries written before have none: any enable lifts them, as before. (An earlier release, after a rollback,
  // writes none for its new entries, and leaves the first SET's on an entry it extends: an enable issued between
  // the two refusals then lifts it, as every enable did in that release.)
  if (!columns.has("signal_issued_at")) sql.exec("ALTER TABLE entries ADD COLUMN signal_issued_at INTEGER");
  // The refusing SET's scope (version 7, SignalOp's scope): '' the whole person, else the digest of the one device
  // or tenant it was about. Entries written before have none: any enable lifts them, as before.
  if (!columns.has("signal_scope")) sql.exec("ALTER TABLE entries ADD COLUMN signal_scope TEXT");
  sql.exec(`CREATE TABLE IF NOT EXISTS directory_refresh (
    match TEXT NOT NULL, value TEXT NOT NULL, at INTEGER NOT NULL, posture_until INTEGER, posture_by TEXT,
    PRIMARY KEY (match, value))`);
  // The change sequence: each fact's last change, numbered, so an isolate copies only what changed since its
  // copy (changes()) and its cost does not grow with the list. Facts written before the table existed are
  // numbered here, once, so a read from 0 has them.
  sql.exec(`CREATE TABLE IF NOT EXISTS fact_changes (
    match TEXT NOT NULL, value TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER, PRIMARY KEY (match, value))`);
  sql.exec("CREATE INDEX IF NOT EXISTS fact_changes_seq ON fact_changes (seq)");
  // When each fact last changed (version 3), so facts without an entry can be forgotten (FORGET_AFTER_MS), and
  // the sequence below which they were: a copy from before it starts again.
  if (!sql.exec("SELECT * FROM fact_changes LIMIT 0").columnNames.includes("at"))
    sql.exec("ALTER TABLE fact_changes ADD COLUMN at INTEGER");
  sql.exec("UPDATE fact_changes SET at = ? WHERE at IS NULL", Date.now());
  sql.exec("CREATE TABLE IF NOT EXISTS forgotten_upto (seq INTEGER NOT NULL, generation INTEGER NOT NULL)");
  // How many times facts were forgotten (version 4): a table an early layout 3 made has no such column.
  if (!sql.exec("SELECT * FROM forgotten_upto LIMIT 0").columnNames.includes("generation"))
    sql.exec("ALTER TABLE forgotten_upto ADD COLUMN generation INTEGER NOT NULL DEFAULT 0");
  // The open security-event entries, which each refusing SET counts against MAX_SIGNAL_ENTRIES (version 4): a
  // count that scanned every entry ever closed would hold up the object for each event.
  sql.exec(
    "CREATE INDEX IF NOT EXISTS entries_open_signals ON entries (expires_at) WHERE signal_event IS NOT NULL AND released_at IS NULL",
  );
  sql.exec("CREATE INDEX IF NOT EXISTS entries_fact ON entries (match, value)");
  // The admins' revocations in force, which each new one counts against MAX_REVOCATIONS (version 8).
  sql.exec(
    "CREATE INDEX IF NOT EXISTS entries_open_revocations ON entries (expires_at) WHERE kind = 'revocation' AND signal_event IS NULL AND released_at IS NULL",
  );
  // The quarantines in force, which each new one counts against MAX_QUARANTINES (version 9).
  sql.exec(
    "CREATE INDEX IF NOT EXISTS entries_open_quarantines ON entries (expires_at) WHERE kind = 'quarantine' AND released_at IS NULL",
  );
  // Each transmitter's posture hold on a person (version 2): directory_refresh.posture_until is the latest of
  // those in force, so one transmitter's "compliant" ends its own hold, never another's. A hold kept the
  // earlier way (one holder per person) becomes that holder's.
  sql.exec(`CREATE TABLE IF NOT EXISTS posture_holds (
    match TEXT NOT NULL, value TEXT NOT NULL, transmitter TEXT NOT NULL, until INTEGER NOT NULL,
    PRIMARY KEY (match, value, transmitter))`);
  // The holding SET's iat (version 5), so a "compliant" issued before it ends nothing; none for older holds
  // (and an earlier release, after a rollback, leaves the first SET's on a hold it extends, as for entries).
  if (!sql.exec("SELECT * FROM posture_holds LIMIT 0").columnNames.includes("issued_at"))
    sql.exec("ALTER TABLE posture_holds ADD COLUMN issued_at INTEGER");
  // The holding SET's scope (version 7), as entries' signal_scope; none for older holds: any compliant ends them.
  if (!sql.exec("SELECT * FROM posture_holds LIMIT 0").columnNames.includes("scope"))
    sql.exec("ALTER TABLE posture_holds ADD COLUMN scope TEXT");
  adoptPostureHolds(sql);
  // The latest clear of each person by each transmitter (version 6): `cleared` is the refusal it clears
  // ("account-disabled", or "posture" for a hold), followed by its scope's digest when it was about one device
  // or tenant (clearKey), `issued_at` the clearing SET's iat.
  sql.exec(`CREATE TABLE IF NOT EXISTS signal_clears (
    transmitter TEXT NOT NULL, match TEXT NOT NULL, value TEXT NOT NULL, cleared TEXT NOT NULL,
    issued_at INTEGER NOT NULL, PRIMARY KEY (transmitter, match, value, cleared))`);
  numberRows(sql, 0);
}

/**
 * Rows after `afterRowid` put in form and numbered: e-mail addresses in lower case, as every writer stores them,
 * so a fact is one value; and each fact no change has numbered, so a read from 0 has it. Rows this release
 * writes already are; those of a release from before the change sequence (the first release, or one rolled
 * back to) are not, and without this a revocation it stored would never reach an isolate's copy.
 */
function numberRows(sql: SqlStorage, afterRowid: number): void {
  sql.exec(
    "UPDATE entries SET value = lower(value) WHERE rowid > ? AND match = 'email' AND value <> lower(value)",
    afterRowid,
  );
  sql.exec(
    `INSERT INTO fact_changes (match, value, seq, at)
     SELECT match, value, (SELECT COALESCE(MAX(seq), 0) FROM fact_changes) + ROW_NUMBER() OVER (), ?
     FROM (SELECT DISTINCT match, value FROM entries WHERE rowid > ?) AS e
     WHERE NOT EXISTS (SELECT 1 FROM fact_changes f WHERE f.match = e.match AND f.value = e.value)`,
    Date.now(),
    afterRowid,
  );
}

/**
 * Posture holds kept the earlier way (one holder per person, in directory_refresh) become that holder's own: at
 * the upgrade, and on each wake, for what a release from before per-transmitter holds wrote (a rollback, then
 * forward again). What this release writes agrees already: directory_refresh holds the latest hold in force,
 * and its holder's row. What the older release wrote is taken as it meant it: a hold it started or lengthened
 * is its holder's, to the later end; a hold it ended ("compliant" ended a person's whole hold then) is ended.
 */
function adoptPostureHolds(sql: SqlStorage): void {
  sql.exec(
    `INSERT INTO posture_holds (match, value, transmitter, until)
     SELECT match, value, posture_by, posture_until FROM directory_refresh
     WHERE posture_until IS NOT NULL AND posture_by IS NOT NULL
     ON CONFLICT (match, value, transmitter) DO UPDATE SET until = MAX(until, excluded.until)`,
  );
  sql.exec(
    `DELETE FROM posture_holds WHERE NOT EXISTS (SELECT 1 FROM directory_refresh d
       WHERE d.match = posture_holds.match AND d.value = posture_holds.value AND d.posture_until IS NOT NULL)`,
  );
}

/** The sequence below which facts were forgotten, and how many times that happened. */
function forgottenUpto(sql: SqlStorage): { seq: number; generation: number } {
  return (
    sql.exec<{ seq: number; generation: number }>("SELECT seq, generation FROM forgotten_upto").toArray()[0] ?? {
      seq: 0,
      generation: 0,
    }
  );
}

const lastRowid = (sql: SqlStorage) =>
  sql.exec<{ n: number | null }>("SELECT MAX(rowid) AS n FROM entries").one().n ?? 0;

export class Denylist extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    // The layout reached, and the last row numbered (by the upgrade, or by a wake since).
    sql.exec("CREATE TABLE IF NOT EXISTS upkeep (version INTEGER NOT NULL, numbered_upto INTEGER NOT NULL)");
    const kept = sql.exec<{ version: number; numbered_upto: number }>("SELECT * FROM upkeep").toArray()[0];
    ctx.storage.transactionSync(() => {
      if (!kept || kept.version < DENYLIST_SCHEMA) upgradeTables(sql);
      // Only the rows added since the last wake (a look-up of the last rowid, not a scan): those an older
      // release wrote after a rollback are numbered here, the ones this release wrote are already.
      else if (lastRowid(sql) > kept.numbered_upto) numberRows(sql, kept.numbered_upto);
      else return;
      sql.exec("DELETE FROM upkeep");
      // An object written by a later release (a rollback) keeps its version: that release's upgrade only added.
      sql.exec(
        "INSERT INTO upkeep (version, numbered_upto) VALUES (?, ?)",
        Math.max(kept?.version ?? 0, DENYLIST_SCHEMA),
        lastRowid(sql),
      );
    });
    // At most one row per person with a posture hold (MAX_REFRESHES): cheap on every wake.
    adoptPostureHolds(sql);
  }

  /** Numbers a change to the fact's entries: the next sequence number, above every other fact's. */
  private stamp(match: string, value: string): void {
    this.ctx.storage.sql.exec(
      `INSERT INTO fact_changes (match, value, seq, at) VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM fact_changes), ?)
       ON CONFLICT (match, value) DO UPDATE SET seq = excluded.seq, at = excluded.at`,
      match,
      storedValue(match, value),
      Date.now(),
    );
  }

  /** When this instance last looked for facts to forget (ms). */
  private forgotAt = Number.NEGATIVE_INFINITY;

  /**
   * Forgets facts with no entry in force whose last change is older than FORGET_AFTER_MS (never the newest
   * change: the sequence must only grow), and raises the sequence below which copies start again from 0.
   */
  private forget(now: number): void {
    if (now - this.forgotAt < FORGET_EVERY_MS) return;
    this.forgotAt = now;
    const sql = this.ctx.storage.sql;
    const upto = sql
      .exec<{ n: number | null }>("SELECT MAX(seq) AS n FROM fact_changes WHERE at <= ?", now - FORGET_AFTER_MS)
      .one().n;
    if (upto === null) return;
    this.ctx.storage.transactionSync(() => {
      const forgotten = sql.exec(
        `DELETE FROM fact_changes WHERE rowid IN (
           SELECT f.rowid FROM fact_changes f
           WHERE f.seq <= ? AND f.seq < (SELECT MAX(seq) FROM fact_changes)
             AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.match = f.match AND e.value = f.value
               AND e.released_at IS NULL AND (e.expires_at IS NULL OR e.expires_at > ?))
           LIMIT ?)`,
        upto,
        now,
        FORGET_BATCH,
      ).rowsWritten;
      if (forgotten === 0) return;
      // Only ever raised: a later look may forget below it (an entry that expired is no change), and the copies
      // between the two numbers still lack what the first look forgot.
      const { seq: floor, generation } = forgottenUpto(sql);
      sql.exec("DELETE FROM forgotten_upto");
      sql.exec("INSERT INTO forgotten_upto (seq, generation) VALUES (?, ?)", Math.max(floor, upto), generation + 1);
    });
  }

  private rows(where: string, ...params: SqlStorageValue[]): DenyEntry[] {
    return this.ctx.storage.sql
      .exec<Row & Record<string, SqlStorageValue>>(`SELECT * FROM entries ${where}`, ...params)
      .toArray()
      .map(entryOf);
  }

  /**
   * An admin's revocation, unless `limit` revocations are in force already (the admin API's; quarantines have
   * their own cap, quarantine() below). Counted and inserted with no await between (add's body awaits nothing
   * before its insert): no other call can come in between.
   */
  async revoke(
    entry: NewDenyEntry & { kind: "revocation" },
    who: string,
    now: number,
    limit = MAX_REVOCATIONS,
  ): Promise<RevokeResult> {
    const open = this.ctx.storage.sql.exec<{ n: number }>(COUNT_OPEN_REVOCATIONS, now).one().n;
    if (open >= limit) return { ok: false, problem: "revocations-full", limit };
    return { ok: true, entry: await this.add(entry, who, now) };
  }

  /**
   * A quarantine (DenialCounter's), unless `limit` are in force already and this identity is not among them: then
   * nothing is stored. Counted and inserted with no await between, as revoke.
   */
  async quarantine(
    entry: NewDenyEntry & { kind: "quarantine" },
    who: string,
    now: number,
    limit = MAX_QUARANTINES,
  ): Promise<QuarantineResult> {
    const open = this.openQuarantine(entry, now);
    if (open) return { ok: true, entry: open };
    const inForce = this.ctx.storage.sql.exec<{ n: number }>(COUNT_OPEN_QUARANTINES, now).one().n;
    if (inForce >= limit) return { ok: false, problem: "quarantines-full", limit };
    return { ok: true, entry: await this.add(entry, who, now) };
  }

  /** The quarantine in force for the entry's identity, if any. */
  private openQuarantine(entry: NewDenyEntry, now: number): DenyEntry | undefined {
    return this.rows(
      "WHERE kind = 'quarantine' AND match = ? AND value = ? AND released_at IS NULL AND (expires_at IS NULL OR expires_at > ?)",
      entry.match,
      storedValue(entry.match, entry.value),
      now,
    )[0];
  }

  async add(entry: NewDenyEntry, who: string, now: number): Promise<DenyEntry> {
    const value = storedValue(entry.match, entry.value);
    // Quarantining an identity already quarantined extends nothing: the first entry stands until it ends.
    const open = entry.kind === "quarantine" ? this.openQuarantine(entry, now) : undefined;
    if (open) return open;
    const id = freshRecordId(this.ctx.storage.sql, "entries", entry.kind === "quarantine" ? "q" : "rev");
    this.ctx.storage.sql.exec(
      "INSERT INTO entries (id, kind, match, value, reason, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      id,
      entry.kind,
      entry.match,
      value,
      entry.reason,
      now,
      who,
      entry.expiresAt,
    );
    this.stamp(entry.match, value);
    return this.rows("WHERE id = ?", id)[0]!;
  }

  /** In force at `now`: not released, not expired. */
  async active(now: number): Promise<DenyEntry[]> {
    return this.rows(`WHERE ${IN_FORCE} ORDER BY created_at`, now);
  }

  /**
   * The entries in force and the directory refreshes, all of them: what each isolate copied before changes()
   * (a Worker of the previous release may still ask during a gradual deployment). Ward reads changes().
   */
  async state(now: number): Promise<DenylistState> {
    return { entries: await this.active(now), refreshes: this.refreshes(now) };
  }

  /**
   * What changed since `since` (the sequence an isolate's copy has reached): each fact changed since, oldest
   * change first, with the entry now in force for it, at most `limit` facts; a copy up to date gets none (the
   * refreshes only). A read from 0 is the whole list, paged. If `since` is past the store's sequence (a new
   * store), the answer starts from 0 and says so (`from`): the asker starts its copy again.
   */
  async changes(
    since: number,
    now: number,
    limit: number = CHANGES_PAGE,
    generation?: number,
  ): Promise<DenylistChanges> {
    const sql = this.ctx.storage.sql;
    if (since === 0) this.forget(now);
    const current = sql.exec<{ n: number }>("SELECT COALESCE(MAX(seq), 0) AS n FROM fact_changes").one().n;
    const forgotten = forgottenUpto(sql);
    // A copy begun before facts were forgotten (another generation), and not past them, may lack a lift among
    // them: it starts again, as for a new store. One begun since (a build from 0 paging on) never held them. A
    // Worker of an earlier release names no generation: it is not sent back (it would build again for ever),
    // and at worst an isolate of it idle for an hour keeps refusing someone lifted, until it is replaced.
    const known =
      since === 0 ||
      (since <= current && (since >= forgotten.seq || generation === undefined || generation === forgotten.generation));
    const from = Number.isSafeInteger(since) && since >= 0 && known ? since : 0;
    const page = Math.min(Math.max(1, Math.floor(limit) || 1), CHANGES_PAGE);
    const touched = sql
      .exec<{ match: string; value: string; seq: number }>(
        "SELECT match, value, seq FROM fact_changes WHERE seq > ? ORDER BY seq LIMIT ?",
        from,
        page + 1,
      )
      .toArray();
    const complete = touched.length <= page;
    if (!complete) touched.pop();
    const last = touched.at(-1)?.seq ?? from;
    // The entries in force of the page's facts, in the order indexDenylist expects (first of equals kept).
    const entries = sql
      .exec<ListedRow & Record<string, SqlStorageValue>>(
        `SELECT e.id, e.kind, e.match, e.value, e.expires_at, e.signal_transmitter, e.signal_event, e.signal_jti
         FROM fact_changes f JOIN entries e ON e.match = f.match AND e.value = f.value
         WHERE f.seq > ? AND f.seq <= ? AND e.released_at IS NULL AND (e.expires_at IS NULL OR e.expires_at > ?)
         ORDER BY e.created_at`,
        from,
        last,
        now,
      )
      .toArray()
      .map(listedOf);
    const index = indexDenylist(entries);
    return {
      from,
      generation: forgotten.generation,
      seq: complete ? current : last,
      facts: touched.map((f) => ({
        match: f.match as MatchKind,
        value: f.value,
        entry: listedOnly(index.get(f.match as MatchKind, f.value)),
      })),
      complete,
      refreshes: complete ? this.refreshes(now) : [],
    };
  }

  /** The directory refreshes still worth acting on (at most MAX_REFRESHES: sent whole with each complete answer). */
  private refreshes(now: number): DirectoryRefresh[] {
    this.ctx.storage.sql.exec("DELETE FROM posture_holds WHERE until <= ?", now);
    this.ctx.storage.sql.exec(
      "DELETE FROM directory_refresh WHERE at <= ? AND (posture_until IS NULL OR posture_until <= ?)",
      now - REFRESH_KEPT_MS,
      now,
    );
    return this.ctx.storage.sql
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
    // First, before anything is read: what follows runs with no await, so nothing interleaves with it.
    const scopes = new Map<string, string>();
    for (const op of ops)
      if ("scope" in op && op.scope !== undefined && !scopes.has(op.scope))
        scopes.set(op.scope, await storedScope(op.scope));
    const scopeOf = (op: SignalOp) => ("scope" in op && op.scope !== undefined ? scopes.get(op.scope)! : "");
    const sql = this.ctx.storage.sql;
    const by = `ssf:${source.transmitter}`;
    const count = (query: string, ...params: SqlStorageValue[]) => sql.exec<{ n: number }>(query, ...params).one().n;
    if (ops.some((o) => o.op === "refuse") && count(COUNT_OPEN_SIGNAL_ENTRIES, now) >= MAX_SIGNAL_ENTRIES)
      return { ok: false, problem: "denylist-full" };
    if (
      ops.some((o) => o.op === "refresh" || o.op === "hold-posture") &&
      count("SELECT COUNT(*) AS n FROM directory_refresh") >= MAX_REFRESHES
    )
      return { ok: false, problem: "refreshes-full" };
    let changes = 0;
    let refused = 0;
    let superseded = 0;
    let clearsFull = false;
    // A clear the transmitter issued after this refusal, delivered before it: its last word stands. Within one
    // second (iat is whole seconds) the order of arrival decides, as for the lifts below. A clear about the whole
    // person answers every refusal; one about a device or tenant only a refusal about the same one.
    const clearedAfter = (match: string, value: string, cleared: string, issuedAt: number, scope: string) =>
      sql
        .exec<{ n: number }>(
          "SELECT COUNT(*) AS n FROM signal_clears WHERE transmitter = ? AND match = ? AND value = ? AND cleared IN (?, ?) AND issued_at > ?",
          source.transmitter,
          match,
          value,
          cleared,
          clearKey(cleared, scope),
          issuedAt,
        )
        .one().n > 0;
    const keepClear = (match: string, value: string, clearing: string, issuedAt: number, scope: string) => {
      const cleared = clearKey(clearing, scope);
      sql.exec("DELETE FROM signal_clears WHERE issued_at <= ?", now - CLEAR_KEPT_MS);
      const kept = count(
        "SELECT COUNT(*) AS n FROM signal_clears WHERE transmitter = ? AND match = ? AND value = ? AND cleared = ?",
        source.transmitter,
        match,
        value,
        cleared,
      );
      if (kept === 0 && count("SELECT COUNT(*) AS n FROM signal_clears") >= MAX_CLEARS) {
        clearsFull = true;
        return;
      }
      sql.exec(
        `INSERT INTO signal_clears (transmitter, match, value, cleared, issued_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (transmitter, match, value, cleared) DO UPDATE SET issued_at = MAX(issued_at, excluded.issued_at)`,
        source.transmitter,
        match,
        value,
        cleared,
        issuedAt,
      );
    };
    this.ctx.storage.transactionSync(() => {
      for (const op of ops) {
        const match = op.fact.match;
        const value = storedValue(match, op.fact.value);
        switch (op.op) {
          case "refuse": {
            if (op.event === "account-disabled" && clearedAfter(match, value, op.event, op.issuedAt, scopeOf(op))) {
              superseded++;
              break;
            }
            // One open entry per transmitter, person, event and scope: a repeated event extends it, never adds
            // another. Two tenants disabled are two entries, each lifted by its own tenant's enable (an entry from
            // before scopes counts as the whole person's).
            const [open] = this.rows(
              "WHERE created_by = ? AND match = ? AND value = ? AND signal_event = ? AND COALESCE(signal_scope, '') = ? AND released_at IS NULL AND (expires_at IS NULL OR expires_at > ?)",
              by,
              match,
              value,
              op.event,
              scopeOf(op),
              now,
            );
            if (open) {
              // The latest SET that refused counts: an enable issued between the two lifts nothing.
              sql.exec(
                `UPDATE entries SET expires_at = ?, reason = ?, signal_jti = ?,
                   signal_issued_at = MAX(COALESCE(signal_issued_at, ?), ?), signal_scope = ? WHERE id = ?`,
                open.expiresAt === null ? null : Math.max(open.expiresAt, op.until),
                op.reason,
                source.jti,
                op.issuedAt,
                op.issuedAt,
                scopeOf(op),
                open.id,
              );
            } else {
              sql.exec(
                `INSERT INTO entries (id, kind, match, value, reason, created_at, created_by, expires_at, signal_transmitter, signal_event, signal_jti, signal_issued_at, signal_scope)
                 VALUES (?, 'revocation', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
                freshRecordId(sql, "entries", "ssf"),
                match,
                value,
                op.reason,
                now,
                by,
                op.until,
                source.transmitter,
                op.event,
                source.jti,
                op.issuedAt,
                scopeOf(op),
              );
            }
            this.stamp(match, value);
            changes++;
            refused++;
            break;
          }
          case "lift": {
            // Only what SETs issued no later than this one refused: a disable issued after the enable, and
            // delivered before it, is the transmitter's last word and stands. `iat` is in whole seconds: within
            // one, the order of arrival decides (a disable and an enable of one second, sent in that order, are
            // the usual case; failing closed there would keep the person out for a month). An enable about one
            // tenant lifts only a disable about that tenant; one about the whole person lifts any.
            const lifted = sql.exec(
              `UPDATE entries SET released_at = ?, released_by = ? WHERE created_by = ? AND match = ? AND value = ?
                 AND signal_event = ? AND released_at IS NULL AND (signal_issued_at IS NULL OR signal_issued_at <= ?)
                 AND (signal_scope IS NULL OR ? = '' OR signal_scope = ?)`,
              now,
              `${by} (account-enabled, jti ${source.jti})`,
              by,
              match,
              value,
              op.event,
              op.issuedAt,
              scopeOf(op),
              scopeOf(op),
            ).rowsWritten;
            if (lifted > 0) this.stamp(match, value);
            changes += lifted;
            keepClear(match, value, op.event, op.issuedAt, scopeOf(op));
            break;
          }
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
            if (clearedAfter(match, value, "posture", op.issuedAt, scopeOf(op))) {
              superseded++;
              break;
            }
            // Held for two devices (or for one and the whole person): only a compliant of the whole person ends it.
            sql.exec(
              `INSERT INTO posture_holds (match, value, transmitter, until, issued_at, scope) VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (match, value, transmitter) DO UPDATE SET until = MAX(until, excluded.until),
                 issued_at = MAX(COALESCE(issued_at, excluded.issued_at), excluded.issued_at),
                 scope = CASE WHEN until <= ? THEN excluded.scope WHEN scope = excluded.scope THEN scope ELSE '' END`,
              match,
              value,
              source.transmitter,
              op.until,
              op.issuedAt,
              scopeOf(op),
              now,
            );
            this.holdPosture(match, value, now, true);
            changes++;
            break;
          case "release-posture": {
            // Each transmitter ends only its own hold: another's stands until it says compliant or runs out. And
            // only a hold a SET issued no later than this one put: a later "not compliant" stands (within one
            // second, the order of arrival decides, as for account-enabled). A compliant about one device ends only
            // a hold about that device; one about the whole person ends any.
            const released = sql.exec(
              `DELETE FROM posture_holds WHERE match = ? AND value = ? AND transmitter = ?
                 AND (issued_at IS NULL OR issued_at <= ?) AND (scope IS NULL OR ? = '' OR scope = ?)`,
              match,
              value,
              source.transmitter,
              op.issuedAt,
              scopeOf(op),
              scopeOf(op),
            ).rowsWritten;
            if (released > 0) this.holdPosture(match, value, now, false);
            changes += released;
            keepClear(match, value, "posture", op.issuedAt, scopeOf(op));
            break;
          }
        }
      }
    });
    return { ok: true, changes, refused, superseded, ...(clearsFull ? { clearsFull: true as const } : {}) };
  }

  /**
   * The person's posture hold as copies read it: until the latest hold in force ends, or none (`posture_by`,
   * read by a release before per-transmitter holds, names the latest holder). `refresh`: the cached facts are
   * dropped too (a new hold); a release only shortens or ends the hold.
   */
  private holdPosture(match: string, value: string, now: number, refresh: boolean): void {
    const sql = this.ctx.storage.sql;
    const latest = sql
      .exec<{ transmitter: string; until: number }>(
        "SELECT transmitter, until FROM posture_holds WHERE match = ? AND value = ? AND until > ? ORDER BY until DESC LIMIT 1",
        match,
        value,
        now,
      )
      .toArray()[0];
    sql.exec(
      `INSERT INTO directory_refresh (match, value, at, posture_until, posture_by) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (match, value) DO UPDATE SET at = CASE WHEN ? THEN excluded.at ELSE at END,
         posture_until = excluded.posture_until, posture_by = excluded.posture_by`,
      match,
      value,
      now,
      latest?.until ?? null,
      latest?.transmitter ?? null,
      refresh ? 1 : 0,
    );
  }

  /** The whole listing in one answer: what the admin API of the release before calls (a gradual deployment). */
  async list(includeClosed: boolean, now: number): Promise<DenyEntry[]> {
    return includeClosed ? this.rows("ORDER BY created_at") : this.active(now);
  }

  /** A page of the admin API's listing (worker/shared/listing-page.ts), in the order the entries were recorded. */
  async page(query: PageQuery<DenyEntry["kind"]>): Promise<RowPage<DenyEntry>> {
    return readPage(this.ctx.storage.sql, "entries", IN_FORCE, query, entryOf);
  }

  /** `kind`: release only an entry of this kind (the CLI's `revoke lift` must not release a quarantine). */
  /**
   * The entry, and whether this call ended it: one ended before (by another admin, an earlier call, its expiry's
   * sweep) keeps who ended it and when, and the caller says so rather than logging an end nobody made now.
   */
  async release(
    id: string,
    who: string,
    now: number,
    kind?: DenyEntry["kind"],
  ): Promise<{ entry: DenyEntry; changed: boolean } | undefined> {
    const released = this.ctx.storage.sql.exec(
      "UPDATE entries SET released_at = ?, released_by = ? WHERE id = ? AND released_at IS NULL AND kind = COALESCE(?, kind)",
      now,
      who,
      id,
      kind ?? null,
    ).rowsWritten;
    const entry = this.rows("WHERE id = ?", id)[0];
    if (!entry) return undefined;
    if (released > 0) this.stamp(entry.match, entry.value);
    return { entry, changed: released > 0 };
  }
}
