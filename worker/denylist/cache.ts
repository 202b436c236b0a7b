// The denylist, kept per isolate: read once, then brought up to date in the background every
// DENYLIST_REFRESH_SECONDS (default 2), so a revocation or quarantine takes effect within seconds and no request
// of a busy isolate waits for the store; an idle isolate's first request brings it up to date first. Entries are
// matched against verified facts only. If the list has never been read, or the copy is older than a minute, it
// is unknown who is revoked: authenticated requests are then refused (fail closed).
//
// Only what changed is copied: the store numbers each change to a fact (store.ts, changes()), the copy keeps the
// number it has reached, and a refresh asks for the facts changed since, in pages; a cold isolate pages through
// from 0. So a busy isolate's cost per refresh follows the rate of changes, not the length of the list.
//
// The copy also holds the directory refreshes security events asked for (worker/ssf/): whose cached groups and
// posture are not to be reused, and whose device posture is held unknown. They reach every isolate within the
// same bound as a revocation.
import {
  deniedBy,
  DenylistIndex,
  type DenylistVerdict,
  type ListedEntry,
  readSetting,
  type Identity,
  type UserIdentity,
} from "../../policy/index.ts";
import { CHANGES_PAGE, DENYLIST_NAME, type DenylistChanges, type DirectoryRefresh } from "./store.ts";
import type { Env } from "../env.ts";
import type { CertificateFacts } from "../identity/mtls.ts";
import { logEvent } from "../log/events.ts";
import { RefreshingSnapshot } from "../shared/refreshing-snapshot.ts";
import { settledWithin } from "../shared/settled-within.ts";

const MAX_STALE_MS = 60_000;
/**
 * A copy this old (or twice the refresh interval, if that is longer, but never past MAX_STALE_MS, when the copy
 * stops counting) belongs to an isolate that has been idle: the next request re-reads the list before it is
 * answered, so an idle isolate does not let a recent revocation through, nor refuse callers for want of a copy.
 * (While the copy still counts, it waits at most READ_WAIT_MS: a slow object must not hold every request.)
 */
const READ_BEFORE_ANSWER_MS = 5_000;
/** How long such a read may hold a request whose isolate has a copy that still counts (MAX_STALE_MS). */
const READ_WAIT_MS = 1_000;
/**
 * How long a read may hold a request whose isolate has no copy that counts (a cold one, or past MAX_STALE_MS):
 * then it is refused as when the read fails, and the read goes on (from a review: an object that never answered
 * held those requests until the runtime gave up). Longer than READ_WAIT_MS: a cold isolate's first read may take
 * several pages; the grant store's calls have the same bound (STORE_TIMEOUT_MS).
 */
export const COLD_READ_WAIT_MS = 3_000;
/**
 * A cached directory answer is reused only if fetched this long after a refresh asked for: the isolate's clock
 * and the receiver's may differ by a little, and an answer fetched just before the event must not pass as after.
 */
const CLOCK_MARGIN_MS = 1_000;

/**
 * The most pages one read asks for: a list of some million facts. Past it the read gives up (and logs), rather
 * than holding the request while a store that never stops changing is chased.
 */
const MAX_PAGES = 1_000;

interface DenylistCopy {
  /** The list indexed by fact, one entry per fact (policy/denylist.ts), changed in place as pages arrive. */
  index: DenylistIndex<ListedEntry>;
  /** "match value" -> the person's refresh. */
  refreshes: ReadonlyMap<string, DirectoryRefresh>;
  /** The store's change sequence this copy has reached: the next read asks for what changed after it. */
  seq: number;
  /** The store's forgetting generation as of the last page applied (store.ts changes()). */
  generation?: number;
}

const snapshot = new RefreshingSnapshot<DenylistCopy>(MAX_STALE_MS);

function refreshMs(env: Env): number {
  return readSetting("DENYLIST_REFRESH_SECONDS", env.DENYLIST_REFRESH_SECONDS)! * 1000;
}

/**
 * Applies one page, synchronously (no await between its facts): a request sees each fact's old slot or its new
 * one, never a fact gone because a page was half applied. A fact's slot is replaced by what the store says is in
 * force for it now, or removed when nothing is.
 */
