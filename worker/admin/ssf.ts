// Admin API for the security-event receiver (used by `ward ssf verify|status|poll`): record the state a requested
// verification event must carry (a verification event with any other state is refused), read when verification
// last succeeded and how polling goes, and start a polling transmitter's poller now. Only transmitters of the
// active policy are named; nothing else is reachable from here.
import type { Context, Hono } from "hono";
import * as z from "zod";
import type { SsfTransmitter } from "../../policy/index.ts";
import { logEvent } from "../log/events.ts";
import type { AdminEnv } from "./api.ts";
import { parseBody } from "./body.ts";
import { authorityChanged } from "./still-authorised.ts";
import { ssfReceiver } from "./stores.ts";

const VerificationBody = z.strictObject({
  transmitter: z.string().min(1).max(64),
  state: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, "16 to 128 base64url characters"),
});

function transmitterOf(c: Context<AdminEnv>, name: string | undefined): SsfTransmitter | Response {
  const signals = c.get("policy").document.sharedSignals;
  const t =
    signals && name !== undefined && Object.hasOwn(signals.transmitters, name) ? signals.transmitters[name] : undefined;
  return t ?? c.json({ error: `the active policy has no sharedSignals transmitter ${name ?? "(none named)"}` }, 404);
}

export function ssfRoutes(admin: Hono<AdminEnv>): void {
  admin.post("/ssf/verification", async (c) => {
    const body = await parseBody(c, VerificationBody);
    if (body instanceof Response) return body;
    const t = transmitterOf(c, body.transmitter);
    if (t instanceof Response) return t;
    // A write as any other: its caller admitted again just before, by the version admitted by, still active (from a
    // review: an admin revoked while his call was on its way could still set the state a verification must carry).
    const moved = await authorityChanged(c);
    if (moved) return moved;
    await ssfReceiver(c.env, t.issuer).expectVerification(body.state, Date.now());
    logEvent("info", "ssf-verification-requested", { requestId: c.get("requestId"), transmitter: body.transmitter });
    return c.json({ ok: true });
  });

  admin.get("/ssf/status", async (c) => {
    const name = c.req.query("transmitter");
    const t = transmitterOf(c, name);
    if (t instanceof Response) return t;
    return c.json({ transmitter: name, ...(await ssfReceiver(c.env, t.issuer).status()) });
  });

  admin.post("/ssf/poll", async (c) => {
    const name = c.req.query("transmitter");
    const t = transmitterOf(c, name);
    if (t instanceof Response) return t;
    if (!t.poll) return c.json({ error: `transmitter ${name} is not polled (no poll in the policy)` }, 409);
    const moved = await authorityChanged(c);
    if (moved) return moved;
    // Asked for by an operator: a failure is theirs to see (the admin API's failure answer), not only logged as
    // startPollers does for the pollers a push starts in the background.
    await ssfReceiver(c.env, t.issuer).startPolling(t.issuer);
    // A record of its own, as a verification's (from a review: only the admin-request line said it happened).
    logEvent("info", "ssf-polling-started", { requestId: c.get("requestId"), transmitter: name });
    return c.json({ ok: true });
  });
}
