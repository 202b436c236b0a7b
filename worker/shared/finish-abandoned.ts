// Work one request starts for every request (a key-set load others wait for) must not stop when that request's
// client goes away: Workers cancel a request's I/O when its client disconnects, unless the request asked to be
// kept alive for it (waitUntil, for up to 30 s). Without this, a caller who starts a load and disconnects leaves
// everyone waiting for it until it is taken for abandoned.
import { waitUntil } from "cloudflare:workers";

/** Keeps the current request alive until `work` settles, even if its client disconnects. */
export function finishEvenIfAbandoned(work: Promise<unknown>): void {
  try {
    waitUntil(work.catch(() => undefined));
  } catch {
    // Outside a request (nothing to keep alive): the work runs as it would have.
  }
}
