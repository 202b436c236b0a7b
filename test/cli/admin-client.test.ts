// What the CLI says when the admin API answers: a gateway's own 404 on a host a service names (the admin API
// answers only on a host no service names, policy/admin-host.ts) is told as such, with what to change; an admin
// endpoint's own 404 (a missing grant, entry or version) is passed to the command as it came. A refusal says
// where the credentials failed: Access's edge, the gateway's token check, or the policy's admins.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  adminCall,
  policyChangeFailed,
  resolveTarget,
  unconfirmedChange,
  type AdminTarget,
} from "../../scripts/admin-client.ts";
import { CliError, EXIT } from "../../scripts/cli-error.ts";

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
    // /failed/STATUS: an admitted call that failed (worker/admin/store-fault.ts), or the gateway's generic 503.
    const failed = /\/failed\/(\d+)(\/generic)?$/.exec(req.url ?? "");
    if (failed) {
      res.writeHead(Number(failed[1]), { "content-type": "application/json" });
      return void res.end(
        failed[2]
          ? '{"error":"service unavailable","requestId":"r-2"}\n'
          : '{"error":"a store Ward keeps its state in (a Durable Object) did not answer; whether the change was made is not known: list or show it before trying again (request r-3 in the gateway\'s log)","changed":"unknown","requestId":"r-3"}',
      );
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

describe("adminCall on a failure", () => {
  it("passes on what the admin API says of a call that failed, and keeps its own words for the generic 503", async () => {
    await expect(adminCall(target, "POST", "/failed/503")).rejects.toThrow(
      "staging at https://wiki.example.com answered 503: a store Ward keeps its state in (a Durable Object) did not answer; whether the change was made is not known",
    );
    await expect(adminCall(target, "POST", "/failed/500")).rejects.toThrow(/answered 500: .*request r-3/);
    await expect(adminCall(target, "GET", "/failed/503/generic")).rejects.toThrow(
      /answered 503: a push, promotion or rollback in the last two minutes has not reached this location yet/,
    );
  });
});

describe("a push, rollback or promotion not made", () => {
  it("is refused on a 4xx, and not known on a 5xx that is not Ward's own (an error page of the edge: from a review)", () => {
    expect(
      policyChangeFailed(target, { status: 422, body: { error: "invalid policy" }, text: "" }, "push").message,
    ).toBe("staging at https://wiki.example.com refused the push (422): invalid policy");
    expect(
      policyChangeFailed(target, { status: 502, body: undefined, text: "<html>Bad gateway</html>" }, "rollback")
        .message,
    ).toBe(
      "staging at https://wiki.example.com answered 502 to the rollback: <html>Bad gateway</html>; whether it was made is not known: look at ward history before trying again",
    );
  });
});

describe("a change the admin API did not confirm", () => {
  it("says nothing changed on a refusal, and not known on a failure (a generic 500 may follow a stored change)", () => {
    expect(unconfirmedChange(target, { status: 422, body: { error: "until is in the past" }, text: "" }).message).toBe(
      "staging at https://wiki.example.com refused (422): until is in the past; nothing changed",
    );
    expect(
      unconfirmedChange(target, { status: 500, body: { error: "internal error", requestId: "r-9" }, text: "" }).message,
    ).toBe(
      "staging at https://wiki.example.com answered 500: internal error; whether the change was made is not known: list it before trying again",
    );
  });

  it("says nothing changed once when the gateway's refusal says it (409: already ended)", () => {
    const error = "exc-54417dca is already revoked: nothing changed";
    expect(unconfirmedChange(target, { status: 409, body: { error }, text: "" }).message).toBe(
      "staging at https://wiki.example.com refused (409): exc-54417dca is already revoked: nothing changed",
    );
  });
});

describe("a deployed environment's settings missing", () => {
  /** The exit status and message resolveTarget stops with for `--env staging` in this environment. */
  async function refusal(env: NodeJS.ProcessEnv): Promise<{ exitCode: number; message: string }> {
    const error = await resolveTarget({ env: "staging", local: false }, env).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof CliError)) throw new Error(`expected a CliError, got ${String(error)}`);
    return { exitCode: error.exitCode, message: error.message };
  }
  const url = { WARD_URL: "https://ward.staging.example.com" };

  it("stops with the same exit status (2) for each one, naming it, before anything is sent (from a review)", async () => {
    expect(await refusal({})).toEqual({ exitCode: EXIT.usage, message: expect.stringContaining("set WARD_URL") });
    for (const env of [
      url,
      { ...url, CF_ACCESS_CLIENT_ID: "3f9a.access" },
      { ...url, CF_ACCESS_CLIENT_SECRET: "s3cret" },
      { ...url, CF_ACCESS_CLIENT_ID: "", CF_ACCESS_CLIENT_SECRET: "s3cret" },
    ]) {
      expect(await refusal(env)).toEqual({
        exitCode: EXIT.usage,
        message: expect.stringContaining("set CF_ACCESS_CLIENT_ID and CF_ACCESS_CLIENT_SECRET"),
      });
    }
  });
});
