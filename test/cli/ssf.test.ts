// `ward ssf` against a local mock transmitter on 127.0.0.1 (SSF 1.0's configuration and stream management API):
// the configuration read as the specification says (the well-known path inserted before the issuer's path, the
// issuer checked, no redirect followed), a push stream created to this Ward's receiver with the policy's events
// and checked (issuer, audience), a verification requested and found in the log, the stream's status, and the
// SETs the logs show delivered. Nothing leaves 127.0.0.1.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVENT_URIS } from "../../policy/index.ts";
import { CliError } from "../../scripts/cli-error.ts";
import { ssfCommand, type SsfDeps } from "../../scripts/commands/ssf.ts";
import { wardText } from "../support/ward-cli.ts";

const FIXTURE = resolve(import.meta.dirname, "../fixtures/ssf/transmitter-configuration.json");
const TOKEN = "mgmt-token-1";
const dir = mkdtempSync(join(tmpdir(), "ward-ssf-"));
const LOG = join(dir, "ward.log");

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  body?: any;
}
const seen: Seen[] = [];
let server: Server;
let base = "";
/** What `ward ssf verify` told this Ward (the mock's admin API). */
const wardTold: { transmitter: string; state: string }[] = [];
/** The mock's port, as `--local --port` names it. */
let port = "";
/** What the mock says the stream's audience is. */
let streamAudience = "https://ward.example.com/dev";

