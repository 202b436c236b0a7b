// Facts the gateway could not learn (groups and posture when Access get-identity is down, the country)
// never switch a deny rule off, and never satisfy an allow rule: both ways the request is refused.
import { describe, expect, it } from "vitest";
import { evaluate, loadPolicy, type Identity } from "../../policy/index.ts";

/** The app's policy with these routes (YAML list items, indented for `routes:`). */
const withRoutes = (routes: string) => `
version: 1
metadata: { environment: dev, owners: [sec@example.com] }
identity:
  access: { teamDomain: "https://t.cloudflareaccess.com", audiences: ["${"a".repeat(64)}"] }
services:
  app:
    hosts: [app.example.com]
    origin: { tunnel: APP }
    owner: app-team
    routes:
${routes}`;

const policyText = withRoutes(`      - id: everything
        methods: [GET]
        pathPrefix: /
        rules:
          - { id: no-contractors, effect: deny, principals: [{ group: contractors }] }
          - { id: no-unmanaged, effect: deny, principals: [{ emailDomain: example.com }], when: { devicePosture: [managed] } }
          - { id: staff, effect: allow, principals: [{ emailDomain: example.com }] }
      - id: sre
        methods: [GET]
        path: /sre
        rules:
          - { id: sre-only, effect: allow, principals: [{ group: sre }] }
`);

const loadedPosture = await loadPolicy(
  withRoutes(`      - id: p
        methods: [GET]
        path: /p
        rules:
          - { id: managed-only, effect: allow, principals: [{ emailDomain: example.com }], when: { devicePosture: [managed] } }
`),
);
if (!loadedPosture.ok) throw new Error(JSON.stringify(loadedPosture.issues));
const posturePolicy = loadedPosture.policy;

async function decide(path: string, identity: Identity) {
  const loaded = await loadPolicy(policyText);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return evaluate(loaded.policy, { method: "GET", host: "app.example.com", path, identity }, Date.UTC(2026, 0, 1));
}

describe("unknown facts fail closed", () => {
  it("applies a deny rule on a group when the person's groups are unknown", async () => {
    const d = await decide("/x", { user: { email: "ann@example.com", devicePosture: {} } });
    expect(d.effect).toBe("deny");
    expect(d.rule).toBe("app/everything/no-contractors");
  });

  it("does not apply it when the groups are known and exclude it", async () => {
    const d = await decide("/x", {
      user: { email: "ann@example.com", groups: ["staff"], devicePosture: { managed: false } },
    });
    expect(d.effect).toBe("allow");
  });

  it("applies a deny rule on a posture check the answer did not report, known as the others are", async () => {
    // get-identity's posture results without this check (not evaluated for the device): its result is unknown, not
    // failed. Read as failed, a deny on it did not hold (from a generated review).
    for (const devicePosture of [{}, { "disk-encryption": true }] as Record<string, boolean>[])
      expect(
        await decide("/x", { user: { email: "ann@example.com", groups: ["staff"], devicePosture } }),
      ).toMatchObject({
        effect: "deny",
        rule: "app/everything/no-unmanaged",
      });
  });

  it("never lets a check the answer did not report satisfy an allow rule's posture", async () => {
    const allow = (devicePosture: Record<string, boolean>) =>
      evaluate(
        posturePolicy,
        {
          method: "GET",
          host: "app.example.com",
          path: "/p",
          identity: { user: { email: "ann@example.com", devicePosture } },
        },
        Date.UTC(2026, 0, 1),
      ).effect;
    expect(allow({ managed: true })).toBe("allow");
    expect(allow({})).toBe("deny");
    expect(allow({ managed: false })).toBe("deny");
    expect(allow({ other: true })).toBe("deny");
  });

  it("reads only the answer's own results: a check named like an Object member is unreported", async () => {
    // The gateway builds the results as a plain object (policy/posture-age.ts), which inherits `constructor` and
    // `toString`. Read through the prototype, the check had a result that is not true, and the deny was off.
    for (const check of ["constructor", "toString", "__proto__"]) {
      const loaded = await loadPolicy(
        withRoutes(`      - id: everything
        methods: [GET]
        pathPrefix: /
        rules:
          - { id: no-unchecked, effect: deny, principals: [{ emailDomain: example.com }], when: { devicePosture: [${check}] } }
          - { id: staff, effect: allow, principals: [{ emailDomain: example.com }] }
`),
      );
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
      const identity = { user: { email: "ann@example.com", groups: [], devicePosture: {} } };
      const d = evaluate(loaded.policy, { method: "GET", host: "app.example.com", path: "/x", identity }, 0);
      expect(d, check).toMatchObject({ effect: "deny", rule: "app/everything/no-unchecked" });
    }
  });

  it("applies a deny rule conditioned on posture when posture is unknown", async () => {
    const d = await decide("/x", { user: { email: "ann@example.com", groups: [] } });
    expect(d.effect).toBe("deny");
    expect(d.rule).toBe("app/everything/no-unmanaged");
  });

  it("never lets unknown groups satisfy an allow rule", async () => {
    const d = await decide("/sre", { user: { email: "ann@example.com" } });
    expect(d.effect).toBe("deny");
    // The prefix route's deny on a group covers /sre too, and applies while the groups are unknown; the
    // allow on the group does not.
    expect(d.rule).toBe("app/everything/no-contractors");
    expect(d.trace.find((t) => t.rule === "app/sre/sre-only")?.outcome).toBe("principal-not-matched");
  });
});
