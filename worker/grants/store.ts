// Time-bounded grants (exceptions and break-glass) for one service: a Durable Object per service
// (`service:<name>`), so grants are sharded by what they open and one busy service never slows another.
// Every change is an event (the audit trail); an alarm retires grants at their notAfter; uses are counted
// here, one request at a time, so a use limit is exact under any concurrency.
import { DurableObject } from "cloudflare:workers";
import type {
  ConsumeResult,
  GrantEvent,
  GrantRecord,
  GrantStatus,
  NewGrant,
  PrincipalMatcher,
  TimedGrant,
} from "../../policy/index.ts";
import type { Env } from "../env.ts";
import { type PageQuery, readPage, type RowPage } from "../shared/listing-page.ts";
import { freshRecordId } from "../shared/record-id.ts";

// The records are the core's (policy/grant-records.ts): the CLI prints them too.
export type { ConsumeResult, GrantEvent, GrantRecord, GrantStatus, NewGrant };

export const grantsShard = (service: string): string => `service:${service}`;

/**
 * The most grants of one kind a service may have active at once. Every isolate copies a service's active
 * grants whole (grants/cache.ts) when a request there would be denied, so the copy must stay small: with each
 * grant's size bounded too (admin/grants.ts), ~300 KB at these caps for grants of the usual size. An exception is reviewed one by one; a thousand open at once on one service is
 * a policy that should be changed instead. Break-glass has its own cap, so exceptions can never crowd out an
 * emergency. A grant whose uses are spent counts until its notAfter, as the copy keeps it for the WebSockets that
 * spent them; a grant past its notAfter does not count, whether or not the alarm has retired it yet.
 */
export const MAX_ACTIVE_GRANTS: Readonly<Record<GrantRecord["kind"], number>> = {
  exception: 1_000,
  "break-glass": 100,
};

/** A new grant, stored; or refused because the service already has as many of its kind active as allowed. */
export type CreateResult = { ok: true; record: GrantRecord } | { ok: false; problem: "grants-full"; limit: number };

/** A grant in force at `?`: active, or used up and not past its notAfter (list(), below). */
const IN_FORCE = "status = 'active' OR (status = 'used-up' AND not_after > ?)";

interface Row {
  id: string;
  kind: string;
  principal: string;
  service: string;
  routes: string;
  methods: string;
  reason: string;
  ticket: string;
  requested_by: string;
  approved_by: string;
  not_before: number;
  not_after: number;
  max_uses: number | null;
  uses: number;
  status: string;
  created_at: number;
  created_by: string;
}

