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
