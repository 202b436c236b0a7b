// A client-certificate issuer pinned by its own certificate (identity.mtls.issuers[].certificate). An SKI or DN
// pin names a CA, but whoever makes a CA certificate chooses both: any other CA Cloudflare trusts for the host
// can sign an intermediate that carries them, and Cloudflare then reports them as the client certificate's
// issuer. A certificate pin gives Ward the CA's public key, and the Worker checks that it signed the client
// certificate (worker/identity/certificate-signature.ts). Read here once, for validation and for the Worker; the
// Worker reads the intermediate CAs a client sends (worker/identity/certificate-chain.ts) with caCertificateOf.
import { AsnConvert } from "@peculiar/asn1-schema";
import {
  BasicConstraints,
  Certificate,
  type Extension,
  ExtendedKeyUsage,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  KeyUsage,
  type Name,
  SubjectKeyIdentifier,
} from "@peculiar/asn1-x509";

/** The keys the Worker verifies signatures with (WebCrypto): what the issuing CAs in use have. */
export type IssuerKeyKind =
  | { kind: "rsa" }
  | { kind: "ecdsa"; curve: "P-256" | "P-384" | "P-521" }
  | { kind: "ed25519" };

export interface IssuerCertificate {
  /** Its subjectKeyIdentifier, lower-case hex: what Cloudflare's certIssuerSKI names for the certificates it issued. */
  ski: string;
  /** Its SubjectPublicKeyInfo, DER: the key the client certificate's signature must verify with. */
  spki: Uint8Array;
  key: IssuerKeyKind;
  /** Its subject name, DER as re-encoded here, hex: the issuer name of what it signs, read the same way. */
  subject: string;
  /** Its basicConstraints' pathLenConstraint: how many intermediate CAs may follow it; undefined, no limit. */
  pathLength?: number;
  /**
   * It may stand on a client certificate's path: no extendedKeyUsage, or one that lists clientAuth. As openssl
   * and BoringSSL check a chain for client authentication (`-purpose sslclient`), every CA's on it, the trust
   * anchor's too: a CA restricted to other purposes (a server CA) issues no workload identity through it.
   * anyExtendedKeyUsage alone does not do, nor an extendedKeyUsage twice or one that does not decode.
   */
  clientAuth: boolean;
  /**
   * The OIDs of its extensions that constrain a path and that Ward does not apply: every critical one it does not
   * know (RFC 5280, 4.2: a critical extension not understood refuses the certificate), and name and policy
   * constraints even when not marked critical (openssl and BoringSSL apply them either way). A CA on a path Ward
   * checks itself must carry none.
   */
  unapplied: readonly string[];
}

export type IssuerCertificateRead = { ok: true; certificate: IssuerCertificate } | { ok: false; problem: string };

/** The named curves, by the DER of their OIDs (the EC key's parameters): 1.2.840.10045.3.1.7, 1.3.132.0.34 and .35. */
const CURVES: Readonly<Record<string, "P-256" | "P-384" | "P-521">> = {
  "06082a8648ce3d030107": "P-256",
  "06052b81040022": "P-384",
  "06052b81040023": "P-521",
};
const RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
const EC_PUBLIC_KEY = "1.2.840.10045.2.1";
const ED25519 = "1.3.101.112";
/** A 2048-bit modulus and its exponent take at least this many bytes of RSAPublicKey DER (270 as usually written). */
const MIN_RSA_KEY_BYTES = 260;

/** keyCertSign (bit 5), in the first octet of keyUsage's BIT STRING, as openssl reads it (worker/identity/mtls.ts). */
const KEY_CERT_SIGN = 0x04;

/** The critical extensions a chain check applies or that constrain nothing it reads (RFC 5280, 4.2.1). */
const APPLIED_CRITICAL: ReadonlySet<string> = new Set([
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_extKeyUsage,
  id_ce_subjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
  id_ce_subjectAltName,
]);

/** nameConstraints, policyConstraints and inhibitAnyPolicy: constraints on a path, critical or not. */
const PATH_CONSTRAINTS: ReadonlySet<string> = new Set(["2.5.29.30", "2.5.29.36", "2.5.29.54"]);

/** id-kp-clientAuth (RFC 5280, 4.2.1.12). */
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

const hex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

const PEM = /^\s*-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END CERTIFICATE-----\s*$/;

/** Whether the certificate's extendedKeyUsage, if it has one, lets it serve client authentication (`clientAuth`). */
function allowsClientAuth(extensions: readonly Extension[]): boolean {
  const usages = extensions.filter((e) => e.extnID === id_ce_extKeyUsage);
  if (usages.length === 0) return true;
  try {
    return usages.length === 1 && AsnConvert.parse(usages[0]!.extnValue, ExtendedKeyUsage).includes(CLIENT_AUTH);
  } catch {
    return false;
  }
}

