// `ward shadow promote` against a stand-in gateway (a plain HTTP server): before its diff it names where it acts,
// the active version and the one it makes active, in the form `ward push` and `ward rollback` print theirs.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { activeAndShadow } from "../support/shadow-stand-in.ts";
import { standInGateway } from "../support/stand-in-gateway.ts";
import { wardLines as ward } from "../support/ward-cli.ts";

const active = readFileSync(resolve(import.meta.dirname, "../../policy/examples/demo.yaml"), "utf8");
/** The candidate: the active version's meaning, another description. */
const candidate = active.replace("description: Ward local demo", "description: Ward local demo (candidate)");
const stand = activeAndShadow(active, candidate);
const gateway = standInGateway({
  ...stand.routes,
  "POST /policy/shadow/promote": () => ({ json: { entry: { seq: 7, version: stand.versions.candidate } } }),
  "/grants?*": { grants: [] },
});

describe("ward shadow promote", () => {
  it("names the active version and the candidate first, as push and rollback do (from a review)", async () => {
    const { active: activeVersion, candidate: candidateVersion } = stand.versions;
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
