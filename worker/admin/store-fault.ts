// An admin call that failed after the caller was admitted: the operator is told what is known (nothing changed,
// or it is not known whether it did) and the request id to find in the log, never the error itself. Before
// admission, the caller gets what anyone gets for an unexpected error (worker/respond.ts).
import type { Context } from "hono";
import { logAnswer } from "../log/decisions.ts";
import { asReceived } from "../request-target.ts";
import { errorText, respondToUnexpected } from "../respond.ts";
import { NotAnsweredInTime } from "../shared/settled-within.ts";
import type { AdminEnv } from "./api.ts";

/**
 * Whether the platform says the error is its own, not Ward's code: Durable Objects mark errors of their
 * infrastructure `retryable` (the call may be repeated) or `overloaded` (it should not be, yet)
 * (developers.cloudflare.com/durable-objects/best-practices/error-handling). KV's errors carry no such mark.
 * Or a Durable Object that had not answered a read when Ward stopped waiting (NotAnsweredInTime: policy-control.ts,
 * stores.ts): the object's doing too, and asked again once it answers, the call may go through.
 */
export function isStoreFault(error: unknown): boolean {
  if (error instanceof NotAnsweredInTime) return true;
  if (typeof error !== "object" || error === null) return false;
  const e = error as { retryable?: unknown; overloaded?: unknown };
  return e.retryable === true || e.overloaded === true;
}

const READS = new Set(["GET", "HEAD"]);

export function answerAdminFailure(error: unknown, c: Context<AdminEnv>): Response {
  const requestId = c.get("requestId") ?? crypto.randomUUID();
  c.set("logged", true);
  // Not admitted (the failure came while reading the policy or identifying the caller): no word of what failed.
  if (c.get("policy") === undefined)
    return respondToUnexpected(error, requestId, c.req.raw, c.get("started") ?? Date.now());
  const fault = isStoreFault(error);
  const status = fault ? 503 : 500;
  const now = Date.now();
  const started = c.get("started") ?? now;
  // The one line of the request, as every unexpected failure's: `internal-error` with the error, which `ward
  // why` shows and `ward metrics` counts as unavailable; its status says whether the platform marked it.
  logAnswer({
    requestId,
    time: started,
    request: asReceived(c.req.raw),
    reason: "internal-error",
    status,
    latencyMs: now - started,
    principal: c.get("principal"),
    error: errorText(error),
  });
  const read = READS.has(c.req.method);
  const what = fault
    ? "a store Ward keeps its state in (a Durable Object) did not answer"
    : "the call failed (a store, or Ward itself)";
  const outcome = read
    ? "nothing was changed"
    : "whether the change was made is not known: list or show it before trying again";
  const body = {
    error: `${what}; ${outcome} (request ${requestId} in the gateway's log)`,
    changed: read ? "no" : "unknown",
    requestId,
  };
  // Logged here, so own-paths.ts's middleware writes no line of it; it adds Cache-Control: no-store all the same.
  const headers = { "ward-request-id": requestId };
  return c.json(body, status, fault ? { ...headers, "retry-after": "30" } : headers);
}
