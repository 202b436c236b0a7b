// The active grants of each service, kept per isolate so a denied request does not cost a Durable Object
// call: re-read at most every GRANTS_REFRESH_SECONDS (default 2). That interval is how long a revoked grant
// (plus one read) can still be honoured; expiry is exact whatever this cache holds, because
// applyGrants compares notAfter with the request's instant. If the grants cannot be read, none is honoured.
import type { TimedGrant } from "../policy/index.ts";
import type { Env } from "./env.ts";
import { grantsShard, type ConsumeResult } from "./grants-store.ts";
import { logEvent } from "./log.ts";

/** Past this age a snapshot is not used at all: a revoked grant must not live on while the store is down. */
const MAX_STALE_MS = 30_000;

interface Snapshot {
  grants: TimedGrant[];
  fetchedAt: number;
}

/**
 * A read started longer ago than this is taken as abandoned (its request was cancelled before it could
 * finish): the next request reads again, rather than every request using a copy that only ages.
 */
const ABANDONED_READ_MS = 10_000;

const snapshots = new Map<string, Snapshot>();
const refreshing = new Map<string, { read: Promise<void>; startedAt: number }>();

function refreshMs(env: Env): number {
  const seconds = Number(env.GRANTS_REFRESH_SECONDS ?? "2");
  return (Number.isFinite(seconds) && seconds >= 0 ? seconds : 2) * 1000;
}

async function load(env: Env, service: string, now: number): Promise<void> {
  try {
    const grants = await env.GRANTS.getByName(grantsShard(service)).active(now);
    snapshots.set(service, { grants, fetchedAt: now });
  } catch (error) {
    logEvent("error", "grants-unavailable", { service, error: String(error) });
  }
}

export async function grantsFor(env: Env, service: string, now: number): Promise<TimedGrant[]> {
  const snapshot = snapshots.get(service);
  const due = !snapshot || now - snapshot.fetchedAt >= refreshMs(env);
  // Only denied requests get here. One of them re-reads (and waits for it); the others meanwhile use the
  // copy they have. A request never awaits another request's read: Workers tie I/O to the request that
  // started it, and a promise shared across requests fails when its request ends first.
  const inFlight = refreshing.get(service);
  if (due && (!snapshot || !inFlight || now - inFlight.startedAt >= ABANDONED_READ_MS)) {
    const read = load(env, service, now);
    refreshing.set(service, { read, startedAt: now });
    try {
      await read;
    } finally {
      if (refreshing.get(service)?.read === read) refreshing.delete(service);
    }
  }
  const current = snapshots.get(service);
  return current && now - current.fetchedAt <= MAX_STALE_MS ? current.grants : [];
}

/** Counts one use of a grant with a use limit; any failure counts as "not allowed". */
export async function consumeGrant(env: Env, service: string, id: string, now: number): Promise<ConsumeResult> {
  try {
    return await env.GRANTS.getByName(grantsShard(service)).consume(id, now);
  } catch (error) {
    logEvent("error", "grants-unavailable", { service, grant: id, error: String(error) });
    return { ok: false, status: "unknown" };
  }
}

/** Forgets every snapshot (tests start from an empty isolate). */
export function resetGrantsCache(): void {
  snapshots.clear();
  refreshing.clear();
}
