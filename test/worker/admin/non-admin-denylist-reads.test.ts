// What a caller who is no admin costs the admin API: nothing of the Denylist's one object. Any person with an
// Access sign-in (or any workload with a client certificate) may call /.ward/admin/*, as often as it likes; the
// exact read of the denylist each call made before asking whether the caller was an admin put one call per request
// on the object every isolate refreshes its copy from (and whose copy, once a minute stale, refuses every
// authenticated request everywhere). Only a caller the policy names as an admin is checked against the store.
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { resetDenylistCache } from "../../../worker/denylist/cache.ts";
import { DENYLIST_NAME } from "../../../worker/denylist/store.ts";
import type { Env } from "../../../worker/env.ts";
import { app } from "../../../worker/own-paths.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate } from "../support/harness.ts";
import { withAdmin } from "./policies.ts";

const signing = inject("accessPrivateJwk");
const ADMIN = "https://ward.localhost/.ward/admin";

/** The environment with the Denylist object's changes() counted. */
function counting(): { env: Env; calls: () => number } {
  let calls = 0;
  const counted = {
    ...env,
    DENYLIST_REFRESH_SECONDS: "2",
    DENYLIST: {
      getByName: (name: string) => {
        const stub = env.DENYLIST.getByName(name);
        return new Proxy(stub, {
          get: (target, prop) =>
            prop === "changes"
              ? (...args: Parameters<typeof stub.changes>) => {
                  calls++;
                  return target.changes(...args);
                }
              : Reflect.get(target, prop),
        });
      },
    },
  } as unknown as Env;
  return { env: counted, calls: () => calls };
}

async function call(counted: Env, email: string): Promise<Response> {
  const headers = {
    "cf-access-jwt-assertion": await accessToken(signing, { email, identity_nonce: `n-cost-${email}` }),
  };
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${ADMIN}/policy`, { headers }), counted, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe("the admin API and the denylist's object", () => {
  beforeAll(async () => {
    await activate(withAdmin("non-admin reads", "dana@example.com"));
    // A copy in hand, young: nothing the request path would read again.
    resetDenylistCache();
    expect(env.DENYLIST.getByName(DENYLIST_NAME)).toBeDefined();
  });

  it("costs a caller who is no admin no call of the object, however often it asks", async () => {
    const { env: counted, calls } = counting();
    // An admin's call warms the copy (and is checked against the store, as each of his calls is).
    expect((await call(counted, "dana@example.com")).status).toBe(200);
    const before = calls();
    expect(before).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) expect((await call(counted, "mallory@example.com")).status).toBe(403);
    expect(calls()).toBe(before);
  });

  it("still checks every call of an admin against the store", async () => {
    const { env: counted, calls } = counting();
    for (let i = 0; i < 3; i++) expect((await call(counted, "dana@example.com")).status).toBe(200);
    expect(calls()).toBeGreaterThanOrEqual(3);
  });
});
