// Announcements (break-glass granted, identity quarantined) to the environment's NOTIFY_WEBHOOK: a JSON POST
// with a `text` line for chat tools and the record itself. Callers send it with waitUntil, never on the
// request's path; a failed announcement is logged and changes nothing.
import type { Env } from "../env.ts";
import { logEvent } from "../log/events.ts";

/**
 * The `text` as chat tools read it: `&`, `<` and `>` escaped, as Slack asks of an incoming webhook's text. It holds
 * names a caller chose (an oidc subject is any visible text: a GitHub branch may be `<!channel>`), which Slack
 * would otherwise read as a ping of the whole channel or a link labelled as the caller likes (from a review).
 * Ward's own words hold no markup; the record beside it is data, sent as it is.
 */
function chatText(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;"));
}

export async function notify(env: Env, text: string, details: Record<string, unknown>): Promise<void> {
  if (!env.NOTIFY_WEBHOOK) return;
  try {
    const response = await fetch(env.NOTIFY_WEBHOOK, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: chatText(text), ...details }),
    });
    if (!response.ok) logEvent("error", "notify-failed", { status: response.status, text });
  } catch (error) {
    logEvent("error", "notify-failed", { error: String(error), text });
  }
}
