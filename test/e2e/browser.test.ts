// Proof, in a real browser: headless Chromium (Debian's, driven by playwright-core) against the local demo
// (`npm start`: the gateway in workerd, the dev edge and the local Access sign-in). Every step is what a
// person does: follow the redirect, click a persona button, read the page, click its links. The wiki is a
// recording origin, so "the request never reached the app" is asserted, not assumed; the other apps are
// the built-in demo origins. Chromium resolves *.localhost to 127.0.0.1 by itself; nothing else is reached.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page, Response as PageResponse } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompiledPolicy } from "../../policy/index.ts";
import { startDemoInBrowser, type DemoInBrowser } from "../support/demo-browser.ts";
import type { SeenRequest } from "../support/recording-origin.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Anything that would tell a denied person why (rule ids, reason codes, the failing fact). */
const REASONS = /no-matching-rule|denied-by-rule|unauthenticated|emailDomain|employees-read|editors|contractor|reason/i;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const STEP = 30_000;

const screenshots = mkdtempSync(join(tmpdir(), "ward-e2e-browser-"));
let demo: DemoInBrowser;
let browser: Browser;
let policy: CompiledPolicy;
let port: string;
const decisions: Record<string, unknown>[] = [];
const contexts: BrowserContext[] = [];

const at = (host: string, path = "/") => `http://${host}.localhost:${port}${path}`;
const wiki = (path = "/") => at("wiki", path);

/** What the wiki's recording origin has received so far (Chromium's own /favicon.ico asks left out). */
async function wikiSaw(): Promise<SeenRequest[]> {
  return (await demo.wikiSaw()).filter((r) => r.url !== "/favicon.ico");
}

/** A fresh browser profile per person: no cookie carries over from anyone else. */
async function freshPage(): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  return context.newPage();
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Opens `url` unauthenticated, expects the local Access sign-in for `app`, clicks `email`'s one-click
 * button and waits for the browser to be back on the app. Returns the response of the app page.
 */
async function signInVia(page: Page, url: string, email: string): Promise<PageResponse> {
  await page.goto(url);
  const login = new URL(page.url());
  const app = new URL(url);
  expect(login.origin).toBe(`http://access.localhost:${port}`);
  expect(login.pathname).toBe(`/cdn-cgi/access/login/${app.hostname}`);
  expect(login.searchParams.get("redirect_url")).toBe(app.pathname + app.search);
  expect(await page.locator("h1").innerText()).toBe(`Sign in to ${app.hostname}`);
  const backOnApp = page.waitForResponse((r) => r.url() === url && r.request().isNavigationRequest());
  await page.getByRole("button", { name: new RegExp(`^${escapeRegExp(email)}( \\(|$)`) }).click();
  const response = await backOnApp;
  await page.waitForLoadState("load");
  return response;
}

beforeAll(async () => {
  demo = await startDemoInBrowser((line) => {
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.event === "decision") decisions.push(entry);
    } catch {
      // not a decision line
    }
  });
  ({ browser, policy, port } = demo);
}, 90_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await demo?.stop();
  rmSync(screenshots, { recursive: true, force: true });
}, 30_000);

