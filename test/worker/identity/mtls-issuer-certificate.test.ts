// Issuers pinned by their own certificate (identity.mtls.issuers[].certificate): the client certificate counts
// only if the pinned CA's key signed it. An SKI or DN is a name: another CA Cloudflare trusts for the host can
// sign an intermediate that carries the workload CA's SKI and DN (test/fixtures/certs/issuer-keys/lookalike-ca.pem,
// from a review), and Cloudflare then reports them as the client certificate's issuer.
import { describe, expect, it } from "vitest";
import caPem from "../../fixtures/certs/ca.pem?raw";
import ed25519CaPem from "../../fixtures/certs/issuer-keys/ed25519-ca.pem?raw";
import ed25519LeafPem from "../../fixtures/certs/issuer-keys/ed25519-leaf.pem?raw";
import forgedCheckoutPem from "../../fixtures/certs/issuer-keys/forged-checkout.pem?raw";
import noKeyCertSignCaPem from "../../fixtures/certs/issuer-keys/no-keycertsign-ca.pem?raw";
import p384CaPem from "../../fixtures/certs/issuer-keys/p384-ca.pem?raw";
import p384LeafPem from "../../fixtures/certs/issuer-keys/p384-leaf.pem?raw";
import rsaCaPem from "../../fixtures/certs/issuer-keys/rsa-ca.pem?raw";
import rsaLeafPem from "../../fixtures/certs/issuer-keys/rsa-leaf.pem?raw";
import rsaPssLeafPem from "../../fixtures/certs/issuer-keys/rsa-pss-leaf.pem?raw";
import partnerCaPem from "../../fixtures/certs/partner-ca.pem?raw";
import { readIssuerCertificate } from "../../../policy/index.ts";
import { type MtlsConfig, workloadIdentity } from "../../../worker/identity/mtls.ts";
import { CA_DN, CA_SKI, CERTS, PARTNER_CA_SKI, tlsClientAuth } from "../support/client-certs.ts";

const NOW = Date.UTC(2027, 0, 1);
const CHECKOUT = "spiffe://demo.ward.internal/ns/shop/sa/checkout";
const bare = (ski: string) => ski.replace(/:/g, "").toLowerCase();

const pinned: MtlsConfig = {
  required: false,
  issuers: [
    { certificate: caPem, trustDomains: ["demo.ward.internal"] },
    { certificate: partnerCaPem, trustDomains: ["partner.ward.internal"] },
    { certificate: rsaCaPem, trustDomains: ["keys.ward.internal"] },
    { certificate: p384CaPem, trustDomains: ["keys.ward.internal"] },
    { certificate: ed25519CaPem, trustDomains: ["keys.ward.internal"] },
  ],
  spiffe: true,
};

/** What Cloudflare reports for a certificate another CA issued: that CA's SKI. */
function skiOf(caCertificate: string): string {
  const read = readIssuerCertificate(caCertificate);
  if (!read.ok) throw new Error(read.problem);
  return read.certificate.ski;
}

async function identity(pem: string, config: MtlsConfig, overrides: Record<string, unknown> = {}) {
  return workloadIdentity(await tlsClientAuth(pem, overrides), config, NOW);
}

