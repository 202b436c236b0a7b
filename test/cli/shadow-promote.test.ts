// `ward shadow promote` against a stand-in gateway (a plain HTTP server): before its diff it names where it acts,
// the active version and the one it makes active, in the form `ward push` and `ward rollback` print theirs.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadPolicy } from "../../policy/index.ts";
import { standInGateway } from "../support/stand-in-gateway.ts";
import { wardLines as ward } from "../support/ward-cli.ts";

const active = readFileSync(resolve(import.meta.dirname, "../../policy/examples/demo.yaml"), "utf8");
/** The candidate: the active version's meaning, another description. */
const candidate = active.replace("description: Ward local demo", "description: Ward local demo (candidate)");
const texts: Record<string, string> = {};
let activeVersion = "";
let candidateVersion = "";

async function versionOf(text: string): Promise<string> {
  const loaded = await loadPolicy(text);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.policy.version;
}

const gateway = standInGateway({
  "GET /policy": () => ({
    json: { environment: "dev", active: activeVersion, shadow: candidateVersion, history: [] },
  }),
  "POST /policy/shadow/promote": () => ({ json: { entry: { seq: 7, version: candidateVersion } } }),
  "/grants?*": { grants: [] },
  "/policy/versions/*": ({ url }) => {
    const text = texts[url.slice(-64)];
    return text === undefined ? undefined : { text };
  },
});

beforeAll(async () => {
  activeVersion = await versionOf(active);
  candidateVersion = await versionOf(candidate);
  texts[activeVersion] = active;
  texts[candidateVersion] = candidate;
});

describe("ward shadow promote", () => {
  it("names the active version and the candidate first, as push and rollback do (from a review)", async () => {
    const where = `the local gateway on 127.0.0.1:${gateway.port} as admin@example.com`;
    const line = `${where}: active ${activeVersion.slice(0, 12)}, promoting shadow ${candidateVersion.slice(0, 12)}`;
    const dry = await ward(
      "shadow",
      "promote",
      "--local",
      "--port",
      gateway.port,
      "--as",
      "admin@example.com",
      "--dry-run",
    );
    expect(dry.status, dry.output).toBe(0);
    expect(dry.out).toEqual([line, "no access gained: 0 grants lost", "dry run: nothing promoted"]);
    const promoted = await ward("shadow", "promote", "--local", "--port", gateway.port, "--as", "admin@example.com");
    expect(promoted.status, promoted.output).toBe(0);
    expect(promoted.out[0]).toBe(line);
    expect(promoted.out.at(-1)).toBe(
      `promoted: ${candidateVersion.slice(0, 12)} is active (was ${activeVersion.slice(0, 12)}, history #7)`,
    );
  });
});
