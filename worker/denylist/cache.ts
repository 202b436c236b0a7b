// The denylist, kept per isolate: read once, then re-read in the background every DENYLIST_REFRESH_SECONDS
// (default 2), so a revocation or quarantine takes effect within seconds and no request of a busy isolate
// waits for the store; an idle isolate's first request reads it first. Entries are matched against verified
// facts only. If the list has never been read, or the copy is older than a minute, it is unknown who is
// revoked: authenticated requests are then refused (fail closed).
//
// The copy also holds the directory refreshes security events asked for (worker/ssf/): whose cached groups and
// posture are not to be reused, and whose device posture is held unknown. They reach every isolate within the
// same bound as a revocation.
import {
  deniedBy,
  indexDenylist,
  type DenylistIndex,
  type DenylistVerdict,
  type Identity,
  type UserIdentity,
} from "../../policy/index.ts";
import { DENYLIST_NAME, type DirectoryRefresh } from "./store.ts";
import type { Env } from "../env.ts";
import type { CertificateFacts } from "../identity/mtls.ts";
import { logEvent } from "../log/events.ts";
import { RefreshingSnapshot } from "../shared/refreshing-snapshot.ts";

const MAX_STALE_MS = 60_000;
/**
 * A copy this old (or twice the refresh interval, if that is longer) belongs to an isolate that has been
 * idle: the next request re-reads the list before it is answered, so an idle isolate cannot let a recent
 * revocation through.
 */
const READ_BEFORE_ANSWER_MS = 5_000;
/**
 * A cached directory answer is reused only if fetched this long after a refresh asked for: the isolate's clock
 * and the receiver's may differ by a little, and an answer fetched just before the event must not pass as after.
 */
const CLOCK_MARGIN_MS = 1_000;

interface DenylistCopy {
  /** The list indexed by fact (policy/denylist.ts). */
  index: DenylistIndex;
  /** "match value" -> the person's refresh. */
  refreshes: ReadonlyMap<string, DirectoryRefresh>;
}

const snapshot = new RefreshingSnapshot<DenylistCopy>(MAX_STALE_MS);

function refreshMs(env: Env): number {
  const seconds = Number(env.DENYLIST_REFRESH_SECONDS ?? "2");
  return (Number.isFinite(seconds) && seconds >= 0 ? seconds : 2) * 1000;
}

async function load(env: Env, now: number): Promise<void> {
  try {
    const state = await env.DENYLIST.getByName(DENYLIST_NAME).state(now);
    snapshot.store(
      {
        index: indexDenylist(state.entries),
        refreshes: new Map(state.refreshes.map((r) => [`${r.match} ${r.value}`, r])),
      },
      now,
    );
  } catch (error) {
    const age = snapshot.age(now);
    logEvent("error", "denylist-unavailable", { error: String(error), ageMs: age === Infinity ? null : age });
  }
}

/**
 * Brings the isolate's copy up to date as the request needs: a cold or idle isolate reads it now (each request
 * for itself rather than awaiting another request's read: Workers tie I/O to the request that started it; if
 * the read fails, the copy serves up to MAX_STALE_MS); a busy one re-reads in the background.
 */
export async function readDenylistCopy(env: Env, now: number, waitUntil: (p: Promise<unknown>) => void): Promise<void> {
  const refresh = refreshMs(env);
  const age = snapshot.age(now);
  if (age >= Math.max(READ_BEFORE_ANSWER_MS, 2 * refresh)) {
    await load(env, now);
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
  const copy = snapshot.current(now);
  if (!copy) return { state: "unknown" };
  const entry = deniedBy(copy.index, identity, certificate, principal, now);
  return entry ? { state: "denied", entry } : CLEAR;
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
}
