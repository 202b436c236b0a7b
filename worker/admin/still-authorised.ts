// A write is made only while the version its caller was authorised by is still the active one. The middleware
// (api.ts) admits an admin against the version PolicyControl named then; a grant, revocation or shadow change
// is made after the body is read, which the caller may take as long as it likes to send. An admin a push
// removes meanwhile could otherwise still make it (from a review: a break-glass grant sent slowly, landing after
// the push that removed its sender). Moves of the pointer are checked in PolicyControl itself (authorisedFrom).
import type { Context } from "hono";
import type { AdminEnv } from "./api.ts";
import { logEvent } from "../log/events.ts";
import { policyControl } from "./policy-control.ts";

/**
 * A 409 when the active version is no longer the one this call was authorised by (nothing is changed; asked
 * again, the caller is judged by the version now active); the refusal admission gives when the caller is no
 * longer admitted (revoked or quarantined meanwhile); undefined when the write may go ahead. Asked right
 * before the write: what is left between the two is one call to the store, which no caller can stretch.
 */
export async function authorityChanged(c: Context<AdminEnv>): Promise<Response | undefined> {
  const { active } = await policyControl(c.env).authority();
  const authorisedFrom = c.get("authorisedFrom");
  // Still the version admitted by: the caller must still be admitted by it, by the denylist as it is now (from a
  // review: an admin whose credential was revoked while his body was on its way could still break glass).
  if (active === authorisedFrom) return await c.get("readmit")();
  logEvent("warn", "admin-authority-changed", { requestId: c.get("requestId"), authorisedFrom, active });
  return c.json(
    {
      error: "the active policy changed while this call was on its way: nothing changed; try again",
      authorisedFrom,
      active,
    },
    409,
  );
}
