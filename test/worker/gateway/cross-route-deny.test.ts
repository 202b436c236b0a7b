// Deny rules of every matching route, in workerd with real signed Access tokens: a prefix route's deny refuses
// a request a more specific route takes (the origin never sees it, the log names the deny), and a deny rule on
// trial (mode: audit) lets the request through while the log and the assertion record the would-be denial.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { parseDecisionLine, type DecisionLine } from "../../../policy/index.ts";
import { accessToken, AUD, TEAM } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";

const policy = `
version: 1
metadata: { environment: dev, owners: [sec@example.com] }
identity:
  access: { teamDomain: "${TEAM}", audiences: ["${AUD}"] }
services:
  admin:
    hosts: [admin.localhost]
    origin: { tunnel: WIKI }
    owner: admin-team@example.com
    routes:
      - id: admin
        methods: ["*"]
        pathPrefix: /admin
        rules:
          - { id: no-carl, effect: deny, principals: [{ email: carl@example.com }] }
          - { id: trial-no-eve, effect: deny, mode: audit, principals: [{ email: eve@example.com }] }
          - { id: staff, effect: allow, principals: [{ emailDomain: example.com }] }
      - id: users
        methods: [GET]
        path: /admin/users/{id}
        rules: [{ id: staff, effect: allow, principals: [{ emailDomain: example.com }] }]
      - id: home
        methods: [GET]
        path: /admin/home
        rules: [{ id: staff, effect: allow, principals: [{ emailDomain: example.com }] }]
`;

const signing = inject("accessPrivateJwk");

beforeAll(async () => {
  await activate(policy);
});

async function send(email: string): Promise<{ status: number; m: string; line: DecisionLine }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((l: string) => void lines.push(l));
  const m = marker();
  try {
    const token = await accessToken(signing, { email });
    const res = await exports.default.fetch(`https://admin.localhost/admin/users/7?${m}`, {
      headers: { "Cf-Access-Jwt-Assertion": token },
    });
    await res.arrayBuffer();
    const line = lines.map(parseDecisionLine).find((l) => l?.event === "decision");
    if (!line) throw new Error("no decision line");
    return { status: res.status, m, line };
  } finally {
    spy.mockRestore();
  }
}

describe("deny rules of covering routes", () => {
  it("refuses what the prefix route denies on the specific route, and logs which route's deny decided", async () => {
    const { status, m, line } = await send("carl@example.com");
    expect(status).toBe(403);
    expect(await originSaw(m)).toEqual([]);
    expect(line).toMatchObject({ route: "admin/users", rule: "admin/admin/no-carl", reasons: ["denied-by-rule"] });
  });

  it("forwards everyone else by the specific route's allow", async () => {
    const { status, m, line } = await send("ann@example.com");
    expect(status).toBe(200);
    expect(await originSaw(m)).toHaveLength(1);
    expect(line).toMatchObject({ rule: "admin/users/staff", reasons: ["allowed-by-rule"], wouldDeny: null });
  });

  it("forwards a request a deny rule on trial would refuse, and records the would-be denial", async () => {
    const { status, m, line } = await send("eve@example.com");
    expect(status).toBe(200);
    const seen = await originSaw(m);
    expect(seen).toHaveLength(1);
    expect(line).toMatchObject({
      mode: "enforce",
      rule: "admin/users/staff",
      reasons: ["allowed-by-rule", "audit-would-deny"],
      wouldDeny: { status: 403, reasons: ["denied-by-rule"], rule: "admin/admin/trial-no-eve" },
    });
    // The origin's assertion says so too (ward_would_deny), as for a service in audit mode.
    const assertion = String(seen[0]!.headers["ward-assertion"]);
    const claims = JSON.parse(atob(assertion.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as Record<
      string,
      unknown
    >;
    expect(claims.ward_would_deny).toBe("admin/admin/trial-no-eve");
  });

  it("keeps an app off the portal of a person a covering route's deny names", async () => {
    const apps = async (email: string) => {
      const token = await accessToken(signing, { email, identity_nonce: `n-cover-${email}` });
      const res = await exports.default.fetch("https://admin.localhost/.ward/apps", {
        headers: { "Cf-Access-Jwt-Assertion": token },
      });
      return [...(await res.text()).matchAll(/<li><a href="([^"]+)">/g)].map((x) => x[1]);
    };
    expect(await apps("ann@example.com")).toEqual(["https://admin.localhost/admin"]);
    // /admin/home is allowed by its own route, but the /admin prefix's deny names carl there too.
    expect(await apps("carl@example.com")).toEqual([]);
  });
});
