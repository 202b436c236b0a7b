// The gateway with Cloudflare Access tokens, end to end in workerd: the demo policy lets people of
// example.com read the wiki. Every deny also asserts the origin never saw the request.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import demoPolicy from "../../policy/examples/demo.yaml?raw";
import { loadPolicy } from "../../policy/index.ts";
import { ACTIVE_KEY, versionKey } from "../../worker/policy-store.ts";
import { LOG_PATH, type SeenRequest } from "../support/recording-origin.ts";
import { accessToken } from "./access-tokens.ts";

const signing = inject("accessPrivateJwk");
const originPort = inject("originPort");

async function originSaw(marker: string): Promise<SeenRequest[]> {
  const res = await fetch(`http://127.0.0.1:${originPort}${LOG_PATH}?marker=${encodeURIComponent(marker)}`);
  return (await res.json()) as SeenRequest[];
}

function marker(): string {
  return `m-${crypto.randomUUID()}`;
}

beforeAll(async () => {
  const loaded = await loadPolicy(demoPolicy);
  if (!loaded.ok) throw new Error("demo policy invalid");
  await env.POLICY.put(versionKey(loaded.policy.version), demoPolicy);
  await env.POLICY.put(ACTIVE_KEY, loaded.policy.version);
});

describe("gateway with Access tokens", () => {
  it("forwards a person allowed by policy, and the token never reaches the origin", async () => {
    const m = marker();
    const token = await accessToken(signing, { email: "ann@example.com", sub: "u-1" });
    const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, { headers: { "Cf-Access-Jwt-Assertion": token } });
    expect(res.status).toBe(200);
    const seen = await originSaw(m);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers["cf-access-jwt-assertion"]).toBeUndefined();
  });

  it("takes the CF_Authorization cookie on a safe method and strips it before forwarding", async () => {
    const m = marker();
    const token = await accessToken(signing, { email: "ann@example.com" });
    const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, { headers: { Cookie: `CF_Authorization=${token}` } });
    expect(res.status).toBe(200);
    const seen = await originSaw(m);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers["cookie"]).toBeUndefined();
  });

  it("lets a person in the group the rule names edit, with groups from get-identity", async () => {
    const m = marker();
    const token = await accessToken(signing, { email: "editor@example.com", identity_nonce: "n-editor" });
    const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, { method: "POST", headers: { "Cf-Access-Jwt-Assertion": token } });
    expect(res.status).toBe(200);
    expect(await originSaw(m)).toHaveLength(1);
  });

  it("refuses an edit by a person outside the group and never calls the origin", async () => {
    const m = marker();
    const token = await accessToken(signing, { email: "ann@example.com", identity_nonce: "n-ann" });
    const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, { method: "POST", headers: { "Cf-Access-Jwt-Assertion": token } });
    expect(res.status).toBe(403);
    expect(await originSaw(m)).toEqual([]);
  });

  it.each([
    ["the cookie on a state-changing method (CSRF)", "POST", async () => ({ Cookie: `CF_Authorization=${await accessToken(signing, { email: "ann@example.com" })}` }), 401],
    ["an expired token", "GET", async () => ({ "Cf-Access-Jwt-Assertion": await accessToken(signing, { email: "ann@example.com" }, { now: Date.now() - 7200_000 }) }), 401],
    ["a forged signature", "GET", async () => ({ "Cf-Access-Jwt-Assertion": (await accessToken(signing, { email: "ann@example.com" })).slice(0, -6) + "AAAAAA" }), 401],
    ["a person the policy does not name", "GET", async () => ({ "Cf-Access-Jwt-Assertion": await accessToken(signing, { email: "eve@example.org" }) }), 403],
    ["a spoofed identity header without a token", "GET", async () => ({ "X-Forwarded-Email": "ann@example.com" }), 401],
  ])("refuses %s and never calls the origin", async (_name, method, headers, status) => {
    const m = marker();
    const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, { method, headers: await headers() });
    expect(res.status).toBe(status);
    expect(await originSaw(m)).toEqual([]);
  });
});
