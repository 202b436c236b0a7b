// Shared by the gateway tests in workerd: activate a policy in KV, and ask the recording origin what it saw.
import { env } from "cloudflare:workers";
import { inject } from "vitest";
import { ACTIVE_KEY, loadPolicy } from "../../../policy/index.ts";
import { storeVersion } from "../../../worker/policy-store/store.ts";
import { LOG_PATH, type SeenRequest } from "../../support/recording-origin.ts";

/** A unique query marker: the recording origin's log is filtered by it, so tests never see each other. */
export function marker(): string {
  return `m-${crypto.randomUUID()}`;
}

/** The requests whose URL holds `marker` that reached the origin. */
export async function originSaw(marker: string): Promise<SeenRequest[]> {
  const res = await fetch(`http://127.0.0.1:${inject("originPort")}${LOG_PATH}?marker=${encodeURIComponent(marker)}`);
  return (await res.json()) as SeenRequest[];
}

/** Stores a policy under its version and makes it active, as `ward push` will; returns the version. */
export async function activate(text: string): Promise<string> {
  const loaded = await loadPolicy(text);
  if (!loaded.ok) throw new Error(`test policy invalid: ${JSON.stringify(loaded.issues)}`);
  await storeVersion(env.POLICY, loaded.policy, text);
  await env.POLICY.put(ACTIVE_KEY, loaded.policy.version);
  return loaded.policy.version;
}
