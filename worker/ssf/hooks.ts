// What else happens when a security event refuses people. The one place for it, called by the receiver once
// the refusals are written (and never for a SET that changed nothing).
//
// Open WebSocket connections need nothing from here: each is decided again every WEBSOCKET_CHECK_SECONDS
// (worker/websocket/watch.ts) against the isolate's denylist copy, so a person refused is disconnected within
// that interval plus the copy's refresh; one whose groups or device the event said changed has those facts
// dropped there, and a connection whose route needs them ends.
import type { SubjectFact } from "../../policy/index.ts";
import type { Env } from "../env.ts";

export async function onPeopleRefused(_env: Env, _facts: readonly SubjectFact[], _now: number): Promise<void> {
  // Nothing more: requests are refused from the next one on through the denylist (worker/denylist/).
}
