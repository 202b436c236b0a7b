// `ward revoke list` and `ward quarantine list` against a stand-in gateway (a plain HTTP server): each entry is one
// line whose columns stay apart whatever a stored value holds. An oidc subject is any visible text its issuer signs,
// spaces included, and two spaces are what separates the columns.
import { describe, expect, it } from "vitest";
import type { DenyEntry } from "../../policy/index.ts";
import { standInGateway } from "../support/stand-in-gateway.ts";
import { wardLines as ward } from "../support/ward-cli.ts";

const entry = (over: Partial<DenyEntry>): DenyEntry => ({
  id: "rev-1",
  kind: "revocation",
  match: "sub",
  value: "x",
  reason: "stolen laptop",
  createdAt: 0,
  createdBy: "user:admin@example.com",
  expiresAt: null,
  releasedAt: null,
  releasedBy: null,
  ...over,
});

let entries: DenyEntry[] = [];
const gateway = standInGateway({
  "/policy": { environment: "dev", active: "a".repeat(64), shadow: null, history: [] },
  "/denylist?*": () => ({ json: { now: new Date().toISOString(), entries } }),
});

describe("a denylist entry's value as one column", () => {
  it("quotes a principal holding spaces, so that it does not read as more columns (from a review)", async () => {
    entries = [
      entry({ value: "repo:org/app:ref:refs/heads/main  until lifted" }),
      entry({ id: "rev-2", match: "subject", value: 'github-actions/a b"c\\d' }),
      entry({ id: "rev-3", match: "email", value: "ann@example.com" }),
      // Blank letters that are not white space (a Braille blank), which a terminal prints as the separator.
      entry({ id: "rev-4", match: "sub", value: "repo:x\u2800\u2800until lifted" }),
      // An empty value is a column too, not one missing.
      entry({ id: "rev-5", match: "sub", value: "" }),
    ];
    const run = await ward("revoke", "list", "--local", "--port", gateway.port);
    expect(run.status, run.output).toBe(0);
    expect(run.out).toEqual([
      'rev-1  revocation  sub "repo:org/app:ref:refs/heads/main  until lifted"  until lifted  "stolen laptop" by user:admin@example.com',
      'rev-2  revocation  subject "github-actions/a b\\"c\\\\d"  until lifted  "stolen laptop" by user:admin@example.com',
      'rev-3  revocation  email ann@example.com  until lifted  "stolen laptop" by user:admin@example.com',
      'rev-4  revocation  sub "repo:x\u2800\u2800until lifted"  until lifted  "stolen laptop" by user:admin@example.com',
      'rev-5  revocation  sub ""  until lifted  "stolen laptop" by user:admin@example.com',
    ]);
  });

  it("quotes a quarantined workload's principal key, and who released it, the same way", async () => {
    const key = "subject:gitlab/project_path:grp/app:ref_type:branch:ref:fix it";
    entries = [
      entry({
        id: "q-1",
        kind: "quarantine",
        match: "principal",
        value: key,
        reason: "10 denials in 60s",
        createdBy: "ward (quarantine)",
        releasedAt: 1,
        releasedBy: "subject:gitlab/ops bot",
      }),
    ];
    const run = await ward("quarantine", "list", "--local", "--port", gateway.port, "--all");
    expect(run.status, run.output).toBe(0);
    expect(run.out).toEqual([
      `q-1  quarantine  principal ${JSON.stringify(key)}  released by "subject:gitlab/ops bot"  "10 denials in 60s" by ward (quarantine)`,
    ]);
  });
});
