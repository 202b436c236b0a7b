// What `wrangler secret list --env ENV` prints (JSON by default: `[{ "name": ..., "type": "secret_text" }]`),
// read for `ward doctor --secret-list FILE`, so that an operator can pipe it in rather than copy the names.
import { CliError, EXIT } from "../cli-error.ts";

/**
 * Whatever wrangler wrote around the JSON (a warning before it, say) is skipped: the array is what counts, from a
 * line that opens it to one that closes it (the output is small: every such pair is tried).
 */
function jsonArray(text: string): unknown {
  const lines = text.split(/\r?\n/);
  const starts = lines.flatMap((l, i) => (l.trimStart().startsWith("[") ? [i] : []));
  const ends = lines.flatMap((l, i) => (l.trimEnd().endsWith("]") ? [i] : []));
  for (const start of starts)
    for (const end of ends.filter((e) => e >= start).reverse()) {
      try {
        return JSON.parse(lines.slice(start, end + 1).join("\n"));
      } catch {
        // not this pair
      }
    }
  return undefined;
}

/** The secrets' names; an error naming `label` when the text is not such a list. */
export function parseSecretList(text: string, label: string): string[] {
  const list = jsonArray(text);
  const names =
    Array.isArray(list) &&
    list.every((s) => typeof s === "object" && s !== null && typeof (s as { name?: unknown }).name === "string")
      ? list.map((s) => (s as { name: string }).name)
      : undefined;
  if (!names)
    throw new CliError(
      `${label}: not what \`wrangler secret list\` prints as JSON (a list of objects with a name); save it with \`npx wrangler secret list --env ENV --format json\``,
      EXIT.failed,
    );
  return names;
}