function recordOf(row: Row): GrantRecord {
  const record: GrantRecord = {
    id: row.id,
    kind: row.kind as GrantRecord["kind"],
    principal: JSON.parse(row.principal) as PrincipalMatcher,
    service: row.service,
    routes: JSON.parse(row.routes) as GrantRecord["routes"],
    methods: JSON.parse(row.methods) as GrantRecord["methods"],
    reason: row.reason,
    ticket: row.ticket,
    requestedBy: row.requested_by,
    approvedBy: row.approved_by,
    notBefore: row.not_before,
    notAfter: row.not_after,
    uses: row.uses,
    status: row.status as GrantStatus,
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
  if (row.max_uses !== null) record.maxUses = row.max_uses;
  return record;
}

export class Grants extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS grants (
      id TEXT PRIMARY KEY, kind TEXT NOT NULL, principal TEXT NOT NULL, service TEXT NOT NULL, routes TEXT NOT NULL,
      methods TEXT NOT NULL, reason TEXT NOT NULL, ticket TEXT NOT NULL, requested_by TEXT NOT NULL, approved_by TEXT NOT NULL,
      not_before INTEGER NOT NULL, not_after INTEGER NOT NULL, max_uses INTEGER, uses INTEGER NOT NULL DEFAULT 0,
      status TEXT NOT NULL, created_at INTEGER NOT NULL, created_by TEXT NOT NULL)`);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS events (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, grant_id TEXT NOT NULL, action TEXT NOT NULL,
      who TEXT NOT NULL, detail TEXT NOT NULL)`);
  }

  private event(at: number, grantId: string, action: GrantEvent["action"], who: string, detail = ""): void {
    this.ctx.storage.sql.exec(
      "INSERT INTO events (at, grant_id, action, who, detail) VALUES (?, ?, ?, ?, ?)",
      at,
      grantId,
      action,
      who,
      detail,
    );
  }

  private rows(where = "", ...params: SqlStorageValue[]): GrantRecord[] {
    return this.ctx.storage.sql
      .exec<Row & Record<string, SqlStorageValue>>(`SELECT * FROM grants ${where}`, ...params)
      .toArray()
      .map(recordOf);
  }

  /** The alarm fires at the soonest notAfter of an active grant, so expiry is recorded on time. */
  private async scheduleAlarm(): Promise<void> {
    const next = this.ctx.storage.sql
      .exec<{ t: number | null }>("SELECT MIN(not_after) AS t FROM grants WHERE status = 'active'")
      .one().t;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }

  async create(grant: NewGrant, who: string, now: number): Promise<CreateResult> {
    // Counted and inserted with no await between: no other call to this object can come in between.
    const limit = MAX_ACTIVE_GRANTS[grant.kind];
    // Used-up ones too: every isolate's copy holds them to notAfter (active(), below), and the cap bounds that copy.
    const active = this.ctx.storage.sql
      .exec<{ n: number }>(
        "SELECT COUNT(*) AS n FROM grants WHERE kind = ? AND status IN ('active', 'used-up') AND not_after > ?",
        grant.kind,
        now,
      )
      .one().n;
    if (active >= limit) return { ok: false, problem: "grants-full", limit };
    const id = freshRecordId(this.ctx.storage.sql, "grants", grant.kind === "break-glass" ? "bg" : "exc");
    this.ctx.storage.sql.exec(
      `INSERT INTO grants (id, kind, principal, service, routes, methods, reason, ticket, requested_by, approved_by,
        not_before, not_after, max_uses, uses, status, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'active', ?, ?)`,
      id,
      grant.kind,
      JSON.stringify(grant.principal),
      grant.service,
      JSON.stringify(grant.routes),
      JSON.stringify(grant.methods),
      grant.reason,
      grant.ticket,
      grant.requestedBy,
      grant.approvedBy,
      grant.notBefore,
      grant.notAfter,
      grant.maxUses ?? null,
      now,
      who,
    );
    this.event(now, id, "created", who, grant.reason);
    await this.scheduleAlarm();
    return { ok: true, record: this.rows("WHERE id = ?", id)[0]! };
  }

  /**
   * The grants in force: active, and used up but not past notAfter (each still counts toward the cap, and the
   * WebSockets that spent them last until then: revoking one frees its place); `includeClosed`: every grant.
   */
  async list(includeClosed = false): Promise<GrantRecord[]> {
    if (includeClosed) return this.rows("ORDER BY created_at");
    return this.rows(`WHERE ${IN_FORCE} ORDER BY created_at`, Date.now());
  }

  /** A page of the admin API's listing (worker/shared/listing-page.ts), in the order the grants were recorded. */
  async page(query: PageQuery<GrantRecord["kind"]>): Promise<RowPage<GrantRecord>> {
    return readPage(this.ctx.storage.sql, "grants", IN_FORCE, query, recordOf);
  }

  async events(grantId?: string): Promise<GrantEvent[]> {
    const cursor = grantId
      ? this.ctx.storage.sql.exec<Record<string, SqlStorageValue>>(
          "SELECT seq, at, grant_id AS grantId, action, who, detail FROM events WHERE grant_id = ? ORDER BY seq",
          grantId,
        )
      : this.ctx.storage.sql.exec<Record<string, SqlStorageValue>>(
          "SELECT seq, at, grant_id AS grantId, action, who, detail FROM events ORDER BY seq",
        );
    return cursor.toArray() as unknown as GrantEvent[];
  }

  /**
   * What the gateway may honour: active and not yet past notAfter (the request path compares again); and, marked
   * `usedUp`, those whose last use is spent, honoured for nothing but the WebSockets that spent a use. In the order
   * they were created (rowid), which is the order the gateway tries them in: of several that cover a request, the
   * first created applies (docs/operations.md).
   */
  async active(now: number): Promise<TimedGrant[]> {
    return this.rows("WHERE status IN ('active', 'used-up') AND not_after > ? ORDER BY rowid", now).map((g) => {
      const grant: TimedGrant = {
        id: g.id,
        kind: g.kind,
        principal: g.principal,
        service: g.service,
        routes: g.routes,
        methods: g.methods,
        notBefore: g.notBefore,
        notAfter: g.notAfter,
      };
      if (g.maxUses !== undefined) grant.maxUses = g.maxUses;
      if (g.status === "used-up") grant.usedUp = true;
      return grant;
    });
  }

  /**
   * The grant, and whether this call ended it: one already revoked or expired is left as it is, and the caller
   * says so rather than logging a revocation nobody made.
   */
  async revoke(
    id: string,
    who: string,
    reason: string,
    now: number,
  ): Promise<{ record: GrantRecord; changed: boolean } | undefined> {
    const [grant] = this.rows("WHERE id = ?", id);
    if (!grant) return undefined;
    // A used-up grant too: a WebSocket that spent its last use lasts to notAfter unless it is revoked.
    const changed = grant.status === "active" || grant.status === "used-up";
    if (changed) {
      this.ctx.storage.sql.exec("UPDATE grants SET status = 'revoked' WHERE id = ?", id);
      this.event(now, id, "revoked", who, reason);
      await this.scheduleAlarm();
    }
    return { record: this.rows("WHERE id = ?", id)[0]!, changed };
  }

  /** One use of a grant with a use limit, counted before the request is forwarded. */
  async consume(id: string, now: number): Promise<ConsumeResult> {
    const [grant] = this.rows("WHERE id = ?", id);
    if (!grant) return { ok: false, status: "unknown" };
    if (grant.status !== "active") return { ok: false, status: grant.status };
    if (!(now >= grant.notBefore && now < grant.notAfter)) return { ok: false, status: "outside-window" };
    if (grant.maxUses !== undefined && grant.uses >= grant.maxUses) return { ok: false, status: "used-up" };
    const uses = grant.uses + 1;
    const usedUp = grant.maxUses !== undefined && uses >= grant.maxUses;
    this.ctx.storage.sql.exec(
      "UPDATE grants SET uses = ?, status = ? WHERE id = ?",
      uses,
      usedUp ? "used-up" : "active",
      id,
    );
    if (usedUp) {
      this.event(now, id, "used-up", "gateway", `${uses} of ${grant.maxUses}`);
      await this.scheduleAlarm();
    }
    return { ok: true, uses };
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    for (const grant of this.rows("WHERE status = 'active' AND not_after <= ?", now)) {
      this.ctx.storage.sql.exec("UPDATE grants SET status = 'expired' WHERE id = ?", grant.id);
      this.event(now, grant.id, "expired", "alarm", `not after ${new Date(grant.notAfter).toISOString()}`);
    }
    await this.scheduleAlarm();
  }
}
