// Where do I stand, in workerd: /.ward/me shows the caller's own verified identity, the groups Access gives,
// the time each credential has left and the apps they may open; as JSON for API clients and workloads.
// The denied page says whom the person is signed in as. Nothing here ever reaches an origin.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { accessToken } from "../support/access-tokens.ts";
import { CERTS, tlsClientAuth } from "../support/client-certs.ts";
import { activate, marker, originSaw } from "../support/harness.ts";
import { workloadToken } from "../support/workload-tokens.ts";

const signing = inject("accessPrivateJwk");
const PAGE = { accept: "text/html", "sec-fetch-mode": "navigate" };

beforeAll(async () => {
  await activate(demoPolicy);
});

async function me(init: RequestInit & { headers?: Record<string, string> }) {
  const m = marker();
  const res = await exports.default.fetch(`https://wiki.localhost/.ward/me?${m}`, { redirect: "manual", ...init });
  const body = await res.text();
  expect(await originSaw(m)).toEqual([]);
  return { res, body };
}

describe("/.ward/me", () => {
  it("shows a person who they are, their groups, the time their sign-in has left, and their apps", async () => {
    const token = await accessToken(signing, { email: "sre@example.com", identity_nonce: "n-me-sre" }, { ttl: 1800 });
    const { res, body } = await me({ headers: { ...PAGE, "cf-access-jwt-assertion": token } });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    // Never framed by another page (clickjacking "Sign out", or reading it through a frame), never sniffed.
    expect(res.headers.get("content-security-policy")).toBe("frame-ancestors 'none'; sandbox");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    // Nor read by a page of the same host that opened it in a window (from a review).
    expect(res.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    // Its links (an app, sign out) are not told which page of Ward's the person came from.
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(body).toContain('<strong id="who">sre@example.com</strong>');
    expect(body).toContain('<li id="groups">Groups: sre</li>');
    expect(body).toMatch(/Cloudflare Access sign-in, (29|30) min left/);
    expect(body).toContain('<a href="https://wiki.localhost/">wiki</a>');
    expect(body).toContain("Sign in as someone else");
  });

  it("answers an API client with the same facts as JSON", async () => {
    const token = await accessToken(signing, { email: "ann@example.com", identity_nonce: "n-me-ann" }, { ttl: 600 });
    const { res, body } = await me({ headers: { "cf-access-jwt-assertion": token } });
    expect(res.headers.get("content-type")).toBe("application/json");
    const facts = JSON.parse(body) as Record<string, unknown> & { credentials: { expiresInSeconds: number }[] };
    expect(facts).toMatchObject({
      principal: "user:ann@example.com",
      user: { email: "ann@example.com", groups: [], devicePosture: {} },
      apps: [{ service: "wiki", url: "https://wiki.localhost/" }],
    });
    expect(facts.credentials).toHaveLength(1);
    expect(facts.credentials[0]).toMatchObject({ kind: "access-jwt", lifetimeSeconds: 600 });
    // The token's own time left: not the 30 s of clock skew Ward allows past `exp` on top (from a session's note).
    expect(facts.credentials[0]!.expiresInSeconds).toBeGreaterThan(590);
    expect(facts.credentials[0]!.expiresInSeconds).toBeLessThanOrEqual(600);
  });

  it("tells a workload its SPIFFE ID and certificate", async () => {
    const { res, body } = await me({ cf: { tlsClientAuth: await tlsClientAuth(CERTS.checkout) } });
    expect(res.status).toBe(200);
    const facts = JSON.parse(body) as { workload: { id: string }; credentials: { kind: string }[] };
    expect(facts.workload.id).toMatch(/^spiffe:\/\//);
    expect(facts.credentials.map((c) => c.kind)).toEqual(["client-certificate"]);
  });

  it("names a caller whose only credential is a workload token by the workload it names", async () => {
    const token = await workloadToken({ issuer: "spire", claims: { aud: ["https://wiki.localhost"] } });
    const { res, body } = await me({ headers: { ...PAGE, authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(body).toContain('<strong id="who">workload spiffe://demo.ward.internal/ns/shop/sa/checkout</strong>');
  });

  it("tells a workload whose only credential is a JWT-SVID its SPIFFE ID, as JSON", async () => {
    // From the identity differential test: the principal said workload:<id>, the JSON's workload nothing.
    const token = await workloadToken({ issuer: "spire", claims: { aud: ["https://wiki.localhost"] } });
    const { res, body } = await me({ headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const facts = JSON.parse(body) as { principal: string; workload?: { id: string }; credentials: { kind: string }[] };
    expect(facts.principal).toBe("workload:spiffe://demo.ward.internal/ns/shop/sa/checkout");
    expect(facts.workload).toEqual({ id: "spiffe://demo.ward.internal/ns/shop/sa/checkout" });
    expect(facts.credentials.map((c) => c.kind)).toEqual(["workload-token"]);
  });

  it("sends an anonymous browser to sign in, and answers an anonymous API client 401", async () => {
    const browser = await me({ headers: PAGE });
    expect(browser.res.status).toBe(302);
    expect(browser.res.headers.get("location")).toMatch(/redirect_url=%2F\.ward%2Fme$/);
    const api = await me({});
    expect(api.res.status).toBe(401);
    expect(api.body).not.toContain("user");
  });
});

describe("/.ward/me read by a page's own script", () => {
  // What a browser sends for `fetch("/.ward/me")` from a page of that host: the Access cookie, Fetch Metadata.
  const SCRIPT = {
    "sec-fetch-site": "same-origin",
    "sec-fetch-mode": "cors",
    "sec-fetch-dest": "empty",
    accept: "*/*",
  };

  it("gets nothing on an application's host (from a review: an XSS there read the visitor's groups and apps)", async () => {
    const token = await accessToken(signing, { email: "sre@example.com", identity_nonce: "n-me-script" });
    for (const mode of ["cors", "same-origin", "no-cors"]) {
      const { res, body } = await me({
        headers: { ...SCRIPT, "sec-fetch-mode": mode, cookie: `CF_Authorization=${token}` },
      });
      expect(res.status).toBe(404);
      expect(body).not.toContain("sre");
    }
    // A service worker of the host's pages passing a navigation on with fetch(event.request), which reads the
    // answer: `navigate`, but to no document (from a review, Chromium's headers); and a frame's navigation.
    for (const dest of ["empty", "iframe"]) {
      const { res, body } = await me({
        headers: {
          ...SCRIPT,
          "sec-fetch-mode": "navigate",
          "sec-fetch-dest": dest,
          cookie: `CF_Authorization=${token}`,
        },
      });
      expect(res.status).toBe(404);
      expect(body).not.toContain("sre");
    }
    // A worker that enables navigation preload reads the browser's own document load (a review of the fix).
    const preloaded = await me({
      headers: {
        ...SCRIPT,
        "sec-fetch-mode": "navigate",
        "sec-fetch-dest": "document",
        "service-worker-navigation-preload": "true",
        cookie: `CF_Authorization=${token}`,
      },
    });
    expect(preloaded.res.status).toBe(404);
    expect(preloaded.body).not.toContain("sre");
    // (Control: the person opening the page there still sees it, with or without the browser's destination.)
    for (const page of [PAGE, { ...PAGE, "sec-fetch-site": "none", "sec-fetch-dest": "document" }]) {
      const opened = await me({ headers: { ...page, cookie: `CF_Authorization=${token}` } });
      expect(opened.res.status).toBe(200);
      expect(opened.body).toContain('<li id="groups">Groups: sre</li>');
    }
  });

  it("is answered to an API client in Node, whose fetch sends Sec-Fetch-Mode alone (from a review)", async () => {
    const token = await accessToken(signing, { email: "sre@example.com", identity_nonce: "n-me-node" });
    const node = { accept: "*/*", "sec-fetch-mode": "cors", "user-agent": "node" };
    const { res, body } = await me({ headers: { ...node, "cf-access-jwt-assertion": token } });
    expect(res.status).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ principal: "user:sre@example.com" });
  });

  it("is answered on the portal's own host, which no application's pages share", async () => {
    const token = await accessToken(signing, { email: "sre@example.com", identity_nonce: "n-me-script-portal" });
    const res = await exports.default.fetch("https://ward.localhost/.ward/me", {
      headers: { ...SCRIPT, cookie: `CF_Authorization=${token}` },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: { groups: string[] } }).user.groups).toContain("sre");
  });
});

describe("the denied page", () => {
  it("names whom the person is signed in as, and offers to sign in as someone else", async () => {
    const m = marker();
    const token = await accessToken(signing, { email: "mallory@contractor.test" });
    const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, {
      headers: { ...PAGE, "cf-access-jwt-assertion": token },
    });
    expect(res.status).toBe(403);
    const body = await res.text();
    expect(body).toContain('You are signed in as <strong id="who">mallory@contractor.test</strong>');
    expect(body).toContain('<a href="/cdn-cgi/access/logout">Sign in as someone else</a>');
    expect(body).toContain('<a id="portal" href="/.ward/me">');
    expect(await originSaw(m)).toEqual([]);
  });
});
