// The gateway in workerd: real KV, real HTTP to an origin on 127.0.0.1. Every deny also asserts that the
// origin never saw the request.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { ACTIVE_KEY, versionKey } from "../../../policy/index.ts";
import { activate, marker, originSaw } from "../support/harness.ts";

async function call(url: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(url, init));
}

describe("gateway", () => {
  it("answers 503 and forwards nothing while KV holds no policy", async () => {
    const m = marker();
    const res = await call(`https://payments.localhost/healthz?${m}`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: string; requestId: string };
    expect(body.requestId).toBe(res.headers.get("ward-request-id"));
    expect(await originSaw(m)).toEqual([]);
  });

  it("forwards a public route on its canonical path with the query, and only the allowed headers", async () => {
    await activate(demoPolicy);
    await new Promise((r) => setTimeout(r, 60));
    const m = marker();
    const res = await call(`https://PAYMENTS.localhost./healthz?${m}=1&b=%2F`, {
      headers: {
        "Cf-Access-Jwt-Assertion": "forged",
        "X-Forwarded-Email": "ceo@example.com",
        "Cf-Client-Cert-Sha256": "00",
        "MF-CF-Blob": "{}",
        Connection: "x-secret",
        "X-Secret": "hop",
        Cookie: "CF_Authorization=forged; theme=dark",
        "X-Kept": "no",
        "Accept-Language": "de",
        "X-Internal-Debug": "1",
        "X-Tenant-Override": "acme",
      },
    });
    expect(res.status).toBe(200);
    const seen = await originSaw(m);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe(`/healthz?${m}=1&b=%2F`);
    const headers = seen[0]!.headers;
    expect(headers["accept-language"]).toBe("de");
    expect(headers.cookie).toBe("theme=dark");
    expect(headers["ward-request-id"]).toBe(res.headers.get("ward-request-id") ?? "missing");
    for (const name of [
      "cf-access-jwt-assertion",
      "x-forwarded-email",
      "cf-client-cert-sha256",
      "mf-cf-blob",
      "x-secret",
      "x-internal-debug",
      "x-tenant-override",
      "x-kept",
    ]) {
      expect(headers[name], name).toBeUndefined();
    }
  });

  it.each([
    ["a route that needs an identity", "POST", "https://payments.localhost/v1/charge", 401],
    ["an encoded slash", "POST", "https://payments.localhost/v1%2Fcharge", 400],
    ["a ';' parameter", "GET", "https://payments.localhost/healthz;x=1", 400],
    ["an empty segment", "GET", "https://payments.localhost//healthz", 400],
    ["an unknown host", "GET", "https://nothing.localhost/healthz", 404],
    ["a method outside the route", "DELETE", "https://payments.localhost/healthz", 401],
  ])("denies %s and never calls the origin", async (_name, method, url, status) => {
    await activate(demoPolicy);
    const m = marker();
    const res = await call(`${url}?${m}`, { method });
    expect(res.status).toBe(status);
    const text = await res.text();
    expect(text).not.toMatch(/rule|route|unauthenticated|reason/i);
    expect(await originSaw(m)).toEqual([]);
  });

  it("keeps serving the last good policy when the active version is corrupt", async () => {
    await activate(demoPolicy);
    await call("https://payments.localhost/healthz");
    await env.POLICY.put(versionKey("f".repeat(64)), "version: 1\nmetadata: [");
    await env.POLICY.put(ACTIVE_KEY, "f".repeat(64));
    await new Promise((r) => setTimeout(r, 60));
    await call("https://payments.localhost/healthz"); // triggers the background re-check
    const m = marker();
    const res = await call(`https://payments.localhost/healthz?${m}`);
    expect(res.status).toBe(200);
    expect(await originSaw(m)).toHaveLength(1);
  });

  it("picks up a policy swap at runtime", async () => {
    await activate(demoPolicy);
    await call("https://payments.localhost/healthz");
    const closed = demoPolicy.replace("principals: [{ public: true }]", "principals: [{ authenticated: true }]");
    expect(closed).not.toBe(demoPolicy);
    await activate(closed);
    await new Promise((r) => setTimeout(r, 60));
    await call("https://payments.localhost/healthz"); // the re-check runs in the background of this one
    const m = marker();
    const res = await call(`https://payments.localhost/healthz?${m}`);
    expect(res.status).toBe(401);
    expect(await originSaw(m)).toEqual([]);
  });
});
