// What the gateway answers: people in a browser get the Access login or the denied page; API clients get
// generic JSON; origin failures become 502/504; origin redirects keep the gateway's host.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { activate, marker, originSaw } from "../support/harness.ts";
import { AUD, TEAM, accessToken } from "../support/access-tokens.ts";

const signing = inject("accessPrivateJwk");
const BROWSER = { accept: "text/html,application/xhtml+xml", "sec-fetch-mode": "navigate" };

beforeAll(async () => {
  await activate(demoPolicy);
});

describe("responses for people", () => {
  it("sends a browser without identity to the Access login with the return path, and calls no origin", async () => {
    const m = marker();
    const res = await exports.default.fetch(`https://wiki.localhost/team/page?${m}=1`, {
      headers: BROWSER,
      redirect: "manual",
    });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location")!);
    expect(`${location.origin}${location.pathname}`).toBe(`${TEAM}/cdn-cgi/access/login/wiki.localhost`);
    expect(location.searchParams.get("kid")).toBe(AUD);
    expect(location.searchParams.get("redirect_url")).toBe(`/team/page?${m}=1`);
    // As every answer of Ward's: the id its decision line is logged under.
    expect(res.headers.get("ward-request-id")).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(await originSaw(m)).toEqual([]);
  });

  it("answers an API client without identity 401 JSON, not a redirect", async () => {
    const m = marker();
    const res = await exports.default.fetch(`https://wiki.localhost/team/page?${m}`, { redirect: "manual" });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
    expect(await originSaw(m)).toEqual([]);
  });

  it("shows a denied person the app, the request id and whom to ask, but not the reason", async () => {
    const m = marker();
    const token = await accessToken(signing, { email: "eve@example.org" });
    const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, {
      headers: { ...BROWSER, "Cf-Access-Jwt-Assertion": token },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    expect(html).toContain("wiki");
    expect(html).toContain("it-helpdesk@example.com");
    expect(html).toContain(res.headers.get("ward-request-id")!);
    expect(html).not.toMatch(/no-matching-rule|employees-read|emailDomain|rule/i);
    expect(await originSaw(m)).toEqual([]);
  });

  it("keeps a hidden service hidden from a browser too (404, no page)", async () => {
    const m = marker();
    const token = await accessToken(signing, { email: "ann@example.com" });
    const res = await exports.default.fetch(`https://payments.localhost/v1/refund?${m}`, {
      headers: { ...BROWSER, "Cf-Access-Jwt-Assertion": token },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await originSaw(m)).toEqual([]);
  });

  it("shows a revoked person no page on a hidden service: the bare 403 every host gives them", async () => {
    const who = "revoked-browsing@example.com";
    const token = await accessToken(signing, { email: who, identity_nonce: `n-${who}` });
    const admin = await exports.default.fetch("https://ward.localhost/.ward/admin/revocations", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "cf-access-jwt-assertion": await accessToken(signing, { email: "admin@example.com" }),
      },
      body: JSON.stringify({ match: "email", value: who, reason: "a hidden service stays hidden" }),
    });
    expect(admin.status).toBe(201);
    const browse = async (url: string) => {
      const m = marker();
      const res = await exports.default.fetch(`${url}?${m}`, {
        headers: { ...BROWSER, "Cf-Access-Jwt-Assertion": token },
      });
      return { status: res.status, type: res.headers.get("content-type"), body: await res.text(), m };
    };
    // In force within the denylist copy's refresh interval: a visible service then shows its page.
    let wiki = await browse("https://wiki.localhost/page");
    for (let i = 0; i < 40 && wiki.status !== 403; i++) {
      await new Promise((r) => setTimeout(r, 25));
      wiki = await browse("https://wiki.localhost/page");
    }
    expect(wiki).toMatchObject({ status: 403, type: expect.stringContaining("text/html") });
    expect(await originSaw(wiki.m)).toEqual([]);
    // Payments is hidden: no page naming it or its owner, on a route it has or not.
    for (const path of ["/v1/refund", "/no-such-route"]) {
      const hidden = await browse(`https://payments.localhost${path}`);
      expect(hidden).toMatchObject({ status: 403, type: expect.stringContaining("application/json") });
      expect(hidden.body).not.toMatch(/payments|owner|team@/);
      expect(await originSaw(hidden.m)).toEqual([]);
    }
  });
});

