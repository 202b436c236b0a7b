// A client certificate reaching a pinned CA through intermediate CAs the client sent (identity.mtls.issuers[]
// with `intermediates`). SPIRE below an upstream authority signs with an intermediate it rotates (by default
// daily): pinning the authority's root, and checking the path to it here, spares a push per rotation.
// Cloudflare verified the chain to some CA it trusts for the host, which may be another team's: this checks,
// with each certificate's own key, that the path ends at the pinned one. Cloudflare gives the intermediates as
// sent (certChainRFC9440, not reordered, not validated), so every one is read as hostile (sent-certificates.ts
// bounds what reading one costs, and this parses one only once its name puts it on a path): one DER structure,
// a CA's certificate with keyCertSign, for client authentication (an extendedKeyUsage, if any, with clientAuth),
// no constraint Ward does not apply, within the path lengths above it, its dates in the forms X.509 allows.
// Run once per certificate and isolate (worker/identity/mtls.ts keeps the judgement, with the path's dates).
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate } from "@peculiar/asn1-x509";
import { caCertificateOf, type IssuerCertificate, nameText } from "../../policy/index.ts";
import { type CertificateFields, certificateFieldsOf } from "./certificate-fields.ts";
import { signedBy } from "./certificate-signature.ts";
import type { SentCertificate } from "./sent-certificates.ts";

/** A pin that may be reached through intermediates: its trust domains, and how many may stand between. */
export interface ChainPin {
  certificate: IssuerCertificate;
  trustDomains: ReadonlySet<string>;
  intermediates: number;
}

/**
 * Signatures checked for one certificate at most. An honest path takes one per link and one for the pin, two
 * paths during a rotation twice that; a chain of certificates that all sign one another (one key, one name)
 * would take ~100.
 */
const MAX_SIGNATURE_CHECKS = 10;

/**
 * An RSA key of more than 4,096 bits (its SubjectPublicKeyInfo past this many bytes) signs nothing on a path: a
 * client choosing the intermediates' keys would otherwise make each check cost what it likes.
 */
const MAX_RSA_SPKI_BYTES = 600;

/**
 * The sent certificate as a CA that may sign on a path, or undefined: not a CA Ward can check, one for other
 * purposes than client authentication, or one with a constraint it would ignore.
 */
function caOf(sent: SentCertificate): { certificate: Certificate; ca: IssuerCertificate } | undefined {
  const parsed = sent.parsed();
  const read = parsed && caCertificateOf(parsed);
  if (!parsed || !read?.ok) return undefined;
  const ca = read.certificate;
  const usable =
    ca.clientAuth && ca.unapplied.length === 0 && !(ca.key.kind === "rsa" && ca.spki.length > MAX_RSA_SPKI_BYTES);
  return usable ? { certificate: parsed, ca } : undefined;
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
  chain: readonly SentCertificate[],
  pins: readonly ChainPin[],
  now: number,
): Promise<ChainedTrust | undefined> {
  const deepest = Math.max(0, ...pins.map((pin) => pin.intermediates));
  if (deepest === 0 || chain.length === 0) return undefined;
  // Each one's names and dates, read from its DER without parsing it; its dates as X.509 writes them, or it signs
  // nothing (certificate-fields.ts: the schema's reading of them is lax).
  const fields: (CertificateFields | undefined)[] = chain.map((sent) => certificateFieldsOf(sent.der));
  // None names a pin as its issuer: no path can end at one, and nothing need be parsed, nor a signature checked.
  if (!fields.some((f) => f && pins.some((pin) => pin.certificate.subject === f.issuer))) return undefined;
  let leafCertificate: Certificate;
  let leafIssuer: string;
  try {
    leafCertificate = AsnConvert.parse(leaf, Certificate);
    leafIssuer = nameText(leafCertificate.tbsCertificate.issuer);
  } catch {
    return undefined;
  }
  // Each intermediate read as a CA once, when its subject first names the issuer of a certificate on a path.
  const cas = new Map<number, ReturnType<typeof caOf>>();
  const caAt = (i: number) => {
    if (!cas.has(i)) cas.set(i, caOf(chain[i]!));
    return cas.get(i);
  };
  let checks = 0;
  // Past the bound, no signature is taken as made: the path fails closed.
  const signs = (certificate: Certificate, ca: IssuerCertificate) =>
    ++checks <= MAX_SIGNATURE_CHECKS && signedBy(certificate, ca);
  let found: ChainedTrust | undefined;

  // `below`: the intermediates already on the path, `current` the last of them (the leaf at first).
  // `keys`: the SKIs of the intermediates on the path so far.
  const extend = async (
    current: { certificate: Certificate; issuer: string },
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
          (await signs(current.certificate, pin.certificate))
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
    for (let i = 0; i < chain.length; i++) {
      const named = fields[i];
      // Its subject's bytes must be the issuer's: only then is it parsed.
      if (!named || used.has(i) || named.subject !== current.issuer) continue;
      const next = caAt(i);
      if (!next || next.ca.subject !== current.issuer || !allows(next.ca, below)) continue;
      if (!(await signs(current.certificate, next.ca))) continue;
      await extend(
        { certificate: next.certificate, issuer: named.issuer },
        below + 1,
        new Set(used).add(i),
        Math.max(notBefore, named.notBefore),
        Math.min(notAfter, named.notAfter),
        [...keys, next.ca.ski],
      );
    }
  };
  await extend({ certificate: leafCertificate, issuer: leafIssuer }, 0, new Set(), -Infinity, Infinity, []);
  return found;
}
