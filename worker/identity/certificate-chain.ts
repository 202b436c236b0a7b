// A client certificate reaching a pinned CA through intermediate CAs the client sent (identity.mtls.issuers[]
// with `intermediates`). SPIRE below an upstream authority signs with an intermediate it rotates (by default
// daily): pinning the authority's root, and checking the path to it here, spares a push per rotation.
// Cloudflare verified the chain to some CA it trusts for the host, which may be another team's: this checks,
// with each certificate's own key, that the path ends at the pinned one. Cloudflare gives the intermediates as
// sent (certChainRFC9440, not reordered, not validated), so every one is read as hostile: one DER structure, a
// CA's certificate with keyCertSign, for client authentication (an extendedKeyUsage, if any, with clientAuth), no
// constraint Ward does not apply, within the path lengths above it, its dates in the forms X.509 allows.
// Run once per certificate and isolate (worker/identity/mtls.ts keeps the judgement, with the path's dates).
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate } from "@peculiar/asn1-x509";
import { caCertificateOf, type IssuerCertificate, keyIdentifiersOf, nameText } from "../../policy/index.ts";
import { signedBy } from "./certificate-signature.ts";
import { validityOf } from "./certificate-validity.ts";
import { byteSequence, singleDerSequence } from "./der.ts";

/** A pin that may be reached through intermediates: its trust domains, and how many may stand between. */
export interface ChainPin {
  certificate: IssuerCertificate;
  trustDomains: ReadonlySet<string>;
  intermediates: number;
}

/** Cloudflare's bound on the field (16 KiB) allows about ten certificates; a path here uses at most three. */
const MAX_CHAIN_CERTIFICATES = 4;
const MAX_CHAIN_CHARACTERS = 16_384;
/**
 * Signatures checked for one certificate at most. An honest path takes one per link and one for the pin, two
 * paths during a rotation twice that; a chain of certificates that all sign one another (one key, one name)
 * would take ~100.
 */
const MAX_SIGNATURE_CHECKS = 10;

/** An intermediate as the path check reads it. */
interface Intermediate {
  der: Uint8Array;
  /** Its issuer's name, as nameText writes it. */
  issuer: string;
  ca: IssuerCertificate | undefined;
  notBefore: number;
  notAfter: number;
}

export type ChainProblem = "unparseable-certificate" | "certificate-too-large";

/**
 * The certificates of an RFC 9440 Client-Cert-Chain value (an RFC 8941 list of byte sequences, without
 * parameters), each one DER structure; the empty value is no chain. Anything else is refused, never guessed at.
 */
export function chainCertificates(value: string): Uint8Array[] | ChainProblem {
  if (value === "") return [];
  if (value.length > MAX_CHAIN_CHARACTERS) return "certificate-too-large";
  const members = value.split(",");
  if (members.length > MAX_CHAIN_CERTIFICATES) return "certificate-too-large";
  const out: Uint8Array[] = [];
  for (const member of members) {
    // RFC 8941's list allows optional spaces and tabs around each comma, and leading spaces.
    const der = byteSequence(member.replace(/^[ \t]+|[ \t]+$/g, ""));
    if (!der || !singleDerSequence(der)) return "unparseable-certificate";
    out.push(der);
  }
  return out;
}

/**
 * An RSA key of more than 4,096 bits (its SubjectPublicKeyInfo past this many bytes) signs nothing on a path: a
 * client choosing the intermediates' keys would otherwise make each check cost what it likes.
 */
const MAX_RSA_SPKI_BYTES = 600;

function intermediateOf(der: Uint8Array): Intermediate | undefined {
  // Its dates as X.509 writes them, or it signs nothing (certificate-validity.ts: the schema's reading is lax).
  const validity = validityOf(der);
  if (!validity) return undefined;
  try {
    const parsed = AsnConvert.parse(der, Certificate);
    const read = caCertificateOf(parsed);
    const usable =
      read.ok &&
      read.certificate.clientAuth &&
      read.certificate.unapplied.length === 0 &&
      !(read.certificate.key.kind === "rsa" && read.certificate.spki.length > MAX_RSA_SPKI_BYTES);
    return {
      der,
      issuer: nameText(parsed.tbsCertificate.issuer),
      // Not a CA Ward can check, one for other purposes than client authentication, or one with a constraint it
      // would ignore: it signs nothing on a path.
      ca: usable ? read.certificate : undefined,
      notBefore: validity.notBefore,
      notAfter: validity.notAfter,
    };
  } catch {
    return undefined;
  }
}

/**
 * The key identifiers of every certificate the client sent beside its own (certChainRFC9440), whether or not a
 * path to a pin uses them: a `ca` revocation refuses a certificate sent with a revoked CA's, however its identity
 * was reached (a name pin does not read the chain, and Cloudflare may have verified through it). `complete` is
 * false when the chain could not be read whole (over Cloudflare's bound, or not DER): what it held is unknown.
 */
