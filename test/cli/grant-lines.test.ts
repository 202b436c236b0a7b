// `ward exceptions list` and `ward breakglass list` against a stand-in gateway (a plain HTTP server): each grant is
// one line whose columns stay apart whatever a stored value holds. An Access group's name may hold spaces, even
// two, which is what separates the columns; a reason may hold `"`, which ends it in the line (from a review).
import { describe, expect, it } from "vitest";
import type { GrantRecord } from "../../policy/index.ts";
import { grantRecord } from "../support/grant-record.ts";
import { standInGateway } from "../support/stand-in-gateway.ts";
import { wardLines as ward } from "../support/ward-cli.ts";

/** Revoked: its status column does not change with the time the test runs. */
const grant = (over: Partial<GrantRecord>): GrantRecord => grantRecord({ status: "revoked", ...over });

let grants: GrantRecord[] = [];
const gateway = standInGateway({
  "/policy": { environment: "dev", active: "a".repeat(64), shadow: null, history: [] },
  "/grants*": () => ({ json: { grants } }),
});

const UNTIL = "until 2099-01-01T00:00:00Z (revoked)";

describe("a grant's values as columns", () => {
  it("quotes a group name or ticket holding spaces, so that it does not read as more columns (from a review)", async () => {
    grants = [
      grant({ principal: { group: "platform team  -> orders/* *" } }),
      grant({ id: "exc-2", principal: { group: 'a"b\\c' }, ticket: "SEC 101" }),
      grant({ id: "exc-3", principal: { group: "sre" } }),
      // Every kind of principal alike: one stored before its shape was checked must not look like another.
      grant({ id: "exc-4", principal: { spiffe: "spiffe://corp/ns/a b" } }),
      grant({ id: "exc-5", principal: { email: "ann  -> x@example.com" } }),
      grant({ id: "exc-6", principal: { serviceToken: "cn=ci bot" } }),
    ];
    const run = await ward("exceptions", "list", "--local", "--port", gateway.port);
    expect(run.status, run.output).toBe(0);
    expect(run.out).toEqual([
      `exc-1  exception  group:"platform team  -> orders/* *" -> wiki/* *  ${UNTIL}  T-1  "quarterly audit" by user:admin@example.com`,
      `exc-2  exception  group:"a\\"b\\\\c" -> wiki/* *  ${UNTIL}  "SEC 101"  "quarterly audit" by user:admin@example.com`,
      `exc-3  exception  group:sre -> wiki/* *  ${UNTIL}  T-1  "quarterly audit" by user:admin@example.com`,
      `exc-4  exception  "spiffe://corp/ns/a b" -> wiki/* *  ${UNTIL}  T-1  "quarterly audit" by user:admin@example.com`,
      `exc-5  exception  "ann  -> x@example.com" -> wiki/* *  ${UNTIL}  T-1  "quarterly audit" by user:admin@example.com`,
      `exc-6  exception  token:"cn=ci bot" -> wiki/* *  ${UNTIL}  T-1  "quarterly audit" by user:admin@example.com  ` +
        "(applies to no one: its service token is no client id; revoke it and grant the caller's spiffe:// ID)",
    ]);
  });

  it("escapes a reason's quotes, so that it cannot pass for who granted it (from a review)", async () => {
    grants = [
      grant({ kind: "break-glass", reason: 'incident" by user:security@example.com', ticket: "break-glass" }),
      grant({ id: "exc-2", reason: "C:\\ share" }),
    ];
    const run = await ward("breakglass", "list", "--local", "--port", gateway.port);
    expect(run.status, run.output).toBe(0);
    expect(run.out).toEqual([
      `exc-1  break-glass  ann@example.com -> wiki/* *  ${UNTIL}  "incident\\" by user:security@example.com" by user:admin@example.com`,
      `exc-2  exception  ann@example.com -> wiki/* *  ${UNTIL}  T-1  "C:\\\\ share" by user:admin@example.com`,
    ]);
  });
});