async function bodyOf(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of req) text += chunk;
  return text;
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const text = await bodyOf(req);
    const url = new URL(req.url ?? "/", base);
    seen.push({
      method: req.method ?? "",
      url: `${url.pathname}${url.search}`,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      ...(text ? { body: JSON.parse(text) } : {}),
    });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const authorized = req.headers.authorization === `Bearer ${TOKEN}`;
    const supported = [EVENT_URIS["session-revoked"], EVENT_URIS["account-disabled"], EVENT_URIS["credential-change"]];
    const admin = req.headers["cf-access-jwt-assertion"] === "local-admin-token";
    switch (`${req.method} ${url.pathname}`) {
      // The same server plays this Ward's local gateway (`--local --port`): its sign-in and admin API.
      case "GET /cdn-cgi/access/dev-token":
        res.writeHead(200);
        return res.end("local-admin-token");
      case "POST /.ward/admin/ssf/verification":
        if (!admin) return json(401, {});
        wardTold.push(JSON.parse(text));
        return json(200, { ok: true });
      case "GET /.ward/admin/ssf/status":
        if (!admin) return json(401, {});
        if (url.searchParams.get("transmitter") !== "idp") return json(404, { error: "no transmitter" });
        return json(200, {
          transmitter: "idp",
          verifiedAt: Date.parse("2026-12-01T10:00:00Z"),
          verificationRequestedAt: null,
          poll: {
            lastOkAt: null,
            failures: 2,
            lastError: "poll-status-401",
            nextAt: Date.parse("2026-12-01T11:00:00Z"),
          },
        });
      case "POST /.ward/admin/ssf/poll":
        if (!admin) return json(401, {});
        return json(200, { ok: true });
      case "GET /.well-known/ssf-configuration/tenant":
        return json(200, {
          spec_version: "1_0",
          issuer: `${base}/tenant`,
          jwks_uri: `${base}/jwks.json`,
          delivery_methods_supported: ["urn:ietf:rfc:8935"],
          configuration_endpoint: `${base}/ssf/stream`,
          status_endpoint: `${base}/ssf/status`,
          verification_endpoint: `${base}/ssf/verify`,
        });
      case "GET /.well-known/ssf-configuration/liar":
        return json(200, { issuer: `${base}/someone-else`, jwks_uri: `${base}/jwks.json` });
      case "GET /.well-known/ssf-configuration/moved":
        res.writeHead(302, { location: `${base}/.well-known/ssf-configuration/tenant` });
        return res.end();
      case "GET /.well-known/ssf-configuration/poll-tenant":
        return json(200, {
          issuer: `${base}/poll-tenant`,
          jwks_uri: `${base}/jwks.json`,
          delivery_methods_supported: ["urn:ietf:rfc:8936"],
          configuration_endpoint: `${base}/ssf/stream`,
          critical_subject_members: ["user", "tenant"],
        });
      // Values that would write further YAML into the entry an operator pastes.
      case "GET /.well-known/ssf-configuration/yaml-member":
        return json(200, {
          issuer: `${base}/yaml-member`,
          jwks_uri: `${base}/jwks.json`,
          critical_subject_members: ["user]\n  holdFor: 1s\n#"],
        });
      case "GET /.well-known/ssf-configuration/endless":
        // Past the CLI's bound, with no Content-Length to refuse it by: read until the bound, then given up.
        res.writeHead(200, { "content-type": "application/json" });
        res.write(`{"issuer":"${base}/endless","pad":"`);
        for (let i = 0; i < 20; i++) res.write("x".repeat(64 * 1024));
        return res.end('"}');
      case "GET /.well-known/ssf-configuration/yaml-url":
        return json(200, { issuer: `${base}/yaml-url`, jwks_uri: `${base}/jwks.json\n  holdFor: 1s` });
      case "GET /.well-known/ssf-configuration/poll-only":
        return json(200, { issuer: `${base}/poll-only`, delivery_methods_supported: ["urn:ietf:rfc:8936"] });
      case "POST /ssf/stream": {
        if (!authorized) return json(401, { error: "unauthorized" });
        const requested: string[] = JSON.parse(text).events_requested;
        const polled = JSON.parse(text).delivery.method === "urn:ietf:rfc:8936";
        return json(201, {
          stream_id: "f67e39a0a4d34d56b3aa1bc4cff0069f",
          iss: polled ? `${base}/poll-tenant` : `${base}/tenant`,
          aud: streamAudience,
          delivery: polled
            ? { ...JSON.parse(text).delivery, endpoint_url: `${base}/ssf/poll/f67e39a0` }
            : JSON.parse(text).delivery,
          events_supported: supported,
          events_requested: requested,
          events_delivered: requested.filter((e) => supported.includes(e)),
        });
      }
      case "GET /ssf/stream":
        return json(200, {
          stream_id: url.searchParams.get("stream_id"),
          iss: `${base}/tenant`,
          aud: streamAudience,
          delivery: { method: "urn:ietf:rfc:8935", endpoint_url: "https://ward.example.com/.ward/ssf/events/idp" },
          events_delivered: supported,
        });
      case "POST /ssf/verify": {
        if (!authorized) return json(401, {});
        // The transmitter pushes a verification SET to Ward, which logs it: here, the line Ward would write.
        const { state } = JSON.parse(text);
        appendFileSync(
          LOG,
          `${JSON.stringify({ level: "info", event: "ssf-event", time: new Date().toISOString(), requestId: crypto.randomUUID(), transmitter: "idp", status: 202, outcome: "stream", jti: "v-1", events: ["verification"], subject: "opaque", facts: [], changes: 0, state })}\n`,
        );
        res.writeHead(204);
        return res.end();
      }
      case "GET /ssf/status":
        if (!authorized) return json(401, {});
        return json(200, {
          stream_id: url.searchParams.get("stream_id"),
          status: "paused",
          reason: "SYSTEM_DOWN_FOR_MAINTENANCE",
        });
      default:
        return json(404, {});
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = String((server.address() as AddressInfo).port);
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

async function run(args: string[], env: Record<string, string> = { WARD_SSF_TOKEN: TOKEN }) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
  const deps: SsfDeps = {
    fetch: (input, init) => {
      const target = new URL(String(input instanceof Request ? input.url : input));
      if (target.hostname !== "127.0.0.1") throw new Error(`egress to ${target.origin} in a test`);
      return fetch(input, init);
    },
    env,
    readStdin: async () => "",
    sleep: async () => {},
  };
  try {
    const status = await ssfCommand(args, io, deps);
    return { status, out: out.join("\n"), err: err.join("\n") };
  } catch (error) {
    if (error instanceof CliError) return { status: error.exitCode, out: out.join("\n"), err: error.message };
    throw error;
  }
}

