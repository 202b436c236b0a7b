// The admin API refuses a write with 409 `admin-authority-changed` when the version its caller was admitted by is
// no longer the active one (worker/admin/still-authorised.ts): nothing changed, and asked again the caller is
// judged by the version now active. Every admin-writing command must say so, with the server's words, and fail.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ssfCommand } from "../../scripts/commands/ssf.ts";
import { standInGateway } from "../support/stand-in-gateway.ts";
import { wardLines as ward } from "../support/ward-cli.ts";

const A = "a".repeat(64);
const B = "b".repeat(64);
const SAID = "the active policy changed while this call was on its way: nothing changed; try again";
const moved = () => ({ status: 409, json: { error: SAID, authorisedFrom: A, active: B } });
const WRITES = ["POST *", "PUT *", "DELETE *"];

const gateway = standInGateway({
  "GET /policy": { environment: "dev", active: A, shadow: null, history: [] },
  "GET /grants?*": { grants: [{ id: "g-1", service: "wiki", status: "active" }] },
  ...Object.fromEntries(WRITES.map((key) => [key, moved])),
});

describe("a write refused because the active policy changed on its way", () => {
  const commands: [string, string[]][] = [
    ["revoke", ["revoke", "--email", "ann@example.com", "--reason", "stolen laptop"]],
    ["revoke lift", ["revoke", "lift", "rev-1"]],
    ["quarantine release", ["quarantine", "release", "q-1"]],
    ["exceptions revoke", ["exceptions", "revoke", "wiki/g-1"]],
    ["breakglass", ["breakglass", "--service", "wiki", "--minutes", "30", "--justification", "outage"]],
    ["shadow clear", ["shadow", "clear"]],
    ["ssf poll", ["ssf", "poll", "idp"]],
  ];
  for (const [name, args] of commands) {
    it(`${name}: prints the server's message, once, and fails`, async () => {
      const run = await ward(...args, "--local", "--port", gateway.port);
      expect(run.status, run.output).toBe(1);
      expect(run.out).toEqual([]);
      expect(run.err.join("\n")).toContain(SAID);
      expect(run.err.join("\n").match(/nothing changed/g)).toHaveLength(1);
    });
  }

  it("ssf verify: prints the server's message, fails, and asks the transmitter nothing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ward-authority-"));
    const file = join(dir, "transmitter.json");
    const issuer = "https://idp.example.com";
    await writeFile(
      file,
      JSON.stringify({
        spec_version: "1_0",
        issuer,
        jwks_uri: `${issuer}/jwks.json`,
        delivery_methods_supported: ["urn:ietf:rfc:8935"],
        verification_endpoint: `${issuer}/verify`,
      }),
    );
    const asked: string[] = [];
    const err: string[] = [];
    const status = await ssfCommand(
      ["verify", file, "--stream", "s-1", "--name", "idp", "--local", "--port", gateway.port],
      { out: () => {}, err: (line) => err.push(line) },
      {
        fetch: (input, init) => {
          const url = String(input instanceof Request ? input.url : input);
          if (!url.startsWith("http://127.0.0.1")) asked.push(url);
          return globalThis.fetch(input, init);
        },
        env: { WARD_SSF_TOKEN: "t" },
        readStdin: async () => "",
        sleep: async () => {},
      },
    ).catch((error: Error) => {
      err.push(error.message);
      return 1;
    });
    expect(status).toBe(1);
    expect(err.join("\n")).toContain(SAID);
    expect(asked).toEqual([]);
  });
});

describe("ward push refused with 409", () => {
  const DEMO = join(import.meta.dirname, "../../policy/examples/demo.yaml");
  let answer: { status: number; json: unknown } = { status: 409, json: {} };
  const pushTo = standInGateway({
    "GET /policy": { environment: "dev", active: null, shadow: null, history: [] },
    "PUT /policy": () => answer,
  });
  const push = () => ward("push", DEMO, "--local", "--port", pushTo.port);

  it("before the store (its admitting version replaced): says it was not stored, nothing changed once", async () => {
    answer = moved();
    const run = await push();
    expect(run.status, run.output).toBe(1);
    const said = run.err.join("\n");
    expect(said).toContain("the active version moved to bbbbbbbbbbbb while you pushed: nothing changed.");
    expect(said).toContain("Your version was not stored; review what changed");
    expect(said.match(/nothing changed/g)).toHaveLength(1);
  });

  it("by the one writer: names the version stored", async () => {
    answer = { status: 409, json: { error: "conflict", active: B, stored: "c".repeat(64) } };
    const run = await push();
    expect(run.status, run.output).toBe(1);
    expect(run.err.join("\n")).toContain("nothing changed. Your version is stored as cccccccccccc; review");
  });

  it("naming no active version: the gateway's own words, not a move it did not report", async () => {
    answer = { status: 409, json: { error: "environment busy" } };
    const run = await push();
    expect(run.status, run.output).toBe(1);
    expect(run.err.join("\n")).toContain("refused the push (409): environment busy");
    expect(run.err.join("\n")).not.toContain("moved");
  });
});
