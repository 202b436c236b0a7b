// The admin API's calls to PolicyControl (the one writer of the active pointer), its reads with a bound of their
// own. From a review: they had none, so an object that never answered held the admin call, and `ward` behind it,
// until the runtime gave up. Past the bound a read fails with NotAnsweredInTime, which store-fault.ts answers as a
// Durable Object that did not answer (503: Retry-After once the caller is admitted, `policy-unavailable` before).
import type { Env } from "../env.ts";
import { POLICY_CONTROL_NAME, type ActivateRequest } from "../policy-store/control.ts";
import { answeredWithin } from "../shared/settled-within.ts";

/**
 * authority() and state(): a read of the object's SQLite history (and of KV's pointer before the first move through
 * it, a bootstrap's). Itself quick, but blockConcurrencyWhile holds it back while another admin's write runs (a KV
 * write: well under a second as a rule). 12 s covers a slow one and keeps an admin waiting for a hung object no
 * longer than that (from a review: at 3 s, every admin call failed while a write took 3 s or more). A read held
 * back longer, behind writes slower still, fails as a hung object's does: best effort, retried.
 */
export const POLICY_CONTROL_READ_MS = 12_000;

const STORE = "policy control";

/** PolicyControl's methods the admin API calls: the reads failing with NotAnsweredInTime past their bound. */
export function policyControl(env: Env) {
  const stub = env.POLICY_CONTROL.getByName(POLICY_CONTROL_NAME);
  return {
    authority: () => answeredWithin(stub.authority(), POLICY_CONTROL_READ_MS, STORE),
    state: (limit?: number) => answeredWithin(stub.state(limit), POLICY_CONTROL_READ_MS, STORE),
    // Writes are waited for (from a review): one answered after its caller stopped waiting would still be made,
    // with none of what follows it (its log line, the pollers a push starts). The object answered a bounded read
    // moments before (the authority's re-check), and the runtime ends blockConcurrencyWhile at 30 s.
    activate: (request: ActivateRequest) => stub.activate(request),
    setShadow: (version: string | null, who: string, message: string) => stub.setShadow(version, who, message),
  };
}
