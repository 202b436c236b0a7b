// The portal in workerd: each person sees exactly the apps the compiled demo policy lets them open, linked
// from the denied page; people without identity are sent to sign in; the portal never reaches an origin.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";

const signing = inject("accessPrivateJwk");

beforeAll(async () => {
  await activate(demoPolicy);
});

async function portal(email: string | undefined, host = "wiki.localhost", headers: Record<string, string> = {}) {
  const m = marker();
  const token = email ? await accessToken(signing, { email, identity_nonce: `n-portal-${email}` }) : undefined;
  const res = await exports.default.fetch(`https://${host}/.ward/apps?${m}`, {
    redirect: "manual",
    headers: { ...headers, ...(token ? { "cf-access-jwt-assertion": token } : {}) },
  });
  const body = await res.text();
  expect(await originSaw(m)).toEqual([]);
  const apps = [...body.matchAll(/<li><a href="([^"]+)">([^<]+)<\/a>/g)].map((x) => `${x[2]} ${x[1]}`);
  return { res, body, apps };
}

describe("the portal", () => {
  it.each<[string, string[]]>([
    ["ann@example.com", ["wiki https://wiki.localhost/"]],
    // sre: orders' /admin (any method) and the wiki; refunds are POST only, so no page to open.
    ["sre@example.com", ["orders https://orders.localhost/admin", "wiki https://wiki.localhost/"]],
    ["mallory@contractor.test", []],
  ])("lists for %s exactly the apps the policy lets them open", async (email, expected) => {
    const { res, body, apps } = await portal(email);
    expect(res.status).toBe(200);
    expect(body).toContain(`<strong id="who">${email}</strong>`);
    expect(apps).toEqual(expected);
  });

  it("is the same on every host the gateway serves", async () => {
    expect((await portal("ann@example.com", "payments.localhost")).apps).toEqual(["wiki https://wiki.localhost/"]);
  });

  it("sends a person without identity to sign in, and answers API clients 401", async () => {
    const browser = await portal(undefined, "wiki.localhost", { accept: "text/html", "sec-fetch-mode": "navigate" });
    expect(browser.res.status).toBe(302);
    expect(browser.res.headers.get("location")).toMatch(
      /^https:\/\/ward-demo\.cloudflareaccess\.com\/cdn-cgi\/access\/login\/wiki\.localhost\?kid=[0-9a-f]{64}&redirect_url=%2F\.ward%2Fapps$/,
    );
    expect((await portal(undefined)).res.status).toBe(401);
  });

  it("is linked from the denied page", async () => {
    const m = marker();
    const token = await accessToken(signing, { email: "mallory@contractor.test" });
    const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, {
      headers: { "cf-access-jwt-assertion": token, accept: "text/html", "sec-fetch-mode": "navigate" },
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<a id="portal" href="/.ward/me">');
    expect(await originSaw(m)).toEqual([]);
  });
});
