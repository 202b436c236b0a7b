// `ward revoke --spiffe` refuses a trust domain's own ID (spiffe://td) as a likely slip for the whole domain:
// no certificate or token can name one. The fingerprint registry can, and such a workload must be revocable by
// the ID it was given, while any other trust-domain ID is still refused and nothing is stored.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { parse, stringify } from "yaml";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import type { DenyEntry } from "../../../worker/denylist/store.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate } from "../support/harness.ts";

const REGISTERED = "spiffe://legacy.ward.internal";

beforeAll(async () => {
  const doc = parse(demoPolicy);
  doc.metadata.trustDomains.push("legacy.ward.internal");
  doc.identity.mtls.registry = [{ fingerprintSha256: "ab".repeat(32), id: REGISTERED }];
  await activate(stringify(doc));
});

async function revoke(value: string): Promise<Response> {
  const email = "admin@example.com";
  return exports.default.fetch("https://ward.localhost/.ward/admin/revocations", {
    method: "POST",
    headers: {
      "cf-access-jwt-assertion": await accessToken(inject("accessPrivateJwk"), {
        email,
        identity_nonce: `n-registered-${email}`,
      }),
      "content-type": "application/json",
    },
    body: JSON.stringify({ match: "spiffe", value, reason: "legacy box retired" }),
  });
}

describe("revoking a registered workload by a trust domain's own ID", () => {
  it("is taken for an ID the registry gives, and refused for any other", async () => {
    const taken = await revoke(REGISTERED);
    expect(taken.status).toBe(201);
    expect(((await taken.json()) as { entry: DenyEntry }).entry).toMatchObject({ match: "spiffe", value: REGISTERED });
    const refused = await revoke("spiffe://demo.ward.internal");
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { error: string }).error).toMatch(
      /^spiffe spiffe:\/\/demo\.ward\.internal: expected/,
    );
  });
});
