// From a review: quarantines had no bound, and every isolate copies the whole denylist (worker/denylist/cache.ts).
// They are made by denials, one per principal denied often enough, so whoever can mint principals (one issuer's
// workload tokens, each with a `sub` of its choosing) could grow every isolate's copy without end. Past
// MAX_QUARANTINES in force a new one is not stored: the quarantines in force all stand (none ends early to make
// room), the principal's denials stay counted, so it is quarantined at its next denial once there is room, and
// each one left out is logged. The real cap takes long to reach, so these tests pass a smaller one.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import operations from "../../../docs/operations.md?raw";
import { countDenial, FULL_RECHECK_MS, type QuarantineConfig } from "../../../worker/denylist/quarantine.ts";
import { DENYLIST_NAME, MAX_QUARANTINES } from "../../../worker/denylist/store.ts";
import type { Env } from "../../../worker/env.ts";
import { captured } from "../support/captured-log.ts";
import { originSaw } from "../support/harness.ts";

const NOW = Date.UTC(2026, 11, 8);
const quarantine = (value: string, expiresAt: number | null = NOW + 3_600_000) => ({
  kind: "quarantine" as const,
  match: "principal" as const,
  value,
  reason: "test",
  expiresAt,
});

describe("the cap on quarantines in force", () => {
  it("is the documented 10,000", () => {
    expect(MAX_QUARANTINES).toBe(10_000);
    expect(operations).toContain("10,000 quarantines in force");
  });

  it("leaves out one past it in the store; released and expired ones do not count, nor revocations", async () => {
    const store = env.DENYLIST.getByName("quarantine-cap");
    const made = async (value: string, at: number, expiresAt?: number) => {
      const result = await store.quarantine(quarantine(value, expiresAt), "ward (quarantine)", at, 2);
      return result.ok ? result.entry : result;
    };
    await store.revoke(
      { kind: "revocation", match: "email", value: "r@example.com", reason: "t", expiresAt: null },
      "t",
      NOW,
    );
    const a = await made("subject:ci/a", NOW);
    await made("subject:ci/b", NOW, NOW + 1000);
    expect(await made("subject:ci/c", NOW)).toEqual({ ok: false, problem: "quarantines-full", limit: 2 });
    // One in force already is answered as it stands, full or not.
    expect(await made("subject:ci/a", NOW)).toEqual(a);
    if (!("id" in a)) throw new Error("a was left out");
    await store.release(a.id, "test", NOW);
    expect(await made("subject:ci/c", NOW)).toMatchObject({ kind: "quarantine", value: "subject:ci/c" });
    // b expired: its place is free.
    await made("subject:ci/d", NOW + 1000);
    expect(await made("subject:ci/e", NOW + 1000)).toMatchObject({ ok: false });
    const open = (await store.list(false, NOW + 1000)).map((e) => e.value).sort();
    expect(open).toEqual(["r@example.com", "subject:ci/c", "subject:ci/d"]);
  });
});

describe("denials past the cap", () => {
  /** The real DenialCounter objects, but for the cap: `limit` rather than MAX_QUARANTINES. */
  function cappedAt(limit: number): Env {
    const counters = {
      getByName: (name: string) => {
        const counter = env.DENIAL_COUNTER.getByName(name);
        return {
          record: (principal: string, config: QuarantineConfig, now: number) =>
            counter.record(principal, config, now, limit),
        };
      },
    };
    return { ...env, DENIAL_COUNTER: counters } as unknown as Env;
  }

  const openQuarantines = async (now: number) =>
    (await env.DENYLIST.getByName(DENYLIST_NAME).list(false, now)).filter((e) => e.kind === "quarantine");

  it("store no more than the cap, log each left out, and quarantine it at its next denial once there is room", async () => {
    const now = Date.now();
    const limit = (await openQuarantines(now)).length + 2;
    const config = { deniedRequests: 2, within: "10m", for: "1h" };
    const run = crypto.randomUUID().slice(0, 8);
    const minted = Array.from({ length: 5 }, (_, i) => `subject:ci/repo:${run}:ref:refs/heads/b${i}`);
    const denied = async (principal: string, at: number) => countDenial(cappedAt(limit), principal, config, at);
    const { lines } = await captured(async () => {
      for (const principal of minted) for (let i = 0; i < 2; i++) await denied(principal, now + i);
    });
    const mine = (await openQuarantines(now + 1)).filter((e) => e.value.includes(run));
    expect(mine.map((e) => e.value)).toEqual(minted.slice(0, 2));
    const leftOut = lines.filter((l) => l.event === "quarantine-not-stored");
    expect(leftOut.map((l) => [l.level, l.principal, l.limit])).toEqual(
      minted.slice(2).map((principal) => ["error", principal, limit]),
    );
    expect(lines.filter((l) => l.event === "quarantined").map((l) => l.principal)).toEqual(minted.slice(0, 2));
    // Announced only those stored.
    const announced = (await originSaw("__notify-webhook")).filter((r) => r.body.includes(run));
    expect(announced).toHaveLength(2);

    // One released: a denial of one left out within FULL_RECHECK_MS of its last "full" takes that answer as still
    // true (the one Denylist object is not asked on every denial of a principal left out)...
    await env.DENYLIST.getByName(DENYLIST_NAME).release(mine[0]!.id, "test", now + 2);
    const { lines: again } = await captured(() => denied(minted[2]!, now + 3));
    // Logged as the denylist's answer was, with the cap it named.
    const notStored = again.filter((l) => l.event === "quarantine-not-stored");
    expect(notStored.map((l) => [l.principal, l.limit])).toEqual([[minted[2], limit]]);
    const meanwhile = (await openQuarantines(now + 3)).filter((e) => e.value.includes(run)).map((e) => e.value);
    expect(meanwhile).toEqual([minted[1]]);
    // ...and its next denial after that quarantines it (its denials were kept, not cleared).
    const later = now + 1 + FULL_RECHECK_MS;
    await denied(minted[2]!, later);
    const after = (await openQuarantines(later)).filter((e) => e.value.includes(run)).map((e) => e.value);
    expect(after).toEqual([minted[1], minted[2]]);
  });
});
