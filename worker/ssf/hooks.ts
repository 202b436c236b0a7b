// What else happens when a security event refuses people. The one place for it, called by the receiver once
// the refusals are written (and never for a SET that changed nothing).
//
// HOOK for open WebSocket connections (the "People" issue adds them in worker/gateway.ts and
// worker/origin/forward.ts): a connection upgraded before the refusal is not another request, so the denylist
// never sees it again. Close the open connections of `facts` (people by e-mail or Access sub) here.
import type { SubjectFact } from "../../policy/index.ts";
import type { Env } from "../env.ts";

export async function onPeopleRefused(_env: Env, _facts: readonly SubjectFact[], _now: number): Promise<void> {
  // Nothing yet: requests are refused from the next one on through the denylist (worker/denylist/).
}
