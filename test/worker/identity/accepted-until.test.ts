// Until when identify() says a verified token is accepted: an open WebSocket is closed then, and /.ward/me counts
// down to it. A token counts to its exp plus the clock skew allowed past it (its issuer's, or Access's 30 s), so a
// connection must not end before a request with the same token would be refused.
import { decodeJwt } from "jose";
import { describe, expect, inject, it } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { loadPolicy } from "../../../policy/index.ts";
import { identify } from "../../../worker/identity/identify.ts";
import { accessToken } from "../support/access-tokens.ts";
import { workloadToken } from "../support/workload-tokens.ts";

const signing = inject("accessPrivateJwk");

async function demo() {
  const loaded = await loadPolicy(demoPolicy);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.policy;
}

describe("identify(): until when a verified token is accepted", () => {
  it("a workload token: to its exp and its issuer's 30 s skew", async () => {
    const now = Date.now();
    const token = await workloadToken({ issuer: "spire" }, now);
    const request = new Request("https://payments.localhost/v1/charges", {
      headers: { authorization: `Bearer ${token}` },
    });
    const identified = await identify(request, await demo(), now, "accepted-until-workload");
    expect(identified.identity.workloadToken?.subject).toBe("spiffe://demo.ward.internal/ns/shop/sa/checkout");
    expect(identified.expiresAt["workload-token"]).toBe((decodeJwt(token).exp! + 30) * 1000);
  });

  it("an Access token: to its exp and the 30 s skew", async () => {
    const now = Date.now();
    const token = await accessToken(signing, { email: "ann@example.com" }, { now });
    const request = new Request("https://wiki.localhost/page", { headers: { "cf-access-jwt-assertion": token } });
    const identified = await identify(request, await demo(), now, "accepted-until-access");
    expect(identified.identity.user?.email).toBe("ann@example.com");
    expect(identified.expiresAt["access-jwt"]).toBe((decodeJwt(token).exp! + 30) * 1000);
  });
});
