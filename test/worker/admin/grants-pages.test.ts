// The admin API's grant listing, page by page (`limit`, `after`): ended grants are kept for good (their history is
// the audit trail), so one answer of every service's would grow without end. Services are listed by name, each
// one's grants as recorded; `next` names the service and row a page ended at. Generated: grants of each kind on
// the policy's thirteen services, some revoked (seed printed on failure; WARD_GRANT_PAGES_SEED replays one), read in
// pages of every size, must be exactly the listing in one answer, which must be the stores' own.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { grantsShard, type GrantRecord, type NewGrant } from "../../../worker/grants/store.ts";
import { LIST_PAGE_MAX } from "../../../worker/shared/listing-page.ts";
import { prng, seedFrom } from "../../support/prng.ts";
import { activate } from "../support/harness.ts";
import { adminCaller } from "./admin-calls.ts";
import { withAdmin } from "./policies.ts";

const call = adminCaller("n-grant-pages");
const seed = seedFrom("WARD_GRANT_PAGES_SEED");
const ADMIN = "carol@example.com";
/**
 * Ten more services than the demo's three, so a page spans more than the services read at once (8); their grants
 * are the listing's, whatever they would open.
 */
const MORE = Array.from({ length: 10 }, (_, i) => `svc-${String.fromCharCode(97 + i)}`);
const moreServices = MORE.map(
  (name) => `  ${name}:
    hosts: [${name}.localhost]
    origin: { tunnel: WIKI }
    owner: "#${name}"
    routes:
      - id: read
        methods: [GET]
        pathPrefix: /
        rules:
          - id: employees
            effect: allow
            principals: [{ emailDomain: example.com }]
`,
).join("");
/** The policy's services, by name. */
const SERVICES = ["orders", "payments", ...MORE, "wiki"];

interface Page {
  grants: GrantRecord[];
  next: string | null;
}

async function page(query: string): Promise<Page> {
  const res = await call(ADMIN, `/grants?${query}`);
  expect(res.status, `${query} (seed ${seed})`).toBe(200);
  return (await res.json()) as Page;
}

async function paged(filter: string, size: number): Promise<string[]> {
  const listed: string[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const { grants, next } = await page(`${filter}&limit=${size}${after ? `&after=${after}` : ""}`);
    expect(grants.length, `a page of ${size} (seed ${seed})`).toBeLessThanOrEqual(size);
    listed.push(...grants.map((g) => `${g.service}/${g.id}`));
    if (next === null) return listed;
    after = next;
  }
  throw new Error(`no last page after 100 (seed ${seed})`);
}

const FILTERS = ["", "all=1", "kind=exception", "kind=break-glass&all=1", "service=wiki&all=1", "service=orders"];

beforeAll(async () => {
  await activate(`${withAdmin("grant pages", ADMIN).trimEnd()}\n${moreServices}`);
  const random = prng(seed);
  const now = Date.now();
  for (let i = 0; i < 24; i++) {
    // The first on orders always: the page after a service no longer in the policy has one before it to skip.
    const service = i === 0 ? "orders" : SERVICES[Math.floor(random() * SERVICES.length)]!;
    const store = env.GRANTS.getByName(grantsShard(service));
    const grant: NewGrant = {
      kind: random() < 0.6 ? "exception" : "break-glass",
      principal: { email: `paged-${i}@example.com` },
      service,
      routes: "*",
      methods: "*",
      reason: "paged",
      ticket: "SEC-1",
      requestedBy: ADMIN,
      approvedBy: ADMIN,
      notBefore: now,
      notAfter: now + 3_600_000,
    };
    const made = await store.create(grant, ADMIN, now + i);
    if (!made.ok) throw new Error("grant refused");
    // The first always: the listing in force must differ from all=1's.
    if (i === 0 || random() < 0.3) await store.revoke(made.record.id, ADMIN, "paged", now + i);
  }
}, 60_000);

