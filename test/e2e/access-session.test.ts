// One sign-in for every demo app, and signing out of all of them, in Debian's headless Chromium against the
// local demo (`npm start`): the URL `ward dev` prints is the sign-in page; one click there (or on any app's
// sign-in) opens every app without another sign-in page, as Access's session does across a team; signing out
// on one app signs out of all, on a page that looks like Ward's own. The wiki is a recording origin, so what
// reached it is asserted, not assumed. Chromium resolves *.localhost to 127.0.0.1 itself.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDemoInBrowser, type DemoInBrowser } from "../support/demo-browser.ts";

const STEP = 30_000;

let demo: DemoInBrowser;
let browser: Browser;
let port: string;
let context: BrowserContext;
let page: Page;
/** The hosts of every top-level page the browser was shown (200), in order. */
const shown: string[] = [];
/** The look of Ward's own "where you stand" page, to compare the sign-out page with. */
let wardLook: Record<string, string>;

const at = (host: string, path = "/") => `http://${host}.localhost:${port}${path}`;

/** The few DOM names the look check uses (the test's types are Node's, not the browser's). */
interface Styled {
  tagName: string;
}
interface InPage {
  document: { body: Styled; querySelector(selector: string): Styled | null };
  getComputedStyle(element: Styled): { getPropertyValue(name: string): string };
}

/** What a person sees of a page's look: the body's and the heading's computed style. */
async function lookOf(p: Page): Promise<Record<string, string>> {
  return p.evaluate(() => {
    const w = globalThis as unknown as InPage;
    const pick = (element: Styled, names: string[]) => {
      const style = w.getComputedStyle(element);
      return Object.fromEntries(names.map((name) => [`${element.tagName} ${name}`, style.getPropertyValue(name)]));
    };
    return {
      ...pick(w.document.body, [
        "font-family",
        "font-size",
        "line-height",
        "max-width",
        "margin-top",
        "margin-left",
        "padding-left",
        "color",
      ]),
      ...pick(w.document.querySelector("h1")!, ["font-family", "font-size", "font-weight"]),
    };
  });
}

async function wikiSaw(path: string): Promise<number> {
  return (await demo.wikiSaw()).filter((r) => r.url === path).length;
}

beforeAll(async () => {
  demo = await startDemoInBrowser();
  ({ browser, port } = demo);
  context = await browser.newContext();
  page = await context.newPage();
  page.on("response", (r) => {
    if (r.request().isNavigationRequest() && r.status() === 200) shown.push(new URL(r.url()).host);
  });
}, 90_000);

afterAll(async () => {
  await context?.close().catch(() => {});
  await demo?.stop();
}, 30_000);

describe("one sign-in for every app, sign-out everywhere", () => {
  it(
    "the URL ward dev prints answers with the sign-in page",
    async () => {
      const advertised = demo.gateway.loginUrl!.href;
      expect(advertised).toBe(`http://access.localhost:${port}/`);
      const response = await page.goto(advertised);
      expect(response!.status()).toBe(200);
      expect(await page.title()).toBe("Sign in");
      expect(await page.locator("h1").innerText()).toBe("Sign in");
      expect(await page.getByRole("button", { name: /^sre@example\.com/ }).count()).toBe(1);
    },
    STEP,
  );

  it(
    "one click signs sre in: the page names the person and links every demo app",
    async () => {
      await Promise.all([
        page.waitForURL(demo.gateway.loginUrl!.href),
        page.getByRole("button", { name: /^sre@example\.com/ }).click(),
      ]);
      await page.waitForLoadState("load");
      expect(await page.locator("h1").innerText()).toBe("Signed in");
      expect(await page.locator("#who").innerText()).toBe("sre@example.com");
      expect(await page.locator("#apps a").allInnerTexts()).toEqual([
        "payments.localhost",
        "orders.localhost",
        "wiki.localhost",
      ]);
    },
    STEP,
  );

  it(
    "the wiki, then orders' admin, open without another sign-in page, each served by its app",
    async () => {
      const before = shown.length;
      const beforeWiki = await wikiSaw("/");
      await Promise.all([page.waitForURL(at("wiki")), page.getByRole("link", { name: "wiki.localhost" }).click()]);
      await page.waitForLoadState("load");
      expect(JSON.parse(await page.locator("body").innerText())).toEqual({ origin: "recording", path: "/" });
      expect(await wikiSaw("/")).toBe(beforeWiki + 1);

      const admin = await page.goto(at("orders", "/admin"));
      expect(admin!.status()).toBe(200);
      expect(page.url()).toBe(at("orders", "/admin"));
      expect(JSON.parse(await page.locator("body").innerText())).toMatchObject({ app: "ORDERS_API", path: "/admin" });

      // The sign-in host answered only with redirects: no page of it was shown.
      expect(shown.slice(before)).toEqual([`wiki.localhost:${port}`, `orders.localhost:${port}`]);
      // Each app holds its own cookie; the session is the sign-in host's.
      const cookies = (await context.cookies()).map((c) => `${c.name}@${c.domain}`).sort();
      expect(cookies).toEqual([
        "CF_Authorization@orders.localhost",
        "CF_Authorization@wiki.localhost",
        "ward_dev_session@access.localhost",
      ]);

      await page.goto(at("wiki", "/.ward/me"));
      expect(await page.locator("#who").innerText()).toBe("sre@example.com");
      wardLook = await lookOf(page);
    },
    STEP,
  );

  it(
    "signing out on orders: a signed-out page in Ward's look",
    async () => {
      await page.goto(at("orders", "/.ward/me"));
      await Promise.all([
        page.waitForURL(at("orders", "/cdn-cgi/access/logout")),
        page.getByRole("link", { name: "Sign out", exact: true }).click(),
      ]);
      expect(await page.title()).toBe("Signed out");
      expect(await page.locator("h1").innerText()).toBe("You are signed out");
      expect(await lookOf(page)).toEqual(wardLook);
      expect(await context.cookies(at("orders"))).toEqual([]);
    },
    STEP,
  );

  it(
    "...and out of the wiki too: it asks to sign in again, never reached, and no cookie is left",
    async () => {
      const before = await wikiSaw("/handbook");
      await page.goto(at("wiki", "/handbook"));
      const login = new URL(page.url());
      expect(login.origin).toBe(`http://access.localhost:${port}`);
      expect(login.pathname).toBe("/cdn-cgi/access/login/wiki.localhost");
      expect(await page.locator("h1").innerText()).toBe("Sign in to wiki.localhost");
      expect(await lookOf(page)).toMatchObject({ "BODY max-width": wardLook["BODY max-width"] });
      expect(await wikiSaw("/handbook")).toBe(before);
      // The wiki's cookie was cleared on the way (the edge refused it), the dead session by the sign-in.
      expect(await context.cookies()).toEqual([]);
      await page.goto(demo.gateway.loginUrl!.href);
      expect(await page.locator("h1").innerText()).toBe("Sign in");
    },
    STEP,
  );
});
