// request.cf.tlsClientAuth as Cloudflare would fill it for the fixture certificates in test/fixtures/certs
// (made with openssl, issued by ca.pem).
import checkoutPem from "../fixtures/certs/checkout.pem?raw";
import legacyPem from "../fixtures/certs/legacy.pem?raw";
import twoSpiffePem from "../fixtures/certs/two-spiffe.pem?raw";
import badSpiffePem from "../fixtures/certs/bad-spiffe.pem?raw";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate } from "@peculiar/asn1-x509";

export const CA_SKI = "3A:45:F8:48:C6:05:0C:D8:6D:58:FE:6D:A7:72:C4:F3:C3:CE:F5:C2";
export const CA_DN = "O=Ward Tests,CN=Ward Test Workload CA";
export const CERTS = { checkout: checkoutPem, legacy: legacyPem, twoSpiffe: twoSpiffePem, badSpiffe: badSpiffePem };

function derBase64(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
}

export async function tlsClientAuth(pem: string, overrides: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const b64 = derBase64(pem);
  const der = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  // Cloudflare reports the serial number as upper-case hex, as openssl prints it.
  const serial = [...new Uint8Array(AsnConvert.parse(der, Certificate).tbsCertificate.serialNumber)].map((b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
  return {
    certPresented: "1",
    certVerified: "SUCCESS",
    certRevoked: "0",
    certIssuerSKI: CA_SKI.replace(/:/g, "").toLowerCase(),
    certIssuerDNRFC2253: CA_DN,
    certSerial: serial,
    certNotBefore: "Nov 23 01:31:55 2026 GMT",
    certNotAfter: "Oct 30 01:31:55 2126 GMT",
    certFingerprintSHA256: [...digest].map((b) => b.toString(16).padStart(2, "0")).join(""),
    certRFC9440: `:${b64}:`,
    certRFC9440TooLarge: false,
    ...overrides,
  };
}
