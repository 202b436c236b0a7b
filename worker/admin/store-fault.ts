// An admin call that failed after the caller was admitted: the operator is told what is known (nothing changed,
// or it is not known whether it did) and the request id to find in the log, never the error itself. Before
// admission, the caller gets what anyone gets for an unexpected error (worker/respond.ts).
import type { Context } from "hono";
import { logEvent } from "../log/events.ts";
import { respondToUnexpected } from "../respond.ts";
import type { AdminEnv } from "./api.ts";

/**
 * Whether the error is the platform's own, not Ward's code: Durable Objects mark errors of their infrastructure
 * `retryable` (the call may be repeated) or `overloaded` (it should not be, yet), and errors thrown by an object's
 * own code `remote` (developers.cloudflare.com/durable-objects/best-practices/error-handling).
 */
export function isStoreFault(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as { retryable?: unknown; overloaded?: unknown };
  return e.retryable === true || e.overloaded === true;
}

const READS = new Set(["GET", "HEAD"]);

export function answerAdminFailure(error: unknown, c: Context<AdminEnv>): Response {
  const requestId = c.get("requestId") ?? crypto.randomUUID();
  // Not admitted (the failure came while reading the policy or identifying the caller): no word of what failed.
  if (c.get("policy") === undefined) {
    c.set("logged", true);
    return respondToUnexpected(error, requestId, c.req.raw, Date.now());
  }
  const fault = isStoreFault(error);
  const method = c.req.method;
  logEvent("error", "admin-call-failed", {
    requestId,
    principal: c.get("principal"),
    method,
    path: new URL(c.req.url).pathname,
    storeFault: fault,
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  });
  const what = fault ? "a store Ward keeps its state in (a Durable Object) did not answer" : "Ward failed unexpectedly";
  const read = READS.has(method);
  const outcome = read
    ? "nothing was changed"
    : "whether the change was made is not known: list or show it before trying again";
  const status = fault ? 503 : 500;
  const body = {
    error: `${what}; ${outcome} (request ${requestId} in the gateway's log)`,
    changed: read ? "no" : "unknown",
    requestId,
  };
  return c.json(body, status, {
    "ward-request-id": requestId,
    ...(fault ? { "retry-after": "30" } : {}),
  });
}
