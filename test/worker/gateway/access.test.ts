// The gateway with Cloudflare Access tokens, end to end in workerd: the demo policy lets people of
// example.com read the wiki. Every deny also asserts the origin never saw the request.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { activate, marker, originSaw } from "../support/harness.ts";
import { accessToken } from "../support/access-tokens.ts";

const signing = inject("accessPrivateJwk");

beforeAll(async () => {
  await activate(demoPolicy);
});

describe("gateway with Access tokens", () => {
  it("forwards a person allowed by policy, and the token never reaches the origin", async () => {
    const m = marker();
    const token = await accessToken(signing, { email: "ann@example.com", sub: "u-1" });
    const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, {
      headers: { "Cf-Access-Jwt-Assertion": token },
    });
    expect(res.status).toBe(200);
    const seen = await originSaw(m);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers["cf-access-jwt-assertion"]).toBeUndefined();
  });

  it("logs the token's issued lifetime (exp - iat) with the decision, and no token", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const token = await accessToken(signing, { email: "ann@example.com" }, { ttl: 7200 });
    const res = await exports.default.fetch(`https://wiki.localhost/page?${marker()}`, {
      headers: { "Cf-Access-Jwt-Assertion": token },
    });
    spy.mockRestore();
    expect(res.status).toBe(200);
    const decision = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === "decision")!;
    expect(decision).toMatchObject({
      principal: "user:ann@example.com",
      path: "/page",
      credential: { kind: "access-jwt", lifetimeSeconds: 7200 },
    });
    expect(lines.join("\n")).not.toContain(token.split(".")[2]);
  });

  it("logs a token used past its exp, within the clock skew, with what it lacked (negative)", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    // Issued an hour and 10 s ago for an hour: 10 s past its exp, inside the skew Ward allows.
    const token = await accessToken(
      signing,
      { email: "ann@example.com", identity_nonce: "n-past-exp" },
      { now: Date.now() - 3_610_000, ttl: 3600 },
    );
    const res = await exports.default.fetch(`https://wiki.localhost/page?${marker()}`, {
      headers: { "Cf-Access-Jwt-Assertion": token },
    });
    spy.mockRestore();
    expect(res.status).toBe(200);
    const decision = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === "decision")!;
    const remaining = (decision.credential as { remainingSeconds: number }).remainingSeconds;
    expect(remaining).toBeGreaterThanOrEqual(-11);
    expect(remaining).toBeLessThanOrEqual(-9);
  });

  it("takes the CF_Authorization cookie on a safe method and strips it before forwarding", async () => {
    const m = marker();
    const token = await accessToken(signing, { email: "ann@example.com" });
    const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, {
      headers: { Cookie: `CF_Authorization=${token}` },
    });
    expect(res.status).toBe(200);
    const seen = await originSaw(m);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers.cookie).toBeUndefined();
  });

  // One of two different tokens was put there by someone else (an app's script on a parent domain, a longer
  // Path sent first): neither counts, rather than whichever comes first.
  it("takes no CF_Authorization cookie when the request carries two different ones", async () => {
    const ann = await accessToken(signing, { email: "ann@example.com" });
    const mallory = await accessToken(signing, { email: "mallory@example.com" });
    for (const cookie of [
      `CF_Authorization=${mallory}; CF_Authorization=${ann}`,
      `CF_Authorization=${ann}, CF_Authorization=${mallory}`,
      `theme=dark, CF_Authorization=${mallory}; CF_Authorization=${ann}`,
    ]) {
      const m = marker();
      const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, { headers: { Cookie: cookie } });
      expect(res.status).toBe(401);
      expect(await originSaw(m)).toEqual([]);
      // Nor the header Access in front builds from one of them, on any method.
      for (const method of ["GET", "POST"]) {
        const n = marker();
        const behindAccess = await exports.default.fetch(`https://wiki.localhost/page?${n}`, {
          method,
          headers: { Cookie: cookie, "Cf-Access-Jwt-Assertion": ann },
        });
        expect(behindAccess.status).toBe(401);
        expect(await originSaw(n)).toEqual([]);
      }
    }
    // The same token twice (two Cookie headers, joined) is one token.
    const m = marker();
    const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, {
      headers: { Cookie: `CF_Authorization=${ann}, CF_Authorization=${ann}` },
    });
    expect(res.status).toBe(200);
    expect(await originSaw(m)).toHaveLength(1);
  });

  it("lets a person in the group the rule names edit, with groups from get-identity", async () => {
    const m = marker();
    const token = await accessToken(signing, { email: "editor@example.com", identity_nonce: "n-editor" });
    const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, {
      method: "POST",
      headers: { "Cf-Access-Jwt-Assertion": token },
    });
    expect(res.status).toBe(200);
    expect(await originSaw(m)).toHaveLength(1);
  });

  it("lets the same edit through when the app's own page makes it, or an API client that sends no Origin", async () => {
    const token = await accessToken(signing, { email: "editor@example.com", identity_nonce: "n-editor" });
    const sources: Record<string, string>[] = [
      { "Sec-Fetch-Site": "same-origin", Origin: "https://wiki.localhost" },
      { Origin: "https://wiki.localhost" },
      { "Sec-Fetch-Site": "none" },
      {},
    ];
    for (const extra of sources) {
      const m = marker();
      const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, {
        method: "POST",
        headers: { "Cf-Access-Jwt-Assertion": token, ...extra },
      });
      expect(res.status).toBe(200);
      expect(await originSaw(m)).toHaveLength(1);
    }
  });

  it("refuses an edit by a person outside the group and never calls the origin", async () => {
    const m = marker();
    const token = await accessToken(signing, { email: "ann@example.com", identity_nonce: "n-ann" });
    const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, {
      method: "POST",
      headers: { "Cf-Access-Jwt-Assertion": token },
    });
    expect(res.status).toBe(403);
    expect(await originSaw(m)).toEqual([]);
  });

  it("never lends an editor's groups to another person whose token carries the same identity_nonce", async () => {
    const post = async (token: string) => {
      const m = marker();
      const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, {
        method: "POST",
        headers: { "Cf-Access-Jwt-Assertion": token },
      });
      return { status: res.status, seen: await originSaw(m) };
    };
    const editor = await accessToken(signing, {
      email: "editor@example.com",
      sub: "u-editor",
      identity_nonce: "n-collide",
    });
    expect((await post(editor)).status).toBe(200);
    // The editor's answer is cached; Ann's token names the same nonce, but the look-up is hers.
    const ann = await accessToken(signing, { email: "ann@example.com", sub: "u-ann", identity_nonce: "n-collide" });
    expect(await post(ann)).toEqual({ status: 403, seen: [] });
  });

  it.each([
    [
      "the cookie on a state-changing method (CSRF)",
      "POST",
      async () => ({ Cookie: `CF_Authorization=${await accessToken(signing, { email: "ann@example.com" })}` }),
      401,
    ],
    // Access builds the header from the cookie on every request, so a header is just as ambient (CSRF).
    [
      "the header on a POST another site's page made",
      "POST",
      async () => ({
        "Cf-Access-Jwt-Assertion": await accessToken(signing, {
          email: "editor@example.com",
          identity_nonce: "n-editor",
        }),
        "Sec-Fetch-Site": "cross-site",
        Origin: "https://evil.example",
      }),
      401,
    ],
    [
      "the header on a POST another host of the site made",
      "POST",
      async () => ({
        "Cf-Access-Jwt-Assertion": await accessToken(signing, {
          email: "editor@example.com",
          identity_nonce: "n-editor",
        }),
        "Sec-Fetch-Site": "same-site",
        Origin: "https://orders.localhost",
      }),
      401,
    ],
    [
      "the header on a DELETE from another origin (a browser without Fetch Metadata)",
      "DELETE",
      async () => ({
        "Cf-Access-Jwt-Assertion": await accessToken(signing, {
          email: "editor@example.com",
          identity_nonce: "n-editor",
        }),
        Origin: "https://evil.example",
      }),
      401,
    ],
    [
      "the header on a POST from a sandboxed page (Origin null)",
      "POST",
      async () => ({
        "Cf-Access-Jwt-Assertion": await accessToken(signing, {
          email: "editor@example.com",
          identity_nonce: "n-editor",
        }),
        Origin: "null",
      }),
      401,
    ],
    [
      "an expired token",
      "GET",
      async () => ({
        "Cf-Access-Jwt-Assertion": await accessToken(
          signing,
          { email: "ann@example.com" },
          { now: Date.now() - 7200_000 },
        ),
      }),
      401,
    ],
    [
      "a forged signature",
      "GET",
      async () => ({
        "Cf-Access-Jwt-Assertion": `${(await accessToken(signing, { email: "ann@example.com" })).slice(0, -6)}AAAAAA`,
      }),
      401,
    ],
    [
      "a person the policy does not name",
      "GET",
      async () => ({ "Cf-Access-Jwt-Assertion": await accessToken(signing, { email: "eve@example.org" }) }),
      403,
    ],
    ["a spoofed identity header without a token", "GET", async () => ({ "X-Forwarded-Email": "ann@example.com" }), 401],
  ])("refuses %s and never calls the origin", async (_name, method, headers, status) => {
    const m = marker();
    const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, { method, headers: await headers() });
    expect(res.status).toBe(status);
    expect(await originSaw(m)).toEqual([]);
  });
});
