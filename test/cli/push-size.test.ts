// A push (or a shadow candidate) is parsed by the Worker within its isolate's memory, so the admin API takes at
// most 768 KiB of policy text written as YAML, and 4 MiB written as JSON, which it parses natively
// (policy/stored-version.ts). A YAML file past its bound is sent in its JSON form (the same version); past
// both, the CLI says so before sending anything, with the Worker's own words, and prints no bootstrap.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  jsonValueCount,
  loadPolicy,
  MAX_JSON_POLICY_BYTES,
  MAX_JSON_POLICY_VALUES,
  MAX_POLICY_BYTES,
  MAX_YAML_UNITS,
  policyTooLarge,
  yamlUnits,
} from "../../policy/index.ts";
import { wardText } from "../support/ward-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "ward-push-size-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const demo = readFileSync(join(import.meta.dirname, "../../policy/examples/demo.yaml"), "utf8");
const demoJson = JSON.stringify(parseYaml(demo), null, 2);
const bytes = (text: string) => new TextEncoder().encode(text).length;
/** The demo policy made `size` bytes long by a comment of `unit`s: valid, and only its size in question. */
function sized(size: number, unit = "x"): string {
  const head = `${demo}\n# `;
  return `${head}${unit.repeat(Math.floor((size - bytes(head) - 1) / bytes(unit)))}\n`;
}
/** The demo policy written as JSON, made `size` bytes long by trailing spaces. */
const sizedJson = (size: number) => `${demoJson}${" ".repeat(size - bytes(demoJson))}`;
const versionOf = async (text: string) => {
  const loaded = await loadPolicy(text);
  if (!loaded.ok) throw new Error("invalid");
  return loaded.policy.version;
};
// Port 9 (discard) on 127.0.0.1: nothing answers there, so a request would fail with another message.
const target = ["--env", "production", "--url", "http://127.0.0.1:9"];

