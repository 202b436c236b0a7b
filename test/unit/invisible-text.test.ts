// Characters a reviewer cannot see, refused in policy text as written (from a review: a deny on "/admin\u200B"
// validated with no warning and matched nothing; a bidirectional override in a group name displayed as another).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parsePolicyText, validatePolicyText } from "../../policy/index.ts";

const demo = readFileSync(join(import.meta.dirname, "../../policy/examples/demo.yaml"), "utf8");

describe("invisible characters in policy text", () => {
  it("are refused where written, comments included, naming the character and line", () => {
    for (const [char, code] of [
      ["\u200B", "U+200B"],
      ["\u00AD", "U+00AD"],
      ["\uFEFF", "U+FEFF"],
      ["\u202E", "U+202E"],
      ["\u2066", "U+2066"],
    ] as const) {
      const inPath = demo.replace("path: /v1/orders/{order_id}", `path: /v1/orders${char}/{order_id}`);
      expect(inPath).not.toBe(demo);
      const result = validatePolicyText(inPath);
      expect(result.ok).toBe(false);
      expect(result.issues[0]).toMatchObject({ code: "invalid-syntax", path: "(document)" });
      expect(result.issues[0]!.message).toMatch(
        /^invisible or direction-changing character U\+[0-9A-F]{4} at line \d+:/,
      );
      expect(result.issues[0]!.message).toContain(`${code} at line`);
      const inComment = `# approved by ${char}security\n${demo}`;
      expect(validatePolicyText(inComment).issues[0]!.message).toContain(`${code} at line 1:`);
    }
  });

  it("are refused when an escape writes them, in JSON or YAML, with the key's or value's path", () => {
    const json = JSON.parse(JSON.stringify(parsePolicyText(demo)));
    expect(json.ok).toBe(true);
    const doc = json.value;
    doc.principalSets = { ...doc.principalSets, admins: [{ group: "ops\u202Eadmins" }] };
    const written = JSON.stringify(doc); // "ops\u202eadmins" as written by JSON.stringify: the raw character
    const escaped = written.replace("ops\u202Eadmins", "ops\\u202eadmins");
    expect(escaped).not.toContain("\u202E");
    expect(validatePolicyText(escaped).issues).toEqual([
      expect.objectContaining({ code: "invalid-format", path: "principalSets.admins[0].group" }),
    ]);
    const yaml = demo.replace("path: /v1/orders/{order_id}", 'path: "/v1/orders\\u200b/{order_id}"');
    const issue = validatePolicyText(yaml).issues[0]!;
    expect(issue.code).toBe("invalid-format");
    expect(issue.path).toMatch(/^services\.orders\.routes\[\d+\]\.path$/);
    expect(issue.message).toContain("U+200B");
    // A control character by escape, in a key.
    const key = demo.replace("principalSets:", 'principalSets:\n  "bell\\u0007": [{ email: a@example.com }]');
    expect(validatePolicyText(key).issues[0]).toMatchObject({
      code: "invalid-format",
      path: "principalSets.bell\u0007",
    });
  });

  it("leaves tab and line ends in a value (a PEM block), and versions stored before the check", () => {
    const block = demo.replace("    spiffe: true\n", "    spiffe: true\n    # note\n");
    expect(validatePolicyText(block).ok).toBe(true);
    const stored = demo.replace("path: /v1/orders/{order_id}", "path: /v1/orders\u200B/{order_id}");
    expect(parsePolicyText(stored, { stored: true }).ok).toBe(true);
  });
});