describe("ward ssf configuration", () => {
  it("reads an issuer's configuration from the well-known path before the issuer's path, and prints the policy entry", async () => {
    seen.length = 0;
    const r = await run(["configuration", `${base}/tenant`, "--name", "okta"]);
    expect(r.status).toBe(0);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(["GET /.well-known/ssf-configuration/tenant"]);
    expect(r.out).toContain(`transmitter ${base}/tenant`);
    expect(r.out).toContain("    okta:");
    expect(r.out).toContain(`      issuer: ${base}/tenant`);
    expect(r.out).toContain(`      jwksUri: ${base}/jwks.json`);
    expect(r.out).toMatch(/events: \[session-revoked, credential-change, .*credential-compromise\]/);
  });

  it("reads SSF 1.0's example configuration from a file, and warns of critical subject members Ward does not read", async () => {
    const r = await run(["configuration", FIXTURE]);
    expect(r.status).toBe(0);
    expect(r.out).toContain("transmitter https://tr.example.com");
    expect(r.out).toContain("key set        https://tr.example.com/jwks.json");
    expect(r.err).toContain("warning: critical subject members tenant");
  });

  it.each([
    ["an issuer that is not the one asked for (§7.2.4)", "liar", /names issuer ".*someone-else", not .*liar: not used/],
    ["a redirect, never followed", "moved", /redirects \(302\): not followed/],
    // The WHATWG URL parser drops the line break, which the entry would print: more YAML for the policy.
    ["a critical subject member that is no name", "yaml-member", /critical subject member .* is not a member name/],
    ["an answer larger than 1 MiB", "endless", /endless: an answer over 1048576 bytes/],
    ["a URL with a line break", "yaml-url", /jwks_uri ".*\\n {2}holdFor: 1s": not a URL/],
  ])("refuses %s", async (_name, path, message) => {
    seen.length = 0;
    const r = await run(["configuration", `${base}/${path}`]);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(message);
    expect(seen.filter((s) => s.url.endsWith("/tenant"))).toEqual([]);
  });

  it("warns when the transmitter offers no push delivery", async () => {
    const r = await run(["configuration", `${base}/poll-only`]);
    expect(r.err).toContain("push delivery (urn:ietf:rfc:8935) is not offered");
  });

  it("calls nothing but https (or this machine's loopback)", async () => {
    // The operator's own argument: a usage error (2), as any of theirs refused is.
    const r = await run(["configuration", "http://transmitter.example.com/"]);
    expect(r.status).toBe(2);
    expect(r.err).toContain("must be https");
  });
});

