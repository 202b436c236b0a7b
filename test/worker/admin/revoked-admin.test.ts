// A revoked admin is refused by the denylist as it is, not as the isolate's copy had it: the copy may trail the
// store by DENYLIST_REFRESH_SECONDS (2 by default), and GET /denylist reads the store, so a revoked admin would
// find his entry at once and delete it with the next call.
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { DenyEntry } from "../../../policy/index.ts";
import { resetDenylistCache } from "../../../worker/denylist/cache.ts";
import { DENYLIST_NAME } from "../../../worker/denylist/store.ts";
import type { Env } from "../../../worker/env.ts";
import { app } from "../../../worker/own-paths.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate } from "../support/harness.ts";
import { adminCaller } from "./admin-calls.ts";
import { withAdmin } from "./policies.ts";

const signing = inject("accessPrivateJwk");
const ADMIN = "https://ward.localhost/.ward/admin";
/** The deployed default refresh interval (the test config sets 0.05 s). */
const deployed = { ...env, DENYLIST_REFRESH_SECONDS: "2" } as unknown as Env;

const policy = withAdmin("revoked admin", "carol@example.com");
const revokedCall = adminCaller("n-rev");

/** An admin call to a Worker with the deployed refresh interval. */
const call = (email: string, path: string, init: RequestInit = {}) => revokedCall(email, path, init, deployed);

describe("a revoked admin and his own revocation", () => {
  beforeAll(async () => {
    resetDenylistCache();
    await activate(policy);
  });

  it("cannot lift it in the seconds before the isolate's copy has it", async () => {
    expect((await call("carol@example.com", "/policy")).status).toBe(200);
    // Another admin revokes carol (a stolen laptop).
    const revoked = await call("admin@example.com", "/revocations", {
      method: "POST",
      body: JSON.stringify({ match: "email", value: "carol@example.com", reason: "laptop stolen" }),
    });
    expect(revoked.status).toBe(201);
    // Carol's script finds the entry (read from the object, so it is there at once) and deletes it.
    const listed = await call("carol@example.com", "/denylist");
    const mine = ((await listed.json()) as { entries?: DenyEntry[] }).entries?.find(
      (e) => e.value === "carol@example.com",
    );
    const lifted = await call("carol@example.com", `/denylist/${mine?.id ?? "rev-unknown"}?kind=revocation`, {
      method: "DELETE",
    });
    // A revoked admin must be refused: the revocation must stand.
    expect(lifted.status).toBe(403);
    const open = await env.DENYLIST.getByName(DENYLIST_NAME).list(false, Date.now());
    expect(open.some((e) => e.value === "carol@example.com")).toBe(true);
  });
  it("refuses every admin call while the denylist cannot be read, whatever the isolate's copy says", async () => {
    expect((await call("carol@example.com", "/policy")).status).toBe(403);
    expect((await call("admin@example.com", "/policy")).status).toBe(200);
    const unreadable = {
      ...deployed,
      DENYLIST: { getByName: () => ({ changes: () => Promise.reject(new Error("overloaded")) }) },
    } as unknown as Env;
    const headers = { "cf-access-jwt-assertion": await accessToken(signing, { email: "admin@example.com" }) };
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`${ADMIN}/policy`, { headers }), unreadable, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
  });
});
