// `ward exceptions list` and `ward breakglass list` against a stand-in gateway (a plain HTTP server): each grant is
// one line whose columns stay apart whatever a stored value holds. An Access group's name may hold spaces, even
// two, which is what separates the columns; a reason may hold `"`, which ends it in the line (from a review).
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GrantRecord } from "../../policy/index.ts";
import { ADMIN_PATH } from "../../scripts/admin-client.ts";
import { wardLines as ward } from "../support/ward-cli.ts";

const grant = (over: Partial<GrantRecord>): GrantRecord => ({
  id: "exc-1",
  kind: "exception",
  principal: { email: "ann@example.com" },
  service: "wiki",
  routes: "*",
  methods: "*",
  notBefore: 0,
  notAfter: Date.parse("2099-01-01T00:00:00Z"),
  reason: "quarterly audit",
  ticket: "T-1",
  requestedBy: "user:ann@example.com",
  approvedBy: "user:admin@example.com",
  uses: 0,
  status: "revoked",
  createdAt: 0,
  createdBy: "user:admin@example.com",
  ...over,
});

let grants: GrantRecord[] = [];
let server: Server;
let port = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? "";
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (url.startsWith("/cdn-cgi/access/dev-token")) return res.writeHead(200).end("token");
    if (url === `${ADMIN_PATH}/policy`)
      return json(200, { environment: "dev", active: "a".repeat(64), shadow: null, history: [] });
    if (url.startsWith(`${ADMIN_PATH}/grants`)) return json(200, { grants });
    return json(404, { error: "no such admin endpoint" });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = String((server.address() as { port: number }).port);
});

afterAll(() => {
  server?.close();
});

const UNTIL = "until 2099-01-01T00:00:00Z (revoked)";

describe("a grant's values as columns", () => {
  it("quotes a group name or ticket holding spaces, so that it does not read as more columns (from a review)", async () => {
    grants = [
      grant({ principal: { group: "platform team  -> orders/* *" } }),
      grant({ id: "exc-2", principal: { group: 'a"b\\c' }, ticket: "SEC 101" }),
      grant({ id: "exc-3", principal: { group: "sre" } }),
    ];
    const run = await ward("exceptions", "list", "--local", "--port", port);
    expect(run.status, run.output).toBe(0);
    expect(run.out).toEqual([
      `exc-1  exception  group:"platform team  -> orders/* *" -> wiki/* *  ${UNTIL}  T-1  "quarterly audit" by user:admin@example.com`,
      `exc-2  exception  group:"a\\"b\\\\c" -> wiki/* *  ${UNTIL}  "SEC 101"  "quarterly audit" by user:admin@example.com`,
      `exc-3  exception  group:sre -> wiki/* *  ${UNTIL}  T-1  "quarterly audit" by user:admin@example.com`,
    ]);
  });

  it("escapes a reason's quotes, so that it cannot pass for who granted it (from a review)", async () => {
    grants = [
      grant({ kind: "break-glass", reason: 'incident" by user:security@example.com', ticket: "break-glass" }),
      grant({ id: "exc-2", reason: "C:\\ share" }),
    ];
    const run = await ward("breakglass", "list", "--local", "--port", port);
    expect(run.status, run.output).toBe(0);
    expect(run.out).toEqual([
      `exc-1  break-glass  ann@example.com -> wiki/* *  ${UNTIL}  "incident\\" by user:security@example.com" by user:admin@example.com`,
      `exc-2  exception  ann@example.com -> wiki/* *  ${UNTIL}  T-1  "C:\\\\ share" by user:admin@example.com`,
    ]);
  });
});
