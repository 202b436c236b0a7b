// What the CLI says when the admin API answers: a gateway's own 404 on a host a service names (the admin API
// answers only on a host no service names, policy/admin-host.ts) is told as such, with what to change; an admin
// endpoint's own 404 (a missing grant, entry or version) is passed to the command as it came. A refusal says
// where the credentials failed: Access's edge, the gateway's token check, or the policy's admins.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminCall, type AdminTarget } from "../../scripts/admin-client.ts";

let server: Server;
let target: AdminTarget;

beforeAll(async () => {
  server = createServer((req, res) => {
    // /refused/STATUS: Access's redirect to its sign-in, or the gateway's 401 and 403.
    const refused = /\/refused\/(\d+)$/.exec(req.url ?? "");
    if (refused) {
      const status = Number(refused[1]);
      res.writeHead(
        status,
        status === 302 ? { location: "https://team.cloudflareaccess.com/cdn-cgi/access/login" } : {},
      );
      return void res.end();
    }
    res.writeHead(404, { "content-type": "application/json" });
    // The gateway's generic answer (worker/respond.ts), or an admin endpoint's own.
    res.end(req.url?.includes("/grants/") ? '{"error":"no such grant"}' : '{"error":"not found","requestId":"r-1"}\n');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  target = { base: new URL(`http://127.0.0.1:${port}`), headers: {}, describe: "staging at https://wiki.example.com" };
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("adminCall on a 404", () => {
  it("says the admin API is not on this host, and what to set", async () => {
    await expect(adminCall(target, "GET", "/policy")).rejects.toThrow(
      /staging at https:\/\/wiki\.example\.com has no admin API on this host: .* set WARD_URL \(or --url\) to such a host/,
    );
  });

  it("passes an endpoint's own 404 to the command", async () => {
    await expect(adminCall(target, "DELETE", "/grants/payments/exc-1")).resolves.toMatchObject({
      status: 404,
      body: { error: "no such grant" },
    });
  });
});

describe("adminCall on a refusal", () => {
  it("tells Access's redirect, the gateway's 401 and its 403 apart, each with what to check (from a review)", async () => {
    await expect(adminCall(target, "GET", "/refused/302")).rejects.toThrow(
      /redirected the request to a sign-in \(302\): .*CF_ACCESS_CLIENT_ID and CF_ACCESS_CLIENT_SECRET.*Service Auth/,
    );
    await expect(adminCall(target, "GET", "/refused/401")).rejects.toThrow(
      /no identity it accepts .*\(401\).*identity\.access\.audiences/,
    );
    await expect(adminCall(target, "GET", "/refused/403")).rejects.toThrow(
      /refused these credentials \(403\): the caller it identified is not in the policy's admin\.principals/,
    );
  });
});
