// An admin call that failed after the caller was admitted: the operator is told what is known (nothing changed,
// or it is not known whether it did) and the request id to find in the log, never the error itself. Before
// admission, the caller gets what anyone gets for an unexpected error (worker/respond.ts).
import type { Context } from "hono";
import { logAnswer } from "../log/decisions.ts";
import { asReceived } from "../request-target.ts";
import { statusFor } from "../../policy/index.ts";
import { answer, errorText, respondToUnexpected } from "../respond.ts";
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
  const fault = isStoreFault(error);
  const now = Date.now();
  const started = c.get("started") ?? now;
  // Not admitted (the failure came while reading the policy, identifying the caller or reading the authority): no
  // word of what failed. A store that did not answer there is PolicyControl's, for the version the caller is admitted
  // by (only an admin by the isolate's copy asks it): an outage, answered as when that version cannot be had (503,
  // retried), its error in the one line. From a review: it was the generic 500, which `ward` could only print.
  if (c.get("policy") === undefined) {
    if (!fault) return respondToUnexpected(error, requestId, c.req.raw, started);
    logAnswer({
      requestId,
      time: started,
      request: asReceived(c.req.raw),
      reason: "policy-unavailable",
      status: statusFor("policy-unavailable"),
      latencyMs: now - started,
      principal: c.get("principal"),
      error: errorText(error),
    });
    return answer("policy-unavailable", requestId);
  }
  const status = fault ? 503 : 500;
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
