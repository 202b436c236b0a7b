// The gateway's denylist listing, read page by page (GET /denylist with limit and after): released and expired
// entries are kept for good, so the whole list in one answer would in time pass the admin API's read bound.
import type { DenyEntry } from "../policy/index.ts";
import { adminCall, type AdminTarget } from "./admin-client.ts";
import { CliError, EXIT } from "./cli-error.ts";

/** What one page asks for: the most the admin API gives (LIST_PAGE_MAX in worker/shared/listing-page.ts). */
export const DENYLIST_PAGE = 1_000;

/**
 * Every entry of `kind` (`all`: ended ones too), read `size` at a time, in the order they were recorded. Whole or
 * not at all: a page that fails throws (`failed` says what was not done), and nothing is returned of the pages
 * before, so no caller takes part of the list for all of it. A gateway of the release before answers the whole
 * list at once.
 */
export async function denylistEntries(
  target: AdminTarget,
  kind: DenyEntry["kind"],
  all: boolean,
  failed = "",
  size = DENYLIST_PAGE,
): Promise<DenyEntry[]> {
  const listed: DenyEntry[] = [];
  const broken = (what: string) =>
    new CliError(`${target.describe}: ${what}; nothing listed, ask again${failed}`, EXIT.failed);
  let after: string | undefined;
  for (;;) {
    const query = `kind=${kind}${all ? "&all=1" : ""}&limit=${size}${after ? `&after=${after}` : ""}`;
    const reply = await adminCall(target, "GET", `/denylist?${query}`);
    if (reply.status !== 200)
      throw new CliError(`${target.describe}: unexpected answer ${reply.status}${failed}`, EXIT.failed);
    const body = reply.body as { entries?: DenyEntry[]; next?: unknown };
    if (!Array.isArray(body.entries)) throw broken("a denylist page without entries");
    // A gateway of the release before ignores `after` and answers the whole list again (a deployment under way):
    // taken as a later page, the first pages' entries would be listed twice.
    if (after !== undefined && !("next" in body)) throw broken("a later denylist page came back as the whole list");
    listed.push(...body.entries);
    const next = body.next;
    if (typeof next !== "string") return listed;
    // A page that names no later place, or names one but holds nothing, could be followed for ever.
    const later = /^[1-9][0-9]{0,14}$/.test(next) && (after === undefined || Number(next) > Number(after));
    if (!later || body.entries.length === 0) throw broken(`a denylist page named no later page (${next.slice(0, 32)})`);
    after = next;
  }
}
