// Every answer of Ward's own paths is for the caller who asked, decided as it was asked: none may be kept by a
// cache keyed on the URL (a TLS-inspecting forward proxy, a cache in front of the gateway) and served to another
// caller, an admin's policy or denylist to someone who is none. Only the key set, which is public, is cacheable.
import { env, exports } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import type { Env } from "../../../worker/env.ts";
import { accessToken } from "../support/access-tokens.ts";
import { breakMethod, platformError } from "../support/broken-object.ts";
import { activate } from "../support/harness.ts";

const signing = inject("accessPrivateJwk");

beforeAll(async () => {
  await activate(demoPolicy);
});

const admin = async () => ({
  "cf-access-jwt-assertion": await accessToken(signing, { email: "admin@example.com", identity_nonce: "n-admin" }),
});
const someone = async () => ({
  "cf-access-jwt-assertion": await accessToken(signing, { email: "carol@example.com", identity_nonce: "n-carol" }),
});
const json = { "content-type": "application/json" };

afterEach(() => {
  vi.restoreAllMocks();
});

/** A refusal or failure on one of Ward's own paths: how to ask for it, and its status. */
type ErrorCase = [what: string, status: number, ask: () => Promise<Response>];
const ward = (path: string, init: RequestInit = {}) => exports.default.fetch(`https://ward.localhost${path}`, init);

const ERROR_ANSWERS: ErrorCase[] = [
  ["the admin API to an anonymous caller", 401, () => ward("/.ward/admin/policy")],
  [
    "the admin API to someone who is no admin",
    403,
    async () => ward("/.ward/admin/policy", { headers: await someone() }),
  ],
  [
    "the admin API on an application's host",
    404,
    async () => exports.default.fetch("https://payments.localhost/.ward/admin/policy", { headers: await admin() }),
  ],
  [
    "an admin body that is no JSON",
    400,
    async () =>
      ward("/.ward/admin/revocations", { method: "POST", headers: { ...(await admin()), ...json }, body: "{" }),
  ],
  [
    "an admin body too large",
    413,
    async () =>
      ward("/.ward/admin/revocations", {
        method: "POST",
        headers: { ...(await admin()), ...json },
        body: `"${"x".repeat(70 * 1024)}"`,
      }),
  ],
  [
    "an admin body of the wrong shape",
    422,
    async () =>
      ward("/.ward/admin/revocations", { method: "POST", headers: { ...(await admin()), ...json }, body: "{}" }),
  ],
  [
    "a rollback from a version that is not active",
    409,
    async () =>
      ward("/.ward/admin/policy/rollback", {
        method: "POST",
        headers: { ...(await admin()), ...json },
        body: JSON.stringify({ expected: "0".repeat(64) }),
      }),
  ],
  [
    // The admin API's own error handler (worker/admin/store-fault.ts), which logs its answer itself.
    "an admin read whose store did not answer",
    503,
    async () => {
      breakMethod((env as Env).DENYLIST, "page", platformError("Network connection lost.", { retryable: true }));
      return ward("/.ward/admin/denylist", { headers: await admin() });
    },
  ],
  [
    "an admin read that failed in Ward",
    500,
    async () => {
      breakMethod((env as Env).DENYLIST, "page", new Error("a fault"));
      return ward("/.ward/admin/denylist", { headers: await admin() });
    },
  ],
  ["the security-event receiver to a GET", 405, () => ward("/.ward/ssf/events/anyone")],
  [
    "a security event from no transmitter the policy trusts",
    400,
    () =>
      ward("/.ward/ssf/events/anyone", {
        method: "POST",
        headers: { "content-type": "application/secevent+jwt" },
        body: "a.b.c",
      }),
  ],
  ["where I stand, to an anonymous caller", 401, () => ward("/.ward/me")],
  ["the portal, to an anonymous caller", 401, () => ward("/.ward/apps")],
  [
    "where I stand, read by a page of an application",
    404,
    async () =>
      exports.default.fetch("https://payments.localhost/.ward/me", {
        headers: { ...(await admin()), "sec-fetch-mode": "cors", "sec-fetch-dest": "empty" },
      }),
  ],
];

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

  // Whichever handler made it (a route's, the admin API's error handler, Hono's onError): no-store all the same.
  it.each(ERROR_ANSWERS)("%s: %i, no-store", async (_what, status, ask) => {
    const res = await ask();
    expect(res.status).toBe(status);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("the assertion key set stays public: origins fetch it through Ward and may cache it", async () => {
    const res = await exports.default.fetch("https://ward.localhost/.well-known/ward/jwks.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=300");
  });
});
