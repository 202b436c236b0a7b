// From a review: an admin call is authorised against the version PolicyControl holds when the middleware asks
// (authority()), but the move it then makes is checked only against the caller's `expected`. An admin removed by
// a push that lands between the two (a 4 MiB push takes its time to validate, compile and store) and who names
// the new version as `expected` (its hash is computable from the text in the policy repository) moves the
// pointer away from the version that removed him, to one that names him again.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ACTIVE_KEY } from "../../../policy/index.ts";
import { resetPolicyCache } from "../../../worker/policy-store/store.ts";
import { activate } from "../support/harness.ts";
import { adminCaller } from "./admin-calls.ts";
import { labelled, versionOf, withAdmin } from "./policies.ts";
import { control, pushDirectly, racingEnv } from "./racing-push.ts";

const call = adminCaller("n-race");
const withBob = (label: string) => withAdmin(label, "bob@example.com");

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
    const e = racingEnv(async () => void (await pushDirectly(without, "remove bob", named)));
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
    const current = (await control().state(1)).active;
    const from = await pushDirectly(withBob("race 2, bob is an admin"), "bob is an admin", current);
    await new Promise((resolve) => setTimeout(resolve, 150)); // this isolate re-reads the pointer
    const without = labelled("race, bob removed again");
    const removed = await versionOf(without);
    const e = racingEnv(async () => void (await pushDirectly(without, "remove bob again", from)));
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
