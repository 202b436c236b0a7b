// A CRL's DER read field by field as RFC 5280 5.1 lays it out, before the schema's reader takes it. That reader
// is lenient: it takes any version INTEGER, skips an element it does not expect and reads an INTEGER however it
// is encoded, so a file openssl refuses, or that another reader reads otherwise, was imported. Ward files every
// entry revoked for good: it takes only a list whose every field is read one way. The bytes are DER already
// (policy/der-length.ts strictDerTree): each length is there and ends inside its element.
import { derLength, minimalInteger } from "../policy/index.ts";

interface Element {
  tag: number;
  /** Where its contents start and end. */
  start: number;
  end: number;
}

/** The elements inside the contents [start, end). */
function elements(der: Uint8Array, start: number, end: number): Element[] {
  const out: Element[] = [];
  for (let at = start; at < end; ) {
    const length = derLength(der, at + 1)!;
    out.push({ tag: der[at]!, start: length.start, end: length.start + length.length });
    at = length.start + length.length;
  }
  return out;
}

const inside = (der: Uint8Array, element: Element) => elements(der, element.start, element.end);
const isTime = (element: Element | undefined) => element?.tag === 0x17 || element?.tag === 0x18;

function notRfc5280(what: string): Error {
  return new Error(
    `the CRL is not laid out as RFC 5280 (5.1) writes one: ${what}; openssl refuses it or another reader may read it otherwise: give Ward the CRL as the CA wrote it`,
  );
}

/**
 * Throws unless `der` (one DER element) is a v2 CertificateList with nothing the schema's reader would skip, and
 * each entry's serial is an INTEGER in its shortest form.
 */
export function checkCrlShape(der: Uint8Array): void {
  const top = elements(der, 0, der.length)[0]!;
  const [tbs, algorithm, signature, ...more] = top.tag === 0x30 ? inside(der, top) : [];
  if (tbs?.tag !== 0x30 || algorithm?.tag !== 0x30 || signature?.tag !== 0x03 || more.length > 0)
    throw notRfc5280("not a list, its signature algorithm and its signature");
  const fields = inside(der, tbs);
  checkVersion(der, fields[0]);
  // version, signature, issuer, thisUpdate, [nextUpdate], [revokedCertificates], [crlExtensions], nothing more
  let at = 1;
  if (fields[at]?.tag !== 0x30 || fields[at + 1]?.tag !== 0x30 || !isTime(fields[at + 2]))
    throw notRfc5280("no signature algorithm, issuer and thisUpdate after the version");
  at += 3;
  if (isTime(fields[at])) at++;
  if (fields[at]?.tag === 0x30) {
    const entries = inside(der, fields[at++]!);
    for (let i = 0; i < entries.length; i++) checkEntryShape(der, entries[i]!, i + 1);
  }
  if (fields[at]?.tag === 0xa0) {
    const [list, ...others] = inside(der, fields[at++]!);
    if (list?.tag !== 0x30 || others.length > 0 || !extensionsWellFormed(der, list))
      throw notRfc5280("its extensions are not a list of extensions");
  }
  if (at !== fields.length) throw notRfc5280("an element after its fields, or its fields out of order");
}

/** RFC 5280 5.1.2.1: a CRL with extensions, and Ward needs its authorityKeyIdentifier, MUST be v2 (INTEGER 1). */
function checkVersion(der: Uint8Array, version: Element | undefined): void {
  if (version?.tag !== 0x02)
    throw new Error(
      "the CRL is a v1 CRL (it has no version field), which RFC 5280 (5.1.2.1) lets carry no extensions, so no authorityKeyIdentifier to name its issuer: give Ward the CA's v2 CRL, or revoke by --fingerprint instead",
    );
  const value = Buffer.from(der.subarray(version.start, version.end)).toString("hex");
  if (value !== "01")
    throw new Error(
      `the CRL's version is not v2 (INTEGER 1) but the INTEGER ${value || "with no contents"}: RFC 5280 defines v1 and v2 CRLs only, and Ward reads v2 ones`,
    );
}

/** userCertificate, revocationDate, [crlEntryExtensions], nothing more. */
function checkEntryShape(der: Uint8Array, entry: Element, n: number): void {
  const [serial, date, extensions, ...more] = entry.tag === 0x30 ? inside(der, entry) : [];
  if (serial?.tag !== 0x02 || !isTime(date) || more.length > 0)
    throw notRfc5280(`its entry ${n} is not a serial number, a date and extensions`);
  if (extensions && (extensions.tag !== 0x30 || !extensionsWellFormed(der, extensions)))
    throw notRfc5280(`its entry ${n}'s extensions are not a list of extensions`);
  if (!minimalInteger(der, serial.start, serial.end))
    throw notRfc5280(
      `its entry ${n}'s serial number ${Buffer.from(der.subarray(serial.start, serial.end)).toString("hex") || "(empty)"} is not an INTEGER in its shortest form (X.690 8.3.2)`,
    );
}

/** Each exactly an Extension (RFC 5280 4.1): an OID, a `critical` written only when TRUE, one OCTET STRING. */
function extensionsWellFormed(der: Uint8Array, list: Element): boolean {
  return inside(der, list).every((extension) => {
    if (extension.tag !== 0x30) return false;
    const fields = inside(der, extension);
    const tags = fields.map((f) => f.tag).join();
    if (tags === "6,4") return true;
    // A BOOLEAN written out is TRUE in DER (FALSE is the DEFAULT, left out): strictDerTree read it as 0x00 or 0xFF.
    return tags === "6,1,4" && der[fields[1]!.start] === 0xff;
  });
}
