// The admin API's denylist listing, page by page (`limit`, `after`): released and expired entries are kept for
// good, so one answer of the whole list would in time pass the read bound (3 s) or the RPC message limit (from
// the last note: 100,000 entries took 1.0-1.4 s as one answer). Generated: a history of revocations, quarantines,
// lifts and expiries (seed printed on failure; WARD_PAGES_SEED replays one), read in pages of every size from
// 1 to past its end, must be exactly the listing in one answer, for every filter.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { DENYLIST_NAME, type DenyEntry } from "../../../worker/denylist/store.ts";
import { LIST_PAGE_MAX } from "../../../worker/shared/listing-page.ts";
import { prng, seedFrom } from "../../support/prng.ts";
import { activate } from "../support/harness.ts";
import { adminCaller } from "./admin-calls.ts";
import { withAdmin } from "./policies.ts";

const call = adminCaller("n-pages");
const seed = seedFrom("WARD_PAGES_SEED");
const ADMIN = "carol@example.com";

interface Page {
  entries: DenyEntry[];
  next: string | null;
}

async function page(query: string): Promise<Page> {
  const res = await call(ADMIN, `/denylist?${query}`);
  expect(res.status, `${query} (seed ${seed})`).toBe(200);
  return (await res.json()) as Page;
}

/** Every page of `filter` of `size` (after `from`'s entry), in order, checked to end. */
async function paged(filter: string, size: number, from: string | null = null): Promise<DenyEntry[]> {
  const listed: DenyEntry[] = [];
  let after = from;
  for (let pages = 0; pages < 100; pages++) {
    const { entries, next } = await page(`${filter}&limit=${size}${after ? `&after=${after}` : ""}`);
    expect(entries.length, `a page of ${size} (seed ${seed})`).toBeLessThanOrEqual(size);
    listed.push(...entries);
    if (next === null) return listed;
    // A page that says more follow is full: a short one would be a last page not said so.
    expect(entries.length, `seed ${seed}`).toBe(size);
    after = next;
  }
  throw new Error(`no last page after 100 (seed ${seed})`);
}

const FILTERS = ["", "all=1", "kind=revocation", "kind=quarantine&all=1", "kind=revocation&all=1", "kind=quarantine"];

beforeAll(async () => {
  await activate(withAdmin("denylist pages", ADMIN));
  const denylist = env.DENYLIST.getByName(DENYLIST_NAME);
  const random = prng(seed);
  const start = Date.now() - 60_000;
  const made: string[] = [];
  // 23 entries: a mix of kinds, some expired, some released, each a millisecond after the last.
  for (let i = 0; i < 23; i++) {
    const kind = random() < 0.6 ? "revocation" : "quarantine";
    const expiresAt = random() < 0.2 ? start + i + 1 : null;
    const entry = { kind, match: "email", value: `paged-${i}@example.com`, reason: "paged", expiresAt } as const;
    made.push((await denylist.add(entry, ADMIN, start + i)).id);
    if (random() < 0.25) await denylist.release(made[random() < 0.5 ? made.length - 1 : 0]!, ADMIN, start + i);
  }
}, 60_000);

describe(`the denylist listed in pages (seed ${seed})`, () => {
  it("every page size of every filter lists exactly what one answer lists, in the order recorded", async () => {
    for (const filter of FILTERS) {
      const whole = await page(filter);
      expect(whole.next, `unpaged ${filter}`).toBeNull();
      for (let size = 1; size <= whole.entries.length + 1; size++)
        expect(
          (await paged(filter, size)).map((e) => e.id),
          `${filter}, pages of ${size} (seed ${seed})`,
        ).toEqual(whole.entries.map((e) => e.id));
    }
  }, 120_000);

  it("one answer is the store's own listing: closed entries only with all=1, the kind as filtered", async () => {
    const stored = await env.DENYLIST.getByName(DENYLIST_NAME).list(true, Date.now());
    const open = await env.DENYLIST.getByName(DENYLIST_NAME).list(false, Date.now());
    expect(open.length, `some entries are closed (seed ${seed})`).toBeLessThan(stored.length);
    const ids = (entries: DenyEntry[]) => entries.map((e) => e.id).sort();
    expect(ids((await page("all=1")).entries)).toEqual(ids(stored));
    expect(ids((await page("")).entries)).toEqual(ids(open));
    for (const kind of ["revocation", "quarantine"] as const) {
      expect(ids((await page(`kind=${kind}&all=1`)).entries), kind).toEqual(ids(stored.filter((e) => e.kind === kind)));
      expect(ids((await page(`kind=${kind}`)).entries), kind).toEqual(ids(open.filter((e) => e.kind === kind)));
    }
  });

  it("entries added and ended between pages: none listed twice, none in force missed, the new one last", async () => {
    const denylist = env.DENYLIST.getByName(DENYLIST_NAME);
    const whole = (await page("")).entries;
    expect(whole.length, `seed ${seed}`).toBeGreaterThan(3);
    const firstPage = await page("limit=2");
    // One due on a later page ended, and one added, before that page is asked for.
    const ended = whole[whole.length - 1]!;
    await denylist.release(ended.id, ADMIN, Date.now());
    const added = await denylist.add(
      { kind: "revocation", match: "email", value: "between-pages@example.com", reason: "paged", expiresAt: null },
      ADMIN,
      Date.now(),
    );
    const rest = await paged("", 2, firstPage.next);
    const listed = [...firstPage.entries, ...rest].map((e) => e.id);
    expect(new Set(listed).size, `seed ${seed}`).toBe(listed.length);
    expect(listed, `seed ${seed}`).toEqual([...whole.filter((e) => e.id !== ended.id).map((e) => e.id), added.id]);
  });

  it("a page after the last entry is empty, and the last", async () => {
    const whole = await page("all=1&limit=1000");
    expect(whole.next).toBeNull();
    expect(await page("all=1&limit=5&after=999999999999999")).toEqual({
      now: expect.any(String),
      entries: [],
      next: null,
    });
  });

  it("a limit or after that is not one is refused, never read as the end of the list", async () => {
    for (const query of [
      "limit=0",
      `limit=${LIST_PAGE_MAX + 1}`,
      "limit=-1",
      "limit=1.5",
      "limit=01",
      "limit=ten",
      "limit=",
      "limit=2&limit=3",
      "after=0",
      "after=-4",
      "after=abc",
      "after=1e3",
      "after=",
      "limit=2&after=3&after=4",
      "after=1234567890123456",
    ]) {
      const res = await call(ADMIN, `/denylist?all=1&${query}`);
      expect(res.status, query).toBe(422);
      expect(((await res.json()) as { error: string }).error, query).toMatch(/limit|after/);
    }
  });
});
