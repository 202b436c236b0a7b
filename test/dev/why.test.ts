// `ward why` on the gateway's own decision log: requests sent to the local gateway (workerd, real HTTP on
// 127.0.0.1), the console lines it wrote saved to a file as an operator would export them, and the CLI run in
// a child process with the request id the client was given.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { send } from "../support/http-request.ts";
import { startDemoGateway, type DemoGateway } from "../support/demo-gateway.ts";
import { wardProcess as ward } from "../support/ward-cli.ts";

const DEMO = "policy/examples/demo.yaml";
const dir = mkdtempSync(join(tmpdir(), "ward-why-"));
const lines: string[] = [];
let demo: DemoGateway;
let version: string;

/** Sends one request: the request id its response carries, its status and how many requests the origin got. */
async function requestId(url: string): Promise<{ id: string; status: number; reached: number }> {
  const before = (await demo.originSaw()).length;
  const reply = await send(demo.port, url.replace("PORT", String(demo.port)));
  const reached = (await demo.originSaw()).length - before;
  const id = reply.headers["ward-request-id"];
  if (typeof id !== "string") throw new Error(`no request id on ${url}`);
  // The console line reaches Node through workerd's output a moment after the response.
  for (let i = 0; i < 100 && !lines.some((line) => line.includes(id)); i++) await new Promise((r) => setTimeout(r, 20));
  return { id, status: reply.status, reached };
}

/** The gateway's console lines so far, in a file, as `wrangler tail` or a log export would give them. */
function savedLog(): string {
  const file = join(dir, `log-${lines.length}.jsonl`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

beforeAll(async () => {
  demo = await startDemoGateway({
    recorded: ["PAYMENTS_API", "ORDERS_API", "WIKI"],
    onLog: (line) => lines.push(line),
  });
  version = demo.policy.version;
}, 60_000);

afterAll(async () => {
  await demo?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("ward why", () => {
  it("an anonymous API call to a person's app: who, what, the answer, and to authenticate", async () => {
    const { id, status, reached } = await requestId("http://wiki.localhost:PORT/page");
    expect(status).toBe(401);
    expect(reached).toBe(0);
    const run = ward("why", id, savedLog(), "--policy", DEMO);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`request   ${id} at `);
    expect(run.stdout).toContain("caller    anonymous\n");
    expect(run.stdout).toContain("asked     GET wiki.localhost/page\n");
    expect(run.stdout).toContain(`answer    DENY 401  mode enforce  policy ${version.slice(0, 12)}\n`);
    expect(run.stdout).toContain("reasons   unauthenticated\n");
    expect(run.stdout).toContain("next step authenticate (Access login, service token or client certificate)\n");
    // The file given is the version that decided: no note about it.
    expect(run.stdout).not.toContain("note ");
  }, 30_000);

  it("a bad request: the problem, and what to send instead", async () => {
    const { id, status, reached } = await requestId("http://payments.localhost:PORT/healthz?_method=DELETE");
    expect(status).toBe(400);
    expect(reached).toBe(0);
    const run = ward("why", id, savedLog());
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("reasons   bad-request\nproblem   query-method-override\n");
    expect(run.stdout).toContain("next step send the real method, without a _method query parameter\n");
  }, 30_000);

  it("an allowed request: the rule that allowed it and no next step", async () => {
    const { id, status, reached } = await requestId("http://payments.localhost:PORT/healthz");
    expect(status).toBe(200);
    expect(reached).toBe(1);
    const run = ward("why", id, savedLog());
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("answer    ALLOW 200");
    expect(run.stdout).toMatch(/^decided by payments\/\S+$/m);
    expect(run.stdout).not.toContain("next step");
  }, 30_000);

  it("--json prints the logged decision itself", async () => {
    const { id } = await requestId("http://wiki.localhost:PORT/page");
    const run = ward("why", id, savedLog(), "--json");
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      event: "decision",
      requestId: id,
      status: 401,
      reasons: ["unauthenticated"],
      policyVersion: version,
    });
  }, 30_000);

  it("a request id the logs do not hold: exit 1, saying how many decisions were read", async () => {
    const file = savedLog();
    const run = ward("why", "00000000-0000-0000-0000-000000000000", file);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /^ward why: no decision with request id 00000000-0000-0000-0000-000000000000 in .* \(\d+ decisions read\)\n$/,
    );
    expect(run.stdout).toBe("");
  }, 30_000);

  it.each([
    ["no log", ["why", "abc"], "ward why: expected REQUEST_ID LOG..."],
    ["stdin twice", ["why", "abc", "-", "-"], "ward why: standard input (-) can be read once only"],
  ])(
    "usage error (%s): exit 2",
    (_name, args, message) => {
      const run = ward(...args);
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(message);
    },
    30_000,
  );
});
