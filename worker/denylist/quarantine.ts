// Quarantine: an identity whose requests keep being denied (a workload walking the internal graph) is
// refused for a while. Denials are counted per identity in its own Durable Object (sharded by principal),
// off the request path (waitUntil); crossing the policy's threshold adds a quarantine entry to the denylist
// and announces it, unless MAX_QUARANTINES are in force: then the count is kept and the miss logged.
import { DurableObject } from "cloudflare:workers";
import { durationSeconds, type NewDenyEntry, type PolicyDocument } from "../../policy/index.ts";
import { DENYLIST_NAME, type DenyEntry, type Denylist, MAX_QUARANTINES, type QuarantineResult } from "./store.ts";
import type { Env } from "../env.ts";
import { logEvent } from "../log/events.ts";
import { announcement, notify } from "../shared/notify.ts";
import { lacksMethod } from "../shared/missing-method.ts";

export type QuarantineConfig = NonNullable<PolicyDocument["quarantine"]>;

/** A threshold crossed when MAX_QUARANTINES (or the limit asked for) are in force: no quarantine was stored. */
export interface QuarantinesFull {
  problem: "quarantines-full";
  limit: number;
}

/**
 * Denylist.quarantine, counted against MAX_QUARANTINES. A Denylist still on the release before (a gradual
 * deployment, or the seconds after any deploy) has no `quarantine`: stored through `add`, uncapped, as it was.
 */
export async function quarantineWithin(
  denylist: DurableObjectStub<Denylist>,
  entry: NewDenyEntry & { kind: "quarantine" },
  now: number,
  limit: number,
): Promise<QuarantineResult> {
  try {
    return await denylist.quarantine(entry, "ward (quarantine)", now, limit);
  } catch (error) {
    if (!lacksMethod(error, "quarantine")) throw error;
    return { ok: true, entry: await denylist.add(entry, "ward (quarantine)", now) };
  }
}

/**
 * How long a counter takes the denylist's "full" as still true before asking again. A principal left out keeps
 * its count, so each of its further denials crosses the threshold anew: without this, each would be a call to the
 * one Denylist object every isolate reads from (from a review: minted principals denied over and over would load
 * it). Its quarantine may then come this much later than the room for it.
 */
export const FULL_RECHECK_MS = 10_000;

export class DenialCounter extends DurableObject<Env> {
  /** Until when (the caller's clock) the denylist is taken as full, and the cap it answered: in memory only. */
  private fullUntil = Number.NEGATIVE_INFINITY;
  private fullLimit = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS denials (at INTEGER NOT NULL)");
  }

  /**
   * Counts one denial; returns the quarantine entry when this one crosses the threshold, or that it could not be
   * stored (MAX_QUARANTINES in force; `limit` lowers it for tests).
   */
  async record(
    principal: string,
    config: QuarantineConfig,
    now: number,
    limit = MAX_QUARANTINES,
  ): Promise<DenyEntry | QuarantinesFull | undefined> {
    const windowMs = durationSeconds(config.within) * 1000;
    this.ctx.storage.sql.exec("DELETE FROM denials WHERE at <= ?", now - windowMs);
    this.ctx.storage.sql.exec("INSERT INTO denials (at) VALUES (?)", now);
    const count = this.ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM denials").one().n;
    // Idle counters clean themselves up after the window.
    await this.ctx.storage.setAlarm(now + windowMs);
    if (count < config.deniedRequests) return undefined;
    if (now < this.fullUntil) return { problem: "quarantines-full", limit: this.fullLimit };
    // The count is cleared only once the quarantine is recorded: if the denylist cannot be reached, or holds
    // MAX_QUARANTINES, the next denial tries again instead of starting from zero.
    const result = await quarantineWithin(
      this.env.DENYLIST.getByName(DENYLIST_NAME),
      {
        kind: "quarantine",
        match: "principal",
        value: principal,
        reason: `${count} denied requests within ${config.within}`,
        expiresAt: now + durationSeconds(config.for) * 1000,
      },
      now,
      limit,
    );
    if (!result.ok) {
      this.fullUntil = now + FULL_RECHECK_MS;
      this.fullLimit = result.limit;
      return { problem: result.problem, limit: result.limit };
    }
    this.ctx.storage.sql.exec("DELETE FROM denials");
    // A copy of the entry, not the call's result as it is: the runtime gives that a disposer, and a result returned
    // with one becomes, for the caller, a result the runtime expects disposed ("An RPC result was not disposed
    // properly" once it is garbage-collected). The copy leaves the disposer out (it is not enumerable).
    return { ...result.entry };
  }

  override async alarm(): Promise<void> {
    this.ctx.storage.sql.exec("DELETE FROM denials WHERE at <= ?", Date.now());
  }
}

/** Off the request path: count the denial and announce a new quarantine. Failures are logged, never thrown. */
export async function countDenial(env: Env, principal: string, config: QuarantineConfig, now: number): Promise<void> {
  try {
    const entry = await env.DENIAL_COUNTER.getByName(principal).record(principal, config, now);
    // Not stored: its denials stand, and stay counted until there is room. Not announced: a flood of minted
    // principals would flood the webhook; the log says it each time.
    if (entry && "problem" in entry)
      logEvent("error", "quarantine-not-stored", { principal, problem: entry.problem, limit: entry.limit });
    else if (entry && entry.createdAt === now) {
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
