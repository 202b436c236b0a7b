// ASSERTION_SIGNING_KEYS read once, for the Worker and for `ward keygen --add-to`: a set one accepts, the other
// does (policy/assertion-key-set.ts).
import { exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { readAssertionKeySet } from "../../policy/assertion-key-set.ts";

async function privateKey(kid: string) {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid };
}

const text = (keys: unknown) => JSON.stringify({ keys });

describe("readAssertionKeySet", () => {
  it("takes a private first key and publishes every key's public members only", async () => {
    const first = await privateKey("new");
    const { d: _d, ...retired } = await privateKey("old");
    const read = readAssertionKeySet(text([{ ...first, key_ops: ["sign"], ext: true }, retired]));
    expect(read.ok && read.signer.kid).toBe("new");
    expect(read.ok && read.published).toEqual([
      { kty: "EC", crv: "P-256", x: first.x, y: first.y, kid: "new", alg: "ES256", use: "sig" },
      { kty: "EC", crv: "P-256", x: retired.x, y: retired.y, kid: "old", alg: "ES256", use: "sig" },
    ]);
  });

  it("refuses what the Worker could not sign or publish with", async () => {
    const key = await privateKey("a");
    const { d: _d, ...publicOnly } = key;
    for (const [secret, problem] of [
      ["not json", "must be"],
      ["null", "must be"],
      [text([]), "must be"],
      [text([publicOnly]), "must be"],
      [text([null]), "must be"],
      [text([key, "b"]), "must be"],
      [text([{ ...key, kty: "RSA" }]), "must be"],
      [text([{ ...key, crv: "P-384" }]), "must be"],
      [text([key, { ...publicOnly, kid: "" }]), "needs a kid"],
      [text([key, { ...publicOnly, kid: "b", y: undefined }]), "needs a kid and must be EC P-256"],
      [text([key, { ...publicOnly, kid: "b", x: 5 }]), "needs a kid and must be EC P-256"],
      [text([key, publicOnly]), "its own kid"],
    ] as const) {
      const read = readAssertionKeySet(secret);
      expect(read.ok, secret).toBe(false);
      expect(!read.ok && read.problem, secret).toContain(problem);
    }
  });
});
