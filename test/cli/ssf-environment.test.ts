// --env names the environment an ssf command acts on, as for every admin command: with WARD_URL left pointing at
// staging, `ward ssf poll idp --env production` must change nothing there ("serves environment ..., not ...").
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wardLines } from "../support/ward-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "ward-ssf-env-"));
let server: Server;
let url = "";
const calls: string[] = [];
/** What the stand-in gateway says it serves (its WARD_ENV; null when unset). */
let served: string | null = "staging";
const saved = { ...process.env };

/** Node's warning about NODE_TLS_REJECT_UNAUTHORIZED, expected here (a self-signed test server): kept out of the output. */
const warningListeners = process.listeners("warning");
const quietTls = (warning: Error) => {
  if (!warning.message.includes("NODE_TLS_REJECT_UNAUTHORIZED"))
    for (const listener of warningListeners) listener(warning);
};

beforeAll(async () => {
  // A self-signed certificate for 127.0.0.1: a deployed gateway is reached over https only.
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ],
    { stdio: "ignore" },
  );
  // The staging gateway (WARD_ENV=staging): its admin API, answering the operators' service token.
  server = createServer(
    { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) },
    (req, res) => {
      const path = new URL(req.url ?? "/", "https://127.0.0.1").pathname;
      calls.push(`${req.method} ${path}`);
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (req.headers["cf-access-client-id"] !== "ops.access") return json(401, {});
      if (path === "/.ward/admin/policy")
        return json(200, { environment: served, active: "a".repeat(64), shadow: null, history: [] });
      if (path === "/.ward/admin/ssf/poll") return json(200, { ok: true });
      if (path === "/.ward/admin/grants") return json(200, { grants: [] });
      return json(404, { error: "no such admin endpoint" });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  Object.assign(process.env, {
    WARD_URL: url,
    CF_ACCESS_CLIENT_ID: "ops.access",
    CF_ACCESS_CLIENT_SECRET: "s3cret",
    NODE_TLS_REJECT_UNAUTHORIZED: "0",
  });
  process.removeAllListeners("warning");
  process.on("warning", quietTls);
});

afterAll(() => {
  process.off("warning", quietTls);
  for (const listener of warningListeners) process.on("warning", listener);
  for (const key of ["WARD_URL", "CF_ACCESS_CLIENT_ID", "CF_ACCESS_CLIENT_SECRET", "NODE_TLS_REJECT_UNAUTHORIZED"])
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("--env names the environment an ssf command acts on", () => {
  it("ward exceptions list --env production refuses the staging gateway (the rule every admin command keeps)", async () => {
    calls.length = 0;
    const run = await wardLines("exceptions", "list", "--env", "production");
    expect(run.status).toBe(1);
    expect(run.err.join("\n")).toMatch(/serves environment "staging", not "production": nothing done/);
    expect(calls).toEqual(["GET /.ward/admin/policy"]);
  });

  it("ward ssf poll idp --env production refuses the staging gateway and starts nothing", async () => {
    calls.length = 0;
    const run = await wardLines("ssf", "poll", "idp", "--env", "production");
    expect(calls, run.output).toEqual(["GET /.ward/admin/policy"]);
    expect(run.status, run.output).toBe(1);
    expect(run.err.join("\n")).toMatch(/serves environment "staging", not "production": nothing done/);
    // Named right, it polls.
    calls.length = 0;
    expect((await wardLines("ssf", "poll", "idp", "--env", "staging")).status).toBe(0);
    expect(calls).toEqual(["GET /.ward/admin/policy", "POST /.ward/admin/ssf/poll"]);
  });

  it('says a gateway without WARD_ENV names no environment, rather than "null"', async () => {
    served = null;
    try {
      const run = await wardLines("ssf", "poll", "idp", "--env", "production");
      expect(run.status).toBe(1);
      expect(run.err.join("\n")).toMatch(
        /names no environment \(its WARD_ENV is not set; ward doctor says how\), not "production": nothing done/,
      );
    } finally {
      served = "staging";
    }
  });
});
