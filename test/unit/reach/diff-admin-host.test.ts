// The Access applications whose tokens count on a host no service answers (the admin API's) are those no service
// claims (policy/access-audiences.ts). A change that un-claims one (a service switching its accessAudiences) lets
// that application's sessions into the admin API, and `ward diff` says so.
import { describe, expect, it } from "vitest";
import { diffReach, reach } from "../../../policy/reach/index.ts";
import { validatePolicy } from "../../../policy/validate/index.ts";
import { unclaimedAudiences } from "../../../policy/access-audiences.ts";

const A = "a".repeat(64); // payments' application
const B = "b".repeat(64); // the operators' own application
const base = {
  version: 1,
  metadata: { environment: "dev", owners: ["security@example.com"] },
  identity: { access: { teamDomain: "https://example.cloudflareaccess.com", audiences: [A, B] } },
  admin: { principals: [{ email: "ops@example.com" }] },
  services: {
    payments: {
      hosts: ["payments.example.com"],
      origin: { tunnel: "PAYMENTS_API" },
      owner: "payments-team@example.com",
      accessAudiences: [A],
      routes: [
        {
          id: "r",
          methods: ["GET"],
          path: "/",
          rules: [{ id: "x", effect: "allow", principals: [{ email: "a@example.com" }] }],
        },
      ],
    },
  },
};

describe("ward diff and the admin host's Access applications", () => {
  it("says when a host no service answers starts taking another application's tokens", () => {
    const before = validatePolicy(structuredClone(base));
    const changed: any = structuredClone(base);
    changed.services.payments.accessAudiences = [B];
    const after = validatePolicy(changed);
    if (!before.ok || !after.ok) throw new Error("invalid");
    // The admin host took B; now it takes A, payments' former application.
    expect([unclaimedAudiences(before.policy), unclaimedAudiences(after.policy)]).toEqual([[B], [A]]);
    const lines = diffReach(reach(before.policy), reach(after.policy)).settings.map((s) => `${s.widens} ${s.change}`);
    expect(lines.some((l) => l.startsWith("true") && l.includes(A))).toBe(true);
  });
});
