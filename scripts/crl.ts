// A certificate revocation list (RFC 5280), PEM or DER, read into what the denylist matches: "<issuer
// SKI>/<serial>" per revoked certificate. The issuer is named by the CRL's authorityKeyIdentifier, the key
// identifier Cloudflare reports as certIssuerSKI. The CRL's signature is not checked: like a fingerprint typed
// on the command line, the operator vouches for the file, and a forged one could only refuse, never admit.
// A list whose entries may not be that issuer's certificates revoked for good is refused (crl-extensions.ts), and
// so is one with a negative serial, or not in DER as RFC 5280 lays a v2 CRL out (crl-shape.ts).
import { AsnConvert } from "@peculiar/asn1-schema";
import { CertificateList } from "@peculiar/asn1-x509";
import { issuerSerial, oneDerElement, strictDerTree } from "../policy/index.ts";
import { checkEntry, crlIssuerKey } from "./crl-extensions.ts";
import { checkCrlShape } from "./crl-shape.ts";

export interface RevocationList {
  issuerSki: string;
  /** "<issuer SKI>/<serial>" per revoked certificate, in the list's order. */
  revoked: string[];
}

const hex = (bytes: ArrayBuffer) => Buffer.from(bytes).toString("hex");

const PEM = /-----BEGIN X509 CRL-----([A-Za-z0-9+/=\s]+)-----END X509 CRL-----/g;

// One CRL a file, refused otherwise: each names its own issuer, and of a bundle only the first used to be read,
// leaving the others' certificates admitted without a word. One command per CRL.
function derOf(file: Buffer): Buffer {
  const text = file.toString("latin1");
  const blocks = [...text.matchAll(PEM)];
  if (blocks.length > 1)
    throw new Error(`the file holds ${blocks.length} CRLs: give Ward one CRL a file, one command each`);
  if (blocks.length === 1) {
    // Read strictly: Node's decoder stops at the first padding without a word, so a second CRL's base64 pasted
    // after the first's in one block would go unread (from a review).
    const body = blocks[0]![1]!.replace(/\s+/g, "");
    const der = Buffer.from(body, "base64");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0 || der.toString("base64") !== body)
      throw new Error("the CRL's PEM block is not one base64 text: give Ward one CRL a file, one command each");
    return der;
  }
  if (text.includes("-----BEGIN")) throw new Error("not a CRL: expected -----BEGIN X509 CRL----- or DER");
  return file;
}

/** Throws with a message an operator can act on when the file is not a CRL Ward can use. */
export function readRevocationList(file: Buffer): RevocationList {
  const der = derOf(file);
  let list: CertificateList;
  try {
    // asn1js stops at 10,000 nodes by default, which a CRL of a thousand entries with reason codes passes: the
    // file's size bounds the nodes instead (each takes two bytes at least), as it bounds strictDerTree below.
    list = AsnConvert.parse(der, CertificateList, { berOptions: { maxNodes: der.length } });
  } catch {
    throw new Error("not a CRL: the file does not decode as an X.509 CertificateList");
  }
  if (!oneDerElement(der))
    throw new Error("the file holds more than one CRL's DER, or bytes after it: give Ward one CRL a file");
  // DER all the way down, and every field where RFC 5280 puts it: what the schema's reader takes leniently,
  // openssl refuses or reads otherwise. An element takes two bytes at least, so the file's size bounds the walk.
  // The framing first (checkCrlShape walks its lengths), then the fields (whose messages name a padded version or
  // serial), then every other INTEGER (one in the signature algorithm's parameters, say).
  if (!strictDerTree(der, der.length, { integers: false })) throw notDer();
  checkCrlShape(der);
  if (!strictDerTree(der, der.length)) throw notDer();
  const issuerSki = hex(crlIssuerKey(list.tbsCertList.crlExtensions ?? []));
  const revoked = (list.tbsCertList.revokedCertificates ?? []).map((entry) => {
    refuseNegative(entry.userCertificate);
    checkEntry(hex(entry.userCertificate), entry.crlEntryExtensions ?? []);
    const value = issuerSerial(issuerSki, hex(entry.userCertificate));
    if (!value) throw new Error(`the CRL lists a serial number Ward cannot read: ${hex(entry.userCertificate)}`);
    return value;
  });
  return { issuerSki, revoked };
}

/**
 * RFC 5280 (4.1.2.2) forbids a negative serial number, and none is stored: the denylist names a serial by its
 * digits, so one INTEGER's two's complement (-1 is 0xff) would be read as a positive number, revoking another
 * certificate of this CA and leaving the listed one admitted. The whole list is refused, so nothing of it is
 * half imported.
 */
function refuseNegative(serial: ArrayBuffer): void {
  const bytes = new Uint8Array(serial);
  if ((bytes[0] ?? 0) < 0x80) return;
  const magnitude = (1n << BigInt(8 * bytes.length)) - BigInt(`0x${hex(serial)}`);
  const digits = magnitude.toString(16);
  throw new Error(
    `the CRL's entry for serial -${digits.length % 2 ? `0${digits}` : digits} has a negative serial number, which RFC 5280 forbids and Ward cannot match to the certificate Cloudflare reports: revoke that certificate by --fingerprint instead`,
  );
}

const notDer = () =>
  new Error(
    "the CRL is not DER (a length not in its shortest form or indefinite, a string in pieces, a padded OID or INTEGER): give Ward the CRL as the CA wrote it",
  );