describe("how large a pushed policy may be", () => {
  it("takes exactly MAX_POLICY_BYTES of UTF-8 as YAML, and counts bytes, not characters", () => {
    expect(bytes(sized(MAX_POLICY_BYTES))).toBe(MAX_POLICY_BYTES);
    expect(policyTooLarge(sized(MAX_POLICY_BYTES))).toBeUndefined();
    expect(policyTooLarge(`${sized(MAX_POLICY_BYTES)}x`)).toBe(
      `the policy is ${MAX_POLICY_BYTES + 1} bytes; a push takes at most 786432 (768 KiB) of YAML, or 4194304 (4 MiB) written as JSON, what the Worker can load within its memory (docs/performance.md)`,
    );
    // "é" is two bytes in one UTF-16 unit: under the bound in characters, over it in bytes.
    const accented = sized(MAX_POLICY_BYTES + 2, "é");
    expect(accented.length).toBeLessThan(MAX_POLICY_BYTES);
    expect(policyTooLarge(accented)).toMatch(/^the policy is 78643\d bytes;/);
    expect(policyTooLarge("x".repeat(MAX_POLICY_BYTES + 5))).toMatch(/^the policy is 786437 bytes;/);
  });

  it("takes exactly MAX_JSON_POLICY_BYTES written as JSON", () => {
    expect(policyTooLarge(sizedJson(MAX_JSON_POLICY_BYTES))).toBeUndefined();
    expect(policyTooLarge(sizedJson(MAX_JSON_POLICY_BYTES + 1))).toMatch(/^the policy is 4194305 bytes;/);
  });

  it("takes at most MAX_JSON_POLICY_VALUES values written as JSON, whatever the bytes", () => {
    // 4 MiB of empty objects would take ~90 MiB of the Worker's heap to parse: refused before parsing.
    const holding = (values: number) => `{"metadata":[${"{},".repeat(values - 4)}{}]}`;
    expect(jsonValueCount(holding(MAX_JSON_POLICY_VALUES))).toBe(MAX_JSON_POLICY_VALUES);
    expect(policyTooLarge(holding(MAX_JSON_POLICY_VALUES))).toBeUndefined();
    expect(policyTooLarge(holding(MAX_JSON_POLICY_VALUES + 1))).toBe(
      "the policy holds 600001 JSON values; a push takes at most 600000, what the Worker can parse within its memory (docs/performance.md)",
    );
    // Numbers and literals count too (review finding: two million numbers in a claim list passed, uncounted).
    const numbers = `{"metadata":[${"0,".repeat(MAX_JSON_POLICY_VALUES)}0]}`;
    expect(policyTooLarge(numbers)).toMatch(/^the policy holds 600004 JSON values;/);
    expect(jsonValueCount('[0, -1, true,false , null,"a",{"b":2e5}]')).toBe(10);
    // Strings count once whatever they hold: brackets and escaped quotes inside one are not values.
    expect(jsonValueCount(String.raw`{"a":"[{\"}","b":["\\",""]}`)).toBe(7);
    // Any text is counted without running past its end: a string left open, a lone backslash at the end.
    expect(jsonValueCount('{"a":"open')).toBe(3);
    expect(jsonValueCount('["\\\\')).toBe(2);
    expect(jsonValueCount('["\\')).toBe(2);
  });

  it("ward push --bootstrap of a YAML file past its bound writes the JSON form beside it, the same version", async () => {
    const file = join(dir, "large.yaml");
    const yaml = sized(MAX_POLICY_BYTES + 100).replace("environment: dev", "environment: production");
    writeFileSync(file, yaml);
    const bootstrap = await wardText("push", "--env", "production", file, "--bootstrap");
    expect(bootstrap.err).toBe("");
    expect(bootstrap.status).toBe(0);
    expect(bootstrap.out).toContain(
      `${file}: ${bytes(yaml)} bytes of YAML, over the 768 KiB the gateway parses as YAML: the gateway is given its JSON form`,
    );
    expect(bootstrap.out).toContain(`# wrote ${file}.json`);
    expect(bootstrap.out).toContain(`--path ${file}.json`);
    const json = readFileSync(`${file}.json`, "utf8");
    expect(json.startsWith("{")).toBe(true);
    expect(await versionOf(json)).toBe(await versionOf(readFileSync(file, "utf8")));
    expect(bootstrap.out).toContain(`# the first version of production: ${await versionOf(json)}`);
    // Bootstrapping again finds its own JSON form there; something else there is not overwritten.
    expect((await wardText("push", "--env", "production", file, "--bootstrap")).status).toBe(0);
    writeFileSync(`${file}.json`, "{}");
    const clash = await wardText("push", "--env", "production", file, "--bootstrap");
    expect(clash.status).toBe(1);
    expect(clash.err).toContain(`${file}.json exists and holds something else`);
    expect(readFileSync(`${file}.json`, "utf8")).toBe("{}");
  });

  it("ward push --bootstrap of YAML within the bytes but over MAX_YAML_UNITS sends its JSON form too", async () => {
    const file = join(dir, "many-units.yaml");
    // A principal set of 15,000 addresses in flow style: 7 units each in ~25 bytes.
    const emails = Array.from({ length: 15_000 }, (_, i) => `{email: a${i}@example.com}`).join(", ");
    const yaml = `${demo.replace("environment: dev", "environment: production")}\n`.replace(
      /^principalSets:\n/m,
      `principalSets:\n  many: [${emails}]\n`,
    );
    expect(bytes(yaml)).toBeLessThan(MAX_POLICY_BYTES);
    expect(yamlUnits(yaml)).toBeGreaterThan(MAX_YAML_UNITS);
    // The gateway would not parse it as YAML.
    const pushed = await loadPolicy(yaml, { yamlUpTo: MAX_POLICY_BYTES });
    expect(pushed.ok ? "" : pushed.issues[0]!.message).toMatch(/^policy text of more than 100000 YAML units/);
    writeFileSync(file, yaml);
    const bootstrap = await wardText("push", "--env", "production", file, "--bootstrap");
    expect(bootstrap.err).toBe("");
    expect(bootstrap.status).toBe(0);
    expect(bootstrap.out).toContain(
      `${file}: YAML of over 100000 units (scalars, keys, items), more than the gateway parses as YAML: the gateway is given its JSON form`,
    );
    const json = readFileSync(`${file}.json`, "utf8");
    expect(await versionOf(json)).toBe(await versionOf(yaml));
    expect((await loadPolicy(json, { yamlUpTo: MAX_POLICY_BYTES })).ok).toBe(true);
  });

  it("ward push --bootstrap refuses a FILE.json it cannot read as a file, in a dry run as in the run", async () => {
    const file = join(dir, "unreadable.yaml");
    writeFileSync(file, sized(MAX_POLICY_BYTES + 100).replace("environment: dev", "environment: production"));
    mkdirSync(`${file}.json`);
    for (const dryRun of [["--dry-run"], []]) {
      const run = await wardText("push", "--env", "production", file, "--bootstrap", ...dryRun);
      expect(run.status).toBe(1);
      expect(run.err).toContain(`${file}.json cannot be read`);
    }
  });

  it("ward push --bootstrap --dry-run writes nothing, and says so", async () => {
    const file = join(dir, "dry.yaml");
    writeFileSync(file, sized(MAX_POLICY_BYTES + 100).replace("environment: dev", "environment: production"));
    const run = await wardText("push", "--env", "production", file, "--bootstrap", "--dry-run");
    expect(run.status).toBe(0);
    expect(run.out).toContain(`# --dry-run: ${file}.json not written; the first command needs it`);
    expect(run.out).toContain(`--path ${file}.json`);
    expect(existsSync(`${file}.json`)).toBe(false);
    // It refuses what the run would (review finding): a FILE.json that holds something else.
    writeFileSync(`${file}.json`, '{"stale": "an older conversion"}');
    const stale = await wardText("push", "--env", "production", file, "--bootstrap", "--dry-run");
    expect(stale.status).toBe(1);
    expect(stale.err).toContain(`${file}.json exists and holds something else`);
  });

  it("ward push --bootstrap prints a path a shell reads back as it is, spaces and quotes included", async () => {
    const sub = join(dir, "it's a dir $HOME");
    mkdirSync(sub);
    const file = join(sub, "policy; rm -rf x.yaml");
    writeFileSync(file, demo);
    const run = await wardText("push", "--env", "dev", file, "--bootstrap");
    expect(run.status).toBe(0);
    const word = /--path (.+)$/m.exec(run.out)?.[1] ?? "";
    expect(word.startsWith("'")).toBe(true);
    // What sh makes of the printed word is the path itself.
    expect(execFileSync("sh", ["-c", `printf %s ${word}`], { encoding: "utf8" })).toBe(file);
  });

  it("converts flow-style YAML past the YAML bound too: it opens like JSON but is not", async () => {
    const file = join(dir, "flow.yaml");
    const flow = `${demoJson.slice(0, -1).replace('"environment": "dev"', '"environment": "production"')},}\n# ${"x".repeat(MAX_POLICY_BYTES)}\n`;
    writeFileSync(file, flow);
    const bootstrap = await wardText("push", "--env", "production", file, "--bootstrap");
    expect(bootstrap.err).toBe("");
    expect(bootstrap.status).toBe(0);
    expect(bootstrap.out).toContain(`--path ${file}.json`);
    expect(JSON.parse(readFileSync(`${file}.json`, "utf8")).metadata.environment).toBe("production");
  });

  it("ward push and ward shadow set refuse a policy past both bounds before contacting anything", async () => {
    const file = join(dir, "large.json");
    writeFileSync(file, sizedJson(MAX_JSON_POLICY_BYTES + 100));
    const tooLarge = `${file}: the policy is ${MAX_JSON_POLICY_BYTES + 100} bytes; a push takes at most`;
    const pushed = await wardText("push", ...target, file);
    expect(pushed.status).toBe(1);
    expect(pushed.err).toContain(tooLarge);
    expect(pushed.err).toContain("nothing pushed");
    const shadowed = await wardText("shadow", "set", ...target, file);
    expect(shadowed.status).toBe(1);
    expect(shadowed.err).toContain(tooLarge);
    expect(shadowed.err).toContain("nothing set");
    // A bootstrapped version is stored as source only, which each new isolate parses until one stores its
    // document: the same bound.
    const bootstrap = await wardText("push", "--env", "production", file, "--bootstrap");
    expect(bootstrap.status).toBe(1);
    expect(bootstrap.err).toContain(tooLarge);
    expect(bootstrap.out).toBe("");
  });
});
