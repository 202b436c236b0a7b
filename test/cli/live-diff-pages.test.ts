// The diff `ward shadow promote` (and `ward push`) prints reads the grants in force page by page: a grant listed on
// a later page counts as one on the first does, and a later page that fails says the diff could not be made.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { grantRecord } from "../support/grant-record.ts";
import { activeAndShadow } from "../support/shadow-stand-in.ts";
import { standInGateway } from "../support/stand-in-gateway.ts";
import { wardLines as ward } from "../support/ward-cli.ts";

const active = readFileSync(resolve(import.meta.dirname, "../../policy/examples/demo.yaml"), "utf8");
/** The candidate: the wiki without its edit route, which an exception on the wiki's every route reaches. */
const candidate = active.replace(/\n {6}- id: edit\n[\s\S]*$/, "\n");
let secondPage: { status?: number; json: unknown } = { json: { grants: [grantRecord()], next: null } };
const asked: string[] = [];

const gateway = standInGateway({
  ...activeAndShadow(active, candidate).routes,
  "GET /grants?*": ({ url }) => {
    asked.push(new URL(url, "http://x").search);
    // The first page: a grant on orders, which the candidate leaves as it was.
    const orders = grantRecord({ id: "exc-0", service: "orders" });
    return url.includes("after=") ? secondPage : { json: { grants: [orders], next: "orders/1" } };
  },
});

const dryRun = () =>
  ward("shadow", "promote", "--local", "--port", gateway.port, "--as", "admin@example.com", "--dry-run");

describe("the grants a diff reads", () => {
  it("counts a grant listed on the second page", async () => {
    asked.length = 0;
    const dry = await dryRun();
    expect(dry.status, dry.output).toBe(0);
    expect(asked).toEqual(["?limit=1000", "?limit=1000&after=orders%2F1"]);
    // The exception (second page) is lost with the route, beside the route's own rule.
    expect(dry.out).toContain("  - email:ann@example.com  wiki/edit  POST,PUT,DELETE  by exception:exc-1");
    expect(dry.out).toContain("no access gained: 2 grants lost");
  });

  it("says the diff could not be made when the second page fails", async () => {
    secondPage = { status: 418, json: { error: "no" } };
    const dry = await dryRun();
    expect(dry.status).toBe(1);
    expect(dry.out.join("\n")).toContain("the grants in force could not be read for a diff");
    expect(dry.out.join("\n")).not.toContain("exc-1");
  });
});