describe("ward ssf create", () => {
  const policy = join(dir, "policy.yaml");
  writeFileSync(
    policy,
    `version: 1
metadata: { environment: dev, owners: [security@example.com] }
identity:
  access:
    teamDomain: https://ward-demo.cloudflareaccess.com
    audiences: ["4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2"]
sharedSignals:
  audience: https://ward.example.com/dev
  transmitters:
    idp:
      issuer: https://idp.example.com/
      jwksUri: https://idp.example.com/jwks.json
      events: [session-revoked, account-disabled, account-enabled]
services:
  wiki:
    hosts: [wiki.example.com]
    origin: { tunnel: WIKI }
    owner: it@example.com
    routes:
      - { id: read, methods: [GET], pathPrefix: /, rules: [{ effect: allow, principals: [{ authenticated: true }] }] }
`,
  );

  it("creates a push stream to Ward's receiver with the policy's events, and checks the issuer and audience", async () => {
    seen.length = 0;
    streamAudience = "https://ward.example.com/dev";
    const r = await run(
      [
        "create",
        `${base}/tenant`,
        "--receiver",
        "https://ward.example.com",
        "--name",
        "idp",
        "--policy",
        policy,
        "--authorization-env",
        "PUSH_SECRET",
      ],
      { WARD_SSF_TOKEN: TOKEN, PUSH_SECRET: "Bearer push-secret" },
    );
    expect(r.err).toContain("warning: the transmitter will not deliver account-enabled");
    expect(r.status).toBe(0);
    const created = seen.find((s) => s.method === "POST")!;
    expect(created).toEqual({
      method: "POST",
      url: "/ssf/stream",
      authorization: `Bearer ${TOKEN}`,
      body: {
        delivery: {
          method: "urn:ietf:rfc:8935",
          endpoint_url: "https://ward.example.com/.ward/ssf/events/idp",
          authorization_header: "Bearer push-secret",
        },
        events_requested: [
          EVENT_URIS["session-revoked"],
          EVENT_URIS["account-disabled"],
          EVENT_URIS["account-enabled"],
        ],
        description: "Ward (idp)",
      },
    });
    expect(r.out).toContain("stream f67e39a0a4d34d56b3aa1bc4cff0069f created");
    expect(r.out).toContain("events         session-revoked, account-disabled");
  });

  it("fails when the stream's audience is not the policy's: Ward would refuse every SET", async () => {
    streamAudience = "https://receiver.example.com/web";
    const r = await run([
      "create",
      `${base}/tenant`,
      "--receiver",
      "https://ward.example.com",
      "--name",
      "idp",
      "--policy",
      policy,
    ]);
    streamAudience = "https://ward.example.com/dev";
    expect(r.status).toBe(1);
    expect(r.err).toContain("Ward would refuse its SETs");
  });

  it("needs the management token in the environment, never on the command line", async () => {
    const r = await run(["create", `${base}/tenant`, "--receiver", "https://ward.example.com", "--name", "idp"], {});
    expect(r.status).toBe(2);
    expect(r.err).toContain("set WARD_SSF_TOKEN");
  });

  it("--poll creates a polled stream and prints the endpoint the policy's poll names", async () => {
    seen.length = 0;
    const r = await run([
      "create",
      `${base}/poll-tenant`,
      "--receiver",
      "https://ward.example.com",
      "--name",
      "idp",
      "--poll",
    ]);
    expect(r.status).toBe(0);
    expect(seen.find((s) => s.method === "POST")!.body.delivery).toEqual({ method: "urn:ietf:rfc:8936" });
    expect(r.out).toContain(`polled at      ${base}/ssf/poll/f67e39a0`);
  });

  it("the policy entry of a poll-only transmitter has its poll and its critical subject members", async () => {
    const r = await run(["configuration", `${base}/poll-tenant`, "--name", "idp"]);
    expect(r.status).toBe(0);
    expect(r.out).toContain("criticalSubjectMembers: [user, tenant]");
    expect(r.out).toContain("poll:");
    expect(r.out).toContain("authorization: SSF_IDP_POLL");
    expect(r.err).toContain("a SET whose subject carries one of these is refused");
  });

  it("refuses to create a stream with a transmitter that offers no push", async () => {
    const r = await run(["create", `${base}/poll-only`, "--receiver", "https://ward.example.com", "--name", "idp"]);
    expect(r.status).toBe(1);
    expect(r.err).toContain("does not offer push delivery");
  });
});

describe("ward ssf verify and status", () => {
  const ward = ["--name", "idp", "--local", "--port"];

  it("tells Ward the state, requests a verification event with it, and finds Ward's log line with its state", async () => {
    seen.length = 0;
    wardTold.length = 0;
    writeFileSync(LOG, "");
    const r = await run([
      "verify",
      `${base}/tenant`,
      "--stream",
      "f67e39a0a4d34d56b3aa1bc4cff0069f",
      "--log",
      LOG,
      ...ward,
      port,
    ]);
    expect(r.status).toBe(0);
    const request = seen.find((s) => s.url === "/ssf/verify")!;
    expect(request.body.stream_id).toBe("f67e39a0a4d34d56b3aa1bc4cff0069f");
    expect(request.body.state).toMatch(/^[A-Za-z0-9_-]{24}$/);
    // Ward was told first: the transmitter may send the event at once.
    expect(wardTold).toEqual([{ transmitter: "idp", state: request.body.state }]);
    expect(seen.findIndex((s) => s.url === "/.ward/admin/ssf/verification")).toBeLessThan(seen.indexOf(request));
    expect(r.out).toContain(`state ${request.body.state}`);
    expect(r.out).toContain("verified: Ward received and accepted");
  });

  it("without a log, says how to look for it", async () => {
    const r = await run(["verify", `${base}/tenant`, "--stream", "s-1", ...ward, port]);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/when Ward has logged it: npm run ward -- ssf delivered LOG --state [A-Za-z0-9_-]{24}/);
  });

  it("without this Ward named, requests nothing: Ward would refuse a state it was not told", async () => {
    seen.length = 0;
    const r = await run(["verify", `${base}/tenant`, "--stream", "s-1", "--name", "idp"]);
    expect(r.status).toBe(2);
    expect(r.err).toContain("name this Ward");
    expect(seen.filter((s) => s.url === "/ssf/verify")).toEqual([]);
  });

  it("with this Ward named, shows when it last verified the stream and how polling goes", async () => {
    const r = await run(["status", `${base}/tenant`, "--stream", "f67e39a0a4d34d56b3aa1bc4cff0069f", ...ward, port]);
    expect(r.out).toContain("verified       2026-12-01T10:00:00.000Z");
    expect(r.out).toContain("2 failures (poll-status-401)");
  });

  it("ward ssf poll starts a polled transmitter's poller", async () => {
    const r = await run(["poll", "idp", "--local", "--port", port]);
    expect(r.status).toBe(0);
    expect(seen.some((s) => s.method === "POST" && s.url === "/.ward/admin/ssf/poll?transmitter=idp")).toBe(true);
  });

  it("shows the stream's status and configuration; exit 1 when it is not enabled", async () => {
    const r = await run(["status", `${base}/tenant`, "--stream", "f67e39a0a4d34d56b3aa1bc4cff0069f"]);
    expect(r.out).toContain("f67e39a0a4d34d56b3aa1bc4cff0069f at");
    expect(r.out).toContain("paused (SYSTEM_DOWN_FOR_MAINTENANCE)");
    expect(r.out).toContain("pushes to      https://ward.example.com/.ward/ssf/events/idp");
    expect(r.status).toBe(1);
  });
});

