// Policy text written as JSON is read with JSON.parse, not the YAML parser (policy/load.ts): the Worker takes it
// past YAML's push bound. It must mean exactly what the YAML parser reads in it: the same version for every
// example and fixture written either way, a repeated key refused as YAML refuses it, and text that only opens
// like JSON (YAML's flow style) still read as YAML, except past the bound, where only JSON is read.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { loadPolicy, MAX_POLICY_BYTES, parsePolicyText } from "../../policy/index.ts";

const ROOT = join(import.meta.dirname, "../..");
const sources = [
  ...readdirSync(join(ROOT, "policy/examples")).map((f) => join("policy/examples", f)),
  ...readdirSync(join(ROOT, "test/fixtures/policies")).map((f) => join("test/fixtures/policies", f)),
];

const issuesOf = async (text: string) => {
  const loaded = await loadPolicy(text);
  return loaded.ok ? { version: loaded.policy.version, issues: loaded.issues } : { issues: loaded.issues };
};

describe("policy text written as JSON", () => {
  it.each(sources)("%s means the same written as JSON: same version, same issues", async (source) => {
    const yaml = readFileSync(join(ROOT, source), "utf8");
    const json = JSON.stringify(parseYaml(yaml), null, 2);
    expect(json.startsWith("{")).toBe(true);
    expect(await issuesOf(json)).toEqual(await issuesOf(yaml));
  });

  it("refuses a repeated key, at any depth, as the YAML parser does", () => {
    for (const text of ['{"version": 1, "version": 2}', '{"a": {"b": 1, "\\u0062": 2}}', '[{"x": 1, "x": 1}]']) {
      const parsed = parsePolicyText(text.startsWith("[") ? `{"l": ${text}}` : text);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.issue.message).toMatch(/^Map keys must be unique/);
    }
    expect(parsePolicyText('{"a": {"x": 1}, "b": {"x": 1}}').ok).toBe(true);
  });

  it("reads YAML's flow style, which opens like JSON, with the YAML parser", () => {
    const parsed = parsePolicyText("{ version: 1, metadata: { name: flow } }");
    expect(parsed).toEqual({ ok: true, value: { version: 1, metadata: { name: "flow" } } });
  });

  it("past yamlUpTo, reads only JSON: flow-style YAML is refused before the YAML parser sees it", () => {
    const padding = " ".repeat(MAX_POLICY_BYTES);
    const json = parsePolicyText(`{"version": 1}${padding}`, { yamlUpTo: MAX_POLICY_BYTES });
    expect(json).toEqual({ ok: true, value: { version: 1 } });
    for (const text of [`{ version: 1 }${padding}`, `version: 1\n#${padding}`]) {
      const refused = parsePolicyText(text, { yamlUpTo: MAX_POLICY_BYTES });
      expect(refused.ok).toBe(false);
      if (!refused.ok)
        expect(refused.issue.message).toBe(
          `policy text over ${MAX_POLICY_BYTES} bytes is read only as JSON, and this is not JSON`,
        );
      // Without the bound (the CLI, with memory to spare) it is read as YAML.
      expect(parsePolicyText(text).ok).toBe(true);
    }
  });
});
