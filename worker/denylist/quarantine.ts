// Quarantine: an identity whose requests keep being denied (a workload walking the internal graph) is
// refused for a while. Denials are counted per identity in its own Durable Object (sharded by principal),
// off the request path (waitUntil); crossing the policy's threshold adds a quarantine entry to the denylist
// and announces it.
import { DurableObject } from "cloudflare:workers";
import { durationSeconds, type PolicyDocument } from "../../policy/index.ts";
import { DENYLIST_NAME, type DenyEntry } from "./store.ts";
import type { Env } from "../env.ts";
import { logEvent } from "../log/events.ts";
import { announcement, notify } from "../shared/notify.ts";

export type QuarantineConfig = NonNullable<PolicyDocument["quarantine"]>;

export class DenialCounter extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS denials (at INTEGER NOT NULL)");
  }

  /** Counts one denial; returns the quarantine entry when this one crosses the threshold. */
  async record(principal: string, config: QuarantineConfig, now: number): Promise<DenyEntry | undefined> {
    const windowMs = durationSeconds(config.within) * 1000;
    this.ctx.storage.sql.exec("DELETE FROM denials WHERE at <= ?", now - windowMs);
    this.ctx.storage.sql.exec("INSERT INTO denials (at) VALUES (?)", now);
    const count = this.ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM denials").one().n;
    // Idle counters clean themselves up after the window.
    await this.ctx.storage.setAlarm(now + windowMs);
    if (count < config.deniedRequests) return undefined;
    // The count is cleared only once the quarantine is recorded: if the denylist cannot be reached, the next
    // denial tries again instead of starting from zero.
    const entry = await this.env.DENYLIST.getByName(DENYLIST_NAME).add(
      {
        kind: "quarantine",
        match: "principal",
        value: principal,
        reason: `${count} denied requests within ${config.within}`,
        expiresAt: now + durationSeconds(config.for) * 1000,
      },
      "ward (quarantine)",
      now,
    );
    this.ctx.storage.sql.exec("DELETE FROM denials");
    return entry;
  }

  override async alarm(): Promise<void> {
    this.ctx.storage.sql.exec("DELETE FROM denials WHERE at <= ?", Date.now());
  }
}

/** Off the request path: count the denial and announce a new quarantine. Failures are logged, never thrown. */
export async function countDenial(env: Env, principal: string, config: QuarantineConfig, now: number): Promise<void> {
  try {
    const entry = await env.DENIAL_COUNTER.getByName(principal).record(principal, config, now);
    if (entry && entry.createdAt === now) {
      logEvent("warn", "quarantined", {
        principal,
        id: entry.id,
        until: entry.expiresAt === null ? null : new Date(entry.expiresAt).toISOString(),
        reason: entry.reason,
      });
      const until = entry.expiresAt === null ? "released" : new Date(entry.expiresAt).toISOString();
      await notify(env, announcement`Ward quarantined ${principal} until ${until}: ${entry.reason}`, {
        quarantine: entry,
      });
    }
  } catch (error) {
    logEvent("error", "denial-count-failed", { principal, error: String(error) });
  }
}
