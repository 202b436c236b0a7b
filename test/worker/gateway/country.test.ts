// Cloudflare's view of the client's country (request.cf.country) reaches the policy; an unknown country
// never switches a deny off.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { activate, marker, originSaw } from "../support/harness.ts";

const policy = `
version: 1
metadata: { environment: dev, owners: [sec@example.com] }
services:
  geo:
    hosts: [geo.localhost]
    origin: { tunnel: WIKI }
    owner: geo-team
    routes:
      - id: page
        methods: [GET]
        pathPrefix: /
        rules:
          - { id: embargo, effect: deny, principals: [{ public: true }], when: { country: [KP, IR] } }
          - { id: anyone, effect: allow, principals: [{ public: true }] }
`;

beforeAll(async () => {
  await activate(policy);
});

describe("country", () => {
  it.each([
    ["from an allowed country", { country: "DE" }, 200, 1],
    ["from an embargoed country", { country: "KP" }, 403, 0],
    ["from an unknown country", undefined, 403, 0],
    // XX: Cloudflare could not place the client. It is no country, so the deny rule holds.
    ["from Cloudflare's unknown country XX", { country: "XX" }, 403, 0],
    ["with an empty country", { country: "" }, 403, 0],
  ])("decides a request %s", async (_name, cf, status, seen) => {
    const m = marker();
    const res = await exports.default.fetch(`https://geo.localhost/p?${m}`, cf ? { cf } : {});
    expect(res.status).toBe(status);
    expect(await originSaw(m)).toHaveLength(seen);
  });
});
