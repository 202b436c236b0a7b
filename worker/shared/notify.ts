// Announcements (break-glass granted, identity quarantined) to the environment's NOTIFY_WEBHOOK: a JSON POST
// with a `text` line for chat tools and the record itself. Callers send it with waitUntil, never on the
// request's path; a failed announcement is logged and changes nothing.
import type { Env } from "../env.ts";
import { logEvent } from "../log/events.ts";

export async function notify(env: Env, text: string, details: Record<string, unknown>): Promise<void> {
  if (!env.NOTIFY_WEBHOOK) return;
  try {
    const response = await fetch(env.NOTIFY_WEBHOOK, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text, ...details }),
    });
    if (!response.ok) logEvent("error", "notify-failed", { status: response.status, text });
  } catch (error) {
    logEvent("error", "notify-failed", { error: String(error), text });
  }
}
