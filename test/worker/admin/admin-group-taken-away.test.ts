// An admin by group whose group is taken away, with a security event asking for his directory facts again: his
// next admin call is refused, though the isolate's copy of the denylist (refreshed every 2 s, as deployed) has
// not reached the event yet and his groups from before it are still cached.
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { parse, stringify } from "yaml";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { resetDenylistCache } from "../../../worker/denylist/cache.ts";
import { DENYLIST_NAME } from "../../../worker/denylist/store.ts";
import type { Env } from "../../../worker/env.ts";
import { app } from "../../../worker/own-paths.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";
import { AUDIENCE, ISSUER } from "../support/transmitter.ts";

const signing = inject("accessPrivateJwk");
const ADMIN = "https://ward.localhost/.ward/admin";
/** The deployed default refresh interval (the test config sets 0.05 s). */
const deployed = { ...env, DENYLIST_REFRESH_SECONDS: "2" } as unknown as Env;
const WHO = "group-taken@example.com";

async function call(path: string): Promise<Response> {
  const headers = { "cf-access-jwt-assertion": await accessToken(signing, { email: WHO, identity_nonce: "n-taken" }) };
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${ADMIN}${path}`, { headers }), deployed, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** What the stand-in Access directory answers for WHO from now on. */
const groups = (names: string[]) =>
  fetch("https://directory.ward-demo.test/answer", {
    method: "PUT",
    body: JSON.stringify({
      email: WHO,
      answer: { email: WHO, groups: names.map((name) => ({ id: `id-${name}`, name })), devicePosture: {} },
    }),
  });

beforeAll(async () => {
  resetDenylistCache();
  // Security events are received (directory facts are checked against the denylist's refreshes only then).
  const doc = parse(demoPolicy);
  doc.sharedSignals = {
    audience: AUDIENCE,
    holdFor: "1h",
    transmitters: {
      idp: {
        issuer: ISSUER,
        jwksUri: "https://transmitter.ward-demo.test/jwks.json",
        algorithms: ["ES256"],
        events: ["session-revoked"],
      },
    },
  };
  await activate(stringify(doc));
});

describe("an admin by group whose group was taken away", () => {
  it("is refused at his next call, the denylist read as the store has it, not from his cached groups", async () => {
    await groups(["ward-admins"]);
    expect((await call("/policy")).status).toBe(200);
    await groups([]);
    const store = (env as Env).DENYLIST.getByName(DENYLIST_NAME);
    const refresh = { op: "refresh" as const, fact: { match: "email" as const, value: WHO } };
    expect((await store.applySignals({ transmitter: "idp", jti: "j-taken" }, [refresh], Date.now())).ok).toBe(true);
    const m = marker();
    expect((await call(`/policy?${m}`)).status).toBe(403);
    expect(await originSaw(m)).toEqual([]);
  });
});
