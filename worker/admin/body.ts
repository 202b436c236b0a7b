// The admin API's request bodies: JSON checked against a zod schema, or a 400/422 that says what is wrong
// (admins may see it; nothing is changed).
import type { Context, Env } from "hono";
import type { z } from "zod";

export async function parseBody<T, E extends Env>(c: Context<E>, schema: z.ZodType<T>): Promise<T | Response> {
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    return c.json({ error: "expected a JSON body" }, 400);
  }
  const parsed = schema.safeParse(json);
  return parsed.success
    ? parsed.data
    : c.json({ error: parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ") }, 422);
}
