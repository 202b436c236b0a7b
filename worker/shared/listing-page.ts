// A page of an admin listing read from a Durable Object's SQLite table (Denylist.page, Grants.page). Ended records
// are kept for good, so a whole listing grows without end: one answer of it would in time pass the admin API's
// read bound (worker/admin/stores.ts) or the RPC message limit. Pages follow the table's rowid, which orders rows
// as recorded and is never reused: neither table deletes a row. (Their rowid is implicit, which SQLite may renumber
// in a VACUUM; Ward runs none, and the Denylist's `numbered_upto` leans on the same.)

/** The most records one page carries (each under ~1 KB as JSON): read in milliseconds, however long the history. */
export const LIST_PAGE_MAX = 1_000;

export interface PageQuery<Kind extends string> {
  /** Ended records too. */
  includeClosed: boolean;
  kind?: Kind;
  /** The `next` of the page before; none (or 0) for the first. */
  after?: number;
  /** At most LIST_PAGE_MAX; null: every record after `after`, in one answer (the listing before pages). */
  limit: number | null;
  now: number;
}

export interface RowPage<T> {
  rows: T[];
  /** What the next page is asked `after`, or null: this page is the last. */
  next: number | null;
}

/**
 * A page of `table`'s rows as `query` asks: after its `after` row, of its kind, and, unless it includes the closed
 * ones, in force (`inForce`: an SQL condition whose one `?` is the time). One more row is read than asked, to know
 * whether another page follows without a count over the whole table.
 */
export function readPage<Row, Kind extends string, T>(
  sql: SqlStorage,
  table: "entries" | "grants",
  inForce: string,
  query: PageQuery<Kind>,
  recordOf: (row: Row) => T,
): RowPage<T> {
  const { includeClosed, kind, after, limit, now } = query;
  const rows = sql
    .exec<Record<string, SqlStorageValue>>(
      `SELECT rowid AS listed_row, * FROM ${table} WHERE rowid > ? AND kind = COALESCE(?, kind)
       ${includeClosed ? "" : `AND (${inForce})`} ORDER BY rowid LIMIT ?`,
      after ?? 0,
      kind ?? null,
      ...(includeClosed ? [] : [now]),
      limit === null ? -1 : limit + 1,
    )
    .toArray() as unknown as (Row & { listed_row: number })[];
  const more = limit !== null && rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  return { rows: shown.map(recordOf), next: more ? shown[shown.length - 1]!.listed_row : null };
}
