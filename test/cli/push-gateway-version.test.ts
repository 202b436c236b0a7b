// `ward push` reports the version by the name the gateway gave it: its history, `ward rollback` and the decision
// log use that name. A gateway of another Ward release may write a policy out differently and so name the same
// text otherwise; the push then says so, rather than printing a name the gateway does not know.
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPolicy } from "../../policy/index.ts";
import { wardLines } from "../support/ward-cli.ts";

const DEMO = join(import.meta.dirname, "../../policy/examples/demo.yaml");
let server: Server;
let port = "";
/** The name the stand-in gateway gives what is pushed; undefined: the pushing ward's own. */
let gatewayName: string | undefined;
let localName = "";

beforeAll(async () => {
  const loaded = await loadPolicy(readFileSync(DEMO, "utf8"));
  if (!loaded.ok) throw new Error("the demo policy does not load");
  localName = loaded.policy.version;
  // A stand-in for the `ward dev` gateway with no active version yet (so push has no diff to read).
  server = createServer(async (req, res) => {
    for await (const _ of req);
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === "/cdn-cgi/access/dev-token") return res.writeHead(200).end("local-token");
    if (req.method === "GET" && url.pathname === "/.ward/admin/policy")
      return json(200, { environment: "dev", active: null, shadow: null, history: [] });
    if (req.method === "PUT" && url.pathname === "/.ward/admin/policy")
      return json(200, { entry: { seq: 1, who: "user:admin@example.com", version: gatewayName ?? localName } });
    return json(404, { error: "no such admin endpoint" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = String((server.address() as AddressInfo).port);
});

afterAll(() => {
  server.close();
});

const push = () => wardLines("push", DEMO, "--local", "--port", port);

describe("ward push names the version as the gateway does", () => {
  it("prints the version the gateway activated, and nothing more when both name it alike", async () => {
    gatewayName = undefined;
    const run = await push();
    expect(run.status, run.output).toBe(0);
    expect(run.out).toContain(`pushed: ${localName.slice(0, 12)} is active (history #1, by user:admin@example.com)`);
    expect(run.err).toEqual([]);
  });

  it("prints the gateway's name, and says this ward named it otherwise, when they differ", async () => {
    gatewayName = "b".repeat(64);
    const run = await push();
    expect(run.status, run.output).toBe(0);
    expect(run.out).toContain("pushed: bbbbbbbbbbbb is active (history #1, by user:admin@example.com)");
    expect(run.err.join("\n")).toContain(
      `note: the gateway names this version bbbbbbbbbbbb, where this ward named it ${localName.slice(0, 12)}`,
    );
  });
});
