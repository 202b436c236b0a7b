// GET /grants: the grants of one service, or of every service the active policy has, in pages. Ended grants are
// kept for good (their history is the audit trail), so one answer of them all grows without end. Services are
// listed by name, each one's grants in the order recorded; a page's `next` names the service and the row it
// ended at (`wiki/17`), so a service added to or taken from the policy between pages moves nothing already listed.
import type { Context } from "hono";
import { NAME_PATTERN } from "../../policy/index.ts";
import type { GrantRecord } from "../grants/store.ts";
import { LIST_PAGE_MAX, type PageQuery, type RowPage } from "../shared/listing-page.ts";
import { lacksMethod } from "../shared/missing-method.ts";
import type { AdminEnv } from "./api.ts";
import { listAll, type PageAsked, pageAsked } from "./body.ts";
import { grantStore } from "./stores.ts";

/**
 * A service named in a path or query: any service name, also one the active policy no longer has (its
 * grants can still be listed and revoked), but never an arbitrary string, each of which would be a new
 * Durable Object.
 */
export function serviceParam(c: Context<AdminEnv>, value: string | undefined): string | Response | undefined {
  if (value === undefined) return undefined;
  return NAME_PATTERN.test(value) ? value : c.json({ error: `"${value.slice(0, 64)}" is not a service name` }, 400);
}

/** Where a page starts: after row `row` of `service` (0: its first), the services after it by name following. */
interface GrantsAfter {
  service: string;
  row: number;
}

/** A `next` as this listing writes it: a service's name (as the policy's schema allows one), `/`, a row. */
const AFTER = new RegExp(`^(${NAME_PATTERN.source.replace(/^\^|\$$/g, "")})/(0|[1-9][0-9]{0,14})$`);

const readAfter = (text: string): GrantsAfter | undefined => {
  const found = AFTER.exec(text);
  return found ? { service: found[1]!, row: Number(found[2]) } : undefined;
};

/**
 * Services read at once for a page: each is a Durable Object of its own, a round trip apart, and most have few grants;
 * each is asked for as many as the page still lacks, so a page reads at most this many times its limit. (A listing
 * without a limit reads them all at once, as before pages.)
 */
const SERVICES_AT_ONCE = 8;

/**
 * Grants.page of one service. An object still running the release before (a gradual deployment, or the seconds
 * after any deploy) has no `page`: asked from the service's start, its whole list is the service's part of the
 * page, as that release answered it; a later part cannot be had from it and fails as the store failing would.
 */
async function servicePage(
  c: Context<AdminEnv>,
  service: string,
  query: PageQuery<GrantRecord["kind"]>,
): Promise<RowPage<GrantRecord>> {
  const store = grantStore(c.env, service);
  try {
    return await store.page(query);
  } catch (error) {
    if (!lacksMethod(error, "page") || (query.after ?? 0) !== 0) throw error;
    const grants = await store.list(query.includeClosed);
    return { rows: grants.filter((g) => query.kind === undefined || g.kind === query.kind), next: null };
  }
}

/** Lists the grants of one service, or of every service the active policy has; `all=1` adds ended ones. */
export async function listGrants(c: Context<AdminEnv>): Promise<Response> {
  // A filter misspelt must not read as "no grants" (from a black-box review).
  const all = listAll(c.req.query("all"));
  if (all === undefined) return c.json({ error: "all is 1 (or left out)" }, 422);
  const kind = c.req.query("kind");
  if (kind !== undefined && kind !== "exception" && kind !== "break-glass")
    return c.json({ error: "kind is exception or break-glass" }, 422);
  const named = serviceParam(c, c.req.query("service") || undefined);
  if (named instanceof Response) return named;
  const page = pageAsked(c, LIST_PAGE_MAX, readAfter);
  if (typeof page === "string") return c.json({ error: page }, 422);
  // A page of another listing (from a client that changed its filter between pages) would read as its end, or
  // start this one again.
  if (named && page.after && page.after.service !== named)
    return c.json({ error: `after names ${page.after.service}, not the service listed` }, 422);
  const services = (named ? [named] : Object.keys(c.get("policy").document.services)).sort();
  const now = Date.now();
  const { grants, next } = await grantsPage(c, services, page, { includeClosed: all, kind, limit: page.limit, now });
  return c.json({ now: new Date(now).toISOString(), grants, next });
}

/** The page of `services`' grants (by name) that `asked` says, and where the next starts. */
async function grantsPage(
  c: Context<AdminEnv>,
  services: string[],
  asked: PageAsked<GrantsAfter>,
  query: Omit<PageQuery<GrantRecord["kind"]>, "after">,
): Promise<{ grants: GrantRecord[]; next: string | null }> {
  const { limit, after } = asked;
  const grants: GrantRecord[] = [];
  /** Where `service` is read from: the row the page before ended at in its service, else its first. */
  const rowOf = (service: string) => (after?.service === service ? after.row : 0);
  // The first service at or after the one the page before ended in (which may have left the policy since).
  const first = after === undefined ? 0 : services.findIndex((s) => s >= after.service);
  const atOnce = limit === null ? services.length : SERVICES_AT_ONCE;
  for (let i = first < 0 ? services.length : first; i < services.length; i += atOnce) {
    const batch = services.slice(i, i + atOnce);
    const left = limit === null ? null : limit - grants.length;
    const parts = await Promise.all(batch.map((s) => servicePage(c, s, { ...query, limit: left, after: rowOf(s) })));
    for (const [k, part] of parts.entries()) {
      const service = batch[k]!;
      // Past the page with what came before it: the next page starts at this service's first row. (Only the page's
      // first service starts past its first row, and a page's first part is taken whole, an older object's whole
      // list too, so every page moves on.)
      if (limit !== null && grants.length > 0 && grants.length + part.rows.length > limit)
        return { grants, next: `${service}/0` };
      grants.push(...part.rows);
      if (part.next !== null) return { grants, next: `${service}/${part.next}` };
      const following = services[i + k + 1];
      if (limit !== null && grants.length >= limit)
        return { grants, next: following === undefined ? null : `${following}/0` };
    }
  }
  return { grants, next: null };
}
