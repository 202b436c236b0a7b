// Every SET's jti, remembered per transmitter (one object per issuer) for as long as a SET with that iat could
// still be accepted (policy/ssf/set.ts: seven days back, a minute ahead): a SET seen before is never applied
// twice, so a captured account-disabled cannot be replayed after account-enabled. Bounded: at most MAX_SEEN
// jtis per transmitter, expired ones deleted by an alarm; past the bound a SET is answered 503 and sent again.
//
// A jti is claimed ("pending") before its SET is applied and committed after: a SET whose effects could not be
// written is released, so the transmitter's retry applies it; one whose commit was lost is applied again by a
// retry once the claim has lapsed (the effects are idempotent), never dropped. A claim is its taker's: a
// release by a request whose claim lapsed and was taken over leaves the new one, and a commit remembers the
// SET even if its claim is gone. A SET is known by its claims (canonical JSON), not its signature: a transmitter
// that signs each delivery again (ES256 and PS* signatures differ each time) sends the same SET.
//
// The same object, being the transmitter's, also keeps the state `ward ssf verify` asked for (a verification
// event counts only with it), when verification last succeeded, and drives poll delivery (worker/ssf/poll.ts)
// from its alarm for a transmitter the policy polls.
import { DurableObject } from "cloudflare:workers";
import { MAX_FUTURE_SECONDS, MAX_SET_AGE_SECONDS } from "../../policy/index.ts";
import type { Env } from "../env.ts";
import { pollTransmitter } from "./poll.ts";

export const MAX_SEEN = 1_000_000;
/** A pending claim older than this was abandoned (its request died between claim and commit). */
export const CLAIM_LAPSES_MS = 30_000;
const SWEEP_EVERY_MS = 3600_000;
/** A requested verification's state is good this long: transmitters send the event within minutes (§8.1.4.2). */
export const VERIFICATION_LAPSES_MS = 24 * 3600_000;

/** What `ward ssf status` shows of the receiving side. */
export interface ReceiverStatus {
  /** When a verification event with a requested state was last taken (ms), if ever. */
  verifiedAt: number | null;
  /** When the pending verification was requested (ms), if one is. */
  verificationRequestedAt: number | null;
  poll: { lastOkAt: number | null; failures: number; lastError: string | null; nextAt: number | null } | null;
}

/**
 * fresh: never seen, now claimed; duplicate: this very SET was applied before; conflict: its jti came with
 * another SET (a forgery or a transmitter bug); in-flight: the same SET is being applied right now; full.
 */
export type Claim = "fresh" | "duplicate" | "conflict" | "in-flight" | "full";

/** A jti is kept until no SET with this iat could pass the age check, whenever it arrives. */
function forgetAt(issuedAt: number): number {
  return issuedAt + (MAX_SET_AGE_SECONDS + MAX_FUTURE_SECONDS) * 1000;
}

