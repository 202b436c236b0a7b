// A copy of durable state kept per isolate (the policy, a service's grants, the denylist), and the rules every
// such copy follows:
// - newest wins: a slow read that finishes after a later one does not put its older copy back;
// - a stale limit: past it the copy is not used at all (revoked state must not live on while a store is down);
// - for state that must fail closed at once (grants), a read that failed sets the copy aside until one succeeds;
// - one background read at a time, but a read started ABANDONED_READ_MS ago or more is taken as abandoned (its
//   request was cancelled before it could finish, and its promise may never settle): the next one reads again,
//   rather than the isolate answering from a copy that only ages, or for good from none.
// A request never awaits another request's read: Workers tie I/O to the request that started it, and a promise
// shared across requests fails when its request ends first.

export const ABANDONED_READ_MS = 10_000;

export class RefreshingSnapshot<T> {
  private value: T | undefined;
  /** When the read that produced `value` started (ms since epoch). */
  private readAt = -Infinity;
  private inFlight: { read: Promise<void>; startedAt: number } | undefined;
  /** When the newest failed read started (see failed()). */
  private failedAt = -Infinity;
  /** When the newest read taken for overdue started (see overdue()). */
  private overdueAt = -Infinity;
  private readonly maxStaleMs: number;

  /** `maxStaleMs`: how old a copy may be and still be used (Infinity: the last good copy is kept for good). */
  constructor(maxStaleMs = Infinity) {
    this.maxStaleMs = maxStaleMs;
  }

  /**
   * Keeps `value`, read by a read started at `readAt`, unless a read started later has already stored one;
   * says whether it was kept.
   */
  store(value: T, readAt: number): boolean {
    if (readAt < this.readAt) return false;
    this.value = value;
    this.readAt = readAt;
    return true;
  }

  /**
   * A read started at `readAt` failed: the copy, read before it, is not used until a read started later
   * stores one. For state an isolate must not go on honouring once it could not check it again (a revoked grant),
   * where the stale limit alone would honour it for that long. The copy's age is unchanged, so the next caller
   * reads again, one read at a time as before. False when a read started later has already stored a copy.
   */
  failed(readAt: number): boolean {
    if (readAt < this.readAt) return false;
    this.failedAt = Math.max(this.failedAt, readAt);
    return true;
  }

  /**
   * The read started at `readAt` is still running past what its waiters allow: the copy, read before it, is not
   * used until that read, or a later one, stores one. Unlike failed(), the overdue read's own copy counts when it
   * comes: it is the store's as of that read (from a review: it stayed set aside, and the request that waited on
   * it was refused the grant it had just read).
   */
  overdue(readAt: number): void {
    if (readAt > this.readAt) this.overdueAt = Math.max(this.overdueAt, readAt);
  }

  /** The copy, if there is one no older than the stale limit at `now`, no read after it failed or is overdue. */
  current(now: number): T | undefined {
    const setAside = this.failedAt >= this.readAt || this.overdueAt > this.readAt;
    return now - this.readAt <= this.maxStaleMs && !setAside ? this.value : undefined;
  }

  /** The copy, however old (for state whose last good copy is kept for good, such as the active policy). */
  latest(): T | undefined {
    return this.value;
  }

  /** How old the copy is at `now` (Infinity when there is none). */
  age(now: number): number {
    return this.value === undefined ? Infinity : now - this.readAt;
  }

  /** Whether a read is in flight that has not been abandoned. */
  reading(now: number): boolean {
    return this.inFlight !== undefined && now - this.inFlight.startedAt < ABANDONED_READ_MS;
  }

  /** When the read in flight started (undefined when none is): which read it is, for a caller polling its end. */
  readingSince(now: number): number | undefined {
    return this.reading(now) ? this.inFlight!.startedAt : undefined;
  }

  /**
   * Starts `read` unless another read is in flight (and not abandoned); returns its promise, which never
   * rejects if `read` does not, or undefined when one was already running.
   */
  startRead(now: number, read: () => Promise<void>): Promise<void> | undefined {
    if (this.reading(now)) return undefined;
    const started: Promise<void> = read().finally(() => {
      if (this.inFlight?.read === started) this.inFlight = undefined;
    });
    this.inFlight = { read: started, startedAt: now };
    return started;
  }

  /** Forgets the copy and any read (tests start from an empty isolate). */
  reset(): void {
    this.value = undefined;
    this.readAt = -Infinity;
    this.failedAt = -Infinity;
    this.overdueAt = -Infinity;
    this.inFlight = undefined;
  }
}
