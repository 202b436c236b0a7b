// From a review: the Denylist took admins' revocations without bound, and every isolate copies the whole list
// (worker/denylist/cache.ts): an admin, or a stolen admin token, could fill the 128 MB of every isolate. Past
// MAX_REVOCATIONS in force a revocation is refused, 409, and nothing is stored. The real cap takes minutes to
// reach (docs/performance.md: 100,000 entries through `add` take a minute), so these tests pass a smaller one.
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, inject, it } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import operations from "../../../docs/operations.md?raw";
import { DENYLIST_NAME, MAX_REVOCATIONS } from "../../../worker/denylist/store.ts";
import type { Env } from "../../../worker/env.ts";
import { app } from "../../../worker/own-paths.ts";
import { accessToken } from "../support/access-tokens.ts";
import { captured } from "../support/captured-log.ts";
import { activate } from "../support/harness.ts";

const signing = inject("accessPrivateJwk");
const NOW = Date.UTC(2026, 11, 7);
const revocation = (value: string, expiresAt: number | null = null) => ({
  kind: "revocation" as const,
  match: "email" as const,
  value,
  reason: "test",
  expiresAt,
});

describe("the cap on revocations in force", () => {
  it("is the documented 100,000", () => {
    expect(MAX_REVOCATIONS).toBe(100_000);
    expect(operations).toContain("100,000 revocations in force");
  });

  it("refuses one past it in the store; lifted and expired ones do not count, nor quarantines", async () => {
    const store = env.DENYLIST.getByName("revocation-cap");
    const made = async (value: string, at: number, expiresAt: number | null = null) => {
      const result = await store.revoke(revocation(value, expiresAt), "test", at, 3);
      return result.ok ? result.entry : result;
    };
    await made("a@example.com", NOW);
    const lifted = await made("b@example.com", NOW);
    await made("c@example.com", NOW, NOW + 1000);
    expect(await made("d@example.com", NOW)).toEqual({ ok: false, problem: "revocations-full", limit: 3 });
    if (!("id" in lifted)) throw new Error("b was refused");
    await store.release(lifted.id, "test", NOW);
    await made("d@example.com", NOW);
    // c expired: its place is free.
    await made("e@example.com", NOW + 1000);
    expect(await made("f@example.com", NOW + 1000)).toMatchObject({ ok: false });
    // A quarantine is never refused (it goes through add, as does a caller of the release before).
    const quarantine = {
      ...revocation("user:g@example.com"),
      kind: "quarantine" as const,
      match: "principal" as const,
    };
    await store.add(quarantine, "ward (quarantine)", NOW + 1000);
    const open = (await store.list(false, NOW + 1000)).map((e) => e.value).sort();
    expect(open).toEqual(["a@example.com", "d@example.com", "e@example.com", "user:g@example.com"]);
  });
});

describe("a revocation past the cap, through the admin API", () => {
  let limit: number;
  /** The real Denylist, but for the cap: `limit` rather than MAX_REVOCATIONS. */
  function cappedAt(): Env {
    const denylist = env.DENYLIST.getByName(DENYLIST_NAME);
    const capped = {
      changes: (...a: Parameters<typeof denylist.changes>) => denylist.changes(...a),
      list: (...a: Parameters<typeof denylist.list>) => denylist.list(...a),
      release: (...a: Parameters<typeof denylist.release>) => denylist.release(...a),
      revoke: (entry: Parameters<typeof denylist.revoke>[0], who: string, now: number) =>
        denylist.revoke(entry, who, now, limit),
    };
    return { ...env, DENYLIST: { getByName: () => capped } } as unknown as Env;
  }

  async function revoke(value: string): Promise<Response> {
    const headers = new Headers({ "content-type": "application/json" });
    headers.set(
      "cf-access-jwt-assertion",
      await accessToken(signing, { email: "admin@example.com", identity_nonce: "n-cap" }),
    );
    const ctx = createExecutionContext();
    const body = JSON.stringify({ match: "email", value, reason: "past the cap" });
    const request = new Request("https://ward.localhost/.ward/admin/revocations", { method: "POST", body, headers });
    const res = await app.fetch(request, cappedAt(), ctx);
    await waitOnExecutionContext(ctx);
    return res;
  }

  beforeAll(async () => {
    await activate(demoPolicy);
    const open = await env.DENYLIST.getByName(DENYLIST_NAME).list(false, Date.now());
    limit = open.filter((e) => e.kind === "revocation" && !e.signal).length + 1;
  });

  it("is answered 409 with what to do, logged as no revocation, and stores nothing", async () => {
    expect((await revoke("within@example.com")).status).toBe(201);
    const past = await captured(() => revoke("past@example.com"));
    expect(past.result.status).toBe(409);
    expect(((await past.result.json()) as { error: string }).error).toMatch(
      new RegExp(`^${limit} revocations are in force already, .*ward revoke lift.*; nothing revoked$`),
    );
    expect(past.lines.filter((l) => l.event === "credential-revoked")).toEqual([]);
    const open = await env.DENYLIST.getByName(DENYLIST_NAME).list(false, Date.now());
    expect(open.some((e) => e.value === "past@example.com")).toBe(false);
  });
});
