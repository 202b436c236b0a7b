// `ward ssf` against a transmitter that lies or misbehaves, one case per way, run through scripts/ward.ts's main
// as an operator sees it: the issuer a configuration URL was made from held to, a broken-off answer a failed
// call (exit 1, the URL named, no stack trace), the transmitter's line breaks printed rather than obeyed, a
// stream id no shell or query reads more into, its malformed URLs a failure (1) not a usage error (2), and
// no policy entry printed that `ward validate` would refuse. Nothing leaves 127.0.0.1.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { wardLines } from "../support/ward-cli.ts";

const FORGED = "FORGED-LINE";
const PUSH = "urn:ietf:rfc:8935";
const dir = mkdtempSync(join(tmpdir(), "ward-ssf-hostile-"));
let server: Server;
let base = "";
/** What the mock answers, by "METHOD /path". */
const routes = new Map<string, (res: ServerResponse, req: IncomingMessage) => void>();
/** The paths the CLI asked for. */
const asked: string[] = [];

const json = (status: number, body: unknown) => (res: ServerResponse) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

/** A transmitter at `${base}/NAME` whose configuration is the usual one with `changes`. */
function transmitter(name: string, changes: Record<string, unknown> = {}): string {
  routes.set(
    `GET /.well-known/ssf-configuration/${name}`,
    json(200, {
      spec_version: "1_0",
      issuer: `${base}/${name}`,
      jwks_uri: `${base}/${name}/jwks.json`,
      delivery_methods_supported: [PUSH],
      configuration_endpoint: `${base}/${name}/stream`,
      status_endpoint: `${base}/${name}/status`,
      verification_endpoint: `${base}/${name}/verify`,
      ...changes,
    }),
  );
  return `${base}/${name}`;
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    for await (const _ of req);
    const path = new URL(req.url ?? "/", base).pathname;
    asked.push(path);
    if (path === "/cdn-cgi/access/dev-token") {
      res.writeHead(200);
      return res.end("local-admin-token");
    }
    if (path === "/.ward/admin/ssf/verification") return json(200, { ok: true })(res);
    const route = routes.get(`${req.method} ${path}`);
    if (!route) return json(404, {})(res);
    route(res, req);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  vi.stubEnv("WARD_SSF_TOKEN", "mgmt-token-1");
});

afterAll(async () => {
  vi.unstubAllEnvs();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  asked.length = 0;
});

/** `ward ssf ARGS`; `lines`: every line printed, as a terminal shows them. */
async function ssf(...args: string[]) {
  const r = await wardLines("ssf", ...args);
  return { status: r.status, out: r.out.join("\n"), err: r.err.join("\n"), lines: r.output.split("\n") };
}

const forged = (lines: string[]) => lines.filter((l) => l.trimStart().startsWith(FORGED));

describe("asked by its configuration URL", () => {
  it("takes the issuer that URL was made from, and the document must name exactly it", async () => {
    transmitter("tenant");
    const ok = await ssf("configuration", `${base}/.well-known/ssf-configuration/tenant`);
    expect(ok.status).toBe(0);
    expect(ok.out).toContain(`      issuer: ${base}/tenant`);
    for (const issuer of [`${base}/tenant-else`, `${base}/tenant/`, `${base}/tenant#x`, "https://idp.example.com/"]) {
      transmitter("liar", { issuer });
      const r = await ssf("configuration", `${base}/.well-known/ssf-configuration/liar`);
      expect([r.status, r.err], issuer).toEqual([
        1,
        expect.stringContaining(`, not the issuer ${base}/.well-known/ssf-configuration/liar is made from: not used`),
      ]);
      expect(r.out, issuer).not.toContain("issuer:");
    }
  });

  it("refuses a URL no issuer gives, asking nothing", async () => {
    transmitter("tenant");
    for (const url of [
      `${base}/x/.well-known/ssf-configuration/tenant`,
      `${base}/.well-known/openid-configuration/tenant`,
      `${base}/.well-known/ssf-configurationtenant`,
      `${base}/.well-known/ssf-configuration/tenant?x=1`,
    ]) {
      const r = await ssf("configuration", url);
      expect([r.status, r.err], url).toEqual([2, expect.stringContaining("not an issuer's configuration URL")]);
    }
    expect(asked).toEqual([]);
  });
});

