// The active grants of each service, kept per isolate so a denied request does not cost a Durable Object
// call: re-read at most every GRANTS_REFRESH_SECONDS (default 2). That interval is how long a revoked grant
// (plus one read, at most READ_WAIT_MS of it for the requests that do not make it) can still be honoured;
// expiry is exact whatever this cache holds, because applyGrants compares notAfter with the request's instant.
// If the grants cannot be read again when due, none is honoured until they can: not the copy from before,
// which may still hold a grant revoked since.
import { readSetting, type TimedGrant } from "../../policy/index.ts";
import type { Env } from "../env.ts";
import { grantsShard, type ConsumeResult } from "./store.ts";
import { logEvent } from "../log/events.ts";
import { finishEvenIfAbandoned } from "../shared/finish-abandoned.ts";
import { RefreshingSnapshot } from "../shared/refreshing-snapshot.ts";
import { answeredWithin } from "../shared/settled-within.ts";

/** Past this age a snapshot is not used at all: a revoked grant must not live on while the store is down. */
const MAX_STALE_MS = 30_000;
/**
 * How long the requests that did not start a re-read wait on it: past that, the store is slow to answer (not
 * failing), and must not keep a revoked grant honoured for the copy's whole stale limit (from a review: 30 s where
 * GRANTS_REFRESH_SECONDS promises 2). Measured from the read's start; a copy just past its interval is used
 * meanwhile, one grown older over a quiet spell is not (othersRead).
 */
export const READ_WAIT_MS = 1_000;
/**
 * A call to the grant store that has not answered within this has failed: a denied request reads the grants (one
 * may allow it), and a store that hangs must not hold it for good (from a review). It stays denied, and is logged.
 * Longer than READ_WAIT_MS: a read slow past the others' wait still serves the request that made it.
 */
export const STORE_TIMEOUT_MS = 3_000;

/** The store's answer, or a failure once it has not come within STORE_TIMEOUT_MS. */
const answerWithin = <P extends PromiseLike<unknown>>(answer: P) => answeredWithin(answer, STORE_TIMEOUT_MS, "grants");

const snapshots = new Map<string, RefreshingSnapshot<TimedGrant[]>>();
/**
 * Per service: whether the newest read to end was the store failing (it threw), not one that stored a copy. A
 * refusal while the copy is set aside for that is the store's doing, whichever request read (from a review: only
 * the reading request's refusal went uncounted, and a grant holder's others in the same outage counted).
 */
const storeErrors = new Map<string, boolean>();

function snapshotOf(service: string): RefreshingSnapshot<TimedGrant[]> {
  let snapshot = snapshots.get(service);
  if (!snapshot) snapshots.set(service, (snapshot = new RefreshingSnapshot<TimedGrant[]>(MAX_STALE_MS)));
  return snapshot;
}

/**
 * GRANTS_REFRESH_SECONDS in ms: at most half of MAX_STALE_MS, since a copy older than that is not honoured at all
 * (a longer interval would leave every grant unusable for most of each one).
 */
export function grantsRefreshMs(env: Pick<Env, "GRANTS_REFRESH_SECONDS">): number {
  // policy/settings.ts bounds it at 15 s, half of MAX_STALE_MS.
  return Math.min(readSetting("GRANTS_REFRESH_SECONDS", env.GRANTS_REFRESH_SECONDS)! * 1000, MAX_STALE_MS / 2);
}

/**
 * Reads the service's grants into the copy; false when the store failed, threw or did not answer in time (the
 * copy is then set aside until a later read stores one).
 */
async function load(
  env: Env,
  service: string,
  snapshot: RefreshingSnapshot<TimedGrant[]>,
  now: number,
): Promise<boolean> {
  try {
    if (snapshot.store(await answerWithin(env.GRANTS.getByName(grantsShard(service)).active(now)), now))
      storeErrors.set(service, false);
    return true;
  } catch (error) {
    if (snapshot.failed(now)) storeErrors.set(service, true);
    logEvent("error", "grants-unavailable", { service, error: String(error) });
    return false;
  }
}

