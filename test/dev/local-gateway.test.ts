// `npm start` / `ward dev` as people use it: the gateway in workerd with the dev edge and the local Access
// issuer, real HTTP on 127.0.0.1, and real recording origins behind it. Every printed curl command is run
// with curl and must answer what it says; the sign-in flow is followed hop by hop.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompiledPolicy } from "../../policy/index.ts";
import { writeDemoCertificateHeaders } from "../../scripts/dev/demo-certificates.ts";
import { demoCommands, DEMO_PERSONAS } from "../../scripts/dev/demo-commands.ts";
import type { LocalGateway } from "../../scripts/dev/local-gateway.ts";
import { startDemoGateway, type DemoGateway } from "../support/demo-gateway.ts";
import { send } from "../support/http-request.ts";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "ward-dev-test-"));

let demo: DemoGateway;
let gateway: LocalGateway;
let port: number;
let policy: CompiledPolicy;
const originLog = () => demo.originSaw();

beforeAll(async () => {
  demo = await startDemoGateway({ recorded: ["PAYMENTS_API", "ORDERS_API", "WIKI"] });
  ({ gateway, port, policy } = demo);
}, 60_000);

afterAll(async () => {
  await demo?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the printed demo commands", () => {
  it("each answers the status it promises, and only allowed ones reach the origin", async () => {
    const certs = await writeDemoCertificateHeaders(dir);
    const commands = demoCommands(gateway.url, certs);
    expect(commands.length).toBeGreaterThanOrEqual(10);
    for (const { command, expect: status, note } of commands) {
      const before = (await originLog()).length;
      // Asynchronously: the recording origin answers from this same process.
      const { stdout: code } = await run("bash", ["-c", `${command} -s -o /dev/null -w '%{http_code}'`]);
      expect(`${code} ${note}`).toBe(`${status} ${note}`);
      const reached = (await originLog()).length - before;
      expect(`${reached} ${note}`).toBe(`${status < 300 ? 1 : 0} ${note}`);
    }
  }, 60_000);
});

describe("a workload token from the local SPIRE", () => {
  it("one JWT-SVID minted for payments charges there, and is no credential at orders (origin never called)", async () => {
    const svid = new URL(`http://spire.localhost:${port}/dev-svid`);
    svid.search = new URLSearchParams({
      spiffe: "spiffe://demo.ward.internal/ns/shop/sa/checkout",
      aud: "https://payments.localhost",
      scope: "payments:charge",
    }).toString();
    const minted = await send(port, svid.href);
    expect(minted.status).toBe(200);
    const authorization = `Bearer ${minted.body}`;
    const before = (await originLog()).length;
    const charge = await send(port, `http://payments.localhost:${port}/v1/charge`, {
      method: "POST",
      headers: { authorization },
    });
    expect(charge.status).toBe(200);
    const seen = (await originLog()).slice(before);
    expect(seen.map((r) => r.url)).toEqual(["/v1/charge"]);
    expect(seen[0]!.headers.authorization).toBeUndefined();
    const orders = await send(port, `http://orders.localhost:${port}/v1/orders/42`, { headers: { authorization } });
    expect(orders.status).toBe(401);
    expect((await originLog()).length).toBe(before + 1);
  });
});

