// A Denylist object still on the release before (the seconds after a deploy) has no `quarantine` method: the
// runtime refuses the call, and the counter stores the quarantine through `add`, as that release did. Only that
// refusal falls back: any other failure is thrown, and nothing is stored a second way.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type DenialCounter, quarantineWithin } from "../../../worker/denylist/quarantine.ts";
import type { Denylist } from "../../../worker/denylist/store.ts";
import type { Env } from "../../../worker/env.ts";
import { lacksMethod } from "../../../worker/shared/missing-method.ts";

const NOW = Date.UTC(2026, 11, 8);
const entry = (value: string) => ({
  kind: "quarantine" as const,
  match: "principal" as const,
  value,
  reason: "test",
  expiresAt: NOW + 3_600_000,
});

/** The real object, but answering `quarantine` as given (an older release's object, or a failing one). */
function olderObject(
  name: string,
  refusal: Error,
): { stub: DurableObjectStub<Denylist>; real: DurableObjectStub<Denylist> } {
  const real = env.DENYLIST.getByName(name);
  const stub = {
    quarantine: () => Promise.reject(refusal),
    add: (...args: Parameters<typeof real.add>) => real.add(...args),
  } as unknown as DurableObjectStub<Denylist>;
  return { stub, real };
}

describe("a quarantine stored through an older Denylist object", () => {
  it("goes through add when the object lacks quarantine, in either of the runtime's wordings", async () => {
    for (const words of [
      'The RPC receiver does not implement the method "quarantine".',
      'The RPC receiver does not implement "quarantine".',
    ]) {
      const { stub, real } = olderObject(`older-${words.length}`, new TypeError(words));
      const result = await quarantineWithin(stub, entry("subject:ci/old"), NOW, 5);
      expect(result).toMatchObject({ ok: true, entry: { kind: "quarantine", value: "subject:ci/old" } });
      expect((await real.list(false, NOW)).map((e) => e.value)).toEqual(["subject:ci/old"]);
    }
  });

  it("throws any other failure and stores nothing", async () => {
    const refusals = [
      new TypeError('The RPC receiver does not implement the method "revoke".'),
      new TypeError("Network connection lost."),
      new Error('The RPC receiver does not implement the method "quarantine".'),
    ];
    for (const [i, refusal] of refusals.entries()) {
      const { stub, real } = olderObject(`failing-${i}`, refusal);
      await expect(quarantineWithin(stub, entry("subject:ci/x"), NOW, 5)).rejects.toBe(refusal);
      expect(await real.list(false, NOW)).toEqual([]);
    }
  });
});

describe("lacksMethod", () => {
  it("reads only the runtime's refusal of the named method", () => {
    expect(lacksMethod(new TypeError('The RPC receiver does not implement the method "revoke".'), "revoke")).toBe(true);
    expect(lacksMethod(new TypeError('The RPC receiver does not implement "revoke".'), "revoke")).toBe(true);
    expect(lacksMethod(new TypeError('The RPC receiver does not implement "revoke".'), "quarantine")).toBe(false);
    expect(lacksMethod(new TypeError('The RPC receiver does not implement "revoke". '), "revoke")).toBe(false);
    expect(lacksMethod(new TypeError('x The RPC receiver does not implement "revoke".'), "revoke")).toBe(false);
    expect(lacksMethod(new Error('The RPC receiver does not implement "revoke".'), "revoke")).toBe(false);
    expect(lacksMethod('The RPC receiver does not implement "revoke".', "revoke")).toBe(false);
  });
});

describe("the entry a counter returns when the quarantine went through add", () => {
  it("is a plain entry, not add's RPC result with the runtime's disposer", async () => {
    // The entry of `quarantine`'s result is a member of it, with no disposer; `add`'s result (the older object's
    // way) is itself the RPC result. Returned as it is, the runtime would make the counter's result one to dispose.
    const principal = "user:older-plain@example.com";
    const entry = await runInDurableObject(env.DENIAL_COUNTER.getByName(principal), (instance: DenialCounter) => {
      // The counter's own bindings: a stub made outside the object cannot be called from inside it.
      const own = (instance as unknown as { env: Env }).env;
      const real = own.DENYLIST.getByName("older-plain-entry");
      const older = {
        getByName: () => ({
          quarantine: () => Promise.reject(new TypeError('The RPC receiver does not implement "quarantine".')),
          add: (...args: Parameters<typeof real.add>) => real.add(...args),
        }),
      };
      (instance as unknown as { env: Env }).env = { ...own, DENYLIST: older } as unknown as Env;
      return instance.record(principal, { deniedRequests: 1, within: "60s", for: "1h" }, NOW);
    });
    expect(entry).toMatchObject({ kind: "quarantine", value: principal });
    expect(Object.getOwnPropertySymbols(entry!)).toEqual([]);
    const stored = await env.DENYLIST.getByName("older-plain-entry").list(false, NOW);
    expect(stored.map((e) => e.value)).toEqual([principal]);
  });
});