describe("ward ssf delivered", () => {
  const log = join(dir, "delivered.jsonl");
  const line = (over: Record<string, unknown>) =>
    JSON.stringify({
      level: "info",
      event: "ssf-event",
      requestId: crypto.randomUUID(),
      transmitter: "idp",
      status: 202,
      ...over,
    });
  writeFileSync(
    log,
    [
      line({
        time: "2026-12-01T10:00:00.000Z",
        outcome: "applied",
        jti: "j1",
        events: ["session-revoked"],
        facts: ["email:ann@example.com"],
      }),
      // Workers Logs wraps a line in `source` (and repeats it in `message`).
      JSON.stringify({
        source: JSON.parse(
          line({
            time: "2026-12-01T10:01:00.000Z",
            outcome: "refused",
            err: "invalid_audience",
            problem: "aud",
            requestId: "r-2",
          }),
        ),
        message: line({
          time: "2026-12-01T10:01:00.000Z",
          outcome: "refused",
          err: "invalid_audience",
          problem: "aud",
          requestId: "r-2",
        }),
      }),
      line({
        time: "2026-12-01T10:02:00.000Z",
        transmitter: "narrow",
        outcome: "applied",
        events: ["session-revoked"],
      }),
      '{"level":"info","event":"decision","requestId":"x"}',
      "not json",
    ].join("\n"),
  );

  it("lists the SETs in the logs, each once, with counts by event and outcome", async () => {
    const r = await run(["delivered", log]);
    expect(r.status).toBe(0);
    expect(r.out.split("\n")).toEqual([
      "2026-12-01T10:00:00.000Z  idp  session-revoked  applied  email:ann@example.com  jti=j1",
      "2026-12-01T10:01:00.000Z  idp  ?  refused invalid_audience (aud)",
      "2026-12-01T10:02:00.000Z  narrow  session-revoked  applied",
      "3 SETs",
      "by event: session-revoked 2, (unreadable) 1",
      "by outcome: applied 2, refused 1",
    ]);
  });

  it("filters by transmitter and time; exit 1 when nothing was delivered", async () => {
    expect((await run(["delivered", log, "--transmitter", "narrow"])).out).toContain("1 SETs");
    expect((await run(["delivered", log, "--since", "2026-12-01T10:01:30Z"])).out).toContain("1 SETs");
    expect((await run(["delivered", log, "--transmitter", "nobody"])).status).toBe(1);
  });
});

describe("ward ssf in the CLI", () => {
  it("is listed in the help, with its usage", async () => {
    const help = await wardText("help");
    expect(help.status).toBe(0);
    expect(help.out).toContain("ward ssf configuration ISSUER|URL|FILE");
  });

  it("an unknown subcommand: exit 2 with the usage", async () => {
    const r = await run(["subscribe"]);
    expect(r.status).toBe(2);
    expect(r.err).toContain("unknown subcommand subscribe");
  });
});
