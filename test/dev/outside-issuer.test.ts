// `ward dev --access-team-domain --access-aud --access-jwks-url`: the local gateway trusts another issuer
// (here a test issuer with its own RS256 key and a JWKS served on 127.0.0.1), and the local sign-in is off.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { AddressInfo } from "node:net";
import { readFile } from "node:fs/promises";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, expect, it } from "vitest";
import { withAccessOverrides } from "../../scripts/dev/access-overrides.ts";
import { writeDemoCertificateHeaders } from "../../scripts/dev/demo-certificates.ts";
import { demoCommands, demoWalkthrough } from "../../scripts/dev/demo-commands.ts";
import type { LocalGateway } from "../../scripts/dev/local-gateway.ts";
import { DEMO_POLICY, startDemoGateway, type DemoGateway } from "../support/demo-gateway.ts";
import { send } from "../support/http-request.ts";
import type { SeenRequest } from "../support/recording-origin.ts";

const TEAM = "https://other-team.cloudflareaccess.com";
const AUD = "ab".repeat(32);

let demo: DemoGateway;
let jwksServer: Server;
let gateway: LocalGateway;
let port: number;
let privateKey: CryptoKey;
const KID = "cd".repeat(32);
let identityAsked = 0;

function originLog(): Promise<SeenRequest[]> {
  return demo.originSaw();
}

function token(claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ type: "app", iss: TEAM, aud: [AUD], iat: now, nbf: now, exp: now + 600, sub: "u-1", ...claims })
    .setProtectedHeader({ alg: "RS256", kid: KID })
    .sign(privateKey);
}

beforeAll(async () => {
  const pair = await generateKeyPair("RS256", { extractable: true });
  privateKey = pair.privateKey;
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: KID, alg: "RS256" }] });
  // The outside issuer: keys at /keys, get-identity beside them (every caller is a wiki editor there, answered
  // for the e-mail of the token in the cookie, as Access answers).
  jwksServer = createServer((req, res) => {
    const payload = /CF_Authorization=[\w-]+\.([\w-]+)\./.exec(req.headers.cookie ?? "")?.[1];
    identityAsked += req.url === "/get-identity" && payload ? 1 : 0;
    const email = payload ? JSON.parse(Buffer.from(payload, "base64url").toString()).email : undefined;
    res.end(req.url === "/get-identity" ? JSON.stringify({ email, groups: [{ name: "wiki-editors" }] }) : jwks);
  });
  await new Promise<void>((done) => jwksServer.listen(0, "127.0.0.1", done));
  demo = await startDemoGateway({
    recorded: ["PAYMENTS_API", "ORDERS_API", "WIKI"],
    policyText: withAccessOverrides(await readFile(DEMO_POLICY, "utf8"), { teamDomain: TEAM, audiences: [AUD] }),
    accessJwksUrl: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/keys`,
  });
  gateway = demo.gateway;
  port = demo.port;
}, 60_000);

const dir = mkdtempSync(join(tmpdir(), "ward-outside-issuer-"));

afterAll(async () => {
  await demo?.stop();
  jwksServer?.close();
  rmSync(dir, { recursive: true, force: true });
});

// From a docs review: `ward dev --access-jwks-url` printed the local sign-in's commands too, which answered 404.
it("prints no command that needs the local sign-in, and each one it prints answers as it says", async () => {
  const certs = await writeDemoCertificateHeaders(dir);
  const lines = demoWalkthrough(gateway.url, certs, false);
  expect(lines.join("\n")).not.toMatch(/dev-token|In a browser/);
  expect(lines.at(-1)).toContain("the local sign-in is off (--access-jwks-url)");
  const commands = lines.flatMap((line) => {
    const printed = /^ {2}(curl .*) {3}# (\d{3}): /.exec(line);
    return printed ? [{ command: printed[1]!, status: Number(printed[2]) }] : [];
  });
  // Every command read back (the workloads' and anonymous callers'), none of the people's.
  expect(commands.length).toBe(demoCommands(gateway.url, certs, false).length);
  expect(commands.length).toBeLessThan(demoCommands(gateway.url, certs).length);
  for (const { command, status } of commands) {
    const before = (await originLog()).length;
    const { stdout: code } = await promisify(execFile)("bash", ["-c", `${command} -s -o /dev/null -w '%{http_code}'`]);
    expect(`${code} ${command}`).toBe(`${status} ${command}`);
    // Only what is allowed reaches an origin; every refusal leaves them uncalled.
    expect(`${(await originLog()).length - before} ${command}`).toBe(`${status < 300 ? 1 : 0} ${command}`);
  }
}, 60_000);

const wiki = () => `http://wiki.localhost:${port}/handbook`;

it("accepts the outside issuer's tokens for the overridden team and audience", async () => {
  const before = (await originLog()).length;
  const reply = await send(port, wiki(), {
    headers: { "cf-access-jwt-assertion": await token({ email: "alice@example.com" }) },
  });
  expect(reply.status).toBe(200);
  expect((await originLog()).length).toBe(before + 1);
});

it("asks the outside issuer's get-identity for groups", async () => {
  const before = (await originLog()).length;
  const reply = await send(port, wiki(), {
    method: "POST",
    headers: { "cf-access-jwt-assertion": await token({ email: "editor@example.com", identity_nonce: "n-editor" }) },
  });
  expect(reply.status).toBe(200);
  expect(identityAsked).toBeGreaterThan(0);
  expect((await originLog()).length).toBe(before + 1);
});

it("refuses the same issuer's tokens for the policy's original team or audience, and never calls the origin", async () => {
  const before = (await originLog()).length;
  for (const claims of [
    { iss: "https://ward-demo.cloudflareaccess.com" },
    { aud: ["4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2"] },
  ]) {
    const reply = await send(port, wiki(), {
      headers: { "cf-access-jwt-assertion": await token({ email: "alice@example.com", ...claims }) },
    });
    expect(reply.status).toBe(401);
  }
  expect((await originLog()).length).toBe(before);
});

it("turns the local sign-in off and leaves login redirects on the real team domain", async () => {
  expect(gateway.loginUrl).toBeUndefined();
  const minted = await send(port, `http://access.localhost:${port}/cdn-cgi/access/dev-token?email=alice@example.com`);
  expect(minted.status).toBe(404);
  const before = (await originLog()).length;
  const visit = await send(port, wiki(), { headers: { accept: "text/html", "sec-fetch-mode": "navigate" } });
  expect(visit.status).toBe(302);
  expect(visit.headers.location).toMatch(new RegExp(`^${TEAM}/cdn-cgi/access/login/wiki\\.localhost\\?kid=${AUD}&`));
  expect((await originLog()).length).toBe(before);
});
