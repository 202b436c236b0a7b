// `ward shadow promote` against a stand-in gateway (a plain HTTP server): before its diff it names where it acts,
// the active version and the one it makes active, in the form `ward push` and `ward rollback` print theirs.
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPolicy } from "../../policy/index.ts";
import { ADMIN_PATH } from "../../scripts/admin-client.ts";
import { wardLines as ward } from "../support/ward-cli.ts";

const active = readFileSync(resolve(import.meta.dirname, "../../policy/examples/demo.yaml"), "utf8");
/** The candidate: the active version's meaning, another description. */
const candidate = active.replace("description: Ward local demo", "description: Ward local demo (candidate)");
const texts: Record<string, string> = {};
let activeVersion = "";
let candidateVersion = "";
let server: Server;
let port = "";

async function versionOf(text: string): Promise<string> {
  const loaded = await loadPolicy(text);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.policy.version;
}

beforeAll(async () => {
  activeVersion = await versionOf(active);
  candidateVersion = await versionOf(candidate);
  texts[activeVersion] = active;
  texts[candidateVersion] = candidate;
  server = createServer((req, res) => {
    const url = req.url ?? "";
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (url.startsWith("/cdn-cgi/access/dev-token")) return res.writeHead(200).end("token");
    if (url === `${ADMIN_PATH}/policy` && req.method === "GET")
      return json(200, { environment: "dev", active: activeVersion, shadow: candidateVersion, history: [] });
    if (url === `${ADMIN_PATH}/policy/shadow/promote` && req.method === "POST")
      return json(200, { entry: { seq: 7, version: candidateVersion } });
    if (url === `${ADMIN_PATH}/grants`) return json(200, { grants: [] });
    const text = url.startsWith(`${ADMIN_PATH}/policy/versions/`) ? texts[url.slice(-64)] : undefined;
    if (text !== undefined) return res.writeHead(200).end(text);
    return json(404, { error: "no such admin endpoint" });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = String((server.address() as { port: number }).port);
});

afterAll(() => {
  server?.close();
});

describe("ward shadow promote", () => {
  it("names the active version and the candidate first, as push and rollback do (from a review)", async () => {
    const where = `the local gateway on 127.0.0.1:${port} as admin@example.com`;
    const line = `${where}: active ${activeVersion.slice(0, 12)}, promoting shadow ${candidateVersion.slice(0, 12)}`;
    const dry = await ward("shadow", "promote", "--local", "--port", port, "--as", "admin@example.com", "--dry-run");
    expect(dry.status, dry.output).toBe(0);
    expect(dry.out).toEqual([line, "no access gained: 0 grants lost", "dry run: nothing promoted"]);
    const promoted = await ward("shadow", "promote", "--local", "--port", port, "--as", "admin@example.com");
    expect(promoted.status, promoted.output).toBe(0);
    expect(promoted.out[0]).toBe(line);
    expect(promoted.out.at(-1)).toBe(
      `promoted: ${candidateVersion.slice(0, 12)} is active (was ${activeVersion.slice(0, 12)}, history #7)`,
    );
  });
});
