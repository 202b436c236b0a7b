// Certificates as a CRL names them: the normal form of "issuer SKI/serial", and reading a real CRL (made by
// openssl, test/fixtures/certs/README.md) into it, PEM or DER; what is not a usable CRL is refused with why.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readRevocationList } from "../../scripts/crl.ts";
import { issuerSerial, parseIssuerSerial } from "../../policy/issuer-serial.ts";

const CERTS = join(import.meta.dirname, "../fixtures/certs");
const SKI = "3a45f848c6050cd86d58fe6da772c4f3c3cef5c2";

describe("issuer and serial, in one form", () => {
  it.each([
    ["Cloudflare's fields", "3A45F848C6050CD86D58FE6DA772C4F3C3CEF5C2", "49253288284BA287BF59AC7BC875C99D4B7F9492"],
    [
      "openssl's colons, lower case",
      "3a:45:f8:48:c6:05:0c:d8:6d:58:fe:6d:a7:72:c4:f3:c3:ce:f5:c2",
      "49:25:32:88:28:4b:a2:87:bf:59:ac:7b:c8:75:c9:9d:4b:7f:94:92",
    ],
    ["a DER serial's leading zero byte", SKI, "0049253288284BA287BF59AC7BC875C99D4B7F9492"],
  ])("%s", (_name, ski, serial) => {
    expect(issuerSerial(ski, serial)).toBe(`${SKI}/49253288284ba287bf59ac7bc875c99d4b7f9492`);
  });

  it("a serial of zero stays a digit", () => {
    expect(issuerSerial(SKI, "00")).toBe(`${SKI}/0`);
  });

  it.each([
    ["no issuer", "", "0a"],
    ["no serial", SKI, ""],
    ["not hex", SKI, "xyz"],
    ["a short issuer", "3a45", "0a"],
  ])("refuses %s", (_name, ski, serial) => {
    expect(issuerSerial(ski, serial)).toBeUndefined();
  });

  it("parses ISSUER_SKI/SERIAL as typed, and nothing else", () => {
    expect(parseIssuerSerial(`${SKI.toUpperCase()}/0A`)).toBe(`${SKI}/a`);
    expect(parseIssuerSerial("0A")).toBeUndefined();
    expect(parseIssuerSerial(`${SKI}/0a/0b`)).toBeUndefined();
  });
});

describe("reading a CRL", () => {
  const pem = readFileSync(join(CERTS, "revoked.crl.pem"));
  const expected = { issuerSki: SKI, revoked: [`${SKI}/a1b2`, `${SKI}/49253288284ba287bf59ac7bc875c99d4b7f9492`] };

  it("PEM: the issuer from its authorityKeyIdentifier, every revoked serial", () => {
    expect(readRevocationList(pem)).toEqual(expected);
  });

  it("DER: the same", () => {
    const der = Buffer.from(
      pem
        .toString("latin1")
        .replace(/-----[A-Z0-9 ]+-----/g, "")
        .replace(/\s+/g, ""),
      "base64",
    );
    expect(readRevocationList(der)).toEqual(expected);
  });

  it.each<[string, Buffer, RegExp]>([
    ["a certificate", readFileSync(join(CERTS, "checkout.pem")), /^not a CRL: expected -----BEGIN X509 CRL-----/],
    ["bytes that are not DER", Buffer.from("hello, world"), /^not a CRL: the file does not decode/],
    [
      "a CRL without an authorityKeyIdentifier",
      readFileSync(join(CERTS, "no-aki.crl.pem")),
      /names no issuer key identifier .* --fingerprint/,
    ],
  ])("refuses %s, saying why", (_name, file, message) => {
    expect(() => readRevocationList(file)).toThrow(message);
  });
});
