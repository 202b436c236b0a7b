// Announcements (break-glass granted, identity quarantined) to the environment's NOTIFY_WEBHOOK: a JSON POST
// with a `text` line for chat tools (`announcement` writes it) and the record itself. Callers send it with
// waitUntil, never on the request's path; a failed announcement is logged and changes nothing.
import type { Env } from "../env.ts";
import { logEvent } from "../log/events.ts";

/**
 * A value in an announcement as one Markdown code span. Slack, Mattermost and Microsoft Teams all take the `text`
 * of an incoming webhook; Mattermost and Teams read it as Markdown, where a caller's `[Approve](https://...)` is a
 * link and `@channel` or `@all` pings everyone (Slack needs `<!channel>`: chatText). In a code span each is shown as
 * written, and Mattermost looks for mentions only outside code. A backtick would end the span early (a longer
 * fence does not help: Mattermost's pattern for code ends it at the first), so it is written `'`; a line break as
 * a space.
 * The record beside the text keeps the value exact.
 */
const codeSpan = (value: string): string => `\`${value.replace(/`/g, "'").replace(/[\r\n]+/g, " ")}\``;

/**
 * An announcement's text: Ward's own words as written, every value put in (a principal, a reason, a name: each
 * may be text someone else chose) as a code span, so that no caller can write markup into it.
 */
export function announcement(words: TemplateStringsArray, ...values: unknown[]): string {
  return words.reduce((text, word, i) => (i === 0 ? word : `${text}${codeSpan(String(values[i - 1]))}${word}`), "");
}

/**
 * The `text` as chat tools read it: `&`, `<` and `>` escaped, as Slack asks of an incoming webhook's text. It holds
 * names a caller chose (an oidc subject is any visible text: a GitHub branch may be `<!channel>`), which Slack
 * would otherwise read as a ping of the whole channel or a link labelled as the caller likes (from a review); in
 * a code span too, which Slack reads such sequences in. Ward's own words hold no markup; the record beside it is
 * data, sent as it is.
 */
function chatText(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;"));
}

/**
 * The webhook as a URL fetch takes, or why not: a secret, so never quoted (fetch's own errors quote the URL
 * whole, and an operator who pasted it without its scheme, or with a space, would find it in every log reader's
 * view). Named by the setting instead.
 */
function webhookUrl(webhook: string): URL | string {
  let url: URL;
  try {
    url = new URL(webhook);
  } catch {
    return "NOTIFY_WEBHOOK is not a URL";
  }
  return url.protocol === "https:" || url.protocol === "http:" ? url : "NOTIFY_WEBHOOK is not an http(s) URL";
}

/** An error's text with the webhook, as written or as parsed, replaced by the setting's name. */
function withoutWebhook(error: unknown, webhook: string, url: URL): string {
  return String(error).replaceAll(webhook, "<NOTIFY_WEBHOOK>").replaceAll(url.href, "<NOTIFY_WEBHOOK>");
}

export async function notify(env: Env, text: string, details: Record<string, unknown>): Promise<void> {
  const webhook = env.NOTIFY_WEBHOOK;
  if (!webhook) return;
  const url = webhookUrl(webhook);
  if (typeof url === "string") {
    logEvent("error", "notify-failed", { error: url, text });
    return;
  }
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: chatText(text), ...details }),
    });
    if (!response.ok) logEvent("error", "notify-failed", { status: response.status, text });
  } catch (error) {
    logEvent("error", "notify-failed", { error: withoutWebhook(error, webhook, url), text });
  }
}
