// Every answer of Ward's own paths is for the caller who asked, decided as it was asked: none may be kept by a
// cache keyed on the URL (a TLS-inspecting forward proxy, a cache in front of the gateway) and served to another
// caller, an admin's policy or denylist to someone who is none. Only the key set, which is public, is cacheable.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { accessToken } from "../support/access-tokens.ts";
import { activate } from "../support/harness.ts";

const signing = inject("accessPrivateJwk");

beforeAll(async () => {
  await activate(demoPolicy);
});

const admin = async () => ({
  "cf-access-jwt-assertion": await accessToken(signing, { email: "admin@example.com", identity_nonce: "n-admin" }),
});

describe("Ward's own answers are never stored by a cache", () => {
  it.each([
    ["the active policy", "/.ward/admin/policy", 200],
    ["the denylist", "/.ward/admin/denylist", 200],
    ["the break-glass grants", "/.ward/admin/grants?kind=break-glass&service=payments", 200],
    ["an unknown admin endpoint", "/.ward/admin/nothing-here", 404],
  ])("%s, answered to an admin: no-store", async (_what, path, status) => {
    const res = await exports.default.fetch(`https://ward.localhost${path}`, { headers: await admin() });
    expect(res.status).toBe(status);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("the security-event receiver's 405 to a GET: no-store", async () => {
    const res = await exports.default.fetch("https://ward.localhost/.ward/ssf/events/anyone");
    expect(res.status).toBe(405);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("the assertion key set stays public: origins fetch it through Ward and may cache it", async () => {
    const res = await exports.default.fetch("https://ward.localhost/.well-known/ward/jwks.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=300");
  });
});
