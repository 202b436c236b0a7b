// An admin call on a cold isolate must not trust another request's build of the denylist copy: that build may
// have read its last page before a revocation the admin call comes after. The build below reads the store's
// last page, is held before it applies it, the admin is revoked, and only then does his own call arrive and find
// the build under way: it must read the store itself (catchUpExactly), not take the build's copy when it lands.
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { readDenylistCopy, resetDenylistCache } from "../../../worker/denylist/cache.ts";
import { DENYLIST_NAME } from "../../../worker/denylist/store.ts";
import type { Env } from "../../../worker/env.ts";
import { app } from "../../../worker/own-paths.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate } from "../support/harness.ts";
import { withAdmin } from "./policies.ts";

const signing = inject("accessPrivateJwk");
const ADMIN = "https://ward.localhost/.ward/admin";
const deployed = { ...env, DENYLIST_REFRESH_SECONDS: "2" } as unknown as Env;
/** Long enough for the admin call to reach its denylist read, well short of a stalled build (2 s). */
const HOLD_MS = 400;

async function call(email: string, path: string): Promise<Response> {
  const headers = { "cf-access-jwt-assertion": await accessToken(signing, { email, identity_nonce: `n-x-${email}` }) };
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${ADMIN}${path}`, { headers }), deployed, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** The real Denylist object, whose first answer to `changes` is held until `release` (it was read already). */
function heldFirstPage(): { held: Env; pageRead: Promise<void>; release: () => void } {
  const store = env.DENYLIST.getByName(DENYLIST_NAME);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let read!: () => void;
  const pageRead = new Promise<void>((resolve) => {
    read = resolve;
  });
  let first = true;
  const changes = async (...args: Parameters<typeof store.changes>) => {
    const page = await store.changes(...args);
    if (first) {
      first = false;
      read();
      await gate;
    }
    return page;
  };
  const held = { ...deployed, DENYLIST: { getByName: () => ({ changes }) } } as unknown as Env;
  return { held, pageRead, release };
}

describe("an admin call beside another request's build of the denylist copy", () => {
  beforeAll(async () => {
    await activate(withAdmin("exact catch-up", "carol@example.com"));
    // Warm: the policy and Access's keys are in the isolate, so the call below reaches its denylist read at once.
    expect((await call("carol@example.com", "/policy")).status).toBe(200);
  });

  it("reads the store itself, so a revocation after that build's last page refuses the admin", async () => {
    resetDenylistCache();
    const { held, pageRead, release } = heldFirstPage();
    // A request on the cold isolate starts the build; its one page (nothing of carol's) is read and held.
    const building = readDenylistCopy(held, Date.now(), () => {});
    await pageRead;
    const revoked = await env.DENYLIST.getByName(DENYLIST_NAME).revoke(
      { kind: "revocation", match: "email", value: "carol@example.com", reason: "laptop stolen", expiresAt: null },
      "admin@example.com",
      Date.now(),
    );
    expect(revoked.ok).toBe(true);
    // Carol's call finds the build under way and waits for it; the build then lands the copy without her entry.
    const carol = call("carol@example.com", "/policy");
    await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
    release();
    await building;
    expect((await carol).status).toBe(403);
  });
});
