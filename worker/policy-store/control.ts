// The one writer of the active-policy pointer. KV has no compare-and-set (last write wins), so pushes and
// rollbacks go through this Durable Object: it moves the pointer only if it still names the version the
// caller diffed against, keeps the history (who, when, message, previous), and then mirrors the pointer to
// KV, where every isolate reads it. One object per environment ("policy"): pushes are rare, so no sharding.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { ACTIVE_KEY, SHADOW_KEY } from "../../policy/index.ts";

export interface HistoryEntry {
  seq: number;
  at: string;
  action: "push" | "rollback" | "shadow" | "shadow-clear" | "promote";
  version: string;
  previous: string | null;
  who: string;
  message: string;
}

export interface ActivateRequest {
  /** The version the caller saw as active (null: none); the move happens only if it still is. */
  expected: string | null;
  version: string;
  action: "push" | "rollback" | "promote";
  who: string;
  message: string;
  /**
   * The active version the caller was authorised against (authority()): the move happens only if it still is, so
   * an admin a push removes while their own request is on its way cannot move the pointer past that push.
   */
  authorisedFrom: string | null;
}

export type ActivateResult =
  | { ok: true; entry: HistoryEntry }
  | { ok: false; active: string | null }
  /** A promote whose candidate is no longer the one in shadow. */
  | { ok: false; active: string | null; shadow: string | null };

export const POLICY_CONTROL_NAME = "policy";

export class PolicyControl extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS history (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, action TEXT NOT NULL, version TEXT NOT NULL,
      previous TEXT, who TEXT NOT NULL, message TEXT NOT NULL)`);
  }

  /** The candidate evaluated in shadow (the last shadow entry), or null. */
  private shadow(): string | null {
    const last = this.ctx.storage.sql
      .exec<{ action: string; version: string }>(
        "SELECT action, version FROM history WHERE action IN ('shadow', 'shadow-clear', 'promote') ORDER BY seq DESC LIMIT 1",
      )
      .toArray()[0];
    return last?.action === "shadow" ? last.version : null;
  }

  /** The active version: the last entry, or, before the first push through here, what KV holds (a bootstrap). */
  private async active(): Promise<string | null> {
    const last = this.ctx.storage.sql
      .exec<{ version: string }>(
        "SELECT version FROM history WHERE action IN ('push', 'rollback', 'promote') ORDER BY seq DESC LIMIT 1",
      )
      .toArray()[0];
    if (last) return last.version;
    return (await this.env.POLICY.get(ACTIVE_KEY))?.trim() || null;
  }

  /**
   * The active version and when it was made so (ms since the epoch; null when no move went through here yet and
   * the version is KV's, a bootstrap's): what the admin API authorises against.
   */
  async authority(): Promise<{ active: string | null; movedAt: number | null }> {
    const last = this.ctx.storage.sql
      .exec<{ version: string; at: string }>(
        "SELECT version, at FROM history WHERE action IN ('push', 'rollback', 'promote') ORDER BY seq DESC LIMIT 1",
      )
      .toArray()[0];
    if (last) return { active: last.version, movedAt: Date.parse(last.at) };
    return { active: (await this.env.POLICY.get(ACTIVE_KEY))?.trim() || null, movedAt: null };
  }

  async state(limit = 50): Promise<{ active: string | null; shadow: string | null; history: HistoryEntry[] }> {
    const history = this.ctx.storage.sql
      .exec<Record<string, SqlStorageValue>>("SELECT * FROM history ORDER BY seq DESC LIMIT ?", limit)
      .toArray() as unknown as HistoryEntry[];
    return { active: await this.active(), shadow: this.shadow(), history };
  }

  /**
   * Sets (version) or clears (null) the shadow candidate; it never affects what is enforced. Clearing with no
   * candidate records nothing (null): each such entry would push real moves out of the recent history that
   * `ward rollback` reads. KV's pointer is removed all the same, should a promote have left it behind.
   */
  async setShadow(version: string | null, who: string, message: string): Promise<HistoryEntry | null> {
    return this.ctx.blockConcurrencyWhile(async () => {
      if (version) await this.env.POLICY.put(SHADOW_KEY, version);
      else await this.env.POLICY.delete(SHADOW_KEY);
      const cleared = version ? null : this.shadow();
      if (!version && !cleared) return null;
      return this.record(version ? "shadow" : "shadow-clear", version ?? cleared!, await this.active(), who, message);
    });
  }

  private record(
    action: HistoryEntry["action"],
    version: string,
    previous: string | null,
    who: string,
    message: string,
  ): HistoryEntry {
    const at = new Date().toISOString();
    const row = this.ctx.storage.sql
      .exec<{ seq: number }>(
        "INSERT INTO history (at, action, version, previous, who, message) VALUES (?, ?, ?, ?, ?, ?) RETURNING seq",
        at,
        action,
        version,
        previous,
        who,
        message,
      )
      .one();
    return { seq: row.seq, at, action, version, previous, who, message };
  }

  async activate(request: ActivateRequest): Promise<ActivateResult> {
    // Serialised: the KV write below is outside I/O, which would otherwise let a second call interleave
    // between the check and the move.
    return this.ctx.blockConcurrencyWhile(async () => {
      const active = await this.active();
      if (active !== request.expected) return { ok: false as const, active };
      if (active !== request.authorisedFrom) return { ok: false as const, active };
      const shadow = this.shadow();
      if (request.action === "promote" && shadow !== request.version) return { ok: false as const, active, shadow };
      const entry = this.record(request.action, request.version, active, request.who, request.message);
      try {
        await this.env.POLICY.put(ACTIVE_KEY, request.version);
      } catch (error) {
        // The pointer did not move: neither may the history.
        this.ctx.storage.sql.exec("DELETE FROM history WHERE seq = ?", entry.seq);
        throw error;
      }
      // A promoted candidate is no longer a candidate. The history already says so; should the pointer's
      // removal fail, isolates shadow-evaluate the now active version, which they skip, until the next change.
      if (request.action === "promote") await this.env.POLICY.delete(SHADOW_KEY).catch(() => undefined);
      return { ok: true as const, entry };
    });
  }
}