describe("an issuer pinned by its certificate", () => {
  it("takes what the pinned CA signed, in the trust domains it is bound to", async () => {
    expect(await identity(CERTS.checkout, pinned)).toMatchObject({ ok: true, workload: { id: CHECKOUT } });
    expect(await identity(CERTS.partnerBilling, pinned)).toMatchObject({
      ok: true,
      workload: { id: "spiffe://partner.ward.internal/ns/billing/sa/sync" },
    });
    // The partner's key did sign it, but not for the workload CA's trust domain.
    expect(await identity(CERTS.partnerMintedCheckout, pinned)).toEqual({
      ok: false,
      problem: "issuer-trust-domain-mismatch",
    });
  });

  it("refuses a look-alike issuer carrying the pinned CA's SKI and DN (Cloudflare verified its chain)", async () => {
    const forged = { certIssuerSKI: bare(CA_SKI), certIssuerDNRFC2253: CA_DN };
    expect(await identity(forgedCheckoutPem, pinned, forged)).toEqual({
      ok: false,
      problem: "issuer-signature-invalid",
    });
    // As a pin by SKI or DN cannot tell: the certificate names the workload CA, which is all such a pin reads.
    const named: MtlsConfig = { ...pinned, issuers: [{ ski: CA_SKI, trustDomains: ["demo.ward.internal"] }] };
    expect(await identity(forgedCheckoutPem, named, forged)).toMatchObject({ ok: true, workload: { id: CHECKOUT } });
    // A self-signed certificate reported under the workload CA's SKI, and a registry entry for the look-alike's.
    expect(await identity(CERTS.severalUriSans, pinned)).toEqual({ ok: false, problem: "issuer-signature-invalid" });
    const auth = await tlsClientAuth(forgedCheckoutPem, forged);
    const registered: MtlsConfig = {
      ...pinned,
      registry: [{ fingerprintSha256: String(auth.certFingerprintSHA256), id: CHECKOUT }],
    };
    expect(await workloadIdentity(auth, registered, NOW)).toEqual({ ok: false, problem: "issuer-signature-invalid" });
  });

  it("refuses a certificate whose signature was altered, or whose bytes cannot be had", async () => {
    const der = Uint8Array.from(atob(CERTS.checkout.replace(/-----[^-]+-----|\s/g, "")), (c) => c.charCodeAt(0));
    der[der.length - 3]! ^= 0x01; // in the signature's s
    const altered = `-----BEGIN CERTIFICATE-----\n${btoa(String.fromCharCode(...der))}\n-----END CERTIFICATE-----\n`;
    expect(await identity(altered, pinned)).toEqual({ ok: false, problem: "issuer-signature-invalid" });
    expect(await identity(CERTS.checkout, pinned, { certRFC9440: "", certRFC9440TooLarge: true })).toEqual({
      ok: false,
      problem: "certificate-too-large",
    });
  });

  it("verifies RSA (PKCS #1 v1.5), ECDSA on P-384 and Ed25519 CAs; refuses RSA-PSS", async () => {
    for (const [leaf, ca, id] of [
      [rsaLeafPem, rsaCaPem, "spiffe://keys.ward.internal/ns/rsa/sa/api"],
      [p384LeafPem, p384CaPem, "spiffe://keys.ward.internal/ns/p384/sa/api"],
      [ed25519LeafPem, ed25519CaPem, "spiffe://keys.ward.internal/ns/ed25519/sa/api"],
    ] as const) {
      expect(await identity(leaf, pinned, { certIssuerSKI: skiOf(ca) }), id).toMatchObject({
        ok: true,
        workload: { id },
      });
      // Reported under another pinned CA's SKI, another key: refused.
      expect(await identity(leaf, pinned, { certIssuerSKI: bare(PARTNER_CA_SKI) }), id).toEqual({
        ok: false,
        problem: "issuer-signature-invalid",
      });
    }
    expect(await identity(rsaPssLeafPem, pinned, { certIssuerSKI: skiOf(rsaCaPem) })).toEqual({
      ok: false,
      problem: "issuer-signature-invalid",
    });
  });

  it("beside a pin by SKI for the same CA, the SKI pin's trust domains count as they always did", async () => {
    const both: MtlsConfig = {
      ...pinned,
      issuers: [
        { ski: CA_SKI, trustDomains: ["demo.ward.internal"] },
        { certificate: caPem, trustDomains: ["other.ward.internal"] },
      ],
    };
    expect(await identity(CERTS.checkout, both)).toMatchObject({ ok: true, workload: { id: CHECKOUT } });
    const forged = { certIssuerSKI: bare(CA_SKI), certIssuerDNRFC2253: CA_DN };
    expect(await identity(forgedCheckoutPem, both, forged)).toMatchObject({ ok: true, workload: { id: CHECKOUT } });
  });
});