function keyKind(der: Certificate): IssuerKeyKind | string {
  const info = der.tbsCertificate.subjectPublicKeyInfo;
  const algorithm = info.algorithm.algorithm;
  if (algorithm === RSA_ENCRYPTION)
    return info.subjectPublicKey.byteLength >= MIN_RSA_KEY_BYTES ? { kind: "rsa" } : "its RSA key is under 2048 bits";
  if (algorithm === ED25519) return { kind: "ed25519" };
  if (algorithm === EC_PUBLIC_KEY && info.algorithm.parameters) {
    const curve = CURVES[hex(new Uint8Array(info.algorithm.parameters))];
    if (curve) return { kind: "ecdsa", curve };
  }
  return "its key is neither RSA, ECDSA on P-256, P-384 or P-521, nor Ed25519";
}

/** The pinned certificate, or why it cannot be pinned (validation's invalid-issuer-certificate). */
export function readIssuerCertificate(pem: string): IssuerCertificateRead {
  const body = PEM.exec(pem)?.[1];
  if (body === undefined || body.includes("-----"))
    return {
      ok: false,
      problem: "must be one PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)",
    };
  let parsed: Certificate;
  try {
    const der = Uint8Array.from(atob(body.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
    parsed = AsnConvert.parse(der, Certificate);
  } catch {
    return { ok: false, problem: "is not a certificate: its PEM does not decode as X.509" };
  }
  return caCertificateOf(parsed);
}

/** A parsed certificate as a CA whose signatures Ward can check, or why it is not one. */
export function caCertificateOf(parsed: Certificate): IssuerCertificateRead {
  try {
    const extensions = parsed.tbsCertificate.extensions ?? [];
    const of = (id: string) => extensions.filter((e) => e.extnID === id);
    // A leaf's key signs no certificate: pinning one would match nothing, or a certificate it should not sign.
    const constraints = of(id_ce_basicConstraints);
    const basic = constraints.length === 1 ? AsnConvert.parse(constraints[0]!.extnValue, BasicConstraints) : undefined;
    if (!basic?.cA) return { ok: false, problem: "is not a CA's certificate (no basicConstraints with CA:TRUE)" };
    // A key whose usage leaves out keyCertSign must not verify certificates (RFC 5280, 4.2.1.3).
    const usages = of(id_ce_keyUsage);
    if (usages.length > 1) return { ok: false, problem: "has keyUsage twice" };
    if (
      usages.length === 1 &&
      ((new Uint8Array(AsnConvert.parse(usages[0]!.extnValue, KeyUsage).value)[0] ?? 0) & KEY_CERT_SIGN) === 0
    )
      return { ok: false, problem: "may not sign certificates (its keyUsage has no keyCertSign)" };
    const identifiers = of(id_ce_subjectKeyIdentifier);
    if (identifiers.length !== 1)
      return { ok: false, problem: "must carry one subjectKeyIdentifier (as RFC 5280 asks of every CA certificate)" };
    const ski = hex(new Uint8Array(AsnConvert.parse(identifiers[0]!.extnValue, SubjectKeyIdentifier).buffer));
    if (ski === "") return { ok: false, problem: "its subjectKeyIdentifier is empty" };
    const key = keyKind(parsed);
    if (typeof key === "string") return { ok: false, problem: key };
    const spki = new Uint8Array(AsnConvert.serialize(parsed.tbsCertificate.subjectPublicKeyInfo));
    const pathLength = basic.pathLenConstraint;
    const unapplied = extensions
      .filter((e) => PATH_CONSTRAINTS.has(e.extnID) || (e.critical && !APPLIED_CRITICAL.has(e.extnID)))
      .map((e) => e.extnID);
    return {
      ok: true,
      certificate: {
        ski,
        spki,
        key,
        subject: nameText(parsed.tbsCertificate.subject),
        ...(pathLength !== undefined ? { pathLength } : {}),
        clientAuth: allowsClientAuth(extensions),
        unapplied,
      },
    };
  } catch {
    return { ok: false, problem: "is not a certificate: its extensions or key do not decode" };
  }
}

/**
 * The subjectKeyIdentifier values a certificate carries (lower-case hex; none, one, or a hostile certificate's
 * several), read whether or not it is a CA's Ward could use.
 */
export function keyIdentifiersOf(parsed: Certificate): string[] {
  return (parsed.tbsCertificate.extensions ?? [])
    .filter((e) => e.extnID === id_ce_subjectKeyIdentifier)
    .map((e) => hex(new Uint8Array(AsnConvert.parse(e.extnValue, SubjectKeyIdentifier).buffer)))
    .filter((ski) => ski !== "");
}

/** A name as compared along a chain: its DER as this library writes it, hex (both sides are written the same way). */
export function nameText(name: Name): string {
  return hex(new Uint8Array(AsnConvert.serialize(name)));
}

/** Base64 of the pinned key, as `ward diff` names a certificate pin: a new key under the same SKI is a change. */
export function issuerKeyText(certificate: IssuerCertificate): string {
  let text = "";
  for (const byte of certificate.spki) text += String.fromCharCode(byte);
  return btoa(text);
}
