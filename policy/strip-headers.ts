// The STRIP_HEADERS var read as the names it lists: one reading for the Worker (worker/origin/headers.ts), which
// refuses to forward with a value that is no list, and for `ward doctor`, which says so before a deploy.

/** A run of characters no header name holds (RFC 9110 token): each separates two of STRIP_HEADERS' names. */
const NOT_IN_A_NAME = /[^!#$%&'*+\-.^_`|~0-9a-z]+/;

/**
 * The names STRIP_HEADERS lists. Written with spaces or semicolons between them (`referer; x-debug`) it used to
 * be one name no header has, so nothing was stripped and nothing said so: any character a header name cannot
 * hold now separates names, so a list means what it says however it is punctuated (a stray character strips
 * more, never less). A JSON array of names (a wrangler var may be JSON) is the same list. Anything else is not
 * a list: refused, naming the var, rather than forwarding what the deployment meant to keep from origins.
 */
export function stripNamesOf(list: unknown): Set<string> {
  const items = Array.isArray(list) && list.every((item) => typeof item === "string") ? list : [list];
  const found = new Set<string>();
  for (const item of items) {
    if (typeof item !== "string") throw new Error("STRIP_HEADERS must be header names separated by commas");
    for (const name of item.toLowerCase().split(NOT_IN_A_NAME)) if (name) found.add(name);
  }
  return found;
}
