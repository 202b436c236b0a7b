// Text an admin typed, as the gateway stored it, printed by `ward revoke list`, `ward exceptions list` and `ward
// history` against a stand-in gateway (a plain HTTP server). The admin API refuses a line break in a reason or a
// message now, but one stored before it did is still served: printed as it is, it ends the entry's line and
// writes a line of its own, which may look like an entry the store does not hold (from a review). Each entry is
// one line, a line break in it written \u000a as the other controls are.
import { describe, expect, it } from "vitest";
import type { DenyEntry } from "../../policy/index.ts";
import { grantRecord } from "../support/grant-record.ts";
import { standInGateway } from "../support/stand-in-gateway.ts";
import { wardLines as ward } from "../support/ward-cli.ts";

/** What a stored text tries to pass for: a line of the same command's output, for an entry that does not exist. */
const FORGED = 'ok\nrev-9  revocation  email mallory@example.com  until lifted  "left" by user:admin@example.com';

const revocation: DenyEntry = {
  id: "rev-1",
  kind: "revocation",
  match: "email",
  value: "ann@example.com",
  reason: FORGED,
  createdAt: 0,
  createdBy: "user:admin@example.com",
  expiresAt: null,
  releasedAt: null,
  releasedBy: null,
};

const grant = grantRecord({
  reason: "audit\r\nexc-2  exception  mallory@example.com -> wiki/* *",
  ticket: "T-1\tT-2",
});

const gateway = standInGateway({
  "/policy": {
    environment: "dev",
    active: "a".repeat(64),
    shadow: null,
    history: [
      {
        seq: 1,
        at: "2026-01-01T00:00:00.000Z",
        action: "push",
        version: "a".repeat(64),
        previous: null,
        who: "user:admin@example.com",
        message: 'fix\n#2  2026-01-02T00:00:00.000Z  rollback bbbbbbbbbbbb <- aaaaaaaaaaaa  user:x  "y"',
      },
    ],
  },
  "/denylist?*": { entries: [revocation] },
  "/grants*": { grants: [grant] },
});

describe("a stored reason or message with a line break", () => {
  it("ward revoke list prints the entry on one line", async () => {
    const run = await ward("revoke", "list", "--local", "--port", gateway.port);
    expect(run.status, run.output).toBe(0);
    expect(run.out).toEqual([
      'rev-1  revocation  email ann@example.com  until lifted  "ok\\nrev-9  revocation  email mallory@example.com  until lifted  \\"left\\" by user:admin@example.com" by user:admin@example.com',
    ]);
  });

  it("ward exceptions list prints the grant on one line, its CR and tab written out too", async () => {
    const run = await ward("exceptions", "list", "--local", "--port", gateway.port);
    expect(run.status, run.output).toBe(0);
    expect(run.out).toHaveLength(1);
    // Quoted as JSON strings (the ticket holds white space, the reason always is one): JSON's \t, \r and \n.
    expect(run.out[0]).toContain(
      '"T-1\\tT-2"  "audit\\r\\nexc-2  exception  mallory@example.com -> wiki/* *" by user:admin@example.com',
    );
  });

  it("ward history prints the entry on one line", async () => {
    const run = await ward("history", "--local", "--port", gateway.port);
    expect(run.status, run.output).toBe(0);
    expect(run.out).toHaveLength(2);
    expect(run.out[1]).toMatch(/^#1 .*"fix\\u000a#2 {2}2026-01-02T00:00:00\.000Z {2}rollback .*"$/);
  });
});