function apply(copy: DenylistCopy, page: DenylistChanges): void {
  for (const fact of page.facts) {
    if (fact.entry) copy.index.set(fact.match, fact.value, fact.entry);
    else copy.index.delete(fact.match, fact.value);
  }
  copy.seq = page.seq;
  // Known to the store as of this generation: past what was forgotten, or begun since it was.
  copy.generation = page.generation;
  if (page.complete) copy.refreshes = new Map(page.refreshes.map((r) => [`${r.match} ${r.value}`, r]));
}

const emptyCopy = (): DenylistCopy => ({ index: new DenylistIndex(), refreshes: new Map(), seq: 0 });

/**
 * How often a completed read drops expired entries from the copy. Requests ignore them already (an expiry is
 * compared at the request's instant), but a fact's slot would hold one until the fact changed again, so an
 * isolate living for days would keep every revocation that ever expired. The slot held the fact's longest
 * lasting entry, so once it has expired nothing else is in force for that fact.
 */
const PRUNE_EVERY_MS = 60_000;
let prunedAt = -Infinity;

function pruneExpired(copy: DenylistCopy, now: number): void {
  if (now - prunedAt < PRUNE_EVERY_MS) return;
  prunedAt = now;
  copy.index.deleteWhere((entry) => entry.expiresAt !== null && entry.expiresAt <= now);
}

/**
 * A copy being built from 0 and not yet in use: on a cold isolate, or when the store no longer knows the copy's
 * sequence (a new store). Shared, so requests reading at once build one copy together (each page any of them
 * applies moves it on for all), not one each: a cold isolate under load holds one list, not one per request.
 */
let building: DenylistCopy | undefined;
/** When a page was last applied to `building` (ms since epoch): whether its build is going on. */
let buildProgressAt = -Infinity;
/** A build that has applied no page for this long is taken as abandoned (its request ended): others go on with it. */
const BUILD_STALL_MS = 2_000;

/** A build from 0 begins: counted as progress, so requests arriving before its first page wait for it too. */
function startBuild(): DenylistCopy {
  building = emptyCopy();
  buildProgressAt = Date.now();
  return building;
}

/**
 * On a cold isolate, a request that finds another one building the copy from 0 waits for it to complete rather
 * than fetch every page again (N requests at once would otherwise ask the one Denylist object N times for each
 * page). It polls with timers of its own, never awaiting the other request's promise (Workers tie I/O to the
 * request that started it); if the build stalls, it carries the build on itself. True when a copy is there.
 */
async function othersBuild(): Promise<boolean> {
  while (snapshot.latest() === undefined && building && Date.now() - buildProgressAt < BUILD_STALL_MS)
    await new Promise((resolve) => setTimeout(resolve, 10));
  return snapshot.latest() !== undefined;
}

/**
 * Brings the copy up to date. The copy in use is changed in place, page by page, each page only if it follows
 * on from the copy's sequence (another request's read may have moved it on meanwhile: then this one asks again
 * from there, rather than lay an older answer over a newer one). A copy built from 0 is used once complete.
 * True when this call applied the store's last page; with `exact`, never on another request's read alone (a
 * build that began before this call may have read its last page before it too).
 */
async function catchUp(env: Env, now: number, exact: boolean): Promise<boolean> {
  try {
    if (snapshot.latest() === undefined && building && (await othersBuild()) && !exact) return true;
    const store = env.DENYLIST.getByName(DENYLIST_NAME);
    let copy = snapshot.latest() ?? building ?? startBuild();
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      const since = copy.seq;
      const page = await store.changes(since, now, CHANGES_PAGE, copy.generation);
      if (page.from !== since) {
        if (page.from !== 0) continue; // an answer to another question: ask again
        // The store no longer knows this copy's number (a new store, or facts forgotten since): a copy from 0,
        // a fresh one if the build under way is itself past 0 (else it would never follow on from 0).
        copy = building && building.seq === 0 ? building : startBuild();
      }
      if (copy.seq !== page.from) continue; // moved on meanwhile: ask again from where it is
      apply(copy, page);
      if (copy === building) buildProgressAt = Date.now();
      if (page.complete) {
        if (copy === building) building = undefined;
        pruneExpired(copy, now);
        // A copy another request stored meanwhile is kept if that request began later (newest wins), though it
        // may have read its last page before this one (two builds from 0 at once): `exact` brings it up too.
        if (snapshot.store(copy, now) || !exact || copy === snapshot.latest()) return true;
        copy = snapshot.latest()!;
      }
    }
    throw new Error(`the denylist did not come up to date in ${MAX_PAGES} pages`);
  } catch (error) {
    const age = snapshot.age(now);
    logEvent("error", "denylist-unavailable", { error: String(error), ageMs: age === Infinity ? null : age });
    return false;
  }
}

