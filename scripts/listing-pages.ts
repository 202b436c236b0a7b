// An admin listing read page by page (GET /denylist or /grants with limit and after): ended records are kept for
// good, so a whole list in one answer would in time pass the admin API's read bound (3 s).
import { adminCall, type AdminTarget } from "./admin-client.ts";
import { CliError, EXIT } from "./cli-error.ts";

/** What one page asks for: the most the admin API gives (LIST_PAGE_MAX in worker/shared/listing-page.ts). */
export const LISTING_PAGE = 1_000;

export interface Listing {
  /** The path and its query: `/denylist?kind=revocation&all=1`. */
  path: string;
  /** The answer's member that holds the records: `entries`, `grants`. */
  member: string;
  /** What it lists, for errors: "the denylist". */
  what: string;
  /** Said after an error: what was not done ("; nothing revoked"). */
  failed?: string;
}

/**
 * Every record of `listing`, read `size` at a time, in the order the gateway lists them. Whole or not at all: a page
 * that fails throws, and nothing is returned of the pages before, so no caller takes part of the list for all of it.
 * A gateway of the release before answers the whole list at once.
 */
export async function wholeListing<T>(target: AdminTarget, listing: Listing, size = LISTING_PAGE): Promise<T[]> {
  const { path, member, what, failed = "" } = listing;
  const broken = (why: string) =>
    new CliError(`${target.describe}: ${what}: ${why}; nothing listed, ask again${failed}`, EXIT.failed);
  const listed: T[] = [];
  const asked = new Set<string>();
  let after: string | undefined;
  for (;;) {
    const page = `limit=${size}${after === undefined ? "" : `&after=${encodeURIComponent(after)}`}`;
    const reply = await adminCall(target, "GET", `${path}${path.includes("?") ? "&" : "?"}${page}`);
    if (reply.status !== 200)
      throw new CliError(`${target.describe}: unexpected answer ${reply.status}${failed}`, EXIT.failed);
    const body = (reply.body ?? {}) as Record<string, unknown>;
    const records = body[member];
    if (!Array.isArray(records)) throw broken(`a page without ${member}`);
    // A gateway of the release before ignores `after` and answers the whole list again (a deployment under way):
    // taken as a later page, the first pages' records would be listed twice.
    if (after !== undefined && !("next" in body)) throw broken("a later page came back as the whole list");
    listed.push(...(records as T[]));
    const next = body.next;
    // null: the last page; none at all: a gateway of the release before, which answers the whole list at once.
    if (next === null || (after === undefined && !("next" in body))) return listed;
    if (typeof next !== "string") throw broken("a page whose next is not one");
    // A page that names a place asked for already, or names one but holds nothing, could be followed for ever.
    if (asked.has(next) || records.length === 0) throw broken(`a page named no later page (${next.slice(0, 80)})`);
    asked.add(next);
    after = next;
  }
}