describe("readIssuerCertificate", () => {
  it("reads a CA's SKI and key, and refuses what cannot be pinned", () => {
    expect(readIssuerCertificate(caPem)).toMatchObject({
      ok: true,
      certificate: { ski: bare(CA_SKI), key: { kind: "ecdsa", curve: "P-256" } },
    });
    expect(readIssuerCertificate(rsaCaPem)).toMatchObject({ ok: true, certificate: { key: { kind: "rsa" } } });
    expect(readIssuerCertificate(ed25519CaPem)).toMatchObject({ ok: true, certificate: { key: { kind: "ed25519" } } });
    const refusals: [string, string][] = [
      ["", "must be one PEM certificate"],
      [caPem + partnerCaPem, "must be one PEM certificate"],
      ["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "is not a certificate"],
      [CERTS.checkout, "is not a CA's certificate"],
      [rsaLeafPem, "is not a CA's certificate"],
      // CA:TRUE, but keyUsage without keyCertSign: its key must not verify certificates (RFC 5280, 4.2.1.3).
      [noKeyCertSignCaPem, "may not sign certificates (its keyUsage has no keyCertSign)"],
    ];
    for (const [pem, problem] of refusals)
      expect((readIssuerCertificate(pem) as { problem: string }).problem, pem.slice(0, 40)).toContain(problem);
  });
});

describe("a client certificate's encoding", () => {
  // From a review: asn1js reads BER, so trailing bytes or an indefinite length parsed; Ward's safety then rested
  // on asn1js and Cloudflare's X.509 parser splitting every accepted byte string alike. Only DER counts now.
  const derOf = (pem: string) => Uint8Array.from(atob(pem.replace(/-----[^-]+-----|\s/g, "")), (c) => c.charCodeAt(0));
  const pemOf = (der: Uint8Array) =>
    `-----BEGIN CERTIFICATE-----\n${btoa(String.fromCharCode(...der))}\n-----END CERTIFICATE-----\n`;
  const checkout = derOf(CERTS.checkout);

  it("is taken as DER, and refused with bytes after it or an indefinite (BER) length", async () => {
    expect(await identity(pemOf(checkout), pinned)).toMatchObject({ ok: true, workload: { id: CHECKOUT } });
    expect(await identity(pemOf(new Uint8Array([...checkout, 0x05, 0x00])), pinned)).toEqual({
      ok: false,
      problem: "unparseable-certificate",
    });
    expect([checkout[0], checkout[1]]).toEqual([0x30, 0x82]);
    const ber = new Uint8Array([0x30, 0x80, ...checkout.subarray(4), 0x00, 0x00]);
    expect(await identity(pemOf(ber), pinned)).toEqual({ ok: false, problem: "unparseable-certificate" });
    // Under a pin by SKI too: the SPIFFE ID is read from the same bytes.
    const named: MtlsConfig = { ...pinned, issuers: [{ ski: CA_SKI, trustDomains: ["demo.ward.internal"] }] };
    expect(await identity(pemOf(ber), named)).toEqual({ ok: false, problem: "unparseable-certificate" });
  });

  // A registered certificate names its workload by fingerprint, its SPIFFE ID unread: the pinned key's signature
  // is still checked over its bytes, and those must be the one DER structure, whatever follows it.
  it("is refused with bytes after it when the registry names it, its SPIFFE ID unread", async () => {
    const trailing = await tlsClientAuth(pemOf(new Uint8Array([...checkout, 0x05, 0x00])));
    const registered: MtlsConfig = {
      ...pinned,
      spiffe: false,
      registry: [{ fingerprintSha256: trailing.certFingerprintSHA256 as string, id: "spiffe://demo.ward.internal/x" }],
    };
    expect(await workloadIdentity(trailing, registered, NOW)).toEqual({
      ok: false,
      problem: "unparseable-certificate",
    });
    const plain = await tlsClientAuth(CERTS.checkout);
    const plainRegistered: MtlsConfig = {
      ...registered,
      registry: [{ fingerprintSha256: plain.certFingerprintSHA256 as string, id: "spiffe://demo.ward.internal/x" }],
    };
    expect(await workloadIdentity(plain, plainRegistered, NOW)).toMatchObject({
      ok: true,
      workload: { id: "spiffe://demo.ward.internal/x" },
    });
  });
});
