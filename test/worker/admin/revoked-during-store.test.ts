// A push or shadow set stores its text only once its caller is admitted again (authority-race-writes.test.ts); the
// store itself is two to four KV calls. An admin revoked while they run must still be refused the move or the shadow
// change that follows: the re-check is made again right before it, as for a rollback or a promotion.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DENYLIST_NAME } from "../../../worker/denylist/store.ts";
import type { Env } from "../../../worker/env.ts";
import { resetPolicyCache } from "../../../worker/policy-store/store.ts";
import { adminCaller } from "./admin-calls.ts";
import { withAdmin } from "./policies.ts";
import { control, pushDirectly } from "./racing-push.ts";

const call = adminCaller("n-store");

/** The real KV, except that bob's credential is revoked by another admin during the first write of a text. */
function revokedDuringStore(): Env {
  let raced = false;
  const kv = env.POLICY;
  const policy = {
    get: kv.get.bind(kv),
    list: kv.list.bind(kv),
    getWithMetadata: kv.getWithMetadata.bind(kv),
    delete: kv.delete.bind(kv),
    put: async (...a: Parameters<KVNamespace["put"]>) => {
      if (!raced) {
        raced = true;
        await env.DENYLIST.getByName(DENYLIST_NAME).add(
          { kind: "revocation", match: "email", value: "bob@example.com", reason: "leaked", expiresAt: null },
          "user:admin@example.com",
          Date.now(),
        );
      }
      return kv.put(...a);
    },
  };
  return { ...env, POLICY: policy } as unknown as Env;
}

beforeEach(async () => {
  await pushDirectly(withAdmin(`bob is an admin ${crypto.randomUUID()}`, "bob@example.com"), "bob is an admin");
  resetPolicyCache();
});

afterEach(async () => {
  const denylist = env.DENYLIST.getByName(DENYLIST_NAME);
  for (const entry of await denylist.list(false, Date.now()))
    if (entry.value === "bob@example.com") await denylist.release(entry.id, "test", Date.now());
});

describe("an admin revoked while his pushed text is being stored", () => {
  it("activates nothing", async () => {
    const { active } = await control().state(1);
    const text = withAdmin(`bob's push, revoked while stored ${crypto.randomUUID()}`, "bob@example.com");
    const res = await call(
      "bob@example.com",
      "/policy",
      { method: "PUT", body: JSON.stringify({ text, expected: active, message: "x" }) },
      revokedDuringStore(),
    );
    expect({ status: res.status, active: (await control().state(1)).active }).toEqual({ status: 403, active });
  });

  it("sets no shadow candidate", async () => {
    const { shadow } = await control().state(1);
    const text = withAdmin(`bob's candidate, revoked while stored ${crypto.randomUUID()}`, "bob@example.com");
    const res = await call(
      "bob@example.com",
      "/policy/shadow",
      { method: "PUT", body: JSON.stringify({ text, message: "x" }) },
      revokedDuringStore(),
    );
    expect({ status: res.status, shadow: (await control().state(1)).shadow }).toEqual({ status: 403, shadow });
  });
});
