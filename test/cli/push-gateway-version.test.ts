// `ward push` reports the version by the name the gateway gave it: its history, `ward rollback` and the decision
// log use that name. A gateway of another Ward release may write a policy out differently and so name the same
// text otherwise; the push then says so, rather than printing a name the gateway does not know.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadPolicy } from "../../policy/index.ts";
import { standInGateway } from "../support/stand-in-gateway.ts";
import { wardLines } from "../support/ward-cli.ts";

const DEMO = join(import.meta.dirname, "../../policy/examples/demo.yaml");
/** The name the stand-in gateway gives what is pushed; undefined: the pushing ward's own. */
let gatewayName: string | undefined;
let localName = "";

beforeAll(async () => {
  const loaded = await loadPolicy(readFileSync(DEMO, "utf8"));
  if (!loaded.ok) throw new Error("the demo policy does not load");
  localName = loaded.policy.version;
});

// A stand-in for the `ward dev` gateway with no active version yet (so push has no diff to read).
const gateway = standInGateway({
  "GET /policy": { environment: "dev", active: null, shadow: null, history: [] },
  "PUT /policy": () => ({
    json: { entry: { seq: 1, who: "user:admin@example.com", version: gatewayName ?? localName } },
  }),
});

const push = () => wardLines("push", DEMO, "--local", "--port", gateway.port);

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