/** A read of the copy's changes, for requests and the background: a failure is logged, and the copy serves on. */
async function load(env: Env, now: number): Promise<void> {
  await catchUp(env, now, false);
}

/** The read an idle isolate's requests share, and when it started. */
let sharedIdleRead: { read: Promise<void>; startedAt: number } | undefined;

/**
 * The read an idle isolate's request waits for: the one another request started within READ_WAIT_MS of this
 * request (before or after it: a burst's requests reach here out of order, as their identities take longer or
 * shorter to check), else its own. So a burst on an idle isolate (or one whose copy no longer counts) is one read
 * of the object, not one per request; and since each request waits with a bound of its own (READ_WAIT_MS or
 * COLD_READ_WAIT_MS), one that never ends (a hung object) holds nobody longer than their own would have. Apart
 * from the background reads (snapshot.startRead): a background read that hangs must not keep an idle request
 * from reading.
 */
function idleRead(env: Env, now: number, waitUntil: (p: Promise<unknown>) => void): Promise<void> {
  const shared = sharedIdleRead;
  if (shared && Math.abs(now - shared.startedAt) < READ_WAIT_MS) return shared.read;
  const read: Promise<void> = load(env, now).finally(() => {
    if (sharedIdleRead?.read === read) sharedIdleRead = undefined;
  });
  sharedIdleRead = { read, startedAt: now };
  waitUntil(read);
  return read;
}

/**
 * Shared reads that have outlived a request's COLD_READ_WAIT_MS: logged once each, not once per request, and
 * not waited for again (a request that reads the copy twice, or one joining late, is not held another 3 s).
 */
const overdueReads = new WeakSet<Promise<void>>();

/**
 * Waits for the shared read at most COLD_READ_WAIT_MS. Past it the request is answered without a copy (refused,
 * as when the read fails, and logged so), while the read goes on: if it ever ends, it fills the copy for the
 * requests after.
 */
async function readWithin(env: Env, now: number, waitUntil: (p: Promise<unknown>) => void): Promise<void> {
  const read = idleRead(env, now, waitUntil);
  if (overdueReads.has(read)) return;
  let settled = false;
  await settledWithin(
    read.then(() => (settled = true)),
    COLD_READ_WAIT_MS,
  );
  if (settled || overdueReads.has(read)) return;
  overdueReads.add(read);
  logNotAnswered(now);
}

/** A read that held a request (or an admin call) COLD_READ_WAIT_MS and had not ended: logged as a failed one is. */
function logNotAnswered(now: number): void {
  const age = snapshot.age(now);
  logEvent("error", "denylist-unavailable", {
    error: `the denylist store did not answer within ${COLD_READ_WAIT_MS} ms`,
    ageMs: age === Infinity ? null : age,
  });
}

/**
 * Brings the isolate's copy up to date as the request needs: a cold isolate reads it now (a copy that no
 * longer counts: the request waits for the read, shared with a burst's other requests, at most
 * COLD_READ_WAIT_MS, and fails closed if it fails or is slower); an idle one reads it before answering,
 * the requests of a burst sharing one read and each waiting at most READ_WAIT_MS (if the read fails or is slow,
 * the copy serves up to MAX_STALE_MS); a busy one re-reads in the background.
 */
export async function readDenylistCopy(env: Env, now: number, waitUntil: (p: Promise<unknown>) => void): Promise<void> {
  const refresh = refreshMs(env);
  const age = snapshot.age(now);
  if (age >= Math.min(Math.max(READ_BEFORE_ANSWER_MS, 2 * refresh), MAX_STALE_MS)) {
    if (age > MAX_STALE_MS) {
      // No copy that counts: nothing to answer from but a read (it fails closed if that read fails or is slow).
      // A burst's requests share it, as on an idle isolate, rather than each asking the object for the same pages.
      await readWithin(env, now, waitUntil);
    } else {
      // A copy that still counts: a slow object holds this request at most READ_WAIT_MS, then it answers from
      // that copy, as the policy's re-check does, and the read goes on.
      await settledWithin(idleRead(env, now, waitUntil), READ_WAIT_MS);
    }
  } else if (age >= refresh) {
    const read = snapshot.startRead(now, () => load(env, now));
    if (read) waitUntil(read);
  }
}

const CLEAR: DenylistVerdict = { state: "clear" };

