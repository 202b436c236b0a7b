// `ward dev --access-jwks-url` pointing at a key URL that redirects: the gateway's key fetch does not follow it,
// as deployed (jose's createRemoteJWKSet fetches with redirect: "manual" and takes only a 200). So no token of
// that issuer is accepted, nothing reaches the origin, and ward dev says why.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile } from "node:fs/promises";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, expect, it } from "vitest";
import { withAccessOverrides } from "../../scripts/dev/access-overrides.ts";
import type { LocalGateway } from "../../scripts/dev/local-gateway.ts";
import { DEMO_POLICY, startDemoGateway, type DemoGateway } from "../support/demo-gateway.ts";
import { send } from "../support/http-request.ts";

const TEAM = "https://other-team.cloudflareaccess.com";
const AUD = "ef".repeat(32);
const KID = "12".repeat(32);

let demo: DemoGateway;
let issuer: Server;
let issuerPort: number;
let gateway: LocalGateway;
let privateKey: CryptoKey;
let keysServed = 0;
const logs: string[] = [];

beforeAll(async () => {
  const pair = await generateKeyPair("RS256", { extractable: true });
  privateKey = pair.privateKey;
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: KID, alg: "RS256" }] });
  // The key set itself is good, but the URL given to ward dev only redirects to it.
  issuer = createServer((req, res) => {
    if (req.url === "/keys") {
      res.writeHead(302, { location: "/real-keys" });
      res.end();
      return;
    }
    if (req.url === "/real-keys") keysServed++;
    res.end(req.url === "/real-keys" ? jwks : JSON.stringify({ email: "alice@example.com", groups: [] }));
  });
  await new Promise<void>((done) => issuer.listen(0, "127.0.0.1", done));
  issuerPort = (issuer.address() as AddressInfo).port;
  demo = await startDemoGateway({
    recorded: ["WIKI"],
    policyText: withAccessOverrides(await readFile(DEMO_POLICY, "utf8"), { teamDomain: TEAM, audiences: [AUD] }),
    accessJwksUrl: `http://127.0.0.1:${issuerPort}/keys`,
    onLog: (line) => logs.push(line),
  });
  gateway = demo.gateway;
}, 60_000);

afterAll(async () => {
  await demo?.stop();
  issuer?.close();
});

it("refuses the issuer's tokens, never calls the origin, and says the key URL redirects", async () => {
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({
    type: "app",
    iss: TEAM,
    aud: [AUD],
    iat: now,
    nbf: now,
    exp: now + 600,
    sub: "u-1",
    email: "alice@example.com",
  })
    .setProtectedHeader({ alg: "RS256", kid: KID })
    .sign(privateKey);
  const before = (await demo.originSaw()).length;
  const reply = await send(Number(gateway.url.port), `http://wiki.localhost:${gateway.url.port}/handbook`, {
    headers: { "cf-access-jwt-assertion": token },
  });
  expect(reply.status).toBe(401);
  expect(keysServed).toBe(0);
  const after = (await demo.originSaw()).length;
  expect(after).toBe(before);
  const keyUrl = `http://127.0.0.1:${issuerPort}/keys`;
  expect(logs.join("\n")).toContain(
    `ward dev: --access-jwks-url ${keyUrl} answered 302 (a redirect to /real-keys): the gateway's key fetch does not follow redirects`,
  );
});
