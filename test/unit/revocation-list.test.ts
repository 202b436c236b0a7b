// Certificates as a CRL names them: the normal form of "issuer SKI/serial", and reading a real CRL (made by
// openssl, test/fixtures/certs/README.md) into it, PEM or DER; what is not a usable CRL is refused with why: among
// them a list whose entries may not be its issuer's certificates revoked for good (test/fixtures/certs/crl/).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readRevocationList } from "../../scripts/crl.ts";
import { issuerSerial, parseIssuerSerial } from "../../policy/issuer-serial.ts";

const CERTS = join(import.meta.dirname, "../fixtures/certs");
const crl = (name: string) => readFileSync(join(CERTS, "crl", `${name}.crl.pem`));
const derOf = (pem: Buffer) =>
  Buffer.from(
    pem
      .toString("latin1")
      .replace(/-----[A-Z0-9 ]+-----/g, "")
      .replace(/\s+/g, ""),
    "base64",
  );
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
    expect(readRevocationList(derOf(pem))).toEqual(expected);
  });

  it("reads past what only scopes the list or may be ignored", () => {
    // A critical issuingDistributionPoint naming a distribution point and user certificates only, a critical CRL
    // number, and non-critical extensions Ward does not know, on the list and on an entry with a reason.
    expect(readRevocationList(crl("accepted"))).toEqual(expected);
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

describe("a CRL whose entries may not be its issuer's certificates revoked for good", () => {
  // Each would be filed as "<the CRL's key>/<serial>", revoked for good: another CA's certificate as this CA's
  // (revoking an unrelated one that shares the serial), a certificate no longer revoked as revoked.
  it.each<[string, string, RegExp]>([
    [
      "an indirect CRL: an entry names another CA (critical certificateIssuer, indirectCRL)",
      "indirect",
      /is an indirect CRL \(issuingDistributionPoint indirectCRL\).*each CA's own CRL/,
    ],
    [
      "an entry naming another issuer (certificateIssuer, not critical)",
      "certificate-issuer",
      /entry for serial 49253288284ba287bf59ac7bc875c99d4b7f9492 names another issuer \(certificateIssuer/,
    ],
    ["a list that says it is indirect", "indirect-idp", /is an indirect CRL \(issuingDistributionPoint indirectCRL\)/],
    [
      "a list of only some reasons",
      "some-reasons",
      /only some revocation reasons \(issuingDistributionPoint onlySomeReasons\)/,
    ],
    ["a delta CRL", "delta", /is a delta CRL \(deltaCRLIndicator\).*complete CRL/],
    [
      "an entry taken off the list (removeFromCRL)",
      "remove-from-crl",
      /entry for serial 4925.* has the reason removeFromCRL/,
    ],
    [
      "a critical CRL extension Ward does not process",
      "unknown-critical",
      /^the CRL has a critical extension Ward does not process \(1\.3\.6\.1\.4\.1\.32473\.1\); RFC 5280/,
    ],
    [
      "a critical entry extension Ward does not process",
      "unknown-critical-entry",
      /entry for serial 4925.* has a critical extension Ward does not process \(1\.3\.6\.1\.4\.1\.32473\.2\)/,
    ],
    ["two authorityKeyIdentifiers", "two-akis", /has the extension 2\.5\.29\.35 twice/],
  ])("refuses %s", (_name, fixture, message) => {
    expect(() => readRevocationList(crl(fixture))).toThrow(message);
    expect(() => readRevocationList(derOf(crl(fixture)))).toThrow(message);
  });

  // revoked.crl.pem's authorityKeyIdentifier, its value's bytes changed in place: read otherwise, it would name
  // another key.
  it.each<[string, string]>([
    ["a SET where its SEQUENCE is", "0418311680143a45"],
    ["bytes after its SEQUENCE (a shorter key identifier, then two bytes)", "0418301480123a45"],
  ])("refuses an extension whose value does not decode: %s", (_name, patch) => {
    const der = derOf(readFileSync(join(CERTS, "revoked.crl.pem")));
    const at = der.indexOf(Buffer.from("0418301680143a45", "hex"));
    expect(at).toBeGreaterThan(0);
    Buffer.from(patch, "hex").copy(der, at);
    expect(() => readRevocationList(der)).toThrow(/^the CRL's authorityKeyIdentifier extension does not decode$/);
  });
});

describe("one CRL a file", () => {
  const pem = readFileSync(join(CERTS, "revoked.crl.pem"));
  const other = readFileSync(join(CERTS, "no-aki.crl.pem"));

  it("refuses a PEM file holding several CRLs, rather than reading the first alone", () => {
    expect(() => readRevocationList(Buffer.concat([pem, other]))).toThrow(/holds 2 CRLs: give Ward one CRL a file/);
    expect(() => readRevocationList(Buffer.concat([pem, crl("indirect")]))).toThrow(/holds 2 CRLs/);
  });

  it("refuses a second CRL's base64 pasted after the first's in one PEM block (from a review)", () => {
    // Node's decoder stops at the first's padding, so the second (an indirect CRL) went unread.
    const body = (file: Buffer) =>
      file
        .toString("latin1")
        .replace(/-----[A-Z0-9 ]+-----/g, "")
        .trim();
    expect(body(pem).endsWith("=")).toBe(true);
    const both = Buffer.from(
      `-----BEGIN X509 CRL-----\n${body(pem)}\n${body(crl("indirect"))}\n-----END X509 CRL-----\n`,
      "latin1",
    );
    expect(() => readRevocationList(both)).toThrow(/not one base64 text: give Ward one CRL a file/);
    // Line breaks anywhere in one CRL's base64 are still read.
    const rewrapped = `-----BEGIN X509 CRL-----\n${body(pem)
      .replace(/\s+/g, "")
      .replace(/(.{10})/g, "$1\n")}\n-----END X509 CRL-----\n`;
    expect(readRevocationList(Buffer.from(rewrapped, "latin1"))).toEqual(readRevocationList(pem));
  });

  it.each<[string, Buffer]>([
    ["a second CRL", derOf(other)],
    ["stray bytes", Buffer.from([0, 0])],
  ])("refuses DER followed by %s", (_name, after) => {
    expect(() => readRevocationList(Buffer.concat([derOf(pem), after]))).toThrow(
      /more than one CRL's DER, or bytes after it/,
    );
  });
});
