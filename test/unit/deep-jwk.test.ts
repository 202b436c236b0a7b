// A pushed JWK with a member nested thousands deep (from a review): it passed validation, then overflowed the
// stack when the policy was hashed, so `ward reach`, `diff` and `push` died with a RangeError and the admin API's
// PUT /policy with a 500. Now the key's shape is bounded where the schema reads it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadPolicy, validatePolicyText } from "../../policy/index.ts";

const EXAMPLE = join(import.meta.dirname, "../../policy/examples/payments-checkout.yaml");
const KEY = {
  kty: "EC",
  crv: "P-256",
  x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
  y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
  kid: "k1",
  use: "jwt-svid",
  alg: "ES256",
};

function withKey(extra: string): string {
  const doc = parse(readFileSync(EXAMPLE, "utf8"));
  doc.identity.tokenIssuers[0].algorithms = ["ES256"];
  doc.identity.tokenIssuers[0].keys = { jwks: { keys: [{ ...KEY, extra: "__EXTRA__" }] } };
  return JSON.stringify(doc).replace('"__EXTRA__"', extra);
}

describe("a pushed JWK's shape", () => {
  it("refuses a member nested deeper than a JWK's, as an issue, and loading does not throw", async () => {
    const deep = withKey("[".repeat(20_000) + "]".repeat(20_000));
    const result = validatePolicyText(deep);
    expect(result.ok).toBe(false);
    expect(result.issues).toContainEqual(
      expect.objectContaining({ severity: "error", path: "identity.tokenIssuers[0].keys.jwks.keys[0]" }),
    );
    expect((await loadPolicy(deep)).ok).toBe(false);
  });

  it("takes a key with a list member (x5c, key_ops), and refuses one holding more than 200 values", () => {
    expect(validatePolicyText(withKey('["verify"]')).issues.filter((i) => i.severity === "error")).toEqual([]);
    expect(validatePolicyText(withKey(JSON.stringify(Array(250).fill("a")))).ok).toBe(false);
  });
});
