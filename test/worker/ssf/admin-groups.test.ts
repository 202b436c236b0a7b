// An admin by group whose group a security event took away (token-claims-change): the admin API brings its
// denylist copy up to the store before identifying, so the cached groups are not reused. From a review: it
// identified first, and the groups cached before the event counted for one more admin call.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { accessToken } from "../support/access-tokens.ts";
import { activate } from "../support/harness.ts";
import { asPerson } from "../support/person-requests.ts";
import { eventSet, push, signSet } from "../support/transmitter.ts";
import { EVENT_URIS } from "../../../policy/index.ts";
import { ssfPolicy } from "./policy.ts";
import { setPersonAnswer } from "../support/directory.ts";

const transmitter = inject("transmitterPrivateJwk");
const WHO = "group-admin@example.com";
const ADMINS = `
admin:
  principals: [{ group: ward-admins }]
`;

const setGroups = (groups: string[]) => setPersonAnswer(WHO, { groups: groups.map((name) => ({ id: name, name })) });

async function asAdmin(): Promise<number> {
  const token = await accessToken(inject("accessPrivateJwk"), { email: WHO, identity_nonce: `n-${WHO}` });
  const res = await exports.default.fetch("https://ward.localhost/.ward/admin/policy", {
    headers: { "cf-access-jwt-assertion": token },
  });
  await res.body?.cancel();
  return res.status;
}

beforeAll(async () => {
  const { d: _private, ...publicKey } = transmitter;
  await activate(ssfPolicy({ ...publicKey, use: "sig" }) + ADMINS);
});

describe("the admin API after a token-claims-change", () => {
  it("asks Access for the groups again: the admin whose group was taken away is refused", async () => {
    await setGroups(["ward-admins"]);
    // A request through the gateway: this isolate has a copy of the denylist, as any serving isolate has.
    expect((await asPerson(WHO)).status).toBe(200);
    expect(await asAdmin()).toBe(200);
    await setGroups([]);
    // Cached for up to five minutes: still an admin...
    expect(await asAdmin()).toBe(200);
    const set = eventSet(
      EVENT_URIS["token-claims-change"],
      { claims: { groups: "changed" } },
      {
        format: "email",
        email: WHO,
      },
    );
    expect((await push(await signSet(set, transmitter))).status).toBe(202);
    // ...until the event: the very next admin request asks Access again.
    expect(await asAdmin()).toBe(403);
  });
});
