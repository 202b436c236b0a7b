// A revoked grant stops within GRANTS_REFRESH_SECONDS plus one read, also when the isolate cannot read the grant
// store again: a failed re-read sets the old copy aside (it may still hold the revoked grant) rather than using
// it up to the copy's 30 s stale limit. Once the store answers again, grants are honoured again.
import { env, exports } from "cloudflare:workers";
import { beforeAll, expect, inject, it, vi } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import type { Env } from "../../../worker/env.ts";
import { grantsShard } from "../../../worker/grants/store.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";

const signing = inject("accessPrivateJwk");
const EMAIL = "grants-unreadable@example.com";
const HOUR = 3600_000;

async function edit(): Promise<{ status: number; seen: number }> {
  const m = marker();
  const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, {
    method: "POST",
    headers: {
      "cf-access-jwt-assertion": await accessToken(signing, { email: EMAIL, identity_nonce: "n-grants-unreadable" }),
    },
  });
  return { status: res.status, seen: (await originSaw(m)).length };
}

beforeAll(async () => {
  await activate(demoPolicy);
});

it("stops honouring a revoked grant once the refresh interval has passed, even when the store cannot be re-read", async () => {
  const silence = [
    vi.spyOn(console, "log").mockImplementation(() => {}),
    vi.spyOn(console, "error").mockImplementation(() => {}),
  ];
  try {
    expect(await edit(), "before the grant").toEqual({ status: 403, seen: 0 });
    const store = (env as Env).GRANTS.getByName(grantsShard("wiki"));
    const now = Date.now();
    const created = await store.create(
      {
        kind: "exception",
        principal: { email: EMAIL },
        service: "wiki",
        routes: ["edit"],
        methods: ["POST"],
        reason: "on call",
        ticket: "OPS-1",
        requestedBy: EMAIL,
        approvedBy: "wiki-team@example.com",
        notBefore: now,
        notAfter: now + HOUR,
      },
      "test",
      now,
    );
    if (!created.ok) throw new Error("not created");
    await new Promise((r) => setTimeout(r, 120)); // > GRANTS_REFRESH_SECONDS (0.05)
    expect(await edit(), "with the grant").toEqual({ status: 200, seen: 1 }); // honoured, and now in this isolate's copy

    // Revoked; then this isolate's re-reads fail (an overloaded or unreachable object).
    expect((await store.revoke(created.record.id, "test", "incident over", Date.now()))?.record.status).toBe("revoked");
    const spy = vi.spyOn(env.GRANTS, "getByName").mockImplementation(() => {
      throw new Error("Durable Object overloaded");
    });
    try {
      await new Promise((r) => setTimeout(r, 1_000)); // 20 x the refresh interval
      expect(await edit(), "1 s after revocation, store unreadable").toEqual({ status: 403, seen: 0 });
    } finally {
      spy.mockRestore();
    }
    // (Control: a grant still in force is honoured again once the store answers.)
    const again = await store.create(
      {
        kind: "exception",
        principal: { email: EMAIL },
        service: "wiki",
        routes: ["edit"],
        methods: ["POST"],
        reason: "on call again",
        ticket: "OPS-2",
        requestedBy: EMAIL,
        approvedBy: "wiki-team@example.com",
        notBefore: Date.now(),
        notAfter: Date.now() + HOUR,
      },
      "test",
      Date.now(),
    );
    if (!again.ok) throw new Error("not created");
    await new Promise((r) => setTimeout(r, 120));
    expect(await edit(), "a grant in force, store readable").toEqual({ status: 200, seen: 1 });
  } finally {
    for (const s of silence) s.mockRestore();
  }
});
