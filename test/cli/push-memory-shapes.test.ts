// Hostile shapes within push's bounds must load (or be refused) within the 64 MiB of heap a push may take
// (test/bench/push-memory.ts measures the policies; these are the texts a review found that were not policies
// and cost more than their bytes). Each is loaded as the admin API loads a push, in a Node child whose old
// generation is capped (Miniflare does not enforce Workers' memory limit; the same V8).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { MAX_JSON_POLICY_BYTES, MAX_POLICY_BYTES, policyTooLarge } from "../../policy/index.ts";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "ward-push-shapes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CHILD = `
const { readFileSync } = await import("node:fs");
const { loadPolicy, MAX_POLICY_BYTES } = await import(process.argv[1]);
const loaded = await loadPolicy(readFileSync(process.argv[2], "utf8"), { yamlUpTo: MAX_POLICY_BYTES });
console.log(loaded.ok ? "valid" : loaded.issues[0].code);
`;

/** What loading `text` as a push ends with, its heap capped at 64 MiB: a policy issue's code, or "out of memory". */
async function loadWithin64(text: string): Promise<string> {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, text);
  try {
    const { stdout } = await run(
      process.execPath,
      ["--max-old-space-size=64", "--input-type=module", "-e", CHILD, join(ROOT, "policy/index.ts"), file],
      { maxBuffer: 1 << 20 },
    );
    return stdout.trim();
  } catch (error) {
    return /heap out of memory/.test(String((error as { stderr?: string }).stderr)) ? "out of memory" : String(error);
  }
}

const demo = parseYaml(readFileSync(join(ROOT, "policy/examples/demo.yaml"), "utf8"));
const withExtra = (extra: string) => `${JSON.stringify(demo).slice(0, -1)},"x":${extra}}`;

describe("texts that cost more than their bytes", () => {
  it("a claims principal listing two million numbers (4 MiB): refused for its values before it is parsed", () => {
    const doc = structuredClone(demo);
    const rule = doc.services.payments.routes[0].rules[0];
    rule.principals.push({ claims: { level: "MARK" } });
    const [a, b] = JSON.stringify(doc).split('"MARK"') as [string, string];
    const text = `${a}[${"0,".repeat(Math.floor((MAX_JSON_POLICY_BYTES - a.length - b.length - 10) / 2))}0]${b}`;
    expect(policyTooLarge(text)).toMatch(/^the policy holds \d+ JSON values; a push takes at most 600000/);
  });

  it("nested arrays just under the YAML bound (not counted): refused for what they are, within 64 MiB", async () => {
    const depth = Math.floor((MAX_POLICY_BYTES - withExtra("").length) / 2) - 10;
    const text = withExtra(`${"[".repeat(depth)}${"]".repeat(depth)}`);
    expect(policyTooLarge(text)).toBeUndefined();
    expect(await loadWithin64(text)).toBe("unknown-field");
  }, 60_000);

  it("a wide array of numbers just under the YAML bound: refused for what it is, within 64 MiB", async () => {
    const count = Math.floor((MAX_POLICY_BYTES - withExtra("[]").length) / 2) - 10;
    const text = withExtra(`[${"0,".repeat(count)}0]`);
    expect(policyTooLarge(text)).toBeUndefined();
    expect(await loadWithin64(text)).toBe("unknown-field");
  }, 60_000);
});
