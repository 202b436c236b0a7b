// The certificates a client sent beside its own, as Cloudflare passes them on (certChainRFC9440: an RFC 8941 list
// of byte sequences, each one DER structure), read for the path to a pin (certificate-chain.ts) and for a `ca`
// revocation (mtls.ts). Every one is hostile, and a caller may send a new chain on each request (a judgement is
// kept per chain): so what reading one costs is bounded before it is parsed, by its size and by how many
// elements the parser may read, and each is parsed at most once per judgement, whoever asks first.
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate } from "@peculiar/asn1-x509";
import { keyIdentifiersOf } from "../../policy/index.ts";
import { byteSequence, singleDerSequence } from "./der.ts";

/** Cloudflare's bound on the field (16 KiB) allows about ten certificates; a path here uses at most three. */
const MAX_CHAIN_CERTIFICATES = 4;
const MAX_CHAIN_CHARACTERS = 16_384;
/**
 * A certificate of more bytes is not read (certificate-too-large). CA certificates are under 2 KiB, an RSA-4096
 * one signed with RSA-4096 and carrying policies and distribution points included (of a system's 195 roots, the
 * largest has 2,007 bytes).
 */
const MAX_SENT_CERTIFICATE_BYTES = 4_096;
/**
 * Nor parsed past this many ASN.1 elements (asn1js's nodes, those inside an OCTET or BIT STRING it reads too):
 * CA certificates have 60 to 120. A certificate of hundreds of one-letter names or empty extensions, naming the
 * pin as its issuer, cost ten times an honest judgement to parse; past the bound, parsing stops and it is no CA.
 */
const MAX_SENT_CERTIFICATE_NODES = 256;

export type ChainProblem = "unparseable-certificate" | "certificate-too-large";

/** A certificate the client sent: its DER, and the schema's reading of it, made once, when first asked for. */
export interface SentCertificate {
  der: Uint8Array;
  /** Undefined when it does not parse as a certificate within MAX_SENT_CERTIFICATE_NODES. */
  parsed(): Certificate | undefined;
}

function sentCertificate(der: Uint8Array): SentCertificate {
  let parsed: Certificate | null | undefined;
  return {
    der,
    parsed() {
      if (parsed === undefined) {
        try {
          parsed = AsnConvert.parse(der, Certificate, { berOptions: { maxNodes: MAX_SENT_CERTIFICATE_NODES } });
        } catch {
          parsed = null;
        }
      }
      return parsed ?? undefined;
    },
  };
}

/**
 * The certificates of an RFC 9440 Client-Cert-Chain value (an RFC 8941 list of byte sequences, without
 * parameters), each one DER structure of at most MAX_SENT_CERTIFICATE_BYTES; the empty value is no chain.
 * Anything else is refused, never guessed at.
 */
export function chainCertificates(value: string): SentCertificate[] | ChainProblem {
  if (value === "") return [];
  if (value.length > MAX_CHAIN_CHARACTERS) return "certificate-too-large";
  const members = value.split(",");
  if (members.length > MAX_CHAIN_CERTIFICATES) return "certificate-too-large";
  const out: SentCertificate[] = [];
  for (const member of members) {
    // RFC 8941's list allows optional spaces and tabs around each comma, and leading spaces.
    const der = byteSequence(member.replace(/^[ \t]+|[ \t]+$/g, ""));
    if (!der || !singleDerSequence(der)) return "unparseable-certificate";
    if (der.length > MAX_SENT_CERTIFICATE_BYTES) return "certificate-too-large";
    out.push(sentCertificate(der));
  }
  return out;
}

/**
 * The key identifiers of every certificate the client sent beside its own, whether or not a path to a pin uses
 * them: a `ca` revocation refuses a certificate sent with a revoked CA's, however its identity was reached (a name
 * pin does not read the chain, and Cloudflare may have verified through it). `complete` is false when the chain
 * could not be read whole (over a bound, not DER, a certificate that does not parse): what it held is unknown.
 */
export function sentKeyIdentifiers(chain: readonly SentCertificate[] | ChainProblem): {
  keys: string[];
  complete: boolean;
} {
  if (typeof chain === "string") return { keys: [], complete: false };
  const keys: string[] = [];
  for (const sent of chain) {
    const parsed = sent.parsed();
    if (!parsed) return { keys, complete: false };
    try {
      keys.push(...keyIdentifiersOf(parsed));
    } catch {
      return { keys, complete: false };
    }
  }
  return { keys, complete: true };
}
