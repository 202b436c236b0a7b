// An admin call while a Durable Object it calls does not answer (hung-*.test.ts): the objects of one binding with
// one method held, the call timed, and the store fault it must be answered with (worker/admin/store-fault.ts).
import { env } from "cloudflare:workers";
import { beforeEach, expect, vi } from "vitest";
import type { Env } from "../../../worker/env.ts";
import { hang } from "../support/hanging-call.ts";

type Binding = "POLICY_CONTROL" | "GRANTS" | "DENYLIST" | "SSF_REPLAY";
type Methods = Record<string, (...args: unknown[]) => unknown>;

/**
 * The bindings of the tests, except that each call of `method` to `binding`'s objects after the first `answered`
 * is made only once `hold` has resolved (hang: never, while the test runs). Every other call goes to the real
 * object at once.
 */
export function heldObject(binding: Binding, method: string, hold: () => Promise<void> = hang, answered = 0): Env {
  const real = (env as unknown as Env)[binding] as unknown as { getByName(name: string): Methods };
  let calls = 0;
  const stub = (name: string) =>
    new Proxy(
      {},
      {
        // Only calls: nothing awaits the stub itself (`then`), or asks it for a symbol.
        get: (_, key) =>
          typeof key !== "string" || key === "then"
            ? undefined
            : async (...args: unknown[]) => {
                if (key === method && calls++ >= answered) await hold();
                return await real.getByName(name)[key]!(...args);
              },
      },
    );
  return { ...env, [binding]: { getByName: stub } } as unknown as Env;
}

/** A hold of `ms`: the call is made that late (a write answered past a read's bound). */
export const heldFor = (ms: number) => () => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An admin call's answer, or undefined if it is still waiting well past `heldAtMost`. */
export async function timed(answer: Promise<Response>, heldAtMost: number): Promise<{ res?: Response; ms: number }> {
  const started = Date.now();
  const res = await Promise.race([answer, new Promise<undefined>((r) => setTimeout(r, heldAtMost + 2_000))]);
  return { res, ms: Date.now() - started };
}

let written: string[] = [];

/** Every test's log lines kept (out of the test output) for linesOf(); hangEachTest's afterEach removes the spies. */
export function captureLogEachTest(): void {
  beforeEach(() => {
    written = [];
    for (const level of ["log", "warn", "error"] as const)
      vi.spyOn(console, level).mockImplementation((line: string) => void written.push(line));
  });
}

/** The request's lines, and the internal-error lines of any request, written since the test began. */
export function linesOf(requestId: string) {
  const lines = written.map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    own: lines.filter((l) => l.requestId === requestId),
    internalErrors: lines.filter((l) => Array.isArray(l.reasons) && l.reasons.includes("internal-error")),
  };
}

/** Past the bound, with room for a loaded machine (3x); far short of the runtime giving up. */
export function expectAnsweredAtBound(answered: { res?: Response; ms: number }, bound: number): Response {
  expect(answered.res?.status).toBeDefined();
  expect(answered.ms).toBeGreaterThanOrEqual(bound - 100);
  expect(answered.ms).toBeLessThan(3 * bound);
  return answered.res!;
}

/** A write held `late` ms and waited for: answered as made, after the hold, with its `event` logged. */
export function expectWaitedFor(answered: { res?: Response; ms: number }, late: number, event: string): void {
  expect(answered.ms).toBeGreaterThanOrEqual(late - 100);
  expect(answered.res?.ok).toBe(true);
  expect(linesOf(answered.res!.headers.get("ward-request-id")!).own.map((l) => l.event)).toContain(event);
}

/**
 * A store fault's answer to carol@example.com's call and its one line, saying `store` did not answer within
 * `bound`.
 */
export async function expectStoreFault(
  res: Response,
  changed: "no" | "unknown",
  bound: number,
  store: string,
): Promise<void> {
  expect(res.status).toBe(503);
  expect(res.headers.get("retry-after")).toBe("30");
  const body = (await res.json()) as { error: string; changed: string; requestId: string };
  expect(body.changed).toBe(changed);
  expect(body.error).toMatch(/^a store Ward keeps its state in \(a Durable Object\) did not answer; /);
  const { own, internalErrors } = linesOf(body.requestId);
  expect(internalErrors).toHaveLength(1);
  expect(own.filter((l) => l.event === "decision")).toEqual([
    expect.objectContaining({
      level: "error",
      reasons: ["internal-error"],
      status: 503,
      principal: "user:carol@example.com",
      error: `Error: the ${store} store did not answer within ${bound} ms`,
    }),
  ]);
}
