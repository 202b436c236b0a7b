// The CLI reads the grant listing page by page (scripts/listing-pages.ts), against a stand-in gateway answering
// pages as a gateway of this release does (`next`: the service and row a page ended at). `ward exceptions list`
// (--json too) lists each grant once, and `ward exceptions revoke ID` finds the service of a grant on a later page.
import { describe, expect, it } from "vitest";
import type { GrantRecord } from "../../policy/index.ts";
import { grantRecord } from "../support/grant-record.ts";
import { type StandInRequest, standInGateway } from "../support/stand-in-gateway.ts";
import { wardLines as ward } from "../support/ward-cli.ts";

const grant = (id: string, service: string): GrantRecord => grantRecord({ id, service, status: "revoked" });
/** The listing's pages, by the `after` each is asked with ("" for the first). */
const PAGES: Record<string, { grants: GrantRecord[]; next: string | null }> = {
  "": { grants: [grant("exc-1", "orders"), grant("exc-2", "orders")], next: "orders/2" },
  "orders/2": { grants: [grant("exc-3", "orders"), grant("exc-4", "payments")], next: "wiki/0" },
  "wiki/0": { grants: [grant("exc-5", "wiki")], next: null },
};
const asked: string[] = [];
/** Every query the listing was asked with, and every DELETE sent. */
const queries: string[] = [];
const deletes: string[] = [];
/** What the page after `orders/2` is answered instead, when set. */
let secondPage: { status?: number; json: unknown } | undefined;

const gateway = standInGateway({
  "/policy": { environment: "dev", active: "a".repeat(64), shadow: null, history: [] },
  "GET /grants?*": (r: StandInRequest) => {
    const url = new URL(r.url, "http://x");
    const after = url.searchParams.get("after") ?? "";
    asked.push(after);
    queries.push(url.search);
    if (after === "orders/2" && secondPage) return secondPage;
    return { json: { now: new Date().toISOString(), ...PAGES[after]! } };
  },
  "DELETE /grants/*": (r: StandInRequest) => {
    deletes.push(r.url);
    const [, service, id] = /\/grants\/([^/]+)\/([^/?]+)/.exec(r.url)!;
    return { json: { grant: grantRecord({ id, service, status: "revoked" }) } };
  },
});

const run = async (...args: string[]) => {
  for (const list of [asked, queries, deletes]) list.length = 0;
  return ward(...args, "--local", "--port", gateway.port);
};

describe("the grants, page by page", () => {
  it("exceptions list --all lists every page's grants once, in order, each page asked after the last", async () => {
    const listed = await run("exceptions", "list", "--all");
    expect(listed.status, listed.output).toBe(0);
    expect(listed.out.map((l) => l.split(" ")[0])).toEqual(["exc-1", "exc-2", "exc-3", "exc-4", "exc-5"]);
    expect(asked).toEqual(["", "orders/2", "wiki/0"]);
    expect(queries[0]).toBe("?kind=exception&all=1&limit=1000");
  });

  it("--json prints them all as one array", async () => {
    const listed = await run("exceptions", "list", "--all", "--json");
    expect(listed.status, listed.output).toBe(0);
    const grants = JSON.parse(listed.out.join("\n")) as GrantRecord[];
    expect(grants.map((g) => `${g.service}/${g.id}`)).toEqual([
      "orders/exc-1",
      "orders/exc-2",
      "orders/exc-3",
      "payments/exc-4",
      "wiki/exc-5",
    ]);
  });

  it("ward exceptions revoke finds the service of a grant listed on the last page", async () => {
    const revoked = await run("exceptions", "revoke", "exc-5", "--reason", "done");
    expect(revoked.status, revoked.output).toBe(0);
    expect(revoked.out.join("\n")).toMatch(/^revoked: exc-5 .* -> wiki\//);
    expect(asked).toEqual(["", "orders/2", "wiki/0"]);
  });

  it.each<[string, { status?: number; json: unknown }, string]>([
    ["fails", { status: 418, json: { error: "no" } }, "unexpected answer 418"],
    ["names a next that is not one", { json: { now: "x", grants: [grant("exc-3", "orders")], next: 7 } }, "not one"],
    ["comes back as the whole list", { json: { now: "x", grants: [grant("exc-1", "orders")] } }, "whole list"],
  ])("a later page that %s: nothing listed, nothing revoked, exit 1", async (_name, answer, message) => {
    secondPage = answer;
    try {
      const listed = await run("exceptions", "list", "--all");
      expect(listed.status).toBe(1);
      expect(listed.out).toEqual([]);
      expect(listed.err.join("\n")).toContain(message);
      const revoked = await run("exceptions", "revoke", "exc-5", "--reason", "done");
      expect(revoked.status).toBe(1);
      expect(revoked.err.join("\n")).toContain("nothing changed");
      expect(deletes).toEqual([]);
    } finally {
      secondPage = undefined;
    }
  });
});
