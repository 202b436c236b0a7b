// From a review: an admin call is authorised against the version PolicyControl holds when the middleware asks
// (authority()), but the move it then makes is checked only against the caller's `expected`. An admin removed by
// a push that lands between the two (a 4 MiB push takes its time to validate, compile and store) and who names
// the new version as `expected` (its hash is computable from the text in the policy repository) moves the
// pointer away from the version that removed him, to one that names him again.
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { ACTIVE_KEY, loadPolicy } from "../../../policy/index.ts";
import type { Env } from "../../../worker/env.ts";
import { app } from "../../../worker/own-paths.ts";
import { POLICY_CONTROL_NAME } from "../../../worker/policy-store/control.ts";
import { resetPolicyCache, storeVersion } from "../../../worker/policy-store/store.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate } from "../support/harness.ts";
import { labelled, versionOf, withAdmin } from "./policies.ts";

const signing = inject("accessPrivateJwk");
const ADMIN = "https://ward.localhost/.ward/admin";
const withBob = (label: string) => withAdmin(label, "bob@example.com");

/**
 * The real PolicyControl, except that right after the first authority() answer, another admin's push (removing
 * bob) goes through the same object: exactly the interleaving of two requests a few milliseconds apart.
 */
function racingEnv(competing: () => Promise<void>): Env {
  let raced = false;
  const real = () => env.POLICY_CONTROL.getByName(POLICY_CONTROL_NAME);
  const stub = {
    authority: async () => {
      const answer = await real().authority();
      if (!raced) {
        raced = true;
        await competing();
      }
      return answer;
    },
    state: (limit?: number) => real().state(limit),
    activate: (request: Parameters<ReturnType<typeof real>["activate"]>[0]) => real().activate(request),
    setShadow: (v: string | null, who: string, message: string) => real().setShadow(v, who, message),
  };
  return { ...env, POLICY_CONTROL: { getByName: () => stub } } as unknown as Env;
}

/** Another admin's push of `text` over `from`, straight through the one writer: the version it made active. */
async function pushDirectly(text: string, from: string | null, message: string): Promise<string> {
  const loaded = await loadPolicy(text);
  if (!loaded.ok) throw new Error("invalid");
  await storeVersion(env.POLICY, loaded.policy, text);
  const moved = await env.POLICY_CONTROL.getByName(POLICY_CONTROL_NAME).activate({
    expected: from,
    authorisedFrom: from,
    version: loaded.policy.version,
    action: "push",
    who: "user:admin@example.com",
    message,
  });
  expect(moved.ok).toBe(true);
  return loaded.policy.version;
}

async function call(email: string, path: string, init: RequestInit, e: Env): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("cf-access-jwt-assertion", await accessToken(signing, { email, identity_nonce: `n-race-${email}` }));
  if (init.body) headers.set("content-type", "application/json");
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${ADMIN}${path}`, { ...init, headers }), e, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe("an admin removed while his call is in flight", () => {
  let named: string;
  beforeAll(async () => {
    resetPolicyCache();
    named = await activate(withBob("race, bob is an admin"));
  });

  it("cannot move the pointer away from the version that removed him", async () => {
    const without = labelled("race, bob removed");
    const removed = await versionOf(without);
    // Another admin's push, through the one writer, lands now.
    const e = racingEnv(async () => void (await pushDirectly(without, named, "remove bob")));
    // bob pushes a version naming him, against the version that removes him.
    const back = withBob("race, bob is back");
    const res = await call(
      "bob@example.com",
      "/policy",
      { method: "PUT", body: JSON.stringify({ text: back, expected: removed, message: "bob is back" }) },
      e,
    );
    const active = await env.POLICY.get(ACTIVE_KEY);
    // bob is no admin of the version he replaced: he must be refused, and the pointer must stay where it is.
    expect({ status: res.status, active }).toEqual({ status: expect.any(Number), active: removed });
    expect([403, 409]).toContain(res.status);
  });

  it("cannot roll back, past the version that removed him, to one that names him", async () => {
    // Where this starts: a version naming bob, active through the writer (whatever the test before left).
    const current = (await env.POLICY_CONTROL.getByName(POLICY_CONTROL_NAME).state(1)).active;
    const from = await pushDirectly(withBob("race 2, bob is an admin"), current, "bob is an admin");
    await new Promise((resolve) => setTimeout(resolve, 150)); // this isolate re-reads the pointer
    const without = labelled("race, bob removed again");
    const removed = await versionOf(without);
    const e = racingEnv(async () => void (await pushDirectly(without, from, "remove bob again")));
    const res = await call(
      "bob@example.com",
      "/policy/rollback",
      { method: "POST", body: JSON.stringify({ expected: removed, to: from, message: "undo" }) },
      e,
    );
    expect({ status: res.status, active: await env.POLICY.get(ACTIVE_KEY) }).toEqual({
      status: 409,
      active: removed,
    });
  });
});
