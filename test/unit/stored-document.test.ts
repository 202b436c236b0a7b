// The gateway loads a version from the validated document stored beside its source (worker/policy-store/store.ts):
// its bytes hash to the version, and it loads again as the same document, for every kind of policy
// (validation is a fixed point of its own output). A document stored by a Ward that did not know a default
// still loads, under the hash of its bytes, with the default filled in.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalJson, loadPolicy, loadStoredDocument, sha256Hex } from "../../policy/index.ts";
import { generatePolicy } from "../bench/generate-policy.ts";

const ROOT = join(import.meta.dirname, "../..");
const sources = [
  ...readdirSync(join(ROOT, "policy/examples")).map((f) => join("policy/examples", f)),
  // Only valid policies are ever stored.
  ...readdirSync(join(ROOT, "test/fixtures/policies"))
    .filter((f) => !f.includes("invalid"))
    .map((f) => join("test/fixtures/policies", f)),
];

async function roundTrip(text: string): Promise<void> {
  const loaded = await loadPolicy(text);
  expect(loaded.ok).toBe(true);
  if (!loaded.ok) return;
  const stored = canonicalJson(loaded.policy.document);
  expect(await sha256Hex(stored)).toBe(loaded.policy.version);
  const again = loadStoredDocument(stored, loaded.policy.version);
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

  it("stored by a Ward that did not know a default (here a service's `hide`): loads under the hash of its bytes, the default filled in", async () => {
    const loaded = await loadPolicy(readFileSync(join(ROOT, "policy/examples/demo.yaml"), "utf8"));
    if (!loaded.ok) throw new Error("demo invalid");
    const older = JSON.parse(canonicalJson(loaded.policy.document)) as { services: Record<string, { hide?: boolean }> };
    for (const service of Object.values(older.services)) delete service.hide;
    const text = canonicalJson(older);
    const version = await sha256Hex(text);
    expect(version).not.toBe(loaded.policy.version);
    const again = loadStoredDocument(text, version);
    expect(again.ok).toBe(true);
    if (!again.ok) return;
    expect(again.policy.version).toBe(version);
    expect(Object.values(again.policy.document.services).map((s) => s.hide)).toEqual(
      Object.values(older.services).map(() => false),
    );
  });

  it("loads without the checks that can only warn (they ran at the push; a cold isolate pays for none)", async () => {
    // The generated policy's deny rules cover the literal routes beside them: `deny-covers-route` warnings.
    const loaded = await loadPolicy(JSON.stringify(generatePolicy(100)));
    if (!loaded.ok) throw new Error("variant invalid");
    expect(loaded.issues.map((i) => i.severity)).toContain("warning");
    const stored = canonicalJson(loaded.policy.document);
    const again = loadStoredDocument(stored, loaded.policy.version);
    expect(again.ok && again.issues).toEqual([]);
  });

  it("is not JSON: refused as invalid syntax", async () => {
    const result = loadStoredDocument("{ version: 1", "0".repeat(64));
    expect(result.ok).toBe(false);
    expect(result.issues[0]).toMatchObject({ severity: "error", code: "invalid-syntax", path: "(document)" });
  });
});
