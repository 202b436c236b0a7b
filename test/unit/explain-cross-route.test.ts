// explain names the route whose deny rule decided when it is not the route that took the request, and says
// what a deny rule on trial (mode: audit) would have done.
import { describe, expect, it } from "vitest";
import { evaluate, explainDecision, loadPolicy, type Identity } from "../../policy/index.ts";

const POLICY = `
version: 1
metadata: { environment: test, owners: [sec@example.com] }
identity:
  access: { teamDomain: "https://t.cloudflareaccess.com", audiences: ["${"a".repeat(64)}"] }
services:
  admin:
    hosts: [admin.example.com]
    origin: { tunnel: ADMIN }
    owner: admin-team@example.com
    routes:
      - id: admin
        methods: ["*"]
        pathPrefix: /admin
        rules:
          - { id: no-contractors, effect: deny, principals: [{ group: contractors }] }
          - { id: trial, effect: deny, mode: audit, principals: [{ email: eve@example.com }] }
          - { id: staff, effect: allow, principals: [{ emailDomain: example.com }] }
      - id: users
        methods: [GET]
        path: /admin/users
        rules: [{ id: staff, effect: allow, principals: [{ emailDomain: example.com }] }]
`;

async function explain(identity: Identity): Promise<string> {
  const loaded = await loadPolicy(POLICY);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  const request = { method: "GET", host: "admin.example.com", path: "/admin/users", identity };
  return explainDecision(loaded.policy, evaluate(loaded.policy, request, Date.UTC(2026, 5, 1)));
}

describe("explain with deny rules of covering routes", () => {
  it("names the covering route whose deny decided, and traces its rule beside the route's own", async () => {
    const text = await explain({ user: { email: "carl@example.com", groups: ["contractors"] } });
    expect(text).toContain("route     admin/users");
    expect(text).toContain("  ✓ admin/admin/no-contractors (deny): applies");
    expect(text).toContain(
      "decided by admin/admin/no-contractors (a deny rule of route admin/admin, which also matches this request)",
    );
    expect(text).toContain("next step ask admin-team@example.com for access to admin/users");
  });

  it("says what a deny rule on trial would have answered, and that the request went on", async () => {
    const text = await explain({ user: { email: "eve@example.com", groups: [] } });
    expect(text.split("\n")[0]).toMatch(/^ALLOW 200/);
    expect(text).toContain("decided by admin/users/staff\n");
    expect(text).toContain("reasons   allowed-by-rule, audit-would-deny");
    expect(text).toContain("audit     deny rule admin/admin/trial (mode: audit) would answer 403; the request went on");
    expect(text).toContain(
      "next step deny rule admin/admin/trial is on trial: enforced, it refuses this request; tell admin-team@example.com if it should not",
    );
  });
});