/**
 * The service's active grants, or undefined when they could not be read (no copy young enough to use): for a
 * caller that must tell "no grant" from "unknown" (an open WebSocket's check, worker/websocket/watch.ts).
 */
export async function readableGrants(env: Env, service: string, now: number): Promise<TimedGrant[] | undefined> {
  return (await grantsToDecide(env, service, now)).grants;
}

/**
 * As readableGrants(), and whether the store failed: this request's own read threw, or the copy is set aside
 * because the newest read threw. Not a copy set aside because another request's read is slow, which a caller
 * could bring about by leaving one read hanging (from a review: one abandoned every 10 s had all its refusals go
 * uncounted); the store's failure is a refusal the gateway does not count toward quarantine. A read is kept
 * alive whatever its client does.
 */
export async function grantsToDecide(
  env: Env,
  service: string,
  now: number,
): Promise<{ grants: TimedGrant[] | undefined; storeFailed: boolean }> {
  const snapshot = snapshotOf(service);
  const age = snapshot.age(now);
  let storeFailed = false;
  if (age >= grantsRefreshMs(env)) {
    // Only denied requests get here. With no copy, each reads for itself; with one, one of them re-reads
    // (and waits for it) while the others use the copy or wait on that read (othersRead).
    if (age === Infinity) {
      const read = load(env, service, snapshot, now);
      finishEvenIfAbandoned(read);
      storeFailed = !(await read);
    } else {
      const read = snapshot.startRead(now, async () => {
        storeFailed = !(await load(env, service, snapshot, now));
      });
      if (read) {
        finishEvenIfAbandoned(read);
        await read;
      } else await othersRead(snapshot, now, grantsRefreshMs(env) + READ_WAIT_MS);
    }
  }
  const grants = snapshot.current(now);
  return { grants, storeFailed: storeFailed || (grants === undefined && storeErrors.get(service) === true) };
}

/**
 * Another request's re-read is in flight. Its copy is used only while that read is quick and the copy no older
 * than `youngMs` (the interval and a read's wait): a copy grown old over a quiet spell may hold a grant revoked
 * since (from a review: a burst's other requests honoured one for 28 s). Then the read is waited for, by polling
 * (never by awaiting another request's promise), for what is left of READ_WAIT_MS. A read still running after
 * that sets the copy aside, as a failed read does, until a read stores a new one (that read itself, should it
 * answer after all, or a retry after it is abandoned).
 */
async function othersRead(snapshot: RefreshingSnapshot<TimedGrant[]>, now: number, youngMs: number): Promise<void> {
  const since = snapshot.readingSince(now);
  if (since === undefined) return;
  const left = READ_WAIT_MS - (now - since);
  if (left > 0 && snapshot.age(now) < youngMs) return;
  if (left > 0) {
    const until = Date.now() + left;
    while (snapshot.readingSince(now) === since && Date.now() < until)
      await new Promise((resolve) => setTimeout(resolve, 10));
    if (snapshot.readingSince(now) !== since) return;
  }
  snapshot.overdue(since);
}

/**
 * The service's grants as this isolate holds them now, without reading the store: what grantsToDecide() just
 * returned on the same request (none when that read failed or the copy is set aside).
 */
export function grantsInHand(service: string, now: number): TimedGrant[] {
  return snapshots.get(service)?.current(now) ?? [];
}

/** Counts one use of a grant with a use limit; any failure counts as "not allowed" (status `unavailable`). */
export async function consumeGrant(env: Env, service: string, id: string, now: number): Promise<ConsumeResult> {
  try {
    return await answerWithin(env.GRANTS.getByName(grantsShard(service)).consume(id, now));
  } catch (error) {
    logEvent("error", "grants-unavailable", { service, grant: id, error: String(error) });
    return { ok: false, status: "unavailable" };
  }
}

/** Forgets every snapshot (tests start from an empty isolate). */
export function resetGrantsCache(): void {
  snapshots.clear();
  storeErrors.clear();
}