describe("origin failures", () => {
  const as = async () => ({ "Cf-Access-Jwt-Assertion": await accessToken(signing, { email: "ann@example.com" }) });

  it("gives 504 when the origin is too slow", async () => {
    const res = await exports.default.fetch(`https://wiki.localhost/__too-slow?${marker()}`, { headers: await as() });
    expect(res.status).toBe(504);
    expect(await res.text()).not.toContain("late");
  });

  it("gives 502 when the origin breaks the connection", async () => {
    const res = await exports.default.fetch(`https://wiki.localhost/__broken?${marker()}`, { headers: await as() });
    expect(res.status).toBe(502);
  });

  it("rewrites an origin redirect to its internal address onto the gateway's host", async () => {
    const res = await exports.default.fetch(`https://wiki.localhost/__redirect?${marker()}`, {
      headers: await as(),
      redirect: "manual",
    });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("https://wiki.localhost/internal/next?x=1");
  });

  it("drops a Content-Location or Link naming the origin's address; keeps those on the gateway's host", async () => {
    const answer = async (contentLocation: string, link: string) => {
      const query = new URLSearchParams({ to: "/next", "content-location": contentLocation, link });
      const res = await exports.default.fetch(`https://wiki.localhost/__redirect?${query}&${marker()}`, {
        headers: await as(),
        redirect: "manual",
      });
      expect(res.status).toBe(302);
      return [res.headers.get("content-location"), res.headers.get("link")];
    };
    expect(
      await answer(
        "http://10.20.30.40:8080/doc/1",
        "</app.css>; rel=preload, <http://10.20.30.40:8080/x.js>; rel=preload",
      ),
    ).toEqual([null, "</app.css>; rel=preload"]);
    expect(await answer("/doc/1", "</app.css>; rel=preload, <https://wiki.localhost/x.js>; rel=preload")).toEqual([
      "/doc/1",
      "</app.css>; rel=preload, <https://wiki.localhost/x.js>; rel=preload",
    ]);
    // From a review: an address in a preload's imagesrcset, behind a quoted '<' or in an anchor; only the
    // link-values naming another host go, the same-host preload stays.
    const sameHost = "</app.css>; rel=preload; as=style";
    for (const elsewhere of [
      '</ok.png>; rel=preload; as=image; imagesrcset="http://10.20.30.40:8080/a.png 1x"',
      // A browser reads the whole run as one URL: userinfo `wiki.localhost,`, host the origin's address.
      '</ok.png>; rel=preload; as=image; imagesrcset="https://wiki.localhost,@10.20.30.40:8080/a.png 1x"',
      '</ok>; title="<a", <http://10.20.30.40:8080/x.js>; rel=preload; as=script',
      '</ok>; rel=preload; anchor="http://10.20.30.40:8080/"',
      "<https://fonts.gstatic.com>; rel=preconnect",
    ]) {
      const [, link] = await answer("/doc/1", `${elsewhere}, ${sameHost}`);
      expect(link, elsewhere).not.toContain("10.20.30.40");
      expect(link, elsewhere).not.toContain("gstatic");
      expect(link, elsewhere).toContain(sameHost);
    }
    // A header no Link parser agrees on goes whole.
    expect((await answer("/doc/1", '</x>; title="open, </app.css>'))[1]).toBeNull();
    // So does one whose every link-value names another host: nothing of it is left to pass on.
    const allElsewhere = "<http://10.20.30.40:8080/x.js>; rel=preload, <https://fonts.gstatic.com>; rel=preconnect";
    expect((await answer("/doc/1", allElsewhere))[1]).toBeNull();
    // Two Content-Location fields arrive joined with ", ": one naming another host drops the header (from a review).
    expect((await answer("/doc/1, http://10.20.30.40:8080/doc/1", sameHost))[0]).toBeNull();
    expect((await answer("/doc/1, /doc/2", sameHost))[0]).toBe("/doc/1, /doc/2");
  });

  // Every form a browser resolves to another host, as the WHATWG URL parser (the browser's) reads it.
  it.each([
    ["//10.20.30.40:8080/internal/next", "https://wiki.localhost/internal/next"],
    ["http:\\\\10.20.30.40:8080\\internal", "https://wiki.localhost/internal"],
    ["http:/10.20.30.40:8080/internal", "https://wiki.localhost/internal"],
    ["/\\10.20.30.40:8080/internal", "https://wiki.localhost/internal"],
    ["HTTPS://10.20.30.40/internal#top", "https://wiki.localhost/internal#top"],
    ["ws://10.20.30.40:8080/socket", "https://wiki.localhost/socket"],
    // A redirect on the gateway's own host, relative or absolute, is left as the origin wrote it.
    ["/team/next?x=1", "/team/next?x=1"],
    ["next", "next"],
    ["https://wiki.localhost/team/next", "https://wiki.localhost/team/next"],
    // No host named: nothing of the origin's network to hide.
    ["mailto:help@example.com", "mailto:help@example.com"],
    // The gateway's host, with the origin's address or credentials as its userinfo.
    ["https://10.20.30.40:8080@wiki.localhost/next", "https://wiki.localhost/next"],
    ["//admin:s3cret@wiki.localhost/next", "https://wiki.localhost/next"],
    // A user name and no password is userinfo all the same (found by mutation testing: only a password was seen).
    ["https://10.20.30.40@wiki.localhost/next", "https://wiki.localhost/next"],
  ])("an origin redirect to %s reaches the client as %s", async (location, expected) => {
    const res = await exports.default.fetch(
      `https://wiki.localhost/__redirect?to=${encodeURIComponent(location)}&${marker()}`,
      { headers: await as(), redirect: "manual" },
    );
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(expected);
    const shown = new URL(res.headers.get("location")!, "https://wiki.localhost/");
    if (shown.protocol.startsWith("http")) expect(shown.host).toBe("wiki.localhost");
  });

  // An app that sees X-Forwarded-Proto: http sends the visitor to https: rebuilt in http, it would loop.
  it.each([
    ["https://wiki.localhost/next?x=1", "https://wiki.localhost/next?x=1"],
    ["http://wiki.localhost/next", "http://wiki.localhost/next"],
    // Another port, scheme or host is rebuilt on the gateway's origin, as the request reached it.
    ["https://wiki.localhost:8443/next", "http://wiki.localhost/next"],
    ["ws://wiki.localhost/socket", "http://wiki.localhost/socket"],
    ["https://10.20.30.40/next", "http://wiki.localhost/next"],
  ])("an origin redirect to %s, for a request over http, reaches the client as %s", async (location, expected) => {
    const res = await exports.default.fetch(
      `http://wiki.localhost/__redirect?to=${encodeURIComponent(location)}&${marker()}`,
      { headers: await as(), redirect: "manual" },
    );
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(expected);
  });

  it("two Location fields, one of them the origin's internal address: a 502, neither shown", async () => {
    const to = ["/ok", "http://10.20.30.40:8080/internal/next"].map((l) => `to=${encodeURIComponent(l)}`).join("&");
    const res = await exports.default.fetch(`https://wiki.localhost/__redirect?${to}&${marker()}`, {
      headers: await as(),
      redirect: "manual",
    });
    expect(res.status).toBe(502);
    expect(res.headers.get("location")).toBeNull();
    expect(await res.text()).not.toContain("10.20.30.40");
  });

  // Browsers follow Refresh as they follow Location (HTML's declarative refresh).
  it.each([
    ["0; url=http://10.20.30.40:8080/internal?x=1", "0; url=https://wiki.localhost/internal?x=1"],
    ["5;URL='//10.20.30.40/next'", "5;URL=https://wiki.localhost/next"],
    ["3, http://10.20.30.40/next", "3, https://wiki.localhost/next"],
    ["0; url=/team/next", "0; url=/team/next"],
    ["30", "30"],
    ["5;", "5;"],
    ["0; url=/search?q=a, b", "0; url=/search?q=a, b"],
  ])("an origin's Refresh %s reaches the client as %s", async (refresh, expected) => {
    const res = await exports.default.fetch(
      `https://wiki.localhost/__redirect?to=%2Fok&refresh=${encodeURIComponent(refresh)}&${marker()}`,
      { headers: await as(), redirect: "manual" },
    );
    expect(res.status).toBe(302);
    expect(res.headers.get("refresh")).toBe(expected);
  });

  // Two Refresh fields reach Ward joined with ", ": the first one's URL would hide the second's address.
  it.each([
    "0; url=http://internal.corp:99999/x",
    "0; url=/ok, 0; url=http://10.20.30.40/internal",
    // The first URL quoted: it ends at its quote, and the second field is after it (from a review).
    "0; url='/ok', 0; url=http://10.20.30.40:8080/internal",
    '0; url="/ok" , 0; url=http://10.20.30.40:8080/internal',
    // A first field of a delay alone (one relative URL to a browser, two fields to another reader), and a first
    // URL quoted but empty (from a review of the fix).
    "5, 0; url=http://10.20.30.40:8080/internal",
    '0; url="", 0; url=http://10.20.30.40:8080/internal',
    "0; url='', 0; url='http://10.20.30.40:8080/internal'",
    // The first field's URL names another host: rewritten, it would carry the second field (its ", " encoded, so
    // no longer read apart) into the gateway's URL, address and all (from the generated test).
    "0; url=http://10.20.30.40/a, 0; url=http://10.20.30.40:8080/internal",
    "5, //10.20.30.40/a, 0; url=http://internal.corp/b",
  ])("an origin's Refresh %s (unreadable, or two fields and one elsewhere) is dropped", async (value) => {
    const res = await exports.default.fetch(
      `https://wiki.localhost/__redirect?to=%2Fok&refresh=${encodeURIComponent(value)}&${marker()}`,
      { headers: await as(), redirect: "manual" },
    );
    expect(res.status).toBe(302);
    expect(res.headers.get("refresh")).toBeNull();
  });

  // A Refresh no browser follows (no delay first, HTML's declarative refresh) is worth nothing to the client, but
  // it shows what it holds: the origin's address, read by Ward as one relative URL (from the generated test,
  // test/worker/origin/headers-differential.test.ts).
  it.each([
    "abc; url=http://10.20.30.40:8080/internal",
    "5x; url=http://10.20.30.40:8080/internal",
    "; url=//10.20.30.40:8080/internal",
    "http://10.20.30.40:8080/internal",
    // A second field no browser reads, holding the address.
    "0; url=/ok, abc http://10.20.30.40:8080/internal",
    // ... or holding it as the user name of a URL on the gateway's host, inside a word (found by mutation testing:
    // only a password was seen there).
    "0; url=/ok, abc u//10.20.30.40@wiki.localhost/x",
  ])("an origin's Refresh %s, which no browser reads, is dropped", async (value) => {
    const res = await exports.default.fetch(
      `https://wiki.localhost/__redirect?to=%2Fok&refresh=${encodeURIComponent(value)}&${marker()}`,
      { headers: await as(), redirect: "manual" },
    );
    expect(res.status).toBe(302);
    expect(res.headers.get("refresh")).toBeNull();
  });

  // An app must not sign its visitors in to the other apps (a cookie for the parent domain) as someone else.
  it("drops an origin's Set-Cookie for Access's cookies, whatever the spelling, and passes the others", async () => {
    const cookies = [
      "session=abc; Path=/; HttpOnly",
      "CF_Authorization=eyJ.planted.token; Domain=localhost; Path=/",
      "cf_appsession=x; Domain=localhost",
      // A nameless cookie is sent back as its bare value: `CF_Binding=y`.
      "=CF_Binding=y; Domain=localhost",
      // Stored as one cookie, `theme` (or `a,CF_Authorization`), and sent back as pieces the token reader
      // splits on the comma: the second is Access's.
      "theme=dark, CF_Authorization=inside-a-value",
      "a,CF_Authorization=in-the-name; Path=/",
      'theme="dark,cf_appsession=quoted"',
      // Other spellings of the name as a browser sends it back: nameless, spaces around it.
      "=CF_Authorization=nameless",
      " CF_Authorization =spaced",
      // A comma after the first ';' is an attribute's, never sent back.
      "lang=en; Path=/, CF_Authorization=attribute",
    ];
    const query = cookies.map((c) => `cookie=${encodeURIComponent(c)}`).join("&");
    const res = await exports.default.fetch(`https://wiki.localhost/__redirect?to=%2Fok&${query}&${marker()}`, {
      headers: await as(),
      redirect: "manual",
    });
    expect(res.status).toBe(302);
    expect(res.headers.getSetCookie()).toEqual([
      "session=abc; Path=/; HttpOnly",
      "lang=en; Path=/, CF_Authorization=attribute",
    ]);
  });

  // Passed on, it would show the client the origin's internal name and port.
  it.each([
    "http://internal.corp:99999/x",
    "http://db_internal host/x",
    // No host of their own, but the origin's address inside.
    "blob:http://internal.corp:8080/3f1c",
    "view-source:http://internal.corp:8080/next",
    // The same, without slashes or with backslashes, which a URL parser reads alike.
    "blob:http:internal.corp:8080/3f1c",
    "view-source:http:\\\\internal.corp:8080\\next",
    "blob:https:/\\internal.corp/x",
    "urn:internal.corp:8080",
  ])("an origin redirect to %s, which no browser can read, is a 502", async (location) => {
    const res = await exports.default.fetch(
      `https://wiki.localhost/__redirect?to=${encodeURIComponent(location)}&${marker()}`,
      { headers: await as(), redirect: "manual" },
    );
    expect(res.status).toBe(502);
    expect(res.headers.get("location")).toBeNull();
    expect(await res.text()).not.toContain("internal");
  });
});
