// The admin API's calls to the Grants, Denylist and SSF receiver objects: reads with a bound of their own, as its
// reads of PolicyControl have (policy-control.ts). From a review: they had none, so an object that never answered
// held the admin call, and `ward` behind it, until the runtime gave up. Past the bound the read fails with
// NotAnsweredInTime, which store-fault.ts answers as a Durable Object that did not answer (503, Retry-After). The
// gateway's own calls to these objects have bounds of their own (worker/grants/cache.ts, worker/denylist/cache.ts).
//
// Writes are waited for (from the next review): one answered after its caller stopped waiting would still be made,
// with none of what follows it (its log line; a break-glass grant's announcement). The object answered a bounded
// read moments before (the admission's), and these objects' writes are a few SQLite rows.
import { DENYLIST_NAME, type Denylist } from "../denylist/store.ts";
import type { Env } from "../env.ts";
import { grantsShard, type Grants } from "../grants/store.ts";
import { answeredWithin } from "../shared/settled-within.ts";

/**
 * A read of the object's SQLite rows: as long as the admin API waits for the Denylist's exact read
 * (COLD_READ_WAIT_MS) and the gateway for the same objects. Shorter than PolicyControl's reads, which that object
 * holds back behind a write in blockConcurrencyWhile (POLICY_CONTROL_READ_MS); these objects hold none. Slower is a
 * store in trouble, and the caller loses nothing by asking again.
 */
export const ADMIN_STORE_READ_MS = 3_000;

const read = <P extends PromiseLike<unknown>>(answer: P, store: string) =>
  answeredWithin(answer, ADMIN_STORE_READ_MS, store);

/** The Grants object of `service`'s shard: the methods the admin API calls, its reads bounded. */
export function grantStore(env: Env, service: string) {
  const stub = env.GRANTS.getByName(grantsShard(service));
  return {
    list: (includeClosed: boolean) => read(stub.list(includeClosed), "grants"),
    page: (...a: Parameters<Grants["page"]>) => read(stub.page(...a), "grants"),
    events: (grantId?: string) => read(stub.events(grantId), "grants"),
    create: (...a: Parameters<Grants["create"]>) => stub.create(...a),
    revoke: (...a: Parameters<Grants["revoke"]>) => stub.revoke(...a),
  };
}

/**
 * The Denylist object: the methods the admin API's routes call, its reads bounded (its exact read for admission,
 * catchUpExactly, has its own bound).
 */
export function denylistStore(env: Env) {
  const stub = env.DENYLIST.getByName(DENYLIST_NAME);
  return {
    list: (...a: Parameters<Denylist["list"]>) => read(stub.list(...a), "denylist"),
    page: (...a: Parameters<Denylist["page"]>) => read(stub.page(...a), "denylist"),
    revoke: (...a: Parameters<Denylist["revoke"]>) => stub.revoke(...a),
    add: (...a: Parameters<Denylist["add"]>) => stub.add(...a),
    release: (...a: Parameters<Denylist["release"]>) => stub.release(...a),
  };
}

/** The security-event receiver's object of a transmitter's `issuer`: the admin API's calls, its read bounded. */
export function ssfReceiver(env: Env, issuer: string) {
  const stub = env.SSF_REPLAY.getByName(issuer);
  return {
    status: () => read(stub.status(), "SSF receiver"),
    expectVerification: (state: string, now: number) => stub.expectVerification(state, now),
    startPolling: (pollIssuer: string) => stub.startPolling(pollIssuer),
  };
}
