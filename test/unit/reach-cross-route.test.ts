// reach and diff under cross-route deny rules: a route's grants are overridden by the enforced deny rules of
// every route that may match the same requests, and loosening such a deny is a widening.
import { describe, expect, it } from "vitest";
import { buildIndexes } from "../../policy/compile.ts";
import { diffReach, evaluate, loadPolicy, reach, type PolicyDocument } from "../../policy/index.ts";

const POLICY = `
version: 1
metadata: { environment: test, owners: [sec@example.com] }
identity:
  access: { teamDomain: "https://t.cloudflareaccess.com", audiences: ["${"a".repeat(64)}"] }
services:
  admin:
    hosts: [admin.example.com]
    origin: { tunnel: ADMIN }
    owner: admin-team
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
      - id: deletes
        methods: [DELETE]
        pathPrefix: /admin/users
        rules: [{ id: interns, effect: deny, principals: [{ group: interns }] }]
      - id: health
        methods: [GET]
        path: /health
        rules: [{ id: staff, effect: allow, principals: [{ emailDomain: example.com }] }]
`;

async function doc(): Promise<PolicyDocument> {
  const loaded = await loadPolicy(POLICY);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return structuredClone(loaded.policy.document);
}

const overriddenBy = (d: PolicyDocument, route: string) => reach(d).grants.find((g) => g.route === route)?.overriddenBy;

describe("reach with deny rules of covering routes", () => {
  it("lists a covering route's enforced deny on the specific route's grant, not an audited one", async () => {
    const d = await doc();
    expect(overriddenBy(d, "admin/users")).toEqual(["admin/admin/no-contractors"]);
    // DELETE /admin/users/... is not a GET: the deletes route's deny never meets the users route's requests.
    expect(overriddenBy(d, "admin/admin")).toEqual(["admin/admin/no-contractors", "admin/deletes/interns"]);
    expect(overriddenBy(d, "admin/health")).toEqual([]);
    expect(reach(d).denies.find((x) => x.rule === "admin/admin/trial")?.audit).toBe(true);
  });

  it("lists a deny on GET on a route that takes only HEAD there (the gateway refuses HEAD with it)", async () => {
    const d = await doc();
    d.services.admin!.routes.push(
      {
        id: "heads",
        methods: ["HEAD"],
        pathPrefix: "/reports",
        rules: [{ id: "staff", effect: "allow", principals: [{ emailDomain: "example.com" }] }],
      },
      {
        id: "reports",
        methods: ["GET"],
        pathPrefix: "/reports",
        rules: [{ id: "no-mallory", effect: "deny", principals: [{ email: "mallory@example.com" }] }],
      },
    );
    expect(overriddenBy(d, "admin/heads")).toEqual(["admin/reports/no-mallory"]);
  });

  it("lists a deny on an exact path on the route of its other trailing-slash spelling", async () => {
    const d = await doc();
    d.services.admin!.routes.push(
      {
        id: "slashed",
        methods: ["GET"],
        path: "/exports/",
        rules: [{ id: "staff", effect: "allow", principals: [{ emailDomain: "example.com" }] }],
      },
      {
        id: "exports",
        methods: ["GET"],
        path: "/exports",
        rules: [{ id: "no-mallory", effect: "deny", principals: [{ email: "mallory@example.com" }] }],
      },
    );
    expect(overriddenBy(d, "admin/slashed")).toEqual(["admin/exports/no-mallory"]);
  });

  it("lists a deny on the route of the same path with a format suffix (/exports.json), as the gateway applies it", async () => {
    const d = await doc();
    d.services.admin!.routes.push(
      {
        id: "as-json",
        methods: ["GET"],
        path: "/exports.json/",
        rules: [{ id: "staff", effect: "allow", principals: [{ emailDomain: "example.com" }] }],
      },
      {
        id: "exports",
        methods: ["GET"],
        path: "/exports",
        rules: [{ id: "no-mallory", effect: "deny", principals: [{ email: "mallory@example.com" }] }],
      },
    );
    const decided = evaluate(
      buildIndexes(d, "suffix"),
      {
        method: "GET",
        host: "admin.example.com",
        path: "/exports.json/",
        identity: { user: { email: "mallory@example.com" } },
      },
      0,
    );
    expect(decided).toMatchObject({ effect: "deny", rule: "admin/exports/no-mallory" });
    expect(overriddenBy(d, "admin/as-json")).toEqual(["admin/exports/no-mallory"]);
    // And removing that deny is a widening of the suffixed route too.
    const without = structuredClone(d);
    without.services.admin!.routes.pop();
    const widened = diffReach(reach(d), reach(without))
      .changed.filter((c) => c.widens)
      .map((c) => c.route);
    expect(widened).toContain("admin/as-json");
  });

  it("lists a deny on a script's path on the route of that script with PATH_INFO (/report.php/{*}), as the gateway applies it", async () => {
    const d = await doc();
    d.services.admin!.routes.push(
      {
        id: "report-pages",
        methods: ["GET"],
        path: "/report.php/{page}",
        rules: [{ id: "staff", effect: "allow", principals: [{ emailDomain: "example.com" }] }],
      },
      {
        id: "report",
        methods: ["GET"],
        path: "/report.php",
        rules: [{ id: "no-mallory", effect: "deny", principals: [{ email: "mallory@example.com" }] }],
      },
    );
    const decided = evaluate(
      buildIndexes(d, "pathinfo"),
      {
        method: "GET",
        host: "admin.example.com",
        path: "/report.php/2026",
        identity: { user: { email: "mallory@example.com" } },
      },
      0,
    );
    expect(decided).toMatchObject({ effect: "deny", rule: "admin/report/no-mallory" });
    expect(overriddenBy(d, "admin/report-pages")).toEqual(["admin/report/no-mallory"]);
    const without = structuredClone(d);
    without.services.admin!.routes.pop();
    const widened = diffReach(reach(d), reach(without))
      .changed.filter((c) => c.widens)
      .map((c) => c.route);
    expect(widened).toContain("admin/report-pages");
  });

  it("removing the covering deny widens the specific route's grant", async () => {
    const old = await doc();
    const d = structuredClone(old);
    d.services.admin!.routes[0]!.rules.splice(0, 1);
    const diff = diffReach(reach(old), reach(d));
    expect(diff.changed.filter((c) => c.widens).map((c) => c.route)).toEqual(["admin/admin", "admin/users"]);
  });

  it("putting the covering deny in audit mode widens too", async () => {
    const old = await doc();
    const d = structuredClone(old);
    d.services.admin!.routes[0]!.rules[0]!.mode = "audit";
    const diff = diffReach(reach(old), reach(d));
    expect(diff.changed.filter((c) => c.widens).map((c) => c.route)).toEqual(["admin/admin", "admin/users"]);
  });
});

describe("diff of caseInsensitivePaths", () => {
  it("reports turning it on or off as a widening", async () => {
    const old = await doc();
    const on = structuredClone(old);
    on.services.admin!.caseInsensitivePaths = true;
    for (const [before, after] of [
      [old, on],
      [on, old],
    ] as const) {
      const changes = diffReach(reach(before), reach(after)).settings.filter((c) => c.kind === "path case");
      expect(changes).toEqual([expect.objectContaining({ widens: true })]);
    }
  });
});