describe("a person in a browser, against the local demo", () => {
  it(
    "unauthenticated: to the local sign-in, one click as alice, back on exactly /handbook?x=1, served by the wiki",
    async () => {
      const before = (await wikiSaw()).length;
      const page = await freshPage();
      const response = await signInVia(page, wiki("/handbook?x=1"), "alice@example.com");
      expect(response.status()).toBe(200);
      expect(page.url()).toBe(wiki("/handbook?x=1"));
      // The page is the app's own answer (the recording origin echoes the path it received)...
      expect(JSON.parse(await page.locator("body").innerText())).toEqual({
        origin: "recording",
        path: "/handbook?x=1",
      });
      // ...and the app was called exactly once, for that page, with Ward's assertion and without the Access cookie.
      const seen = (await wikiSaw()).slice(before);
      expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(["GET /handbook?x=1"]);
      expect(seen[0]!.headers["ward-assertion"]).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(String(seen[0]!.headers.cookie ?? "")).not.toContain("CF_Authorization");
      // The app's token is a host-only, HttpOnly cookie on the app's host; the sign-in's session one on its own.
      const cookies = await page.context().cookies();
      expect(cookies.map((c) => [c.name, c.domain, c.httpOnly, c.sameSite]).sort()).toEqual([
        ["CF_Authorization", "wiki.localhost", true, "Lax"],
        ["ward_dev_session", "access.localhost", true, "Lax"],
      ]);
    },
    STEP,
  );

  it.each([
    ["an app page", "/handbook"],
    // The gap a review left: an app page that sends COOP same-origin as Ward's pages do shares their browsing
    // context group; the CSP sandbox gives Ward's page an origin of its own, which no script of the app's reads.
    ["an app page with COOP same-origin", "/__coop"],
  ])(
    "a script of %s on the wiki's host reads nothing of /.ward/me: not by fetch, not through a window it opens",
    async (_name, path) => {
      const page = await freshPage();
      await signInVia(page, wiki(path), "alice@example.com");
      // From two reviews: an XSS in an app read the visitor's groups and other apps (fetch: 404 now; a window it
      // opened: COOP on Ward's pages puts it in a browsing context group of its own).
      const read = await page.evaluate(async () => {
        // The page's window (this project's types have no DOM).
        type Opened = { closed: boolean; document?: { body?: { innerText?: string } } };
        const page = globalThis as unknown as { open: (url: string) => Opened | null };
        const fetched = await fetch("/.ward/me");
        const opened = page.open("/.ward/me");
        let seen = "nothing";
        for (let i = 0; i < 30 && opened; i++) {
          await new Promise((r) => setTimeout(r, 100));
          try {
            seen = opened.closed ? "severed" : (opened.document?.body?.innerText ?? "");
          } catch (error) {
            seen = `unreadable: ${String(error)}`;
          }
          if (seen.includes("alice") || seen === "severed" || seen.startsWith("unreadable")) break;
        }
        return { fetched: fetched.status, opened: opened !== null, seen };
      });
      expect(read.fetched).toBe(404);
      expect(read.seen).not.toContain("alice");
      expect(read.seen === "severed" || read.seen.startsWith("unreadable") || !read.opened, read.seen).toBe(true);
    },
    STEP,
  );

  it(
    "alice's portal at /.ward/apps lists exactly [wiki], and its link opens the wiki",
    async () => {
      const page = await freshPage();
      await signInVia(page, wiki("/.ward/apps"), "alice@example.com");
      expect(await page.locator("#who").innerText()).toBe("alice@example.com");
      expect(await page.locator("#apps a").allInnerTexts()).toEqual(["wiki"]);
      // Ward's page is sandboxed (CSP): an origin of its own, which no script of the app's host shares. A script
      // run in it anyway (as the browser's devtools run one; the page itself has none) fetches /.ward/me
      // cross-origin: refused, as is an app page's fetch of it (404), though Chromium would add the cookie.
      const read = await page.evaluate(async () => {
        try {
          const res = await fetch("/.ward/me");
          return { origin, status: res.status, body: await res.text() };
        } catch (error) {
          return { origin, status: 0, body: String(error) };
        }
      });
      expect(read.origin).toBe("null");
      expect([0, 404]).toContain(read.status);
      expect(read.body).not.toContain("alice");
      expect(
        await page.locator("#apps a").evaluateAll((links) => links.map((a) => (a as unknown as { href: string }).href)),
      ).toEqual([wiki("/")]);
      const before = (await wikiSaw()).length;
      const [opened] = await Promise.all([
        page.waitForResponse((r) => r.url() === wiki("/")),
        page.locator("#apps a").first().click(),
      ]);
      expect(opened.status()).toBe(200);
      expect((await wikiSaw()).slice(before).map((r) => r.url)).toEqual(["/"]);
    },
    STEP,
  );

  describe("mallory@contractor.test (signed in, not an employee)", () => {
    let page: Page;
    let denied: PageResponse;

    it(
      "sees the denied page: 403, the app, a request id equal to ward-request-id, the owner; no reason; the wiki is never called",
      async () => {
        const before = (await wikiSaw()).length;
        page = await freshPage();
        denied = await signInVia(page, wiki("/handbook?x=1"), "mallory@contractor.test");
        expect(page.url()).toBe(wiki("/handbook?x=1"));
        expect(denied.status()).toBe(403);
        expect(denied.headers()["content-type"]).toContain("text/html");
        expect(await page.title()).toBe("Access denied: wiki");
        expect(await page.locator("h1").innerText()).toBe("You don't have access to wiki");
        const requestId = await page.locator("code#request-id").innerText();
        expect(requestId).toMatch(UUID);
        expect(requestId).toBe(await denied.headerValue("ward-request-id"));
        const shown = await page.locator("body").innerText();
        expect(shown).toContain(policy.document.services.wiki!.owner);
        expect(shown).toContain("#help-wiki on chat, or it-helpdesk@example.com");
        // The page names whom she is signed in as; beyond her own address, neither the rendered text nor the
        // markup tells why (her domain is also what the policy's rule names, so it is checked without it).
        expect(shown).toContain("You are signed in as mallory@contractor.test");
        const text = shown.replaceAll("mallory@contractor.test", "");
        const html = (await page.content()).replaceAll("mallory@contractor.test", "");
        for (const leak of [
          "no-matching-rule",
          "denied-by-rule",
          "emailDomain",
          "employees-read",
          "editors",
          "contractor",
          "reason",
        ]) {
          expect(text.toLowerCase(), leak).not.toContain(leak.toLowerCase());
          expect(html.toLowerCase(), leak).not.toContain(leak.toLowerCase());
        }
        expect(text).not.toMatch(REASONS);
        expect(await wikiSaw()).toHaveLength(before);
        // The request id on the page is the one the decision log has, with the reason, for the owner to look up.
        const logged = decisions.find((d) => d.requestId === requestId);
        expect(logged).toMatchObject({ effect: "deny", status: 403, service: "wiki", path: "/handbook" });
        expect(logged!.principal).toContain("mallory@contractor.test");
      },
      STEP,
    );

    it(
      "the denied page screenshots to a non-empty PNG (in a temporary directory)",
      async () => {
        const file = join(screenshots, "denied.png");
        await page.screenshot({ path: file, fullPage: true });
        expect(statSync(file).size).toBeGreaterThan(1000);
        const bytes = readFileSync(file);
        expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
        expect(bytes.subarray(12, 16).toString("latin1")).toBe("IHDR");
        expect(bytes.readUInt32BE(16)).toBeGreaterThan(0); // width
        expect(bytes.readUInt32BE(20)).toBeGreaterThan(0); // height
      },
      STEP,
    );

    it(
      "the denied page names mallory; its link to /.ward/me: signed in as mallory, no app listed, and the page says so",
      async () => {
        expect(await page.locator("#who").innerText()).toBe("mallory@contractor.test");
        expect(await page.locator("a#portal").getAttribute("href")).toBe("/.ward/me");
        const [portal] = await Promise.all([
          page.waitForResponse((r) => r.url() === wiki("/.ward/me")),
          page.locator("a#portal").click(),
        ]);
        expect(portal.status()).toBe(200);
        await page.waitForURL(wiki("/.ward/me"));
        expect(await page.locator("#who").innerText()).toBe("mallory@contractor.test");
        expect(await page.locator("#apps a").count()).toBe(0);
        expect(await page.locator("ul#apps").count()).toBe(0);
        expect(await page.locator("#apps").innerText()).toContain("No internal app lets you in yet");
        await page.goBack();
        expect(await page.locator("h1").innerText()).toBe("You don't have access to wiki");
      },
      STEP,
    );

    it(
      "'Sign in as someone else' clears the cookie; the next visit to the wiki is back at the sign-in",
      async () => {
        const link = page.getByRole("link", { name: "Sign in as someone else" });
        expect(await link.getAttribute("href")).toBe("/cdn-cgi/access/logout");
        expect((await page.context().cookies(wiki())).map((c) => c.name)).toEqual(["CF_Authorization"]);
        await link.click();
        await page.waitForURL(wiki("/cdn-cgi/access/logout"));
        expect(await page.locator("h1").innerText()).toBe("You are signed out");
        expect(await page.context().cookies(wiki())).toEqual([]);
        const before = (await wikiSaw()).length;
        await page.goto(wiki("/handbook?x=1"));
        const login = new URL(page.url());
        expect(login.origin).toBe(`http://access.localhost:${port}`);
        expect(login.searchParams.get("redirect_url")).toBe("/handbook?x=1");
        expect(await wikiSaw()).toHaveLength(before);
        // The sign-in's session ended with the logout: it asks again, and clears the dead session cookie.
        expect(await page.locator("h1").innerText()).toBe("Sign in to wiki.localhost");
        expect(await page.context().cookies()).toEqual([]);
        // And someone else can now sign in from the same browser.
        await page.goBack();
        const again = await signInVia(page, wiki("/handbook?x=1"), "alice@example.com");
        expect(again.status()).toBe(200);
        expect(JSON.parse(await page.locator("body").innerText())).toEqual({
          origin: "recording",
          path: "/handbook?x=1",
        });
      },
      STEP,
    );
  });

  it(
    "sre@example.com's portal lists exactly [orders, wiki]; the orders link reaches /admin without signing in again",
    async () => {
      const page = await freshPage();
      await signInVia(page, wiki("/.ward/apps"), "sre@example.com");
      expect(await page.locator("#who").innerText()).toBe("sre@example.com");
      expect(await page.locator("#apps a").allInnerTexts()).toEqual(["orders", "wiki"]);
      const hrefs = await page
        .locator("#apps a")
        .evaluateAll((links) => links.map((a) => (a as unknown as { href: string }).href));
      expect(hrefs).toEqual([at("orders", "/admin"), wiki("/")]);
      // The Access cookie is per app host, but the sign-in's session is the team's (as with Access): the orders
      // app gets its own token through the sign-in without a page being shown.
      const pagesShown: string[] = [];
      page.on("response", (r) => {
        if (r.request().isNavigationRequest() && r.status() === 200) pagesShown.push(new URL(r.url()).host);
      });
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url() === at("orders", "/admin") && r.status() !== 302),
        page.getByRole("link", { name: "orders" }).click(),
      ]);
      expect(response.status()).toBe(200);
      expect(page.url()).toBe(at("orders", "/admin"));
      expect(pagesShown).toEqual([`orders.localhost:${port}`]);
      expect(JSON.parse(await page.locator("body").innerText())).toMatchObject({
        app: "ORDERS_API",
        method: "GET",
        path: "/admin",
      });
    },
    STEP,
  );

  it(
    "logout from the portal: the cookie is gone and the wiki goes back to the sign-in",
    async () => {
      const page = await freshPage();
      await signInVia(page, wiki("/.ward/apps"), "alice@example.com");
      await page.getByRole("link", { name: "Sign out" }).click();
      await page.waitForURL(wiki("/cdn-cgi/access/logout"));
      expect((await page.context().cookies()).filter((c) => c.name === "CF_Authorization")).toEqual([]);
      const before = (await wikiSaw()).length;
      await page.getByRole("link", { name: "Sign in again" }).click();
      await page.waitForURL((url) => url.host === `access.localhost:${port}`);
      expect(new URL(page.url()).searchParams.get("redirect_url")).toBe("/");
      // The visit to the wiki went to the sign-in, not to the app.
      expect(await wikiSaw()).toHaveLength(before);
    },
    STEP,
  );
});
