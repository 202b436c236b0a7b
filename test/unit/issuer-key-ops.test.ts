// A key set's keys as Ward hands them to jose (policy/issuer-key-set.ts usableKeys), and a failed verification's
// code as a problem name (worker/shared/jose-code.ts). WebCrypto will not import a public key whose key_ops name
// `sign`, and its DOMException's numeric code crashed the gateway (from a generated review of key sets).
import { describe, expect, it } from "vitest";
import { usableKeys } from "../../policy/issuer-key-set.ts";
import { joseCode } from "../../worker/shared/jose-code.ts";

const key = { kty: "EC", crv: "P-256", x: "x", y: "y", kid: "k" };

describe("a key's key_ops", () => {
  it.each([
    [["verify"], true],
    [["sign", "verify"], true],
    [["sign"], false],
    [[], false],
    [["verify", "verify"], false],
    [["verify", 1], false],
    ["verify", false],
  ])("%j: usable %s, and never handed on", (ops, usable) => {
    const keys = usableKeys({ keys: [{ ...key, key_ops: ops }] }, "sig");
    expect(keys).toEqual(usable ? [{ ...key, use: "sig" }] : []);
  });
});

describe("a failed verification's problem", () => {
  it("is jose's code, a DOMException's is key-unusable, and anything else none", () => {
    expect(joseCode(Object.assign(new Error("x"), { code: "ERR_JWT_EXPIRED" }))).toBe("ERR_JWT_EXPIRED");
    expect(joseCode(new DOMException("bad point", "DataError"))).toBe("key-unusable");
    expect(joseCode(Object.assign(new Error("x"), { code: 12 }))).toBeUndefined();
    expect(joseCode(new TypeError("fetch failed"))).toBeUndefined();
    expect(joseCode(undefined)).toBeUndefined();
  });
});
