// Whether a pinned CA's key signed a client certificate (identity.mtls.issuers[].certificate; the pinned
// certificate is read by policy/issuer-certificate.ts). Cloudflare verified the chain to some CA it trusts for
// the host; this checks that the certificate's direct issuer is the pinned one, not a look-alike carrying its
// SKI and DN, and each link of a path through intermediates the client sent (certificate-chain.ts). Checked
// once per certificate and isolate (mtls.ts keeps the judgement). Anything unexpected (an algorithm the pin's
// key cannot make, RSA-PSS, a malformed signature) is not a signature by that key.
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate } from "@peculiar/asn1-x509";
import type { IssuerCertificate } from "../../policy/index.ts";
import { derLength } from "../../policy/index.ts";

type Hash = "SHA-256" | "SHA-384" | "SHA-512";

/** Signature algorithms by OID: RSA PKCS #1 v1.5, ECDSA and Ed25519, as CAs sign certificates. */
const ALGORITHMS: Readonly<Record<string, { kind: IssuerCertificate["key"]["kind"]; hash?: Hash }>> = {
  "1.2.840.113549.1.1.11": { kind: "rsa", hash: "SHA-256" },
  "1.2.840.113549.1.1.12": { kind: "rsa", hash: "SHA-384" },
  "1.2.840.113549.1.1.13": { kind: "rsa", hash: "SHA-512" },
  "1.2.840.10045.4.3.2": { kind: "ecdsa", hash: "SHA-256" },
  "1.2.840.10045.4.3.3": { kind: "ecdsa", hash: "SHA-384" },
  "1.2.840.10045.4.3.4": { kind: "ecdsa", hash: "SHA-512" },
  "1.3.101.112": { kind: "ed25519" },
};

const CURVE_BYTES = { "P-256": 32, "P-384": 48, "P-521": 66 } as const;

/** An imported key per pinned certificate and hash (RSA binds the hash at import): imported once per isolate. */
const keys = new WeakMap<IssuerCertificate, Map<string, Promise<CryptoKey>>>();

function importedKey(pin: IssuerCertificate, hash: Hash | undefined): Promise<CryptoKey> {
  let byHash = keys.get(pin);
  if (!byHash) keys.set(pin, (byHash = new Map()));
  const slot = hash ?? "";
  let key = byHash.get(slot);
  if (!key) {
    const algorithm =
      pin.key.kind === "rsa"
        ? { name: "RSASSA-PKCS1-v1_5", hash }
        : pin.key.kind === "ecdsa"
          ? { name: "ECDSA", namedCurve: pin.key.curve }
          : { name: "Ed25519" };
    key = crypto.subtle.importKey("spki", pin.spki, algorithm, false, ["verify"]);
    // A key that does not import stays refused for good: the same bytes would fail again.
    byHash.set(slot, key);
  }
  return key;
}

/**
 * An ECDSA signature as X.509 writes it (a DER SEQUENCE of two INTEGERs) in the fixed-size form WebCrypto takes
 * (r and s, each left-padded to the curve's size); undefined when it is not that.
 */
function rawEcdsa(signature: Uint8Array, size: number): Uint8Array | undefined {
  if (signature[0] !== 0x30) return undefined;
  const sequence = derLength(signature, 1);
  if (!sequence || sequence.start + sequence.length !== signature.length) return undefined;
  const out = new Uint8Array(2 * size);
  let at = sequence.start;
  for (let part = 0; part < 2; part++) {
    if (signature[at] !== 0x02) return undefined;
    const integer = derLength(signature, at + 1);
    if (!integer || integer.length < 1) return undefined;
    let bytes = signature.subarray(integer.start, integer.start + integer.length);
    if (bytes.length !== integer.length) return undefined;
    while (bytes.length > 1 && bytes[0] === 0) bytes = bytes.subarray(1);
    if (bytes.length > size) return undefined;
    out.set(bytes, part * size + size - bytes.length);
    at = integer.start + integer.length;
  }
  return at === signature.length ? out : undefined;
}

/**
 * Whether `pin`'s key signed the certificate: its DER (its bytes already checked against the verified fingerprint),
 * or its parse, for one checked against several keys (certificate-chain.ts parses each once).
 */
export async function signedBy(signed: Uint8Array | Certificate, pin: IssuerCertificate): Promise<boolean> {
  try {
    const certificate = signed instanceof Certificate ? signed : AsnConvert.parse(signed, Certificate);
    const outer = certificate.signatureAlgorithm.algorithm;
    // The algorithm signed inside the certificate must be the one it is verified with (RFC 5280, 4.1.1.2).
    if (certificate.tbsCertificate.signature.algorithm !== outer) return false;
    const algorithm = ALGORITHMS[outer];
    const tbs = certificate.tbsCertificateRaw;
    if (!algorithm || algorithm.kind !== pin.key.kind || !tbs) return false;
    const key = await importedKey(pin, algorithm.hash);
    let signature: Uint8Array | undefined = new Uint8Array(certificate.signatureValue);
    if (pin.key.kind === "ecdsa") {
      signature = rawEcdsa(signature, CURVE_BYTES[pin.key.curve]);
      if (!signature) return false;
      return await crypto.subtle.verify({ name: "ECDSA", hash: algorithm.hash! }, key, signature, tbs);
    }
    return await crypto.subtle.verify(key.algorithm.name, key, signature, tbs);
  } catch {
    return false;
  }
}