export class SsfReplay extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS seen (
      jti TEXT PRIMARY KEY, digest TEXT NOT NULL, done INTEGER NOT NULL, claimed_at INTEGER NOT NULL,
      forget_at INTEGER NOT NULL)`);
    ctx.storage.sql.exec("CREATE INDEX IF NOT EXISTS seen_forget ON seen (forget_at)");
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, n INTEGER NOT NULL)");
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS facts (name TEXT PRIMARY KEY, value TEXT)");
  }

  private fact(name: string): string | null {
    return (
      this.ctx.storage.sql.exec<{ value: string | null }>("SELECT value FROM facts WHERE name = ?", name).toArray()[0]
        ?.value ?? null
    );
  }

  private setFact(name: string, value: string | number | null): void {
    this.ctx.storage.sql.exec(
      "INSERT INTO facts (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
      name,
      value === null ? null : String(value),
    );
  }

  private numberFact(name: string): number | null {
    const v = this.fact(name);
    return v === null ? null : Number(v);
  }

  /** `ward ssf verify` asked the transmitter for a verification event with this state (the newest request counts). */
  async expectVerification(state: string, now: number): Promise<void> {
    this.setFact("verify-state", state);
    this.setFact("verify-requested-at", now);
  }

  /** A verification event's state: true (and remembered as the last success) only if it is the one requested. */
  async checkVerification(state: string, now: number): Promise<boolean> {
    const expected = this.fact("verify-state");
    const at = this.numberFact("verify-requested-at");
    if (expected === null || at === null || now - at > VERIFICATION_LAPSES_MS || expected !== state) return false;
    this.setFact("verified-at", now);
    return true;
  }

  async status(): Promise<ReceiverStatus> {
    const requested = this.fact("verify-state") === null ? null : this.numberFact("verify-requested-at");
    const issuer = this.fact("poll-issuer");
    return {
      verifiedAt: this.numberFact("verified-at"),
      verificationRequestedAt: requested,
      poll:
        issuer === null
          ? null
          : {
              lastOkAt: this.numberFact("poll-ok-at"),
              failures: this.numberFact("poll-failures") ?? 0,
              lastError: this.fact("poll-error"),
              nextAt: await this.ctx.storage.getAlarm(),
            },
    };
  }

  /** Starts polling for the transmitter with this issuer (the policy says whether it polls): at once. */
  async startPolling(issuer: string): Promise<void> {
    this.setFact("poll-issuer", issuer);
    await this.ctx.storage.setAlarm(Date.now());
  }

  private count(): number {
    return this.ctx.storage.sql.exec<{ n: number }>("SELECT n FROM meta WHERE name = 'seen'").toArray()[0]?.n ?? 0;
  }

  private adjust(delta: number): void {
    this.ctx.storage.sql.exec(
      "INSERT INTO meta (name, n) VALUES ('seen', ?) ON CONFLICT (name) DO UPDATE SET n = n + excluded.n",
      delta,
    );
  }

  /**
   * `digest`: the SHA-256 of the SET's claims in canonical JSON; `issuedAt`: its iat in ms; `now` is the claim's
   * own mark, which release() is given back.
   */
  async claim(jti: string, digest: string, issuedAt: number, now: number): Promise<Claim> {
    const sql = this.ctx.storage.sql;
    const [row] = sql
      .exec<{ digest: string; done: number; claimed_at: number }>(
        "SELECT digest, done, claimed_at FROM seen WHERE jti = ?",
        jti,
      )
      .toArray();
    if (row) {
      if (row.done === 1) return row.digest === digest ? "duplicate" : "conflict";
      // Pending, whatever SET holds it: nothing is known applied yet, so another SET under the jti is asked for
      // again (503) rather than refused for good; if the claim's request fails, the retry takes it.
      if (now - row.claimed_at < CLAIM_LAPSES_MS) return "in-flight";
      // Abandoned: nothing under it is known to have been applied, so whichever SET comes now takes it over.
      sql.exec("UPDATE seen SET claimed_at = ?, digest = ? WHERE jti = ?", now, digest, jti);
      return "fresh";
    }
    if (this.count() >= MAX_SEEN) return "full";
    sql.exec(
      "INSERT INTO seen (jti, digest, done, claimed_at, forget_at) VALUES (?, ?, 0, ?, ?)",
      jti,
      digest,
      now,
      forgetAt(issuedAt),
    );
    this.adjust(1);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(now + SWEEP_EVERY_MS);
    return "fresh";
  }

  /**
   * Its SET was applied: remembered as done. Also when its claim is gone (released by a request whose claim had
   * lapsed before this one took it over): an applied SET forgotten could be applied again for days.
   */
  async commit(jti: string, digest: string, issuedAt: number): Promise<void> {
    const sql = this.ctx.storage.sql;
    if (sql.exec("UPDATE seen SET done = 1, digest = ? WHERE jti = ?", digest, jti).rowsWritten > 0) return;
    sql.exec(
      "INSERT INTO seen (jti, digest, done, claimed_at, forget_at) VALUES (?, ?, 1, ?, ?)",
      jti,
      digest,
      Date.now(),
      forgetAt(issuedAt),
    );
    this.adjust(1);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + SWEEP_EVERY_MS);
  }

  /**
   * Its SET could not be applied: forget the claim, so the transmitter's retry is fresh. `claimedAt`: the `now`
   * it was claimed with; a claim taken over since (it had lapsed) is the newer request's, and stays.
   */
  async release(jti: string, claimedAt: number): Promise<void> {
    const removed = this.ctx.storage.sql.exec(
      "DELETE FROM seen WHERE jti = ? AND done = 0 AND claimed_at = ?",
      jti,
      claimedAt,
    ).rowsWritten;
    if (removed > 0) this.adjust(-removed);
  }

  override async alarm(): Promise<void> {
    const removed = this.ctx.storage.sql.exec("DELETE FROM seen WHERE forget_at <= ?", Date.now()).rowsWritten;
    if (removed > 0) this.adjust(-removed);
    let next = this.count() > 0 ? Date.now() + SWEEP_EVERY_MS : undefined;
    const issuer = this.fact("poll-issuer");
    if (issuer !== null) {
      const failures = this.numberFact("poll-failures") ?? 0;
      let polled: Awaited<ReturnType<typeof pollTransmitter>>;
      try {
        polled = await pollTransmitter(this.env, issuer, this, failures, (p) => this.ctx.waitUntil(p));
      } catch (error) {
        // Whatever went wrong, polling goes on (backed off): an alarm that throws would be retried blindly.
        polled = {
          kind: "failed",
          problem: `poll-error: ${String(error)}`,
          nextInMs: Math.min(60_000 * 2 ** Math.min(failures, 6), 3600_000),
        };
      }
      if (polled.kind === "stopped") {
        // The active policy no longer polls this transmitter: nothing more until a policy starts it again.
        this.ctx.storage.sql.exec("DELETE FROM facts WHERE name = 'poll-issuer'");
      } else {
        if (polled.kind === "ok") {
          this.setFact("poll-ok-at", Date.now());
          this.setFact("poll-failures", 0);
        } else {
          this.setFact("poll-failures", failures + 1);
          this.setFact("poll-error", polled.problem);
        }
        next = Math.min(next ?? Infinity, Date.now() + polled.nextInMs);
      }
    }
    if (next !== undefined) await this.ctx.storage.setAlarm(next);
  }
}
