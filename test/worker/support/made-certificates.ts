// Certificates made in the test, unsigned (nothing here checks a signature: they stand for certificates a CA pinned
// by name, `dn`, issued, or for CAs a client sent beside its own, which Ward reads only for their key identifiers
// unless a certificate pin is reached through them). Each is one DER structure the gateway parses as a certificate.
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  Extension,
  Extensions,
  GeneralName,
  id_ce_basicConstraints,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  Name,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from "@peculiar/asn1-x509";

const EC_PUBLIC_KEY = "1.2.840.10045.2.1";
/** The named curve P-256 (1.2.840.10045.3.1.7), DER. */
const P256_PARAMETERS = new Uint8Array([6, 8, 0x2a, 0x86, 0x48, 0xce, 0x3d, 3, 1, 7]).buffer;
const ECDSA_SHA256 = "1.2.840.10045.4.3.2";
const COMMON_NAME = "2.5.4.3";

const bytes = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (b) => Number.parseInt(b, 16));

function name(commonName: string): Name {
  return new Name([
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({ type: COMMON_NAME, value: new AttributeValue({ utf8String: commonName }) }),
    ]),
  ]);
}

function extension(extnID: string, value: unknown, critical = false): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

interface Made {
  subject: string;
  serialHex: string;
  /** A workload's SAN URI (a leaf). */
  uri?: string;
  /** A CA's subject key identifier, hex (a CA: basicConstraints cA). */
  ski?: string;
}

/**
 * The serial's bytes as a CA writes them (RFC 5280 4.1.2.2, X.690 8.3.2): positive, in its fewest octets. Random
 * bytes may start at 0x80 (a negative INTEGER) or with a zero octet before one below 0x80 (padded), either of
 * which Ward refuses as a certificate no CA issues.
 */
function positiveInteger(value: Uint8Array): Uint8Array<ArrayBuffer> {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0 && value[start + 1]! < 0x80) start++;
  const minimal = value.subarray(start);
  if (minimal.length === 0) return Uint8Array.of(1);
  return minimal[0]! >= 0x80 ? Uint8Array.of(0, ...minimal) : Uint8Array.from(minimal);
}

function make(spec: Made): Uint8Array {
  const extensions: Extension[] = [];
  if (spec.uri)
    extensions.push(
      extension(
        id_ce_subjectAltName,
        new SubjectAlternativeName([new GeneralName({ uniformResourceIdentifier: spec.uri })]),
      ),
    );
  if (spec.ski) {
    extensions.push(extension(id_ce_basicConstraints, new BasicConstraints({ cA: true }), true));
    extensions.push(extension(id_ce_subjectKeyIdentifier, new SubjectKeyIdentifier(bytes(spec.ski))));
  }
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: positiveInteger(bytes(spec.serialHex)).buffer,
    signature: new AlgorithmIdentifier({ algorithm: ECDSA_SHA256 }),
    issuer: name("Ward Generated CA"),
    validity: new Validity({ notBefore: new Date(Date.UTC(2020, 0, 1)), notAfter: new Date(Date.UTC(2120, 0, 1)) }),
    subject: name(spec.subject),
    subjectPublicKeyInfo: new SubjectPublicKeyInfo({
      algorithm: new AlgorithmIdentifier({ algorithm: EC_PUBLIC_KEY, parameters: P256_PARAMETERS }),
      subjectPublicKey: new Uint8Array([4, ...new Uint8Array(64).fill(7)]).buffer,
    }),
    extensions: new Extensions(extensions),
  });
  const certificate = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: ECDSA_SHA256 }),
    signatureValue: new Uint8Array(8).buffer,
  });
  return new Uint8Array(AsnConvert.serialize(certificate));
}

/** A certificate as Cloudflare forwards it (RFC 9440's byte sequence) and its SHA-256, lower-case hex. */
export interface MadeCertificate {
  der: Uint8Array;
  rfc9440: string;
  sha256: string;
}

async function made(der: Uint8Array): Promise<MadeCertificate> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  let binary = "";
  for (const byte of der) binary += String.fromCharCode(byte);
  return {
    der,
    rfc9440: `:${btoa(binary)}:`,
    sha256: [...digest].map((b) => b.toString(16).padStart(2, "0")).join(""),
  };
}

/** A workload's certificate (a leaf) naming `uri` in its one SAN. */
export const makeLeaf = (uri: string, serialHex: string): Promise<MadeCertificate> =>
  made(make({ subject: "generated workload", serialHex, uri }));

/** A CA's certificate with the subject key identifier `ski` (hex). */
export const makeCa = (ski: string, serialHex = "01"): Promise<MadeCertificate> =>
  made(make({ subject: `generated CA ${ski.slice(0, 8)}`, serialHex, ski }));