export function sentKeyIdentifiers(value: string, tooLarge: boolean): { keys: string[]; complete: boolean } {
  if (tooLarge) return { keys: [], complete: false };
  const chain = chainCertificates(value);
  if (typeof chain === "string") return { keys: [], complete: false };
  const keys: string[] = [];
  for (const der of chain) {
    try {
      keys.push(...keyIdentifiersOf(AsnConvert.parse(der, Certificate)));
    } catch {
      return { keys, complete: false };
    }
  }
  return { keys, complete: true };
}

function issuerName(der: Uint8Array): string | undefined {
  try {
    return nameText(AsnConvert.parse(der, Certificate).tbsCertificate.issuer);
  } catch {
    return undefined;
  }
}

/** The pins a path reached, and the dates within which every intermediate on it is valid. */
export interface ChainedTrust {
  trustDomains: ReadonlySet<string>;
  notBefore: number;
  notAfter: number;
  /** The key identifiers (SKI, lower-case hex) of the CAs on the path: its intermediates and the pins reached. */
  caKeys: readonly string[];
}

/** How many intermediates a CA may have below it on a path: its pathLenConstraint, if any. */
const allows = (ca: IssuerCertificate, below: number): boolean => ca.pathLength === undefined || ca.pathLength >= below;

/** Of two paths, the one to keep: in date at `now` first, then the one valid longest. */
const better = (a: ChainedTrust, b: ChainedTrust, now: number): ChainedTrust => {
  const valid = (p: ChainedTrust) => now >= p.notBefore && now <= p.notAfter;
  if (valid(a) !== valid(b)) return valid(a) ? a : b;
  return b.notAfter > a.notAfter ? b : a;
};

/**
 * The path from the client certificate `leaf` through intermediates in `chain` to a pin: each link's signature
 * checked with the key above it, names chained, each CA's path length respected (the pin's too), no
 * intermediate twice, at most as many as the pin allows. Every pin the path's last intermediate reaches lends
 * its trust domains. Of several paths (a rotation: the old intermediate and the new, one key), the one in date at
 * `now` that is valid longest, whatever order the client sent them in. Undefined when none reaches a pin.
 */
export async function chainedTrust(
  leaf: Uint8Array,
  chain: readonly Uint8Array[],
  pins: readonly ChainPin[],
  now: number,
): Promise<ChainedTrust | undefined> {
  const deepest = Math.max(0, ...pins.map((pin) => pin.intermediates));
  const leafIssuer = issuerName(leaf);
  if (leafIssuer === undefined || deepest === 0 || chain.length === 0) return undefined;
  const intermediates = chain.map(intermediateOf);
  // No intermediate names a pin as its issuer: no path can end at one, and no signature need be checked.
  if (!intermediates.some((i) => i?.ca && pins.some((pin) => pin.certificate.subject === i.issuer))) return undefined;
  let checks = 0;
  // Past the bound, no signature is taken as made: the path fails closed.
  const signs = (der: Uint8Array, ca: IssuerCertificate) => ++checks <= MAX_SIGNATURE_CHECKS && signedBy(der, ca);
  let found: ChainedTrust | undefined;

  // `below`: the intermediates already on the path, `current` the last of them (the leaf at first).
  // `keys`: the SKIs of the intermediates on the path so far.
  const extend = async (
    current: { der: Uint8Array; issuer: string },
    below: number,
    used: ReadonlySet<number>,
    notBefore: number,
    notAfter: number,
    keys: readonly string[],
  ): Promise<void> => {
    if (below > 0) {
      // A pin reached lends its trust domains (none, for a pin bound to none: reached, but it mints nothing).
      const reached: string[] = [];
      const trustDomains = new Set<string>();
      for (const pin of pins)
        if (
          pin.intermediates >= below &&
          allows(pin.certificate, below) &&
          pin.certificate.subject === current.issuer &&
          (await signs(current.der, pin.certificate))
        ) {
          reached.push(pin.certificate.ski);
          for (const domain of pin.trustDomains) trustDomains.add(domain);
        }
      if (reached.length > 0) {
        const path = { trustDomains, notBefore, notAfter, caKeys: [...keys, ...reached] };
        found = found ? better(found, path, now) : path;
        return;
      }
    }
    if (below === deepest) return;
    for (let i = 0; i < intermediates.length; i++) {
      const next = intermediates[i];
      if (!next?.ca || used.has(i) || next.ca.subject !== current.issuer || !allows(next.ca, below)) continue;
      if (!(await signs(current.der, next.ca))) continue;
      await extend(
        next,
        below + 1,
        new Set(used).add(i),
        Math.max(notBefore, next.notBefore),
        Math.min(notAfter, next.notAfter),
        [...keys, next.ca.ski],
      );
    }
  };
  await extend({ der: leaf, issuer: leafIssuer }, 0, new Set(), -Infinity, Infinity, []);
  return found;
}
