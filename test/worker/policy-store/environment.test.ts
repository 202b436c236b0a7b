// From a review: the admin API refuses to activate a policy whose metadata.environment is not the Worker's
// WARD_ENV, but the serving path did not look. A pointer written to KV some other way (a bootstrap command run
// with the wrong --env, two environments bound to one namespace) had production enforce staging's policy.
import { afterEach, describe, expect, it, vi } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { ACTIVE_KEY, documentKey, loadPolicy, SHADOW_KEY, storedDocument } from "../../../policy/index.ts";
import { activePolicy, currentPolicy, resetPolicyCache, shadowPolicy } from "../../../worker/policy-store/store.ts";

async function compiled(environment: string) {
  const loaded = await loadPolicy(demoPolicy.replace(/^ {2}environment: dev$/m, `  environment: ${environment}`));
  if (!loaded.ok) throw new Error("invalid");
  expect(loaded.policy.document.metadata.environment).toBe(environment);
  return loaded.policy;
}

/** A KV namespace holding each policy's document, and the given pointers. */
function store(policies: Awaited<ReturnType<typeof compiled>>[], pointers: Record<string, string>) {
  const values = new Map<string, string>(Object.entries(pointers));
  for (const policy of policies) values.set(documentKey(policy.version), storedDocument(policy));
  const reads: string[] = [];
  const kv = {
    async get(key: string) {
      reads.push(key);
      return values.get(key) ?? null;
    },
    async put(key: string, value: string) {
      values.set(key, value);
    },
  } as unknown as KVNamespace;
  return { kv, values, reads };
}

/** The events logged at error level while `run` runs. */
async function errorEvents<T>(run: () => Promise<T>): Promise<{ result: T; events: Record<string, unknown>[] }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
  try {
    const result = await run();
    return { result, events: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  } finally {
    spy.mockRestore();
  }
}

const waitUntil = () => undefined;
afterEach(() => resetPolicyCache());

describe("a policy version for another environment than WARD_ENV", () => {
  it("is not served by a cold isolate: no policy (503), and an error logged", async () => {
    resetPolicyCache();
    const staging = await compiled("staging");
    const { kv } = store([staging], { [ACTIVE_KEY]: staging.version });
    const { result, events } = await errorEvents(() => currentPolicy(kv, 5, 1_000_000, waitUntil, "production"));
    expect(result).toBeUndefined();
    expect(events).toContainEqual(
      expect.objectContaining({
        event: "policy-environment-mismatch",
        role: "active",
        version: staging.version,
        environment: "staging",
        serves: "production",
        keeping: null,
      }),
    );
  });

  it("never replaces the last good version, and a shadow pointer to one is no candidate", async () => {
    resetPolicyCache();
    const production = await compiled("production");
    const staging = await compiled("staging");
    const { kv, values } = store([production, staging], { [ACTIVE_KEY]: production.version });
    const t0 = 1_000_000;
    expect((await currentPolicy(kv, 5, t0, waitUntil, "production"))?.version).toBe(production.version);

    values.set(ACTIVE_KEY, staging.version);
    values.set(SHADOW_KEY, staging.version);
    // Two intervals on: the isolate re-reads before it answers.
    const { result, events } = await errorEvents(() => currentPolicy(kv, 5, t0 + 10_000, waitUntil, "production"));
    expect(result?.version).toBe(production.version);
    expect(shadowPolicy()).toBeUndefined();
    expect(events.filter((e) => e.event === "policy-environment-mismatch").map((e) => [e.role, e.keeping])).toEqual([
      ["active", production.version],
      ["shadow", null],
    ]);
  });

  it("is served where WARD_ENV is unset or blank (nothing to compare with), and a matching one always", async () => {
    const staging = await compiled("staging");
    const { kv } = store([staging], { [ACTIVE_KEY]: staging.version });
    for (const WARD_ENV of [undefined, "", "staging"]) {
      resetPolicyCache();
      const policy = await activePolicy({ POLICY: kv, WARD_ENV }, 1_000_000, waitUntil);
      expect(policy?.version, String(WARD_ENV)).toBe(staging.version);
    }
    resetPolicyCache();
    const { result } = await errorEvents(() =>
      activePolicy({ POLICY: kv, WARD_ENV: "production" }, 1_000_000, waitUntil),
    );
    expect(result).toBeUndefined();
  });

  it("is read and compiled once, then refused from memory at each refresh, still logged each time", async () => {
    resetPolicyCache();
    const production = await compiled("production");
    const staging = await compiled("staging");
    const { kv, values, reads } = store([production, staging], { [ACTIVE_KEY]: staging.version });
    const t0 = 1_000_000;
    const refusals = [];
    // A cold isolate: each request reads for itself while no version is in hand.
    for (const at of [t0, t0 + 1, t0 + 10_000]) {
      const { result, events } = await errorEvents(() => currentPolicy(kv, 5, at, waitUntil, "production"));
      expect(result).toBeUndefined();
      refusals.push(...events.filter((e) => e.event === "policy-environment-mismatch"));
    }
    expect(refusals.map((e) => [e.version, e.environment, e.serves])).toEqual(
      Array(3).fill([staging.version, "staging", "production"]),
    );
    expect(reads.filter((key) => key === documentKey(staging.version))).toHaveLength(1);

    // The pointer moves to a good version: served at the next refresh.
    values.set(ACTIVE_KEY, production.version);
    expect((await currentPolicy(kv, 5, t0 + 20_000, waitUntil, "production"))?.version).toBe(production.version);
    // Where it is the environment served, the same version is read and served (the memory is per environment).
    values.set(ACTIVE_KEY, staging.version);
    expect((await currentPolicy(kv, 5, t0 + 40_000, waitUntil, "staging"))?.version).toBe(staging.version);
  });
});
