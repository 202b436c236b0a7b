// A push another admin makes while a call is between its admission and its write: the interleaving of two admin
// requests a few milliseconds apart, made exact (authority-race.test.ts, authority-race-writes.test.ts).
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { loadPolicy } from "../../../policy/index.ts";
import type { Env } from "../../../worker/env.ts";
import { POLICY_CONTROL_NAME } from "../../../worker/policy-store/control.ts";
import { storeVersion } from "../../../worker/policy-store/store.ts";

/** The one writer of the active pointer. */
export const control = () => env.POLICY_CONTROL.getByName(POLICY_CONTROL_NAME);

/** The real PolicyControl, except that right after its first authority() answer, `competing` goes through. */
export function racingEnv(competing: () => Promise<void>): Env {
  let raced = false;
  const stub = {
    authority: async () => {
      const answer = await control().authority();
      if (!raced) {
        raced = true;
        await competing();
      }
      return answer;
    },
    state: (limit?: number) => control().state(limit),
    activate: (...a: Parameters<ReturnType<typeof control>["activate"]>) => control().activate(...a),
    setShadow: (...a: Parameters<ReturnType<typeof control>["setShadow"]>) => control().setShadow(...a),
  };
  return { ...env, POLICY_CONTROL: { getByName: () => stub } } as unknown as Env;
}

/**
 * Another admin's push of `text` over `from` (by default the active version), straight through the one writer:
 * the version it made active.
 */
export async function pushDirectly(text: string, message: string, from?: string | null): Promise<string> {
  const loaded = await loadPolicy(text);
  if (!loaded.ok) throw new Error("invalid");
  await storeVersion(env.POLICY, loaded.policy, text);
  const over = from === undefined ? (await control().state(1)).active : from;
  const moved = await control().activate({
    expected: over,
    authorisedFrom: over,
    version: loaded.policy.version,
    action: "push",
    who: "user:admin@example.com",
    message,
  });
  expect(moved.ok).toBe(true);
  return loaded.policy.version;
}
