// The admin API's request bodies: JSON (no member named twice) checked against a zod schema, or a 400/413/422 that
// says what is wrong (admins may see it; nothing is changed). Read with a bound, so no body is taken into memory
// whole first.
import type { Context, Env } from "hono";
import type { z } from "zod";
import { isCleanText } from "../../policy/index.ts";
import { firstRepeatedMember } from "../../policy/json-members.ts";
import { readBounded } from "../../policy/read-bounded.ts";

/**
 * Free text an admin writes (a reason, a ticket, a push message): read by other admins in `ward` output, the
 * history and webhooks, and written to the log. No control, line-separator or bidirectional character, which
 * could rewrite or hide what is shown around it.
 */
export function plainText<S extends z.ZodString>(schema: S) {
  return schema.refine(isCleanText, "must not hold control, line-separator or bidirectional characters");
}

/** Every admin body but a policy's is a few KB. */
export const MAX_ADMIN_BODY_BYTES = 64 * 1024;

export async function parseBody<T, E extends Env>(
  c: Context<E>,
  schema: z.ZodType<T>,
  maxBytes: number = MAX_ADMIN_BODY_BYTES,
): Promise<T | Response> {
  const read = await readBounded(c.req.raw, maxBytes);
  if (!read.ok)
    return read.problem === "too-large"
      ? c.json({ error: `expected a JSON body of at most ${maxBytes} bytes` }, 413)
      : c.json({ error: "expected a UTF-8 JSON body" }, 400);
  let json: unknown;
  try {
    json = JSON.parse(read.text);
  } catch {
    return c.json({ error: "expected a JSON body" }, 400);
  }
  // JSON.parse keeps a repeated member's last value, where the admin reading the command, a log or a proxy's copy
  // may read the first (`{"match":"email","match":"evil"}`): refused, as a pushed policy in JSON is.
  const repeated = firstRepeatedMember(read.text);
  if (repeated !== undefined) return c.json({ error: `member ${JSON.stringify(repeated)} given twice` }, 400);
  const parsed = schema.safeParse(json);
  return parsed.success
    ? parsed.data
    : c.json({ error: parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ") }, 422);
}

/** A list's `all` parameter: `1` for ended entries too, left out for those in force; undefined for anything else. */
export function listAll(value: string | undefined): boolean | undefined {
  return value === undefined ? false : value === "1" ? true : undefined;
}

/** Where a paged listing starts (its `after`, as the listing reads it), and how much it may carry (null: the rest). */
export interface PageAsked<After> {
  limit: number | null;
  after: After | undefined;
}

/**
 * A listing's `limit` (a whole number, 1 to `max`) and `after` (the page before's `next`, read by `readAfter`), or
 * what is wrong with them: a misspelt page must not read as the end of the list, nor either given twice as one.
 */
export function pageAsked<After>(
  c: Context,
  max: number,
  readAfter: (text: string) => After | undefined,
): PageAsked<After> | string {
  const [limits, afters] = [c.req.queries("limit") ?? [], c.req.queries("after") ?? []];
  if (limits.length > 1 || afters.length > 1) return "limit and after are given once each";
  const [limit, after] = [limits[0], afters[0]];
  if (limit !== undefined && !(/^[1-9][0-9]{0,5}$/.test(limit) && Number(limit) <= max))
    return `limit is a whole number from 1 to ${max}`;
  const read = after === undefined ? undefined : readAfter(after);
  if (after !== undefined && read === undefined) return "after is the next of the page before";
  return { limit: limit === undefined ? null : Number(limit), after: read };
}
