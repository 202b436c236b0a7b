// Hostile requests over real HTTP to the local gateway `ward dev` runs (raw sockets: targets and framing no
// client library sends). What the gateway is handed here is what Miniflare's entry hands it: the URL re-parsed
// with the WHATWG parser, so dot segments and backslashes are resolved before Ward sees them (bare workerd and
// an edge without URL normalisation hand them over raw: test/worker/adversarial/paths.yaml, raw cases).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDemoGateway, type DemoGateway } from "../support/demo-gateway.ts";
import { sendRaw, type Reply } from "../support/http-request.ts";

const SMUGGLED = "GET /admin HTTP/1.1\r\nHost: orders.localhost\r\n\r\n";
let demo: DemoGateway;
const lines: string[] = [];

beforeAll(async () => {
  demo = await startDemoGateway({
    recorded: ["PAYMENTS_API", "ORDERS_API", "WIKI"],
    onLog: (line) => lines.push(line),
  });
}, 60_000);

afterAll(async () => {
  await demo?.stop();
});

/** The request, what reached the origin meanwhile, and the decision lines logged for its request id. */
async function ask(
  head: string,
  body = "",
): Promise<{ reply: Reply; reached: string[]; logged: Record<string, unknown>[] }> {
  const before = (await demo.originSaw()).length;
  const reply = await sendRaw(demo.port, `${head}\r\nConnection: close\r\n\r\n${body}`);
  const reached = (await demo.originSaw()).slice(before).map((r) => r.url);
  const id = reply.headers["ward-request-id"];
  await new Promise((r) => setTimeout(r, 50)); // the log lines come through workerd's stdout
  const logged = lines
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.event === "decision" && l.requestId === id);
  return { reply, reached, logged };
}

describe("paths, as ward dev hands them to the gateway", () => {
  it.each([
    ["/v1/../healthz", "a dot-dot segment"],
    ["/x/%2e%2e/healthz", "an encoded dot-dot"],
    ["/x\\..\\healthz", "a backslash traversal"],
    ["/./healthz", "a dot segment"],
  ])("%s (%s) arrives resolved: matched and forwarded as /healthz", async (path) => {
    const { reply, reached } = await ask(`GET ${path} HTTP/1.1\r\nHost: payments.localhost`);
    expect(reply.status).toBe(200);
    expect(reached).toEqual(["/healthz"]);
  });

  it.each([
    ["//healthz", "path-empty-segment"],
    ["/healthz;x", "path-parameter"],
    ["/v1%2fcharge", "path-encoded-separator"],
    ["/healthz%00", "path-control-character"],
  ])("%s is still ambiguous after the URL parser: 400 %s, logged, never forwarded", async (path, problem) => {
    const { reply, reached, logged } = await ask(`GET ${path} HTTP/1.1\r\nHost: payments.localhost`);
    expect(reply.status).toBe(400);
    expect(reached).toEqual([]);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ status: 400, reasons: ["bad-request"], problem });
  });
});

describe("a GET or HEAD with a body", () => {
  it.each([
    ["a Content-Length", "Content-Length: 5", "hello"],
    ["Content-Length: 0", "Content-Length: 0", ""],
    ["chunked", "Transfer-Encoding: chunked", "5\r\nhello\r\n0\r\n\r\n"],
    ["a smuggled request as the body", `Content-Length: ${SMUGGLED.length}`, SMUGGLED],
  ])(
    "GET with %s: 400 with the generic body, logged as body-not-allowed, the origin never called",
    async (_name, framing, body) => {
      const { reply, reached, logged } = await ask(
        `GET /healthz HTTP/1.1\r\nHost: payments.localhost\r\n${framing}`,
        body,
      );
      expect(reply.status).toBe(400);
      expect(JSON.parse(reply.body)).toEqual({ error: "bad request", requestId: reply.headers["ward-request-id"] });
      expect(reached).toEqual([]);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({
        status: 400,
        reasons: ["body-not-allowed"],
        method: "GET",
        service: "payments",
      });
    },
  );

  it("HEAD with a Content-Length: 400, logged, the origin never called", async () => {
    const { reply, reached, logged } = await ask(
      "HEAD /healthz HTTP/1.1\r\nHost: payments.localhost\r\nContent-Length: 5",
      "hello",
    );
    expect(reply.status).toBe(400);
    expect(reached).toEqual([]);
    expect(logged).toMatchObject([{ status: 400, reasons: ["body-not-allowed"], method: "HEAD" }]);
  });

  it("the same GET without a body is forwarded (the refusal is the body's)", async () => {
    const { reply, reached } = await ask("GET /healthz HTTP/1.1\r\nHost: payments.localhost");
    expect(reply.status).toBe(200);
    expect(reached).toEqual(["/healthz"]);
  });
});

describe("Ward's own paths are logged too", () => {
  // The admin API answers on a host no service names (policy/admin-host.ts).
  it.each([
    ["/.well-known/ward/jwks.json", 200, "ward-key-set", "wiki.localhost"],
    ["/.ward/apps", 401, "ward-portal", "wiki.localhost"],
    ["/.ward/admin/policy", 401, "ward-admin", "ward.localhost"],
  ])("GET %s: %i, one line (%s) under the id the client got", async (path, status, reason, host) => {
    const { reply, reached, logged } = await ask(`GET ${path} HTTP/1.1\r\nHost: ${host}`);
    expect(reply.status).toBe(status);
    expect(reply.headers["ward-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(reached).toEqual([]);
    expect(logged).toMatchObject([{ status, reasons: [reason], path }]);
  });
});

describe("header values no client library sends", () => {
  // Bytes beyond ASCII in a header reach the Worker as one character each (Latin-1). Sent from inside workerd, such a
  // value makes the runtime print a warning, so this case lives here, on a real socket, and not in the adversarial
  // corpus (test/worker/adversarial/jwt.yaml).
  it("an Access token of UTF-8 letters is no identity: 401, logged, the origin never called", async () => {
    const { reply, reached, logged } = await ask(
      "GET /page HTTP/1.1\r\nHost: wiki.localhost\r\nCf-Access-Jwt-Assertion: \u00e9\u00e9.\u00e9.\u00e9",
    );
    expect(reply.status).toBe(401);
    expect(reached).toEqual([]);
    expect(logged).toMatchObject([{ status: 401, path: "/page", reasons: ["unauthenticated"] }]);
  });
});
