// A push (or a shadow candidate) is parsed by the Worker within its isolate's memory, so the admin API takes at
// most 768 KiB of policy text (policy/stored-version.ts). The CLI says so before sending anything, with the
// Worker's own words, and refuses to print a bootstrap of such a policy too.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_POLICY_BYTES, policyTooLarge } from "../../policy/index.ts";
import { wardText } from "../support/ward-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "ward-push-size-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const demo = readFileSync(join(import.meta.dirname, "../../policy/examples/demo.yaml"), "utf8");
const bytes = (text: string) => new TextEncoder().encode(text).length;
/** The demo policy made `size` bytes long by a comment of `unit`s: valid, and only its size in question. */
function sized(size: number, unit = "x"): string {
  const head = `${demo}\n# `;
  return `${head}${unit.repeat(Math.floor((size - bytes(head) - 1) / bytes(unit)))}\n`;
}

describe("how large a pushed policy may be", () => {
  it("takes exactly MAX_POLICY_BYTES of UTF-8, and counts bytes, not characters", () => {
    expect(bytes(sized(MAX_POLICY_BYTES))).toBe(MAX_POLICY_BYTES);
    expect(policyTooLarge(sized(MAX_POLICY_BYTES))).toBeUndefined();
    expect(policyTooLarge(`${sized(MAX_POLICY_BYTES)}x`)).toBe(
      `the policy is ${MAX_POLICY_BYTES + 1} bytes; a push takes at most 786432 (768 KiB), what the Worker can load within its memory (docs/performance.md)`,
    );
    // "é" is two bytes in one UTF-16 unit: under the bound in characters, over it in bytes.
    const accented = sized(MAX_POLICY_BYTES + 2, "é");
    expect(accented.length).toBeLessThan(MAX_POLICY_BYTES);
    expect(policyTooLarge(accented)).toMatch(/^the policy is 78643\d bytes;/);
    expect(policyTooLarge("x".repeat(MAX_POLICY_BYTES + 5))).toMatch(/^the policy is 786437 bytes;/);
  });

  it("ward push and ward shadow set refuse it before contacting anything", async () => {
    const file = join(dir, "large.yaml");
    writeFileSync(file, sized(MAX_POLICY_BYTES + 100));
    // Port 9 (discard) on 127.0.0.1: nothing answers there, so a request would fail with another message.
    const target = ["--env", "production", "--url", "http://127.0.0.1:9"];
    const pushed = await wardText("push", ...target, file);
    expect(pushed.status).toBe(1);
    expect(pushed.err).toContain(`${file}: the policy is ${MAX_POLICY_BYTES + 100} bytes; a push takes at most`);
    expect(pushed.err).toContain("nothing pushed");
    const shadowed = await wardText("shadow", "set", ...target, file);
    expect(shadowed.status).toBe(1);
    expect(shadowed.err).toContain(`${file}: the policy is ${MAX_POLICY_BYTES + 100} bytes; a push takes at most`);
    expect(shadowed.err).toContain("nothing set");
    // A bootstrapped version is stored as source only, which each new isolate parses until one stores its
    // document: the same bound.
    const bootstrap = await wardText("push", "--env", "production", file, "--bootstrap");
    expect(bootstrap.status).toBe(1);
    expect(bootstrap.err).toContain(`${file}: the policy is ${MAX_POLICY_BYTES + 100} bytes; a push takes at most`);
    expect(bootstrap.out).toBe("");
  });
});
