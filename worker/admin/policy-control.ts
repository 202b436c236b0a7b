// The admin API's calls to PolicyControl (the one writer of the active pointer), each with a bound of its own.
// From a review: they had none, so an object that never answered held the admin call, and `ward` behind it, until
// the runtime gave up. Past the bound the call fails with NotAnsweredInTime, which store-fault.ts answers as a
// Durable Object that did not answer (503, Retry-After; nothing changed on a read, not known on a write).
import type { Env } from "../env.ts";
import { POLICY_CONTROL_NAME, type ActivateRequest } from "../policy-store/control.ts";
import { answeredWithin } from "../shared/settled-within.ts";

/**
 * activate() and setShadow(): a KV write (a promote's, two) inside blockConcurrencyWhile, queued behind any other
 * admin's write there. A write answered "not known" sends the operator to list before trying again, so a slow KV
 * write that would have succeeded should not get that answer. Well short of the 30 s the runtime gives
 * blockConcurrencyWhile (past which it resets the object and the call fails anyway).
 */
export const POLICY_CONTROL_WRITE_MS = 10_000;
/**
 * authority() and state(): a read of the object's SQLite history (and of KV's pointer before the first move through
 * it, a bootstrap's). Itself quick, but blockConcurrencyWhile holds it back while another admin's write runs, which
 * may take POLICY_CONTROL_WRITE_MS (from a review: at 3 s, every admin call failed while a write took 3-10 s, as
 * its own bound allows). So a read is given that and 2 s of its own.
 */
export const POLICY_CONTROL_READ_MS = POLICY_CONTROL_WRITE_MS + 2_000;

const STORE = "policy control";

/** PolicyControl's methods the admin API calls, each failing with NotAnsweredInTime past its bound. */
export function policyControl(env: Env) {
  const stub = env.POLICY_CONTROL.getByName(POLICY_CONTROL_NAME);
  return {
    authority: () => answeredWithin(stub.authority(), POLICY_CONTROL_READ_MS, STORE),
    state: (limit?: number) => answeredWithin(stub.state(limit), POLICY_CONTROL_READ_MS, STORE),
    // A write past its bound may still be made: the object goes on with it (store-fault.ts says "not known").
    activate: (request: ActivateRequest) => answeredWithin(stub.activate(request), POLICY_CONTROL_WRITE_MS, STORE),
    setShadow: (version: string | null, who: string, message: string) =>
      answeredWithin(stub.setShadow(version, who, message), POLICY_CONTROL_WRITE_MS, STORE),
  };
}
