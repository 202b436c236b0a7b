// request.cf.tlsClientAuth as Cloudflare would fill it for the fixture certificates in test/fixtures/certs
// (made with openssl, issued by ca.pem, or by partner-ca.pem for the partner-* ones).
import checkoutPem from "../../fixtures/certs/checkout.pem?raw";
import legacyPem from "../../fixtures/certs/legacy.pem?raw";
import twoSpiffePem from "../../fixtures/certs/two-spiffe.pem?raw";
import badSpiffePem from "../../fixtures/certs/bad-spiffe.pem?raw";
import trustDomainIdPem from "../../fixtures/certs/trust-domain-id.pem?raw";
import severalUriSansPem from "../../fixtures/certs/several-uri-sans.pem?raw";
import partnerBillingPem from "../../fixtures/certs/partner-billing.pem?raw";
import partnerMintedCheckoutPem from "../../fixtures/certs/partner-minted-checkout.pem?raw";
import intermediateCaPem from "../../fixtures/certs/intermediate-ca.pem?raw";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AuthorityKeyIdentifier, Certificate, id_ce_authorityKeyIdentifier } from "@peculiar/asn1-x509";

export const CA_SKI = "3A:45:F8:48:C6:05:0C:D8:6D:58:FE:6D:A7:72:C4:F3:C3:CE:F5:C2";
export const CA_DN = "O=Ward Tests,CN=Ward Test Workload CA";
/** A second CA in the same account (another team's, a partner's), pinned in the demo policy for partner.ward.internal only. */
export const PARTNER_CA_SKI = "A6:E2:3A:E8:8E:99:1E:B3:FF:EA:09:FF:61:04:0F:D8:80:73:63:D7";
export const PARTNER_CA_DN = "CN=Ward Test Partner CA,O=Ward Tests";
export const CERTS = {
  checkout: checkoutPem,
  legacy: legacyPem,
  twoSpiffe: twoSpiffePem,
  badSpiffe: badSpiffePem,
  trustDomainId: trustDomainIdPem,
  severalUriSans: severalUriSansPem,
  partnerBilling: partnerBillingPem,
  partnerMintedCheckout: partnerMintedCheckoutPem,
  intermediateCa: intermediateCaPem,
};

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

/** The issuer Cloudflare reports: the partner CA for the certificates it issued, else the workload CA. */
function issuerOf(certificate: Certificate): { ski: string; dn: string } {
  const extension = certificate.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_authorityKeyIdentifier);
  const aki = extension && AsnConvert.parse(extension.extnValue, AuthorityKeyIdentifier).keyIdentifier;
  const partner = aki !== undefined && hex(aki.buffer) === PARTNER_CA_SKI.replace(/:/g, "").toLowerCase();
  return partner ? { ski: PARTNER_CA_SKI, dn: PARTNER_CA_DN } : { ski: CA_SKI, dn: CA_DN };
}

function derBase64(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
}

export async function tlsClientAuth(
  pem: string,
  overrides: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const b64 = derBase64(pem);
  const der = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  const certificate = AsnConvert.parse(der, Certificate);
  // Cloudflare reports the serial number as upper-case hex, as openssl prints it.
  const serial = hex(certificate.tbsCertificate.serialNumber).toUpperCase();
  const issuer = issuerOf(certificate);
  return {
    certPresented: "1",
    certVerified: "SUCCESS",
    certRevoked: "0",
    certIssuerSKI: issuer.ski.replace(/:/g, "").toLowerCase(),
    certIssuerDNRFC2253: issuer.dn,
    certSerial: serial,
    certNotBefore: "Nov 23 01:31:55 2026 GMT",
    certNotAfter: "Oct 30 01:31:55 2126 GMT",
    certFingerprintSHA256: [...digest].map((b) => b.toString(16).padStart(2, "0")).join(""),
    certRFC9440: `:${b64}:`,
    certRFC9440TooLarge: false,
    ...overrides,
  };
}
