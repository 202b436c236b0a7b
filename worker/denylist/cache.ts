// The denylist, kept per isolate: read once, then re-read in the background every DENYLIST_REFRESH_SECONDS
// (default 2), so a revocation or quarantine takes effect within seconds and no request of a busy isolate
// waits for the store; an idle isolate's first request reads it first. Entries are matched against verified
// facts only. If the list has never been read, or the copy is older than a minute, it is unknown who is
// revoked: authenticated requests are then refused (fail closed).
import {
  deniedBy,
  indexDenylist,
  type DenylistIndex,
  type DenylistVerdict,
  type Identity,
} from "../../policy/index.ts";
import { DENYLIST_NAME } from "./store.ts";
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

/** The list indexed by fact (policy/denylist.ts). */
const snapshot = new RefreshingSnapshot<DenylistIndex>(MAX_STALE_MS);

function refreshMs(env: Env): number {
  const seconds = Number(env.DENYLIST_REFRESH_SECONDS ?? "2");
  return (Number.isFinite(seconds) && seconds >= 0 ? seconds : 2) * 1000;
}

async function load(env: Env, now: number): Promise<void> {
  try {
    snapshot.store(indexDenylist(await env.DENYLIST.getByName(DENYLIST_NAME).active(now)), now);
  } catch (error) {
    const age = snapshot.age(now);
    logEvent("error", "denylist-unavailable", { error: String(error), ageMs: age === Infinity ? null : age });
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
  const refresh = refreshMs(env);
  const age = snapshot.age(now);
  if (age >= Math.max(READ_BEFORE_ANSWER_MS, 2 * refresh)) {
    // A cold or idle isolate: each request reads for itself rather than awaiting another request's read
    // (Workers tie I/O to the request that started it). If the read fails, the copy serves up to MAX_STALE_MS.
    await load(env, now);
  } else if (age >= refresh) {
    const read = snapshot.startRead(now, () => load(env, now));
    if (read) waitUntil(read);
  }
  const list = snapshot.current(now);
  if (!list) return { state: "unknown" };
  const entry = deniedBy(list, identity, certificate, principal, now);
  return entry ? { state: "denied", entry } : CLEAR;
}

/** Forgets the copy (tests start from an empty isolate). */
export function resetDenylistCache(): void {
  snapshot.reset();
}
