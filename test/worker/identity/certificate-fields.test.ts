// An intermediate's names and dates, read from its DER before any parse (worker/identity/certificate-fields.ts);
// the dates in the forms X.509 allows and no other: the schema's reader took a GeneralizedTime's offset the wrong
// way round and rolled a 13th month into the next year, so an intermediate expired at the request was in date.
import { describe, expect, it } from "vitest";
import intermediatePem from "../../fixtures/certs/chain/chain-intermediate.pem?raw";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate } from "@peculiar/asn1-x509";
import { nameText } from "../../../policy/index.ts";
import { certificateFieldsOf } from "../../../worker/identity/certificate-fields.ts";

const UTC = 0x17;
const GENERALIZED = 0x18;

/** One DER element (lengths of up to two octets). */
function tlv(tag: number, ...content: number[][]): number[] {
  const body = content.flat();
  const n = body.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return [tag, ...length, ...body];
}
const text = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const time = (tag: number, s: string): number[] => tlv(tag, text(s));

/** A certificate's skeleton up to its validity (what validityOf walks), then a subject. */
function certificate(validity: number[], version = true): Uint8Array {
  const tbs = tlv(
    0x30,
    version ? tlv(0xa0, tlv(0x02, [2])) : [],
    tlv(0x02, [1]),
    tlv(0x30, tlv(0x06, [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02])),
    tlv(0x30),
    validity,
    tlv(0x30),
  );
  return Uint8Array.from(tlv(0x30, tbs, tlv(0x30), tlv(0x03, [0])));
}
const validityOf = (der: Uint8Array) => {
  const fields = certificateFieldsOf(der);
  return fields && { notBefore: fields.notBefore, notAfter: fields.notAfter };
};
const notAfterOf = (tag: number, s: string) =>
  validityOf(certificate(tlv(0x30, time(UTC, "261201000000Z"), time(tag, s))))?.notAfter;

describe("a certificate's validity, read as X.509 writes it", () => {
  it("reads UTCTime and GeneralizedTime in their one form each", () => {
    expect(
      validityOf(certificate(tlv(0x30, time(UTC, "261201000000Z"), time(GENERALIZED, "20270101140000Z")))),
    ).toEqual({ notBefore: Date.UTC(2026, 11, 1), notAfter: Date.UTC(2027, 0, 1, 14) });
    // A UTCTime's year from 50 is 19xx (RFC 5280, 4.1.2.5.1), below it 20xx.
    expect(notAfterOf(UTC, "500101000000Z")).toBe(Date.UTC(1950, 0, 1));
    expect(notAfterOf(UTC, "491231235959Z")).toBe(Date.UTC(2049, 11, 31, 23, 59, 59));
    // GeneralizedTime's years are as written, a year below 100 too; 9999-12-31 is "no well-defined end".
    expect(notAfterOf(GENERALIZED, "00270101000000Z")).toBe(new Date("0027-01-01T00:00:00Z").getTime());
    expect(notAfterOf(GENERALIZED, "99991231235959Z")).toBe(Date.UTC(9999, 11, 31, 23, 59, 59));
    expect(notAfterOf(GENERALIZED, "20280229000000Z")).toBe(Date.UTC(2028, 1, 29));
    expect(notAfterOf(GENERALIZED, "20000229000000Z")).toBe(Date.UTC(2000, 1, 29));
    // No version field (a v1 certificate) moves nothing.
    expect(validityOf(certificate(tlv(0x30, time(UTC, "261201000000Z"), time(UTC, "270101000000Z")), false))).toEqual({
      notBefore: Date.UTC(2026, 11, 1),
      notAfter: Date.UTC(2027, 0, 1),
    });
  });

  it("refuses a time in any other form, where the schema's reader guessed", () => {
    for (const [tag, s] of [
      // Offsets (the schema read +1400 as 14 hours later), fractions, no Z, a field left out.
      [GENERALIZED, "20270101000000+1400"],
      [GENERALIZED, "20270101000000-0000"],
      [UTC, "270101000000+0000"],
      [UTC, "270101000000-1200"],
      [GENERALIZED, "20270101000000.5Z"],
      [GENERALIZED, "20270101000000"],
      [GENERALIZED, "202701010000Z"],
      [UTC, "2701010000Z"],
      [GENERALIZED, "20270101000000z"],
      // Fields out of range (the schema rolled them into the next month, day or hour).
      [GENERALIZED, "20271301000000Z"],
      [GENERALIZED, "20270001000000Z"],
      [GENERALIZED, "20270132000000Z"],
      [GENERALIZED, "20270100000000Z"],
      [GENERALIZED, "20270431000000Z"],
      [GENERALIZED, "20270229000000Z"],
      [GENERALIZED, "21000229000000Z"],
      [GENERALIZED, "20270101240000Z"],
      [GENERALIZED, "20270101250000Z"],
      [GENERALIZED, "20270101006000Z"],
      [GENERALIZED, "20270101000060Z"],
      // Not digits, or one form's length under the other's tag.
      [GENERALIZED, "2027010100000aZ"],
      [GENERALIZED, "2027-1-1000000Z"],
      [GENERALIZED, " 2027010100000Z"],
      [GENERALIZED, "+2027010100000Z"],
      [GENERALIZED, "270101000000Z"],
      [UTC, "20270101000000Z"],
      [UTC, "٢٧0101000000Z"],
      // Another type altogether (a UTF8String).
      [0x0c, "270101000000Z"],
    ] as const)
      expect(notAfterOf(tag, s), s).toBeUndefined();
  });

  it("refuses a validity that is not exactly two times, or not DER", () => {
    const nb = time(UTC, "261201000000Z");
    const na = time(UTC, "270101000000Z");
    for (const validity of [
      tlv(0x30, nb),
      tlv(0x30, nb, na, na),
      tlv(0x30, nb, na, [0x00]),
      // A length in the long form where the short one fits.
      tlv(0x30, nb, [UTC, 0x81, 13, ...text("270101000000Z")]),
      // A time running past the validity.
      [0x30, nb.length + 2, ...nb, UTC, 13, ...text("2701")],
    ])
      expect(validityOf(certificate(validity))).toBeUndefined();
    expect(validityOf(Uint8Array.from([0x30, 0x00]))).toBeUndefined();
    expect(validityOf(new Uint8Array(0))).toBeUndefined();
  });

  it("reads an openssl certificate's names as the schema writes them, and its dates as openssl prints them", () => {
    const der = Uint8Array.from(atob(intermediatePem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, "")), (c) =>
      c.charCodeAt(0),
    );
    const parsed = AsnConvert.parse(der, Certificate).tbsCertificate;
    expect(certificateFieldsOf(der)).toMatchObject({
      issuer: nameText(parsed.issuer),
      subject: nameText(parsed.subject),
    });
    // openssl x509 -noout -dates: Dec  5 11:53:22 2026 GMT, Dec  2 11:53:22 2036 GMT
    expect(validityOf(der)).toEqual({
      notBefore: Date.parse("Dec  5 11:53:22 2026 GMT"),
      notAfter: Date.parse("Dec  2 11:53:22 2036 GMT"),
    });
  });
});
