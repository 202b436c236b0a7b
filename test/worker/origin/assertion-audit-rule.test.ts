// The assertion's ward_rule names the rule that allowed the request (docs/origin-assertion.md). At a service in
// audit mode a request enforcement would refuse is let through with the deny rule in ward_would_deny; ward_rule
// named that deny rule too (found by the identity differential), so an origin reading it as "allowed by" was told
// a deny rule allowed the request.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { accessToken, AUD, TEAM } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";

const policy = `
version: 1
metadata: { environment: dev, owners: [sec@example.com] }
identity:
  access: { teamDomain: "${TEAM}", audiences: ["${AUD}"] }
services:
  wiki:
    hosts: [wiki.localhost]
    origin: { tunnel: WIKI }
    owner: wiki-team@example.com
    mode: audit
    routes:
      - id: pages
        methods: [GET]
        pathPrefix: /
        rules:
          - { id: no-carl, effect: deny, principals: [{ email: carl@example.com }] }
          - { id: staff, effect: allow, principals: [{ emailDomain: example.com }] }
`;

const signing = inject("accessPrivateJwk");

beforeAll(async () => {
  await activate(policy);
});

async function claimsFor(email: string): Promise<Record<string, unknown>> {
  const m = marker();
  const token = await accessToken(signing, { email });
  const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, {
    headers: { "Cf-Access-Jwt-Assertion": token },
  });
  await res.arrayBuffer();
  expect(res.status).toBe(200);
  const [seen] = await originSaw(m);
  const payload = String(seen!.headers["ward-assertion"]).split(".")[1]!;
  return JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>;
}

describe("ward_rule at a service in audit mode", () => {
  it("names the allow rule of a request a rule allowed", async () => {
    const claims = await claimsFor("ann@example.com");
    expect(claims).toMatchObject({ ward_mode: "audit", ward_rule: "wiki/pages/staff" });
    expect(claims.ward_would_deny).toBeUndefined();
  });

  it("is absent where a deny rule would refuse: the rule is in ward_would_deny alone", async () => {
    const claims = await claimsFor("carl@example.com");
    expect(claims).toMatchObject({ ward_mode: "audit", ward_would_deny: "wiki/pages/no-carl" });
    expect(claims).not.toHaveProperty("ward_rule");
  });
});
