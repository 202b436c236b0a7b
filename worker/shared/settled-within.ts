// Waiting for I/O that may hang with a bound: a store that does not answer must not hold a request for good.

/**
 * Resolves when `promise` settles (fulfilled or rejected) or after `ms`, whichever is first; the timer never
 * outlives it.
 */
export async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([promise.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A store's call that had not answered when its bound passed (answeredWithin). The call itself may still be
 * under way, and a write may still be made: whoever catches this must not say nothing changed.
 */
export class NotAnsweredInTime extends Error {
  constructor(store: string, ms: number) {
    super(`the ${store} store did not answer within ${ms} ms`);
  }
}

/**
 * The answer of a store's call, or NotAnsweredInTime once `ms` have passed without it (the call is not
 * cancelled: I/O cannot be); the timer never outlives it. `store` names the store in the error.
 */
export async function answeredWithin<P extends PromiseLike<unknown>>(
  answer: P,
  ms: number,
  store: string,
): Promise<Awaited<P>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NotAnsweredInTime(store, ms)), ms);
  });
  try {
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
  }
}
