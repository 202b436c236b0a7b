// The local Access stand-in's team-wide session, hop by hop over real HTTP against `npm start`'s gateway: the
// URL `ward dev` prints answers with the sign-in; one sign-in gives every demo app its own token without asking
// again, and only apps the gateway serves; signing out on any app ends the session everywhere (the other apps'
// cookies and tokens stop counting, the sign-in asks again); nothing forged ends or opens a session.
import { exportJWK, generateKeyPair, jwtVerify, createLocalJWKSet, SignJWT, decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompiledPolicy } from "../../policy/index.ts";
import { DEMO_PERSONAS } from "../../scripts/dev/demo-commands.ts";
import type { LocalGateway } from "../../scripts/dev/local-gateway.ts";
import { startDemoGateway, type DemoGateway } from "../support/demo-gateway.ts";
import { send, type Reply } from "../support/http-request.ts";

let demo: DemoGateway;
let gateway: LocalGateway;
let port: number;
let policy: CompiledPolicy;

const NAVIGATE = { accept: "text/html", "sec-fetch-mode": "navigate" };
const at = (host: string, path = "/") => `http://${host}.localhost:${port}${path}`;
const signIn = (path = "/") => `http://access.localhost:${port}${path}`;
let marker = 0;
/** A path no other request used, so that what reached the origin for it is known exactly. */
const fresh = (prefix: string) => `${prefix}/session-test-${++marker}`;
const reached = async (path: string) => (await demo.originSaw()).filter((r) => r.url === path).length;

function setCookies(reply: Reply): string[] {
  return reply.headers["set-cookie"] ?? [];
}

function cookieOf(reply: Reply, name: string): string | undefined {
  const line = setCookies(reply).find((c) => c.startsWith(`${name}=`));
  return line?.split(";")[0];
}

/** Signs in on the sign-in host's home page (the URL `ward dev` prints); the session cookie it sets. */
async function signInAtHome(email: string, groups = "", previous?: string): Promise<string> {
  const posted = await send(port, signIn("/"), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...(previous ? { cookie: previous } : {}) },
    body: new URLSearchParams({ email, groups }).toString(),
  });
  expect(posted.status).toBe(303);
  expect(posted.headers.location).toBe("/");
  const line = setCookies(posted).find((c) => c.startsWith("ward_dev_session="))!;
  expect(line).toMatch(/^ward_dev_session=[\w-]+\.[\w-]+\.[\w-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=28800$/);
  return line.split(";")[0]!;
}

/**
 * Opens `path` on an app as a browser holding `session` does: the gateway sends it to the sign-in, which,
 * signed in already, sends it straight back with a token for this app (no page shown); the app's cookie.
 */
async function openWithSession(
  host: string,
  path: string,
  session: string,
): Promise<{ cookie: string; token: string }> {
  const start = await send(port, at(host, path), { headers: NAVIGATE });
  expect(start.status).toBe(302);
  const login = new URL(start.headers.location!);
  expect(login.origin).toBe(signIn(""));
  const answer = await send(port, login.href, { headers: { cookie: session } });
  expect(answer.status, answer.body).toBe(302);
  const authorized = new URL(answer.headers.location!);
  expect(authorized.origin).toBe(at(host, "").replace(/\/$/, ""));
  expect(authorized.pathname).toBe("/cdn-cgi/access/authorized");
  const back = await send(port, authorized.href);
  expect(back.headers.location).toBe(path);
  return { cookie: cookieOf(back, "CF_Authorization")!, token: authorized.searchParams.get("token")! };
}

beforeAll(async () => {
  demo = await startDemoGateway({ recorded: ["WIKI", "ORDERS_API"] });
  ({ gateway, port, policy } = demo);
}, 60_000);

afterAll(async () => {
  await demo?.stop();
});