describe("an answer that breaks off", () => {
  it("is a failed call naming the URL (exit 1), not a crash", async () => {
    routes.set("GET /.well-known/ssf-configuration/cut", (res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"issuer":');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const r = await ssf("configuration", `${base}/cut`);
    expect([r.status, r.err]).toEqual([
      1,
      expect.stringContaining("/.well-known/ssf-configuration/cut: the answer broke off"),
    ]);
  });
});

describe("the transmitter's line breaks", () => {
  it("are printed, never obeyed, in what ward ssf configuration shows", async () => {
    const url = transmitter("nl-config", {
      spec_version: `1_0\n${FORGED}`,
      delivery_methods_supported: [PUSH, `urn:odd\n${FORGED}`],
    });
    const r = await ssf("configuration", url);
    expect(r.status).toBe(0);
    expect(forged(r.lines)).toEqual([]);
    expect(r.out).toContain(`spec version   1_0\\u000a${FORGED}`);
    transmitter("nl-issuer", { issuer: `${base}/nl-issuer\n${FORGED}` });
    const liar = await ssf("configuration", `${base}/nl-issuer`);
    expect(liar.status).toBe(1);
    expect(forged(liar.lines)).toEqual([]);
  });

  it("are printed, never obeyed, in a stream's status and configuration", async () => {
    const url = transmitter("nl-status");
    routes.set("GET /nl-status/status", json(200, { status: "paused", reason: `a\n${FORGED}` }));
    routes.set(
      "GET /nl-status/stream",
      json(200, { aud: `x\n${FORGED}`, delivery: { method: PUSH, endpoint_url: `https://x/\n${FORGED}` } }),
    );
    const r = await ssf("status", url, "--stream", "s-1");
    expect(r.status).toBe(1);
    expect(forged(r.lines)).toEqual([]);
    expect(r.out).toContain(`(a\\u000a${FORGED})`);
    expect(r.out).toContain(`pushes to      https://x/\\u000a${FORGED}`);
  });

  it("are printed, never obeyed, in the bodies of refused calls", async () => {
    const url = transmitter("nl-refused");
    const oops = (res: ServerResponse) => {
      res.writeHead(400);
      res.end(`oops\n${FORGED}`);
    };
    routes.set("GET /nl-refused/status", oops);
    routes.set("POST /nl-refused/stream", oops);
    routes.set("POST /nl-refused/verify", oops);
    const port = new URL(base).port;
    for (const args of [
      ["status", url, "--stream", "s-1"],
      ["create", url, "--receiver", "https://ward.example.com", "--name", "idp"],
      ["verify", url, "--stream", "s-1", "--name", "idp", "--local", "--port", port],
    ]) {
      const r = await ssf(...args);
      expect([r.status, forged(r.lines)], args[0]).toEqual([1, []]);
      expect(r.err, args[0]).toContain(`400 oops\\u000a${FORGED}`);
    }
  });

  it("are printed, never obeyed, in the issuer a created stream names", async () => {
    const url = transmitter("nl-iss");
    routes.set("POST /nl-iss/stream", json(201, { stream_id: "s-1", iss: `${url}\n${FORGED}` }));
    const r = await ssf("create", url, "--receiver", "https://ward.example.com", "--name", "idp");
    expect(r.status).toBe(1);
    expect(forged(r.lines)).toEqual([]);
  });
});

describe("stream ids", () => {
  it("a created stream's id outside RFC 3986's unreserved characters is refused, never printed in a command", async () => {
    const url = transmitter("odd-id");
    for (const id of ["$(touch /tmp/ward-pwned)", "a b --name other", "../../x", "`id`", "x".repeat(257)]) {
      routes.set("POST /odd-id/stream", json(201, { stream_id: id, iss: url, aud: "https://ward.example.com/dev" }));
      const r = await ssf("create", url, "--receiver", "https://ward.example.com", "--name", "idp");
      expect([r.status, r.err], id).toEqual([1, expect.stringContaining("delete that stream at the transmitter")]);
      expect(
        r.lines.filter((l) => l.startsWith("next:")),
        id,
      ).toEqual([]);
    }
    routes.set(
      "POST /odd-id/stream",
      json(201, { stream_id: "Ab-9._~", iss: url, aud: "https://ward.example.com/dev" }),
    );
    const ok = await ssf("create", url, "--receiver", "https://ward.example.com", "--name", "idp");
    // Quoted, `--stream=` (an id may start with `-` or `~`), and with what verify needs besides.
    expect(ok.out).toContain(`next: npm run ward -- ssf verify ${url} --stream='Ab-9._~' --name idp --env ENV`);
    for (const [id, written] of [
      ["~root", "'~root'"],
      ["-h", "-h"],
    ]) {
      routes.set("POST /odd-id/stream", json(201, { stream_id: id, iss: url, aud: "https://ward.example.com/dev" }));
      const r = await ssf("create", url, "--receiver", "https://ward.example.com", "--name", "idp", "--env", "staging");
      expect(r.out, id).toContain(`--stream=${written} --name idp --env staging`);
    }
  });

  it("--stream outside those characters is a usage error, and nothing is asked", async () => {
    const url = transmitter("flag-id");
    for (const command of ["status", "verify"]) {
      asked.length = 0;
      const r = await ssf(command, url, "--stream", "a&b=c", "--name", "idp", "--local");
      expect([r.status, r.err], command).toEqual([2, expect.stringContaining('--stream "a&b=c"')]);
      expect(asked, command).toEqual([]);
    }
  });
});

describe("malformed URLs", () => {
  it("in the transmitter's document: a refusal (exit 1), not a usage error", async () => {
    for (const [member, value] of [
      ["status_endpoint", "//idp.example.com/keys"],
      ["verification_endpoint", "/relative/keys"],
      ["jwks_uri", "not a url"],
    ] as const) {
      const url = transmitter("bad-url", { [member]: value });
      const r = await ssf("configuration", url);
      expect([r.status, r.err], member).toEqual([1, expect.stringContaining(member)]);
    }
  });

  it("in the operator's own arguments: a usage error (exit 2)", async () => {
    expect((await ssf("configuration", "https://")).status).toBe(2);
    const url = transmitter("tenant");
    const r = await ssf("create", url, "--receiver", "ward.example.com", "--name", "idp");
    expect([r.status, r.err]).toEqual([2, expect.stringContaining("--receiver ward.example.com: not a URL")]);
  });
});

describe("critical subject members", () => {
  const members = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);

  it("more than a policy entry holds (16): refused rather than printed into an entry ward validate refuses", async () => {
    const url = transmitter("many", { critical_subject_members: members(17) });
    const r = await ssf("configuration", url);
    expect([r.status, r.err]).toEqual([1, expect.stringContaining("17 critical subject members, more than the 16")]);
    expect(r.out).not.toContain("criticalSubjectMembers");
  });

  it("16: printed, in an entry ward validate takes", async () => {
    const url = transmitter("sixteen", { critical_subject_members: members(16) });
    const r = await ssf("configuration", url);
    expect(r.status).toBe(0);
    const entry = r.out
      .slice(r.out.indexOf("sharedSignals:"))
      .replaceAll(base, "https://idp.example.com")
      .replace("/production", "/dev");
    const file = join(dir, "policy.yaml");
    writeFileSync(
      file,
      `version: 1
metadata: { environment: dev, owners: [security@example.com] }
identity:
  access:
    teamDomain: https://ward-demo.cloudflareaccess.com
    audiences: ["4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2"]
${entry}
services: {}
`,
    );
    const v = await wardLines("validate", file);
    expect([v.status, v.err]).toEqual([0, []]);
  });
});

describe("from a closing review", () => {
  it("a configuration URL serves an issuer with or without its trailing slash, and RISC's well-known name", async () => {
    routes.set(
      "GET /.well-known/ssf-configuration/tenant",
      json(200, {
        spec_version: "1_0",
        issuer: `${base}/tenant/`,
        jwks_uri: `${base}/k.json`,
        delivery_methods_supported: [PUSH],
      }),
    );
    expect((await ssf("configuration", `${base}/.well-known/ssf-configuration/tenant`)).status).toBe(0);
    routes.set(
      "GET /.well-known/risc-configuration",
      json(200, {
        spec_version: "1_0",
        issuer: `${base}/`,
        jwks_uri: `${base}/k.json`,
        delivery_methods_supported: [PUSH],
      }),
    );
    expect((await ssf("configuration", `${base}/.well-known/risc-configuration`)).status).toBe(0);
    // Another issuer is still refused.
    routes.set(
      "GET /.well-known/ssf-configuration/other",
      json(200, {
        spec_version: "1_0",
        issuer: `${base}/else`,
        jwks_uri: `${base}/k.json`,
        delivery_methods_supported: [PUSH],
      }),
    );
    expect((await ssf("configuration", `${base}/.well-known/ssf-configuration/other`)).status).toBe(1);
  });

  it("a value that is no string (an object whose toString is no function) is quoted, not a crash", async () => {
    const url = transmitter("obj");
    routes.set("GET /obj/status", json(200, { status: { toString: 1 }, reason: ["x"] }));
    const r = await ssf("status", url, "--stream", "s-1");
    expect(r.status).toBe(1);
    expect(r.out).toContain('{"toString":1}');
  });

  it("the operator's own URLs refused for any reason are usage errors (2)", async () => {
    const url = transmitter("own");
    for (const receiver of ["http://ward.example.com", "https://u:p@ward.example.com", "https://ward .example.com"]) {
      const r = await ssf("create", url, "--receiver", receiver, "--name", "idp");
      expect(r.status, receiver).toBe(2);
    }
  });

  it("verify reads --wait before asking Ward or the transmitter anything", async () => {
    const url = transmitter("wait");
    const r = await ssf(
      "verify",
      url,
      "--stream",
      "s-1",
      "--name",
      "idp",
      "--local",
      "--log",
      "/nonexistent",
      "--wait",
      "soon",
    );
    expect([r.status, r.err]).toEqual([2, expect.stringContaining("--wait soon")]);
    expect(asked).toEqual([]);
  });
});