describe(`the grants listed in pages (seed ${seed})`, () => {
  it("one answer is the stores' own listings, by service name, ended grants only with all=1", async () => {
    for (const all of [false, true]) {
      const stored: string[] = [];
      for (const service of SERVICES)
        stored.push(...(await env.GRANTS.getByName(grantsShard(service)).list(all)).map((g) => `${service}/${g.id}`));
      const whole = await page(all ? "all=1" : "");
      expect(whole.next).toBeNull();
      expect(
        whole.grants.map((g) => `${g.service}/${g.id}`),
        `all=${all} (seed ${seed})`,
      ).toEqual(stored);
    }
    const open = (await page("")).grants.length;
    expect(open, `some grants are revoked (seed ${seed})`).toBeLessThan((await page("all=1")).grants.length);
  });

  it("every page size of every filter lists exactly what one answer lists, in order", async () => {
    for (const filter of FILTERS) {
      const whole = (await page(filter)).grants.map((g) => `${g.service}/${g.id}`);
      for (let size = 1; size <= whole.length + 1; size++)
        expect(await paged(filter, size), `${filter}, pages of ${size} (seed ${seed})`).toEqual(whole);
    }
  }, 120_000);

  it("grants made and revoked between pages: none listed twice, none in force missed", async () => {
    const whole = (await page("")).grants;
    expect(whole.length, `seed ${seed}`).toBeGreaterThan(3);
    const firstPage = await page("limit=2");
    // One due on a later page revoked, and one made on the first service by name, before that page is asked for.
    const ended = whole[whole.length - 1]!;
    await env.GRANTS.getByName(grantsShard(ended.service)).revoke(ended.id, ADMIN, "between pages", Date.now());
    const made = await env.GRANTS.getByName(grantsShard("orders")).create(
      { ...whole[0]!, service: "orders", principal: { email: "between-pages@example.com" } },
      ADMIN,
      Date.now(),
    );
    if (!made.ok) throw new Error("grant refused");
    const rest: string[] = [];
    for (let after = firstPage.next; after !== null; ) {
      const next = await page(`limit=2&after=${after}`);
      rest.push(...next.grants.map((g) => `${g.service}/${g.id}`));
      after = next.next;
    }
    const listed = [...firstPage.grants.map((g) => `${g.service}/${g.id}`), ...rest];
    expect(new Set(listed).size, `seed ${seed}`).toBe(listed.length);
    const now = (await page("")).grants.map((g) => `${g.service}/${g.id}`);
    // Everything in force now was listed, but what was made on a service the pages had passed already.
    const passed = firstPage.next!.split("/")[0]! > "orders";
    expect(
      now.filter((g) => !listed.includes(g)),
      `seed ${seed}`,
    ).toEqual(passed ? [`orders/${made.record.id}`] : []);
    expect(listed.includes(`${ended.service}/${ended.id}`), `seed ${seed}`).toBe(false);
  });

  it("a page after a service no longer in the policy goes on with the next by name", async () => {
    const whole = (await page("all=1")).grants.map((g) => `${g.service}/${g.id}`);
    expect(
      whole.some((g) => g.startsWith("orders/")),
      `seed ${seed}`,
    ).toBe(true);
    const after = (await page("all=1&after=p/0")).grants.map((g) => `${g.service}/${g.id}`);
    expect(after).toEqual(whole.filter((g) => g > "p/"));
    expect(await page("all=1&limit=3&after=zz/0")).toEqual({ now: expect.any(String), grants: [], next: null });
  });

  it("a limit or after that is not one is refused, never read as the end of the list", async () => {
    for (const query of [
      "limit=0",
      `limit=${LIST_PAGE_MAX + 1}`,
      "limit=2&limit=3",
      "after=wiki",
      "after=wiki/",
      "after=wiki/-1",
      "after=wiki/01",
      "after=Wiki/3",
      "after=/3",
      "after=wiki/3/4",
      "after=3",
      // A page of another service's listing: it would read as this one's end, or start it again.
      "service=orders&after=wiki/0",
      "service=wiki&after=orders/1",
    ]) {
      const res = await call(ADMIN, `/grants?all=1&${query}`);
      expect(res.status, query).toBe(422);
    }
  });
});