describe("the sign-in host", () => {
  it("the URL ward dev advertises answers with the sign-in page (not 404), in Ward's look", async () => {
    expect(gateway.loginUrl?.href).toBe(signIn("/"));
    const page = await send(port, gateway.loginUrl!.href);
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["cache-control"]).toBe("no-store");
    expect(page.body).toContain("<h1>Sign in</h1>");
    for (const persona of DEMO_PERSONAS) expect(page.body).toContain(`value="${persona.email}"`);
    expect(page.body).toContain("max-width:40rem;margin:4rem auto");
    // Anything else on that host is still not found.
    expect((await send(port, signIn("/elsewhere"))).status).toBe(404);
  });

  it("signed in there, it names the person and links every demo app", async () => {
    const session = await signInAtHome("sre@example.com", "sre");
    const page = await send(port, signIn("/"), { headers: { cookie: session } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<strong id="who">sre@example.com</strong>');
    for (const service of Object.values(policy.document.services))
      expect(page.body).toContain(`<a href="http://${service.hosts[0]}:${port}/">`);
    expect(page.body).toContain('href="/cdn-cgi/access/logout"');
  });
});

describe("one sign-in for every app", () => {
  it("each app gets its own token of the one session, for its own audience, without a sign-in page", async () => {
    const session = await signInAtHome("sre@example.com", "sre");
    const wiki = await openWithSession("wiki", "/", session);
    const orders = await openWithSession("orders", "/admin", session);
    const sid = (token: string) => decodeJwt(token).ward_dev_session;
    expect(sid(wiki.token)).toEqual(expect.any(String));
    expect(sid(orders.token)).toBe(sid(wiki.token));
    expect(decodeJwt(wiki.token).email).toBe("sre@example.com");
    // Both are honoured by the gateway: the apps answer.
    const path = fresh("/admin");
    const admin = await send(port, at("orders", path), { headers: { ...NAVIGATE, cookie: orders.cookie } });
    expect(admin.status).toBe(200);
    expect(await reached(path)).toBe(1);
  });

  it("the session cookie itself opens no app (it is for the sign-in host, with an audience no app has)", async () => {
    const session = await signInAtHome("alice@example.com");
    const path = fresh("");
    const asCookie = `CF_Authorization=${session.slice("ward_dev_session=".length)}`;
    const answer = await send(port, at("wiki", path), { headers: { ...NAVIGATE, cookie: asCookie } });
    expect(answer.status).toBe(302);
    expect(new URL(answer.headers.location!).origin).toBe(signIn(""));
    expect(await reached(path)).toBe(0);
  });

  it("a token goes only to apps the gateway serves: another host gets no token, signed in or not", async () => {
    const session = await signInAtHome("alice@example.com");
    for (const host of ["evil.test", "wiki.localhost.evil.test", "localhost"]) {
      const answer = await send(port, signIn(`/cdn-cgi/access/login/${host}?redirect_url=/`), {
        headers: { cookie: session },
      });
      expect(answer.status, host).toBe(400);
      expect(answer.headers.location, host).toBeUndefined();
      expect(answer.body, host).not.toMatch(/[\w-]{20,}\.[\w-]{20,}\.[\w-]{20,}/);
      const posted = await send(port, signIn(`/cdn-cgi/access/login/${host}`), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "email=alice%40example.com",
      });
      expect(posted.status, host).toBe(400);
      expect(posted.headers.location, host).toBeUndefined();
    }
  });

  it("a session cookie signed with another key is refused: the sign-in asks, and clears it", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const forged = await new SignJWT({ email: "alice@example.com", groups: [], sid: crypto.randomUUID() })
      .setProtectedHeader({ alg: "RS256", kid: "forged" })
      .setIssuer(policy.document.identity.access!.teamDomain)
      .setAudience("ward-dev-session")
      .setExpirationTime("1h")
      .sign(privateKey);
    const answer = await send(port, signIn("/cdn-cgi/access/login/wiki.localhost?redirect_url=/"), {
      headers: { cookie: `ward_dev_session=${forged}` },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toContain("<h1>Sign in to wiki.localhost</h1>");
    expect(setCookies(answer)).toContain("ward_dev_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
  });
});

describe("signing out of one app signs out of all", () => {
  it("after logout on the wiki, the orders cookie and token no longer count, and the sign-in asks again", async () => {
    const session = await signInAtHome("sre@example.com", "sre");
    const wiki = await openWithSession("wiki", "/", session);
    const orders = await openWithSession("orders", "/admin", session);

    const out = await send(port, at("wiki", "/cdn-cgi/access/logout"), { headers: { cookie: wiki.cookie } });
    expect(out.status).toBe(200);
    expect(out.body).toContain("<h1>You are signed out</h1>");
    expect(out.body).toContain("max-width:40rem;margin:4rem auto");
    expect(setCookies(out)).toEqual(["CF_Authorization=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"]);

    // The orders cookie of that session: taken off at the edge, cleared, and the gateway asks to sign in.
    const path = fresh("/admin");
    const visit = await send(port, at("orders", path), { headers: { ...NAVIGATE, cookie: orders.cookie } });
    expect(visit.status).toBe(302);
    expect(new URL(visit.headers.location!).origin).toBe(signIn(""));
    expect(setCookies(visit)).toContain("CF_Authorization=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    // The same token in the header, as an API client would send it: refused too.
    const api = await send(port, at("orders", path), { headers: { "cf-access-jwt-assertion": orders.token } });
    expect(api.status).toBe(401);
    expect(await reached(path)).toBe(0);

    // The session cookie is dead: the sign-in shows its form (no token issued) and clears it.
    const login = await send(port, visit.headers.location!, { headers: { cookie: session } });
    expect(login.status).toBe(200);
    expect(login.body).toContain("<h1>Sign in to orders.localhost</h1>");
    expect(setCookies(login)).toContain("ward_dev_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    const home = await send(port, signIn("/"), { headers: { cookie: session } });
    expect(home.body).toContain("<h1>Sign in</h1>");
  });

  it("signing out on the sign-in host ends the session for the apps too", async () => {
    const session = await signInAtHome("sre@example.com", "sre");
    const orders = await openWithSession("orders", "/admin", session);
    const out = await send(port, signIn("/cdn-cgi/access/logout"), { headers: { cookie: session } });
    expect(out.body).toContain("<h1>You are signed out</h1>");
    expect(setCookies(out)).toEqual(["ward_dev_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"]);
    const path = fresh("/admin");
    const visit = await send(port, at("orders", path), { headers: { ...NAVIGATE, cookie: orders.cookie } });
    expect(visit.status).toBe(302);
    expect(await reached(path)).toBe(0);
  });

  it("a new sign-in in the same browser ends the previous person's session on every app", async () => {
    const alice = await signInAtHome("alice@example.com");
    const wiki = await openWithSession("wiki", "/", alice);
    await signInAtHome("editor@example.com", "wiki-editors", alice);
    const path = fresh("");
    const visit = await send(port, at("wiki", path), { headers: { ...NAVIGATE, cookie: wiki.cookie } });
    expect(visit.status).toBe(302);
    expect(await reached(path)).toBe(0);
  });

  it("a forged token at logout ends nobody's session; tokens without a session (curl's) are unaffected", async () => {
    const session = await signInAtHome("alice@example.com");
    const wiki = await openWithSession("wiki", "/", session);
    const sid = decodeJwt(wiki.token).ward_dev_session as string;
    const { privateKey, publicKey } = await generateKeyPair("RS256");
    const forged = await new SignJWT({ email: "alice@example.com", ward_dev_session: sid })
      .setProtectedHeader({ alg: "RS256", kid: "forged" })
      .setIssuer(policy.document.identity.access!.teamDomain)
      .setExpirationTime("1h")
      .sign(privateKey);
    // (The forged token is well formed: it verifies with its own key.)
    await jwtVerify(forged, createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: "forged" }] }));
    await send(port, at("orders", "/cdn-cgi/access/logout"), { headers: { cookie: `CF_Authorization=${forged}` } });
    const path = fresh("");
    const visit = await send(port, at("wiki", path), { headers: { ...NAVIGATE, cookie: wiki.cookie } });
    expect(visit.status).toBe(200);
    expect(await reached(path)).toBe(1);

    const token = (await send(port, signIn("/cdn-cgi/access/dev-token?email=alice@example.com"))).body;
    await send(port, at("wiki", "/cdn-cgi/access/logout"), { headers: { cookie: wiki.cookie } });
    const curl = fresh("");
    expect((await send(port, at("wiki", curl), { headers: { "cf-access-jwt-assertion": token } })).status).toBe(200);
    expect(await reached(curl)).toBe(1);
  });
});
