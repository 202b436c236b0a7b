// The gateway loads a version from the validated document stored beside its source (worker/policy-store.ts):
// that document must load again as the same version, for every kind of policy, or every cold isolate would
// fall back to the slower source (and log a hash mismatch). Validation must be a fixed point of its own output.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalJson, loadPolicy, loadPolicyJson } from "../../policy/index.ts";
import { generatePolicy } from "../bench/generate-policy.ts";

const ROOT = join(import.meta.dirname, "../..");
const sources = [
  ...readdirSync(join(ROOT, "policy/examples")).map((f) => join("policy/examples", f)),
  // Only valid policies are ever stored.
  ...readdirSync(join(ROOT, "test/fixtures/policies")).filter((f) => !f.includes("invalid")).map((f) => join("test/fixtures/policies", f)),
];

async function roundTrip(text: string): Promise<void> {
  const loaded = await loadPolicy(text);
  expect(loaded.ok).toBe(true);
  if (!loaded.ok) return;
  const again = await loadPolicyJson(canonicalJson(loaded.policy.document));
  expect(again.ok).toBe(true);
  if (!again.ok) return;
  expect(again.policy.version).toBe(loaded.policy.version);
  expect(again.policy.document).toEqual(loaded.policy.document);
}

describe("a stored document loads as the version it was stored under", () => {
  it.each(sources)("%s", async (file) => {
    await roundTrip(readFileSync(join(ROOT, file), "utf8"));
  });

  it("a generated policy of 1,000 routes (every feature the benchmark uses)", async () => {
    await roundTrip(JSON.stringify(generatePolicy(1000)));
  });

  it("is not JSON: refused as invalid syntax", async () => {
    const result = await loadPolicyJson("{ version: 1");
    expect(result.ok).toBe(false);
    expect(result.issues[0]).toMatchObject({ severity: "error", code: "invalid-syntax", path: "(document)" });
  });
});
