// People, end to end, in headless Chromium (Debian's, driven by playwright-core) against the local demo:
// the sign-in round trip through the local Access stand-in, the denied page, the portal and logout.
// Chromium resolves *.localhost to 127.0.0.1 itself; nothing else is reached.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDemoInBrowser, type DemoInBrowser } from "../support/demo-browser.ts";
import { marker } from "../support/demo-gateway.ts";

const dir = mkdtempSync(join(tmpdir(), "ward-e2e-"));
let demo: DemoInBrowser;
let browser: Browser;
let port: string;

const wiki = (path = "/") => `http://wiki.localhost:${port}${path}`;
const originLog = () => demo.wikiSaw();

/** A fresh browser profile that signs in as `email` by clicking its button on the sign-in page. */
async function signedIn(email: string, path: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(wiki(path));
  expect(new URL(page.url()).host).toBe(`access.localhost:${port}`);
  await page.getByRole("button", { name: new RegExp(`^${email.replace(/[.]/g, "\\.")}( \\(|$)`) }).click();
  await page.waitForURL((url) => url.host === `wiki.localhost:${port}`);
  return page;
}

beforeAll(async () => {
  demo = await startDemoInBrowser();
  ({ browser, port } = demo);
}, 60_000);

afterAll(async () => {
  await demo?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("people in a browser", () => {
  it("an unauthenticated visit goes to the sign-in and comes back to the same page, served by the app", async () => {
    const before = (await originLog()).length;
    const page = await signedIn("alice@example.com", "/handbook/intro?x=1");
    expect(page.url()).toBe(wiki("/handbook/intro?x=1"));
    expect(JSON.parse((await page.locator("body").innerText()) || "{}")).toMatchObject({
      origin: "recording",
      path: "/handbook/intro?x=1",
    });
    // (Chromium also asks the app for /favicon.ico, which the wiki's read rule allows.)
    expect(
      (await originLog())
        .slice(before)
        .map((r) => r.url)
        .filter((u) => u !== "/favicon.ico"),
    ).toEqual(["/handbook/intro?x=1"]);
    await page.context().close();
  }, 30_000);

  it("a person without access sees the denied page: the app, the request id, whom to ask; never the reason; the app is never called", async () => {
    const before = (await originLog()).length;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(wiki("/secret-plans"));
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url() === wiki("/secret-plans")),
      page.getByRole("button", { name: "mallory@contractor.test" }).click(),
    ]);
    expect(response.status()).toBe(403);
    await expect.poll(() => page.locator("h1").innerText()).toBe("You don't have access to wiki");
    const requestId = await page.locator("#request-id").innerText();
    expect(requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(requestId).toBe(await response.headerValue("ward-request-id"));
    // Never framed by another page, never sniffed as anything but HTML.
    expect(await response.headerValue("content-security-policy")).toBe("frame-ancestors 'none'; sandbox");
    expect(await response.headerValue("x-content-type-options")).toBe("nosniff");
    const text = await page.locator("body").innerText();
    expect(text).toContain("#help-wiki on chat, or it-helpdesk@example.com");
    // It names whom she is signed in as; beyond her own address, nothing says why.
    expect(text).toContain("You are signed in as mallory@contractor.test");
    expect(text.replaceAll("mallory@contractor.test", "")).not.toMatch(
      /no-matching-rule|denied-by-rule|emailDomain|employees-read|contractor|reason/i,
    );
    expect((await originLog()).slice(before)).toEqual([]);
    const screenshot = join(dir, "denied.png");
    await page.screenshot({ path: screenshot });
    expect(readFileSync(screenshot).subarray(1, 4).toString()).toBe("PNG");
    // The denied page links to where she stands (/.ward/me), with no app for this person.
    await page.locator("#portal").click();
    await page.waitForURL(wiki("/.ward/me"));
    expect(await page.locator("#who").innerText()).toBe("mallory@contractor.test");
    expect(await page.locator("#apps").innerText()).toContain("No internal app lets you in yet");
    await context.close();
  }, 30_000);

  it.each<[string, string[]]>([
    ["alice@example.com", ["wiki"]],
    ["sre@example.com", ["orders", "wiki"]],
  ])(
    "the portal lists exactly the apps %s can reach",
    async (email, apps) => {
      const page = await signedIn(email, "/");
      await page.goto(wiki("/.ward/apps"));
      expect(await page.locator("#who").innerText()).toBe(email);
      expect(await page.locator("#apps a").allInnerTexts()).toEqual(apps);
      await page.context().close();
    },
    30_000,
  );

  it("logout clears the session: the next visit goes back to the sign-in", async () => {
    const page = await signedIn("alice@example.com", "/");
    expect(new URL(page.url()).host).toBe(`wiki.localhost:${port}`);
    await page.goto(wiki("/.ward/apps"));
    await page.getByRole("link", { name: "Sign out" }).click();
    await expect.poll(() => page.locator("h1").innerText()).toBe("You are signed out");
    expect((await page.context().cookies()).filter((c) => c.name === "CF_Authorization")).toEqual([]);
    const m = marker();
    await page.goto(wiki(`/page?${m}`));
    expect(new URL(page.url()).host).toBe(`access.localhost:${port}`);
    expect(await demo.wikiSaw(m)).toEqual([]);
    await page.context().close();
  }, 30_000);
});
