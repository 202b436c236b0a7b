// The one table from a reason to the status Ward answers with: evaluate() sets a decision's status from it, the
// Worker answers its own refusals (denylist, rate limit, assertion, origin, own paths) from it, and `ward
// explain` shows the status a decision gets from it. Clients see only the status and a generic body; the
// reason is for operators.
import type { AnswerReason, Reason } from "./decision.ts";

/**
 * Why an allowed request was still not forwarded: its obligations or its origin failed. The decision stays the
 * policy's (an allow); the log records this as the request's `outcome`.
 */
export const DELIVERY_REASONS = [
  "rate-limited",
  "rate-limit-unavailable",
  "assertion-unavailable",
  "origin-unavailable",
  "origin-error",
  "origin-timeout",
] as const;
export type DeliveryReason = (typeof DELIVERY_REASONS)[number];

/** "refused": 403, or 404 for a hidden service (it answers as if the route did not exist). */
const STATUS: Record<Reason | AnswerReason | DeliveryReason, number | "refused"> = {
  "allowed-by-rule": 200,
  "allowed-by-exception": 200,
  "allowed-by-break-glass": 200,
  "audit-would-deny": 200,
  "denied-by-rule": "refused",
  "no-matching-rule": "refused",
  revoked: 403,
  quarantined: 403,
  "denylist-unavailable": 503,
  unauthenticated: 401,
  "certificate-required": 401,
  "route-not-found": 404,
  "host-not-found": 404,
  "bad-request": 400,
  "body-not-allowed": 400,
  "upgrade-not-allowed": "refused",
  "upgrade-cross-origin": "refused",
  "policy-unavailable": 503,
  "internal-error": 500,
  "ward-key-set": 200,
  "ward-portal": 200,
  "ward-admin": 200,
  "ward-ssf": 202,
  "rate-limited": 429,
  "rate-limit-unavailable": 503,
  "assertion-unavailable": 503,
  "origin-unavailable": 503,
  "origin-error": 502,
  "origin-timeout": 504,
};

/** The status for a reason; `hidden`: the service answers refusals 404 (`hide: true`). */
export function statusFor(reason: Reason | AnswerReason | DeliveryReason, hidden = false): number {
  const status = STATUS[reason];
  return status === "refused" ? (hidden ? 404 : 403) : status;
}