export async function denylistVerdict(
  env: Env,
  identity: Identity,
  certificate: CertificateFacts | undefined,
  principal: string,
  now: number,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<DenylistVerdict> {
  await readDenylistCopy(env, now, waitUntil);
  return verdictOf(snapshot.current(now), identity, certificate, principal, now);
}

/** What a copy says of these facts; unknown without one (fail closed). */
function verdictOf(
  copy: DenylistCopy | undefined,
  identity: Identity,
  certificate: CertificateFacts | undefined,
  principal: string,
  now: number,
): DenylistVerdict {
  if (!copy) return { state: "unknown" };
  const entry = deniedBy(copy.index, identity, certificate, principal, now);
  return entry ? { state: "denied", entry } : CLEAR;
}

/**
 * The copy brought up to the store as it is at this request, never one that trails it: for the admin API, where
 * a revoked admin must not lift his own revocation (or revoke whoever revoked him) in the seconds a copy may
 * trail the store. One read of what changed since the copy (usually a page with nothing in it); the caller
 * identifies again by it where directory facts count (a security event may have made them stale). Then
 * `exactVerdict`; unknown, so refused, when the store cannot answer. Admin calls are few: the read costs
 * nothing that matters, and the request path keeps its copy (denylistVerdict).
 *
 * Held at most COLD_READ_WAIT_MS, as a cold request is (from a review: an object that never answered held every
 * admin call, and every write's readmission, until the runtime gave up): past it, false (refused as when the
 * store cannot be read), logged; the read goes on and moves the copy on if it ever ends, but never counts for
 * this call.
 */
export async function catchUpExactly(env: Env, now: number): Promise<boolean> {
  let caughtUp: boolean | undefined;
  await settledWithin(
    catchUp(env, now, true).then((done) => (caughtUp = done)),
    COLD_READ_WAIT_MS,
  );
  if (caughtUp !== undefined) return caughtUp;
  logNotAnswered(now);
  return false;
}

/** The verdict of the copy catchUpExactly() brought up to date (`caughtUp`: what it returned). */
export function exactVerdict(
  caughtUp: boolean,
  identity: Identity,
  certificate: CertificateFacts | undefined,
  principal: string,
  now: number,
): DenylistVerdict {
  if (!caughtUp) return { state: "unknown" };
  return verdictOf(snapshot.latest(), identity, certificate, principal, now);
}

/** How a person's directory facts may be used: a cached answer only if fetched after `notBefore`; posture held unknown. */
export interface DirectoryFreshness {
  notBefore?: number;
  postureHeld: boolean;
}

/**
 * What the isolate's copy says of a person's cached groups and posture (no I/O: the copy is read before identify,
 * readDenylistCopy). Without a usable copy nothing cached is reused and posture is unknown; the denylist refuses
 * the identified caller then anyway.
 */
export function directoryFreshness(user: Pick<UserIdentity, "email" | "sub">, now: number): DirectoryFreshness {
  const copy = snapshot.current(now);
  if (!copy) return { notBefore: now, postureHeld: true };
  if (copy.refreshes.size === 0) return { postureHeld: false };
  let notBefore: number | undefined;
  let postureHeld = false;
  for (const key of [`email ${user.email.toLowerCase()}`, user.sub ? `sub ${user.sub}` : undefined]) {
    const refresh = key === undefined ? undefined : copy.refreshes.get(key);
    if (!refresh) continue;
    notBefore = Math.max(notBefore ?? 0, refresh.at + CLOCK_MARGIN_MS);
    if (refresh.postureUntil !== null && refresh.postureUntil > now) postureHeld = true;
  }
  return notBefore === undefined ? { postureHeld } : { notBefore, postureHeld };
}

/** Forgets the copy (tests start from an empty isolate). */
export function resetDenylistCache(): void {
  snapshot.reset();
  sharedIdleRead = undefined;
  prunedAt = -Infinity;
  buildProgressAt = -Infinity;
  building = undefined;
}

/**
 * When the read that made the isolate's copy started (-Infinity without one): a directory refresh recorded after
 * it is not in the copy, so facts checked against the copy then may be stale since.
 */
export function denylistCopyReadAt(now: number): number {
  return now - snapshot.age(now);
}

/** How many facts the isolate's copy holds (tests: expired entries do not stay for good). */
export function denylistCopySize(): number {
  return snapshot.latest()?.index.size ?? 0;
}
