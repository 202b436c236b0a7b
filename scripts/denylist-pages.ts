// The gateway's denylist listing, read page by page (GET /denylist with limit and after): released and expired
// entries are kept for good, so the whole list in one answer would in time pass the admin API's read bound.
import type { DenyEntry } from "../policy/index.ts";
import { adminCall, type AdminTarget } from "./admin-client.ts";
import { CliError, EXIT } from "./cli-error.ts";

/** What one page asks for: the most the admin API gives (LIST_PAGE_MAX in worker/denylist/store.ts). */
export const DENYLIST_PAGE = 1_000;

/**
 * Each page of entries of `kind` (`all`: ended ones too), `size` at most, in the order they were recorded. A failed page throws
 * `failed` (what the caller was about) after the pages before it were yielded; a gateway of the release before
 * answers the whole list as one page.
 */
export async function* denylistPages(
  target: AdminTarget,
  kind: DenyEntry["kind"],
  all: boolean,
  failed = "",
  size = DENYLIST_PAGE,
): AsyncGenerator<DenyEntry[]> {
  let after: string | undefined;
  for (;;) {
    const query = `kind=${kind}${all ? "&all=1" : ""}&limit=${size}${after ? `&after=${after}` : ""}`;
    const reply = await adminCall(target, "GET", `/denylist?${query}`);
    if (reply.status !== 200)
      throw new CliError(`${target.describe}: unexpected answer ${reply.status}${failed}`, EXIT.failed);
    const { entries, next } = reply.body as { entries: DenyEntry[]; next?: string | null };
    yield entries;
    if (typeof next !== "string") return;
    // A page that names no later place would be asked for again and again.
    if (next === after || !/^[1-9][0-9]*$/.test(next) || (after !== undefined && BigInt(next) <= BigInt(after)))
      throw new CliError(`${target.describe}: a denylist page named no later page (${next.slice(0, 32)})`, EXIT.failed);
    after = next;
  }
}
