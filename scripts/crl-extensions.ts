// Which extensions of a CRL, and of its entries, `ward revoke --crl` reads, and which make a list it must not
// use. Ward files every entry as "<the CRL's issuer key>/<serial>", revoked for good, so a list is usable only if
// each entry is a certificate that issuer revoked: not another CA's (an indirect CRL), not a change to another
// list (a delta CRL, whose removeFromCRL entries are certificates no longer revoked). And, as RFC 5280 5.2 and
// 5.3 require, not a list with a critical extension Ward does not process: its issuer meant it unreadable without.
// A non-critical extension Ward does not need (a freshestCRL pointer, an entry's invalidity date) is ignored.
import { AsnConvert } from "@peculiar/asn1-schema";
import {
  AuthorityKeyIdentifier,
  CRLReason,
  CRLReasons,
  type Extension,
  id_ce_authorityKeyIdentifier,
  id_ce_certificateIssuer,
  id_ce_cRLNumber,
  id_ce_cRLReasons,
  id_ce_deltaCRLIndicator,
  id_ce_issuingDistributionPoint,
  IssuingDistributionPoint,
} from "@peculiar/asn1-x509";
import { strictDerTree } from "../policy/index.ts";

const ONE_CA =
  "give Ward each CA's own CRL, or revoke those certificates by --serial (with their CA's key identifier) or --fingerprint";

/** The issuer's key identifier, from a list whose extensions Ward can use; throws saying why not. */
export function crlIssuerKey(extensions: readonly Extension[]): ArrayBuffer {
  once(extensions, "the CRL");
  let keyId: ArrayBuffer | undefined;
  for (const extension of extensions) {
    switch (extension.extnID) {
      case id_ce_authorityKeyIdentifier:
        keyId = decoded(extension, AuthorityKeyIdentifier, "the CRL's authorityKeyIdentifier").keyIdentifier?.buffer;
        break;
      case id_ce_cRLNumber:
        break; // which issue of the list: nothing a revocation needs
      case id_ce_issuingDistributionPoint:
        scope(decoded(extension, IssuingDistributionPoint, "the CRL's issuingDistributionPoint"));
        break;
      case id_ce_deltaCRLIndicator:
        throw new Error(
          "the CRL is a delta CRL (deltaCRLIndicator): it lists changes to another CRL, among them certificates no longer revoked (removeFromCRL), which Ward would revoke for good: give Ward the CA's complete CRL",
        );
      default:
        if (extension.critical) throw new Error(`the CRL ${unknown(extension)}`);
    }
  }
  if (!keyId)
    throw new Error(
      "the CRL names no issuer key identifier (authorityKeyIdentifier extension): revoke by --fingerprint instead",
    );
  return keyId;
}

/** Throws unless the entry is a certificate this list's issuer revoked, and revoked for good. */
export function checkEntry(serial: string, extensions: readonly Extension[]): void {
  const entry = `the CRL's entry for serial ${serial}`;
  once(extensions, entry);
  for (const extension of extensions) {
    switch (extension.extnID) {
      case id_ce_certificateIssuer:
        // Critical or not, it names the issuer of this entry and the ones after it (RFC 5280 5.3.3).
        throw new Error(
          `${entry} names another issuer (certificateIssuer extension): an indirect CRL, whose certificates Ward cannot tell from this CA's by serial number: ${ONE_CA}`,
        );
      case id_ce_cRLReasons:
        if (decoded(extension, CRLReason, `${entry}'s reasonCode`).reason === CRLReasons.removeFromCRL)
          throw new Error(
            `${entry} has the reason removeFromCRL: that certificate is no longer revoked, and only a delta CRL may say so: give Ward the CA's complete CRL`,
          );
        break;
      default:
        if (extension.critical) throw new Error(`${entry} ${unknown(extension)}`);
    }
  }
}

/** What an issuingDistributionPoint may narrow a list to: one distribution point, user or CA certificates. */
function scope(point: IssuingDistributionPoint): void {
  if (point.indirectCRL)
    throw new Error(
      `the CRL is an indirect CRL (issuingDistributionPoint indirectCRL): its entries may be other CAs' certificates, which Ward cannot tell from this CA's by serial number: ${ONE_CA}`,
    );
  if (point.onlySomeReasons)
    throw new Error(
      "the CRL lists only some revocation reasons (issuingDistributionPoint onlySomeReasons), part of what the CA revoked: give Ward the CA's complete CRL",
    );
  if (point.onlyContainsAttributeCerts)
    throw new Error(
      "the CRL lists attribute certificates (issuingDistributionPoint onlyContainsAttributeCerts), whose serial numbers are not its client certificates'",
    );
}

/** One of each: with two, which one the issuer meant is a guess (RFC 5280 4.2, for certificates). */
function once(extensions: readonly Extension[], where: string): void {
  const seen = new Set<string>();
  for (const { extnID } of extensions) {
    if (seen.has(extnID)) throw new Error(`${where} has the extension ${extnID} twice`);
    seen.add(extnID);
  }
}

function decoded<T>(extension: Extension, type: new () => T, what: string): T {
  const bytes = new Uint8Array(extension.extnValue.buffer);
  try {
    // DER all the way down, as the list around it: the schema's reader takes a key identifier with a long-form
    // length, or bytes after the value, that openssl refuses or reads otherwise.
    if (strictDerTree(bytes)) return AsnConvert.parse(bytes, type);
  } catch {
    // reported below
  }
  throw new Error(`${what} extension does not decode`);
}

const unknown = (extension: Extension) =>
  `has a critical extension Ward does not process (${extension.extnID}); RFC 5280 forbids using such a CRL: revoke by --serial or --fingerprint`;