describe("signing in through the local Access stand-in", () => {
  const wiki = () => `http://wiki.localhost:${port}`;
  const navigate = { accept: "text/html", "sec-fetch-mode": "navigate" };

  async function signIn(email: string, groups = ""): Promise<string> {
    const start = await send(port, `${wiki()}/handbook/intro?tab=2`, { headers: navigate });
    expect(start.status).toBe(302);
    const login = start.headers.location!;
    const posted = await send(port, login, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ email, groups }).toString(),
    });
    expect(posted.status).toBe(302);
    const back = await send(port, posted.headers.location!);
    expect(back.status).toBe(302);
    expect(back.headers.location).toBe("/handbook/intro?tab=2");
    const cookie = back.headers["set-cookie"]![0]!;
    expect(cookie).toMatch(/^CF_Authorization=[\w-]+\.[\w-]+\.[\w-]+; Path=\/; HttpOnly; SameSite=Lax$/);
    return cookie.split(";")[0]!;
  }

  it("sends an unauthenticated visitor to the local login page with the way back", async () => {
    const start = await send(port, `${wiki()}/handbook/intro?tab=2`, { headers: navigate });
    const login = new URL(start.headers.location!);
    expect(login.origin).toBe(`http://access.localhost:${port}`);
    expect(login.pathname).toBe("/cdn-cgi/access/login/wiki.localhost");
    expect(login.searchParams.get("kid")).toBe(policy.document.identity.access!.audiences[0]);
    expect(login.searchParams.get("redirect_url")).toBe("/handbook/intro?tab=2");
    const page = await send(port, login.href);
    expect(page.status).toBe(200);
    for (const persona of DEMO_PERSONAS) expect(page.body).toContain(`value="${persona.email}"`);
  });

  it("lets an employee in, and the origin gets a Ward assertion that verifies with the published keys", async () => {
    const cookie = await signIn("alice@example.com");
    const before = (await originLog()).length;
    const page = await send(port, `${wiki()}/handbook/intro?tab=2`, { headers: { ...navigate, cookie } });
    expect(page.status).toBe(200);
    const seen = (await originLog()).slice(before);
    expect(seen.map((r) => r.url)).toEqual(["/handbook/intro?tab=2"]);
    const assertion = String(seen[0]!.headers["ward-assertion"]);
    const keys = createRemoteJWKSet(new URL(`http://127.0.0.1:${port}/.well-known/ward/jwks.json`));
    const { payload } = await jwtVerify(assertion, keys, { audience: "wiki", issuer: "ward" });
    expect(payload.sub).toBe("user:alice@example.com");
    expect(seen[0]!.headers.cookie ?? "").not.toContain("CF_Authorization");
    const portal = await send(port, `${wiki()}/.ward/apps`, { headers: { ...navigate, cookie } });
    expect(portal.status).toBe(200);
    expect([...portal.body.matchAll(/<li><a href="([^"]+)">/g)].map((m) => m[1])).toEqual([
      `http://wiki.localhost:${port}/`,
    ]);
  });

  it("shows the denied page (request id and whom to ask, no reason) and never calls the origin", async () => {
    const cookie = await signIn("mallory@contractor.test");
    const before = (await originLog()).length;
    const page = await send(port, `${wiki()}/handbook/intro?tab=2`, { headers: { ...navigate, cookie } });
    expect(page.status).toBe(403);
    expect(page.body).toContain(String(page.headers["ward-request-id"]));
    expect(page.body).toContain("#help-wiki on chat");
    expect(page.body).toContain('href="/cdn-cgi/access/logout"');
    // It names whom she is signed in as; beyond her own address, nothing says why.
    expect(page.body).toContain('You are signed in as <strong id="who">mallory@contractor.test</strong>');
    expect(page.body.replaceAll("mallory@contractor.test", "")).not.toMatch(
      /emailDomain|employees-read|no-matching-rule|contractor/,
    );
    expect((await originLog()).length).toBe(before);
  });

  it("takes groups from get-identity: an editor may edit, an employee may not", async () => {
    const token = async (query: string) =>
      (await send(port, `http://access.localhost:${port}/cdn-cgi/access/dev-token?${query}`)).body;
    const before = (await originLog()).length;
    const editor = await send(port, `${wiki()}/handbook`, {
      method: "POST",
      headers: { "cf-access-jwt-assertion": await token("email=editor@example.com&groups=wiki-editors") },
    });
    expect(editor.status).toBe(200);
    const employee = await send(port, `${wiki()}/handbook`, {
      method: "POST",
      headers: { "cf-access-jwt-assertion": await token("email=alice@example.com") },
    });
    expect(employee.status).toBe(403);
    expect((await originLog()).length).toBe(before + 1);
  });

  it("signs out: logout clears the cookie", async () => {
    const out = await send(port, `${wiki()}/cdn-cgi/access/logout`);
    expect(out.status).toBe(200);
    expect(out.headers["set-cookie"]![0]).toBe("CF_Authorization=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
  });

  // A browser drops tabs and newlines anywhere in a Location and reads "\\" as "/": "/\t/evil.test/x" is
  // "//evil.test/x" to it, another host. A dot segment before the second slash is resolved away: "/.//evil.test/x"
  // is "//evil.test/x" once parsed.
  it.each([
    "//evil.test/x",
    "/\t/evil.test/x",
    "/\t\\evil.test/x",
    "/\\evil.test/x",
    "/.//evil.test/x",
    "/..//evil.test/x",
    "/a/..//evil.test/x",
    "/%2e//evil.test/x",
    "/./\\evil.test/x",
  ])("never sends a signed-in person off the app's own host (return path %j)", async (returnPath) => {
    const login = `http://access.localhost:${port}/cdn-cgi/access/login/wiki.localhost?redirect_url=${encodeURIComponent(returnPath)}`;
    const posted = await send(port, login, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "email=alice%40example.com",
    });
    const authorized = new URL(posted.headers.location!);
    expect(authorized.origin).toBe(`http://wiki.localhost:${port}`);
    const back = await send(port, authorized.href);
    expect(back.status).toBe(302);
    // Resolved as the browser resolves it, against the page it asked for.
    expect(new URL(back.headers.location!, authorized).host).toBe(`wiki.localhost:${port}`);
    // And asked for directly, as a link someone was sent: the app host's endpoint reads the path once.
    const direct = new URL(
      `${wiki()}/cdn-cgi/access/authorized?token=a.b.c&redirect_url=${encodeURIComponent(returnPath)}`,
    );
    const sent = await send(port, direct.href);
    expect(sent.status).toBe(302);
    expect(new URL(sent.headers.location!, direct).host).toBe(`wiki.localhost:${port}`);
  });

  it("takes a return path on the app's host back as the browser reads it", async () => {
    const login = `http://access.localhost:${port}/cdn-cgi/access/login/wiki.localhost?redirect_url=${encodeURIComponent("/handbook/a b?q=1#top")}`;
    const posted = await send(port, login, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "email=alice%40example.com",
    });
    const back = await send(port, new URL(posted.headers.location!).href);
    expect(back.headers.location).toBe("/handbook/a%20b?q=1#top");
  });
});
