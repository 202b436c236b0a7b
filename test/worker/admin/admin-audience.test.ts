// Services that name their Access applications (accessAudiences) take no other application's tokens, and on a
// host no service answers (the admin API's WARD_URL, Ward's own pages there) only an application no service
// claims counts: a token issued for the wiki's application opens no admin API, and a browser there is sent to
// the operators' own application's login.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { parse, stringify } from "yaml";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { AUD, accessToken } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";

const WIKI_APP = "9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d";
const ADMIN_APP = "b7d9f0a2c4e6b8d1f3e1f3a5c7b9d0e2f4a6c8b1d3e5f7a9c0b2d4e6f8a1c3e5";

beforeAll(async () => {
  // As docs/deployment.md section 5 sets it up: one application per service host, and one of its own for the
  // operators' host; every service names the applications whose tokens count for it.
  const doc = parse(demoPolicy);
  doc.identity.access.audiences = [AUD, WIKI_APP, ADMIN_APP];
  doc.services.payments.accessAudiences = [AUD];
  doc.services.orders.accessAudiences = [AUD];
  doc.services.wiki.accessAudiences = [WIKI_APP];
  await activate(stringify(doc));
});

describe("Access audiences on a host no service answers", () => {
  it("the wiki's token is refused at payments (accessAudiences)", async () => {
    const m = marker();
    const wikiToken = await accessToken(inject("accessPrivateJwk"), {
      email: "admin@example.com",
      identity_nonce: "n-admin-aud-1",
      aud: [WIKI_APP],
    });
    const res = await exports.default.fetch(`https://payments.localhost/v1/charge?${m}`, {
      method: "POST",
      headers: { "cf-access-jwt-assertion": wikiToken },
    });
    expect(res.status).toBe(401);
    expect(await originSaw(m)).toEqual([]);
  });

  it("and a token the wiki's application issued opens no admin API either", async () => {
    const m = marker();
    const wikiToken = await accessToken(inject("accessPrivateJwk"), {
      email: "admin@example.com",
      identity_nonce: "n-admin-aud-2",
      aud: [WIKI_APP],
    });
    const res = await exports.default.fetch(`https://ward.localhost/.ward/admin/policy?${m}`, {
      headers: { "cf-access-jwt-assertion": wikiToken },
    });
    // Control: the operators' own application's token is an admin's.
    const own = await accessToken(inject("accessPrivateJwk"), {
      email: "admin@example.com",
      identity_nonce: "n-admin-aud-3",
      aud: [ADMIN_APP],
    });
    const ok = await exports.default.fetch(`https://ward.localhost/.ward/admin/policy?${m}`, {
      headers: { "cf-access-jwt-assertion": own },
    });
    expect(ok.status).toBe(200);
    expect(res.status).toBe(401);
    expect(await originSaw(m)).toEqual([]);
  });

  it("sends a browser without a session there to the login of the operators' own application", async () => {
    const res = await exports.default.fetch("https://ward.localhost/.ward/me", {
      redirect: "manual",
      headers: { accept: "text/html", "sec-fetch-mode": "navigate" },
    });
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get("location")!).searchParams.get("kid")).toBe(ADMIN_APP);
  });
});
