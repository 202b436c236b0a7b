// A call to a Durable Object that never answers, made without a promise that never settles: workerd takes such a
// promise for a Worker hung, and says so in the test output. The call waits on timers, as I/O still under way
// would, until the test is over; then it fails.
import { afterEach, beforeEach, vi } from "vitest";

let over = false;

/** Never answers while the test runs; fails once endHanging() has been called. */
export async function hang(): Promise<never> {
  await heldUntil(() => false);
  throw new Error("the test is over");
}

/**
 * Waits as hang() does until `released()` says it may go on (a call answered late: the test goes on with the real
 * one); fails once endHanging() has been called before that.
 */
async function heldUntil(released: () => boolean): Promise<void> {
  while (!released()) {
    if (over) throw new Error("the test is over");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A test begins: calls hang again. */
export function startHanging(): void {
  over = false;
}

/** The test is over: the hanging calls fail, and are given the time to end (and log) before the spies go. */
export async function endHanging(): Promise<void> {
  over = true;
  await new Promise((r) => setTimeout(r, 200));
}

/**
 * The hooks of a test file whose calls hang: each test starts hanging afresh from `reset` (the caches the hung
 * object would have filled), and ends with the hung calls failed, its spies gone and `reset` again.
 */
export function hangEachTest(reset: () => void): void {
  beforeEach(() => {
    startHanging();
    reset();
  });
  afterEach(async () => {
    await endHanging();
    vi.restoreAllMocks();
    reset();
  });
}
