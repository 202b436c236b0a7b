// Who may change the policy is decided by the version actually active, and a version is refused if the admin
// pushing it could not sign in under it. Both gaps were found by an independent review:
// - an isolate holding a superseded copy let an admin that a push had just removed push himself back in;
// - a push that changed how admins are verified (an audience typo) was accepted and locked every admin out.
import { env, exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { ACTIVE_KEY, documentKey, versionKey } from "../../../policy/index.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate } from "../support/harness.ts";
import { labelled, versionOf, withAdmin } from "./policies.ts";

const signing = inject("accessPrivateJwk");
const ADMIN = "https://ward.localhost/.ward/admin";
const AUD = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";

async function as(email: string, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("cf-access-jwt-assertion", await accessToken(signing, { email, identity_nonce: `n-auth-${email}` }));
  if (init.body) headers.set("content-type", "application/json");
  return exports.default.fetch(`${ADMIN}${path}`, { ...init, headers });
}

const withBob = (label: string) => withAdmin(label, "bob@example.com");

const push = (email: string, text: string, expected: string | null) =>
  as(email, "/policy", { method: "PUT", body: JSON.stringify({ text, expected, message: "test" }) });

describe("the admin API's authority", () => {
  beforeAll(async () => {
    await activate(withBob("bob is an admin"));
  });

  it("refuses an admin that the active version removed, even where the isolate still holds the older one", async () => {
    // This isolate holds the version naming bob (he has just used it).
    expect((await as("bob@example.com", "/policy")).status).toBe(200);
    const named = await versionOf(withBob("bob is an admin"));
    const without = labelled("bob removed");
    expect((await push("admin@example.com", without, named)).status).toBe(200);
    const removed = await versionOf(without);
    // KV has not reached this location yet: its pointer (and so this isolate's copy, however often it re-reads)
    // still names the version with bob; the one writer, PolicyControl, made the other one active.
    await env.POLICY.put(ACTIVE_KEY, named);
    const back = await push("bob@example.com", withBob("bob is back"), removed);
    expect(back.status).toBe(403);
    const revoke = await as("bob@example.com", "/revocations", {
      method: "POST",
      body: JSON.stringify({ match: "email", value: "admin@example.com", reason: "bob strikes back" }),
    });
    expect(revoke.status).toBe(403);
    expect(await env.POLICY.get(ACTIVE_KEY)).toBe(named);
    await env.POLICY.put(ACTIVE_KEY, removed);
    const listed = (await (await as("admin@example.com", "/denylist")).json()) as { entries: { value: string }[] };
    expect(listed.entries.map((e) => e.value)).not.toContain("admin@example.com");
  });

  it("after a bootstrap long after the last push (the recovery), answers under the bootstrapped version", async () => {
    const pushed = ((await (await as("admin@example.com", "/policy")).json()) as { active: string }).active;
    // The last move through the writer was long ago, and its version no longer loads (as after an upgrade that
    // refuses it); the operator put a good version into KV directly, as the bootstrap steps do.
    await runInDurableObject(env.POLICY_CONTROL.getByName("policy"), (_instance, state) => {
      state.storage.sql.exec("UPDATE history SET at = ?", new Date(Date.now() - 3_600_000).toISOString());
    });
    await env.POLICY.delete(versionKey(pushed));
    await env.POLICY.delete(documentKey(pushed));
    const bootstrapped = await activate(labelled("bootstrapped"));
    await new Promise((resolve) => setTimeout(resolve, 150)); // this isolate re-reads the pointer
    const res = await as("admin@example.com", "/policy");
    expect(res.status).toBe(200);
    expect(((await res.json()) as { active: string }).active).toBe(pushed);
    // A push against what the writer holds goes through, and moves KV from the bootstrapped version.
    const fixed = labelled("fixed after the bootstrap");
    expect((await push("admin@example.com", fixed, pushed)).status).toBe(200);
    expect(await env.POLICY.get(ACTIVE_KEY)).toBe(await versionOf(fixed));
    expect(bootstrapped).not.toBe(pushed);
  });

  it("refuses a version under which this request's credentials would not verify as an admin's", async () => {
    const from = ((await (await as("admin@example.com", "/policy")).json()) as { active: string }).active;
    const typo = labelled("audience typo").replace(`"${AUD}"`, `"${AUD.slice(0, -1)}3"`);
    const res = await push("admin@example.com", typo, from);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: string }).error).toContain(
      "the credentials of this request would not verify user:admin@example.com as an admin",
    );
    expect(await env.POLICY.get(ACTIVE_KEY)).toBe(from);
    expect((await as("admin@example.com", "/policy")).status).toBe(200);
  });
});
