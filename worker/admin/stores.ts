// The admin API's calls to the Grants, Denylist and SSF receiver objects, each with a bound of its own, as its
// calls to PolicyControl have (policy-control.ts). From a review: they had none, so an object that never answered
// held the admin call, and `ward` behind it, until the runtime gave up. Past the bound the call fails with
// NotAnsweredInTime, which store-fault.ts answers as a Durable Object that did not answer (503, Retry-After;
// nothing changed on a read, not known on a write). The gateway's own calls to these objects have bounds of
// their own (worker/grants/cache.ts, worker/denylist/cache.ts).
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
/**
 * A write of a few SQLite rows, answered once stored, as PolicyControl's writes (POLICY_CONTROL_WRITE_MS): the
 * object takes one call at a time, and the gateway's (grant uses, denylist reads, security events) come before it
 * as they came. Longer than a read: a write answered "not known" sends the operator to list before trying again,
 * so a slow write that would have succeeded should be confirmed instead.
 */
export const ADMIN_STORE_WRITE_MS = 10_000;

const read = <P extends PromiseLike<unknown>>(answer: P, store: string) =>
  answeredWithin(answer, ADMIN_STORE_READ_MS, store);
// A write past its bound may still be made: the object goes on with it (store-fault.ts says "not known").
const write = <P extends PromiseLike<unknown>>(answer: P, store: string) =>
  answeredWithin(answer, ADMIN_STORE_WRITE_MS, store);

/** The Grants object of `service`'s shard: the methods the admin API calls, each failing past its bound. */
export function grantStore(env: Env, service: string) {
  const stub = env.GRANTS.getByName(grantsShard(service));
  return {
    list: (includeClosed: boolean) => read(stub.list(includeClosed), "grants"),
    events: (grantId?: string) => read(stub.events(grantId), "grants"),
    create: (...a: Parameters<Grants["create"]>) => write(stub.create(...a), "grants"),
    revoke: (...a: Parameters<Grants["revoke"]>) => write(stub.revoke(...a), "grants"),
  };
}

/**
 * The Denylist object: the methods the admin API's routes call, each failing past its bound (its exact read for
 * admission, catchUpExactly, has its own).
 */
export function denylistStore(env: Env) {
  const stub = env.DENYLIST.getByName(DENYLIST_NAME);
  return {
    list: (...a: Parameters<Denylist["list"]>) => read(stub.list(...a), "denylist"),
    revoke: (...a: Parameters<Denylist["revoke"]>) => write(stub.revoke(...a), "denylist"),
    add: (...a: Parameters<Denylist["add"]>) => write(stub.add(...a), "denylist"),
    release: (...a: Parameters<Denylist["release"]>) => write(stub.release(...a), "denylist"),
  };
}

/** The security-event receiver's object of a transmitter's `issuer`: the admin API's calls, each bounded. */
export function ssfReceiver(env: Env, issuer: string) {
  const stub = env.SSF_REPLAY.getByName(issuer);
  return {
    status: () => read(stub.status(), "SSF receiver"),
    expectVerification: (state: string, now: number) => write(stub.expectVerification(state, now), "SSF receiver"),
    startPolling: (pollIssuer: string) => write(stub.startPolling(pollIssuer), "SSF receiver"),
  };
}
