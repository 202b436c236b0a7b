// An admin a push removed stays out of the admin API at a location where KV's pointer cannot be read: the
// isolate keeps its copy (which names him), and past the two minutes a move takes to spread that copy counts
// only if KV named it since. Here KV never did: the writer's version decides (worker/admin/api.ts).
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ACTIVE_KEY } from "../../../policy/index.ts";
import type { Env } from "../../../worker/env.ts";
import { resetPolicyCache } from "../../../worker/policy-store/store.ts";
import { activate } from "../support/harness.ts";
import { adminCaller } from "./admin-calls.ts";
import { labelled, versionOf, withAdmin } from "./policies.ts";

const call = adminCaller("n-kv");

const withBob = (label: string) => withAdmin(label, "bob@example.com");

/** POLICY as a location where reading the active pointer fails (a KV outage); everything else is the real KV. */
const pointerUnreadable = {
  ...env,
  POLICY: new Proxy(env.POLICY, {
    get(target, prop) {
      if (prop === "get")
        return (key: string, ...rest: unknown[]) => {
          if (key === ACTIVE_KEY) return Promise.reject(new Error("KV unavailable"));
          return (target.get as (...a: unknown[]) => unknown).call(target, key, ...rest);
        };
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }),
} as unknown as Env;

describe("the admin API's authority while KV cannot be read", () => {
  afterEach(() => vi.useRealTimers());

  beforeAll(async () => {
    resetPolicyCache();
    await activate(withBob("kv outage, bob is an admin"));
  });

  it("does not readmit an admin a push removed once the push is two minutes old", async () => {
    // This isolate loads the version naming bob.
    expect((await call("bob@example.com", "/policy", {}, env as unknown as Env)).status).toBe(200);
    const named = await versionOf(withBob("kv outage, bob is an admin"));
    // From here on this location cannot read the pointer. An admin removes bob through the writer: KV's
    // pointer now names the version without him (the writer wrote it), but this isolate keeps its copy.
    const without = labelled("kv outage, bob removed");
    const pushed = await call(
      "admin@example.com",
      "/policy",
      { method: "PUT", body: JSON.stringify({ text: without, expected: named, message: "remove bob" }) },
      pointerUnreadable,
    );
    expect(pushed.status).toBe(200);
    expect(await env.POLICY.get(ACTIVE_KEY)).toBe(await versionOf(without));
    // Within two minutes bob is refused (the writer's version is checked) ...
    expect((await call("bob@example.com", "/policy", {}, pointerUnreadable)).status).toBe(403);
    // ... and the outage goes on past POINTER_SPREAD_MS (this isolate's clock moved on three minutes).
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 180_000);
    const grant = await call(
      "bob@example.com",
      "/breakglass",
      {
        method: "POST",
        body: JSON.stringify({ service: "payments", minutes: 30, justification: "removed, but back in" }),
      },
      pointerUnreadable,
    );
    // KV names a version in which bob is no admin: he must be refused, not granted break-glass.
    expect(grant.status).toBe(403);
    // An admin of that version is let in, decided by the writer's version this isolate reads from KV.
    expect((await call("admin@example.com", "/policy", {}, pointerUnreadable)).status).toBe(200);
  });
});
