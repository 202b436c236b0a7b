// A WebSocket app in a real browser (Debian's headless Chromium) through the local demo, with a WebSocket route
// added to the wiki: a person signs in once, the page opens a socket that Ward relays to the app, and when an
// admin revokes the person the open socket is cut off (4403 "access ended") within Ward's documented bound,
// while the page could still talk to the app a moment before. The wiki is the recording origin with its echo
// endpoint, so what reached the app is asserted, not assumed.
import { readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDemoInBrowser, type DemoInBrowser } from "../support/demo-browser.ts";
import { DEMO_POLICY, demoPolicyWithLiveRoute, marker } from "../support/demo-gateway.ts";
import { send } from "../support/http-request.ts";

/** The page's WebSocket and window, as much of them as the test uses (the project has no DOM types). */
interface PageSocket {
  send(data: string): void;
  onopen: (() => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: (() => void) | null;
}
interface PageWindow {
  WebSocket: new (url: string) => PageSocket;
  socket?: PageSocket;
  socketClosed?: { code: number; reason: string };
}

const policyText = demoPolicyWithLiveRoute();
/** The local gateway's defaults: checks every 2 s, denylist copy refreshed every 2 s; with room for a read. */
const BOUND_MS = 8_000;

let demo: DemoInBrowser;
let browser: Browser;
let port: string;
const lines: Record<string, unknown>[] = [];
const wiki = (path = "/") => `http://wiki.localhost:${port}${path}`;

async function signedIn(email: string, path: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(wiki(path));
  expect(new URL(page.url()).host).toBe(`access.localhost:${port}`);
  await page.getByRole("button", { name: new RegExp(`^${email.replace(/[.]/g, "\\.")}( \\(|$)`) }).click();
  await page.waitForURL((url) => url.host === `wiki.localhost:${port}`);
  return page;
}

/** An admin's token from the local Access stand-in, as `npm start`'s curl commands get one. */
async function adminToken(): Promise<string> {
  const res = await send(
    Number(port),
    `http://access.localhost:${port}/cdn-cgi/access/dev-token?email=admin@example.com&groups=ward-admins`,
  );
  expect(res.status).toBe(200);
  return res.body.trim();
}

beforeAll(async () => {
  expect(policyText).not.toBe(readFileSync(DEMO_POLICY, "utf8"));
  demo = await startDemoInBrowser((line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not a log line
    }
  }, policyText);
  ({ browser, port } = demo);
}, 90_000);

afterAll(async () => {
  await demo?.stop();
});

describe("a WebSocket app in a browser", () => {
  it("is relayed to the app, and cut off with 4403 'access ended' when its user is revoked", async () => {
    const page = await signedIn("alice@example.com", "/handbook");
    const before = (await demo.wikiSaw()).length;
    // The app's page opens its socket, and keeps what it hears and how it closed on window.
    const echoed = await page.evaluate(
      (url) =>
        new Promise<string>((resolve, reject) => {
          const w = globalThis as unknown as PageWindow;
          const socket = new w.WebSocket(url);
          w.socket = socket;
          socket.onclose = (event) => (w.socketClosed = { code: event.code, reason: event.reason });
          socket.onopen = () => socket.send("hello from the page");
          socket.onmessage = (event) => resolve(String(event.data));
          socket.onerror = () => reject(new Error("the socket failed"));
        }),
      wiki("/live").replace(/^http/, "ws"),
    );
    expect(echoed).toBe("hello from the page");
    const seen = (await demo.wikiSaw()).slice(before).filter((r) => r.url === "/live");
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers.upgrade).toBe("websocket");
    expect(seen[0]!.headers["ward-assertion"]).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(String(seen[0]!.headers.cookie ?? "")).not.toContain("CF_Authorization");

    const revoked = await send(Number(port), `http://ward.localhost:${port}/.ward/admin/revocations`, {
      method: "POST",
      headers: {
        "cf-access-jwt-assertion": await adminToken(),
        "content-type": "application/json",
      },
      body: JSON.stringify({ match: "email", value: "alice@example.com", reason: "left the company" }),
    });
    expect(revoked.status).toBe(201);
    const started = Date.now();
    await page.waitForFunction(() => (globalThis as unknown as PageWindow).socketClosed !== undefined, undefined, {
      timeout: BOUND_MS,
    });
    expect(Date.now() - started).toBeLessThan(BOUND_MS);
    expect(await page.evaluate(() => (globalThis as unknown as PageWindow).socketClosed)).toEqual({
      code: 4403,
      reason: "access ended",
    });
    const opened = lines.find((l) => l.event === "decision" && l.outcome === "websocket-opened");
    expect(opened).toMatchObject({ principal: "user:alice@example.com", status: 101, route: "wiki/live" });
    expect(lines.find((l) => l.event === "websocket-closed" && l.requestId === opened!.requestId)).toMatchObject({
      cause: "revoked",
      code: 4403,
    });
    // A new socket is refused outright now: the upgrade is decided like any request, and never reaches the app.
    const m = marker();
    const refused = await page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const socket = new (globalThis as unknown as PageWindow).WebSocket(url);
          socket.onopen = () => resolve("opened");
          socket.onclose = () => resolve("refused");
        }),
      wiki(`/live?${m}`).replace(/^http/, "ws"),
    );
    expect(refused).toBe("refused");
    expect(await demo.wikiSaw(m)).toEqual([]);
    await page.context().close();
  }, 60_000);
});
