// When every configured Access application is some service's own, no login on a host no service answers (the
// admin host's /.ward/me and portal) gives a token that counts there: a browser is answered 401 rather than sent
// to a claimed application's login and back, in a loop.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { parse, stringify } from "yaml";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { AUD, accessToken } from "../support/access-tokens.ts";
import { activate } from "../support/harness.ts";

const WIKI_APP = "9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d";

beforeAll(async () => {
  const doc = parse(demoPolicy);
  // Every application claimed; no admins named, so `ward validate` says nothing (admin-audience-claimed needs them).
  delete doc.admin;
  doc.identity.access.audiences = [AUD, WIKI_APP];
  doc.services.payments.accessAudiences = [AUD];
  doc.services.orders.accessAudiences = [AUD];
  doc.services.wiki.accessAudiences = [WIKI_APP];
  await activate(stringify(doc));
});

const nav = { accept: "text/html", "sec-fetch-mode": "navigate" };

describe("the portal on a host no service answers, every application claimed", () => {
  it("does not send a browser round a login loop", async () => {
    const first = await exports.default.fetch("https://ward.localhost/.ward/me", { redirect: "manual", headers: nav });
    const kid = first.status === 302 ? new URL(first.headers.get("location")!).searchParams.get("kid") : null;
    // The browser signs in to the application it was sent to, and comes back with its token.
    const token = await accessToken(inject("accessPrivateJwk"), {
      email: "ann@example.com",
      identity_nonce: "n-loop",
      aud: [kid ?? AUD],
    });
    const again = await exports.default.fetch("https://ward.localhost/.ward/me", {
      redirect: "manual",
      headers: { ...nav, "cf-access-jwt-assertion": token },
    });
    // Either the first answer was no redirect, or the login it asked for counts when the browser is back.
    expect({ first: first.status, again: again.status, kid }).not.toMatchObject({ first: 302, again: 302 });
  });
});
