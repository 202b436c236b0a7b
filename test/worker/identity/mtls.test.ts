// The workload identity from tlsClientAuth, in workerd, with real certificates (test/fixtures/certs).
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import {
  BasicConstraints,
  Certificate,
  Extension,
  GeneralName,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  KeyUsage,
  KeyUsageFlags,
  SubjectAlternativeName,
} from "@peculiar/asn1-x509";
import { describe, expect, it } from "vitest";
import { judgementsHeld, workloadIdentity, type MtlsConfig } from "../../../worker/identity/mtls.ts";
import { CA_DN, CA_SKI, CERTS, PARTNER_CA_DN, PARTNER_CA_SKI, tlsClientAuth } from "../support/client-certs.ts";

const NOW = Date.UTC(2027, 0, 1);
const CHECKOUT = "spiffe://demo.ward.internal/ns/shop/sa/checkout";
const config: MtlsConfig = {
  required: false,
  issuers: [{ ski: CA_SKI, trustDomains: ["demo.ward.internal"] }],
  spiffe: true,
};
/** The demo policy's two CAs: the workload CA for demo.ward.internal, a partner's CA for partner.ward.internal. */
const twoCas: MtlsConfig = {
  ...config,
  issuers: [...config.issuers, { ski: PARTNER_CA_SKI, trustDomains: ["partner.ward.internal"] }],
};

/** The certificate with `added` extensions after its own (its signature no longer holds: Cloudflare checked that). */
function withExtensions(pem: string, added: Extension[]): string {
  const der = Uint8Array.from(atob(pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, "")), (c) => c.charCodeAt(0));
  const certificate = AsnConvert.parse(der, Certificate);
  certificate.tbsCertificate.extensions!.push(...added);
  const bytes = new Uint8Array(AsnConvert.serialize(certificate));
  return `-----BEGIN CERTIFICATE-----\n${btoa(String.fromCharCode(...bytes))}\n-----END CERTIFICATE-----\n`;
}

const extension = (extnID: string, value: object, critical = false) =>
  new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });

/** The certificate with one more subjectAltName extension holding `uri` (RFC 5280 allows one; a parser may read either). */
function withSecondSanExtension(pem: string, uri: string): string {
  const san = new SubjectAlternativeName([new GeneralName({ uniformResourceIdentifier: uri })]);
  return withExtensions(pem, [extension(id_ce_subjectAltName, san)]);
}

const basicConstraints = (cA: boolean) => extension(id_ce_basicConstraints, new BasicConstraints({ cA }), true);
const keyUsage = (flags: number) => extension(id_ce_keyUsage, new KeyUsage(flags), true);
/** A keyUsage extension whose BIT STRING is exactly `bytes` (no unused bits). */
const rawKeyUsage = (bytes: number[]) => extension(id_ce_keyUsage, new KeyUsage(new Uint8Array(bytes)), true);

describe("workloadIdentity", () => {
  it("reads the SPIFFE ID from the SAN URI of a verified, pinned, valid certificate", async () => {
    const result = await workloadIdentity(await tlsClientAuth(CERTS.checkout), config, NOW);
    expect(result).toMatchObject({ ok: true, workload: { id: CHECKOUT } });
  });

  it("pins the issuer by DN too, compared exactly", async () => {
    const byDn: MtlsConfig = { ...config, issuers: [{ dn: CA_DN, trustDomains: ["demo.ward.internal"] }] };
    expect((await workloadIdentity(await tlsClientAuth(CERTS.checkout), byDn, NOW)).ok).toBe(true);
    const other = await tlsClientAuth(CERTS.checkout, { certIssuerDNRFC2253: CA_DN.toLowerCase() });
    expect(await workloadIdentity(other, byDn, NOW)).toEqual({ ok: false, problem: "issuer-not-pinned" });
  });

  it.each([
    ["no cf at all", undefined, "no-certificate"],
    ["certPresented 0", { certPresented: "0" }, "no-certificate"],
    ["certPresented as a boolean", { certPresented: true }, "no-certificate"],
    ["certVerified NONE (a truthy string)", { certVerified: "NONE" }, "not-verified"],
    ["certVerified FAILED", { certVerified: "FAILED:self signed certificate" }, "not-verified"],
    ["revoked but SUCCESS", { certRevoked: "1" }, "revoked"],
    ["certRevoked missing", { certRevoked: undefined }, "revoked"],
    ["another issuer (account-wide CA)", { certIssuerSKI: "00".repeat(20) }, "issuer-not-pinned"],
    ["expired", { certNotAfter: "Dec 31 23:59:59 2026 GMT" }, "outside-validity"],
    ["not yet valid", { certNotBefore: "Jan 02 00:00:00 2027 GMT" }, "outside-validity"],
    ["unreadable dates", { certNotAfter: "soon" }, "outside-validity"],
    ["too large to be forwarded", { certRFC9440: "", certRFC9440TooLarge: true }, "certificate-too-large"],
    ["DER that does not match the fingerprint", { certFingerprintSHA256: "ab".repeat(32) }, "fingerprint-mismatch"],
    ["no DER", { certRFC9440: "" }, "unparseable-certificate"],
    ["no fingerprint", { certFingerprintSHA256: "" }, "no-certificate"],
  ])("refuses %s", async (_name, overrides, problem) => {
    const auth = overrides === undefined ? undefined : await tlsClientAuth(CERTS.checkout, overrides);
    expect(await workloadIdentity(auth, config, NOW)).toEqual({ ok: false, problem });
  });

  it("refuses another certificate's DER under this certificate's fingerprint", async () => {
    const legacy = await tlsClientAuth(CERTS.legacy);
    const forged = await tlsClientAuth(CERTS.checkout, { certFingerprintSHA256: legacy.certFingerprintSHA256 });
    expect(await workloadIdentity(forged, config, NOW)).toEqual({ ok: false, problem: "fingerprint-mismatch" });
  });

  it("gives no identity for a SPIFFE ID spelt against the standard (upper-case trust domain, a dot segment)", async () => {
    // spiffe://Demo.Ward.Internal/ns/./shop/sa/checkout: a deny rule naming the checkout workload would not see it.
    expect(await workloadIdentity(await tlsClientAuth(CERTS.badSpiffe), config, NOW)).toEqual({
      ok: false,
      problem: "malformed-spiffe-id",
    });
  });

  it("needs exactly one SPIFFE ID", async () => {
    expect(await workloadIdentity(await tlsClientAuth(CERTS.legacy), config, NOW)).toEqual({
      ok: false,
      problem: "no-spiffe-id",
    });
    expect(await workloadIdentity(await tlsClientAuth(CERTS.twoSpiffe), config, NOW)).toEqual({
      ok: false,
      problem: "several-spiffe-ids",
    });
  });

  it("gives no identity for a trust domain's ID (spiffe://td, no path): an X509-SVID names a workload", async () => {
    // Its trust domain is the one the issuer is bound to: only the missing path refuses it.
    expect(await workloadIdentity(await tlsClientAuth(CERTS.trustDomainId), config, NOW)).toEqual({
      ok: false,
      problem: "trust-domain-id",
    });
  });

  it("needs exactly one URI SAN: a SPIFFE ID beside another URI is no X509-SVID", async () => {
    // spiffe://demo.ward.internal/ns/shop/sa/checkout and https://checkout.demo.ward.internal/
    expect(await workloadIdentity(await tlsClientAuth(CERTS.severalUriSans), config, NOW)).toEqual({
      ok: false,
      problem: "several-uri-sans",
    });
    // DNS names beside the SPIFFE ID are allowed (the checkout certificate has one).
    expect((await workloadIdentity(await tlsClientAuth(CERTS.checkout), config, NOW)).ok).toBe(true);
  });

  it("counts the URI SANs of every subjectAltName extension, not only the first", async () => {
    const otherUri = await tlsClientAuth(
      withSecondSanExtension(CERTS.checkout, "https://checkout.demo.ward.internal/"),
    );
    expect(await workloadIdentity(otherUri, config, NOW)).toEqual({ ok: false, problem: "several-uri-sans" });
    const otherId = await tlsClientAuth(
      withSecondSanExtension(CERTS.checkout, "spiffe://demo.ward.internal/ns/shop/sa/admin"),
    );
    expect(await workloadIdentity(otherId, config, NOW)).toEqual({ ok: false, problem: "several-spiffe-ids" });
    // The scheme in capitals is still a SPIFFE ID (a malformed one), not some other URI beside the first.
    const upperScheme = await tlsClientAuth(
      withSecondSanExtension(CERTS.checkout, "SPIFFE://demo.ward.internal/ns/shop/sa/admin"),
    );
    expect(await workloadIdentity(upperScheme, config, NOW)).toEqual({ ok: false, problem: "several-spiffe-ids" });
  });

  // The X509-SVID standard's leaf validation (section 5.2): basic constraints' cA false, and neither
  // keyCertSign nor cRLSign in key usage, in every instance of either extension.
  it.each([
    ["cA true", [basicConstraints(true)]],
    ["keyCertSign", [keyUsage(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign)]],
    ["cRLSign", [keyUsage(KeyUsageFlags.digitalSignature | KeyUsageFlags.cRLSign)]],
    ["cA true in a second basicConstraints extension", [basicConstraints(false), basicConstraints(true)]],
    // From a review: the same usages (0x86) in a BIT STRING of nine octets, as openssl reads it (octets 0 and 1).
    ["keyCertSign and cRLSign in a padded key usage", [rawKeyUsage([0x86, 0, 0, 0, 0, 0, 0, 0, 0x01])]],
  ])("gives no identity for a certificate with %s: no leaf, so no workload's SVID", async (_name, extensions) => {
    const pem = withExtensions(CERTS.checkout, extensions);
    expect(await workloadIdentity(await tlsClientAuth(pem), config, NOW)).toEqual({ ok: false, problem: "not-a-leaf" });
  });

  // Section 4.3: leaf SVIDs set digitalSignature, and go-spiffe's x509svid refuses a leaf without it (from a
  // black-box review). A certificate without the extension at all is still taken (older workload CAs').
  it.each([
    ["keyEncipherment only", [keyUsage(KeyUsageFlags.keyEncipherment)]],
    ["keyAgreement only", [keyUsage(KeyUsageFlags.keyAgreement)]],
    [
      "digitalSignature in one key usage but not in a second",
      [keyUsage(KeyUsageFlags.digitalSignature), keyUsage(KeyUsageFlags.keyEncipherment)],
    ],
  ])("gives no identity for a certificate whose key usage has %s: its key was not issued to sign", async (_n, exts) => {
    const pem = withExtensions(CERTS.checkout, exts);
    expect(await workloadIdentity(await tlsClientAuth(pem), config, NOW)).toEqual({
      ok: false,
      problem: "no-digital-signature",
    });
  });

  it("takes a leaf's usual key usages (SPIRE's: digitalSignature, keyEncipherment, keyAgreement)", async () => {
    const usages = KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment | KeyUsageFlags.keyAgreement;
    const pem = withExtensions(CERTS.checkout, [keyUsage(usages)]);
    expect(await workloadIdentity(await tlsClientAuth(pem), config, NOW)).toMatchObject({
      ok: true,
      workload: { id: CHECKOUT },
    });
  });

  it("gives an identity only in a trust domain the certificate's issuer is bound to", async () => {
    // The partner CA is pinned, and mints its own workloads...
    expect(await workloadIdentity(await tlsClientAuth(CERTS.partnerBilling), twoCas, NOW)).toMatchObject({
      ok: true,
      workload: { id: "spiffe://partner.ward.internal/ns/billing/sa/sync" },
    });
    // ...but not the demo CA's checkout workload, though its certificate is verified and its issuer pinned.
    const minted = await tlsClientAuth(CERTS.partnerMintedCheckout);
    expect(minted.certIssuerSKI).toBe(PARTNER_CA_SKI.replace(/:/g, "").toLowerCase());
    expect(await workloadIdentity(minted, twoCas, NOW)).toEqual({ ok: false, problem: "issuer-trust-domain-mismatch" });
    // Nor the demo CA the partner's: the same certificate facts, with the issuers' trust domains swapped.
    const swapped: MtlsConfig = {
      ...config,
      issuers: [
        { ski: CA_SKI, trustDomains: ["partner.ward.internal"] },
        { ski: PARTNER_CA_SKI, trustDomains: ["demo.ward.internal"] },
      ],
    };
    expect(await workloadIdentity(await tlsClientAuth(CERTS.checkout), swapped, NOW)).toEqual({
      ok: false,
      problem: "issuer-trust-domain-mismatch",
    });
    expect(await workloadIdentity(minted, swapped, NOW)).toMatchObject({ ok: true, workload: { id: CHECKOUT } });
  });

  it("binds by DN as by SKI, and takes the union when several pins match the issuer", async () => {
    const byDn: MtlsConfig = { ...config, issuers: [{ dn: PARTNER_CA_DN, trustDomains: ["partner.ward.internal"] }] };
    expect(await workloadIdentity(await tlsClientAuth(CERTS.partnerMintedCheckout), byDn, NOW)).toEqual({
      ok: false,
      problem: "issuer-trust-domain-mismatch",
    });
    const both: MtlsConfig = {
      ...config,
      issuers: [
        { ski: CA_SKI, trustDomains: ["other.example"] },
        { dn: CA_DN, trustDomains: ["demo.ward.internal"] },
      ],
    };
    expect(await workloadIdentity(await tlsClientAuth(CERTS.checkout), both, NOW)).toMatchObject({
      ok: true,
      workload: { id: CHECKOUT },
    });
    const twice: MtlsConfig = {
      ...config,
      issuers: [
        { ski: CA_SKI, trustDomains: ["other.example"] },
        { ski: CA_SKI.toLowerCase(), trustDomains: ["demo.ward.internal"] },
      ],
    };
    expect(await workloadIdentity(await tlsClientAuth(CERTS.checkout), twice, NOW)).toMatchObject({
      ok: true,
      workload: { id: CHECKOUT },
    });
  });

  it("a pin without trust domains issues for the policy's metadata.trustDomains only, and with none for nothing", async () => {
    const unbound: MtlsConfig = { ...config, issuers: [{ ski: CA_SKI }] };
    expect(await workloadIdentity(await tlsClientAuth(CERTS.checkout), unbound, NOW)).toEqual({
      ok: false,
      problem: "issuer-trust-domain-mismatch",
    });
    const inPolicy: MtlsConfig = { ...config, issuers: [{ ski: CA_SKI }] };
    expect(
      await workloadIdentity(await tlsClientAuth(CERTS.checkout), inPolicy, NOW, ["demo.ward.internal"]),
    ).toMatchObject({ ok: true, workload: { id: CHECKOUT } });
    const elsewhere: MtlsConfig = { ...config, issuers: [{ ski: CA_SKI }] };
    expect(
      await workloadIdentity(await tlsClientAuth(CERTS.checkout), elsewhere, NOW, ["partner.ward.internal"]),
    ).toEqual({ ok: false, problem: "issuer-trust-domain-mismatch" });
    // The registry is explicit, so it is not bound: it maps this certificate whatever its issuer's trust domains.
    const legacy = await tlsClientAuth(CERTS.legacy);
    const registered: MtlsConfig = {
      ...unbound,
      registry: [
        { fingerprintSha256: legacy.certFingerprintSHA256 as string, id: "spiffe://elsewhere.example/legacy" },
      ],
    };
    expect(await workloadIdentity(legacy, registered, NOW)).toMatchObject({
      ok: true,
      workload: { id: "spiffe://elsewhere.example/legacy" },
    });
  });

  it("maps a certificate without a SPIFFE ID through the fingerprint registry (any case, colons allowed)", async () => {
    const legacy = await tlsClientAuth(CERTS.legacy);
    const fingerprint = (legacy.certFingerprintSHA256 as string).toUpperCase().match(/../g)!.join(":");
    const withRegistry: MtlsConfig = {
      ...config,
      spiffe: false,
      registry: [{ fingerprintSha256: fingerprint, id: "spiffe://demo.ward.internal/legacy/billing" }],
    };
    expect(await workloadIdentity(legacy, withRegistry, NOW)).toMatchObject({
      ok: true,
      workload: { id: "spiffe://demo.ward.internal/legacy/billing" },
    });
    expect(await workloadIdentity(await tlsClientAuth(CERTS.checkout), withRegistry, NOW)).toEqual({
      ok: false,
      problem: "not-registered",
    });
  });

  it("finds a certificate among thousands of registry entries, and only that one", async () => {
    const legacy = await tlsClientAuth(CERTS.legacy);
    const fingerprint = legacy.certFingerprintSHA256 as string;
    const others = Array.from({ length: 5000 }, (_, i) => ({
      fingerprintSha256: i.toString(16).padStart(64, "0"),
      id: `spiffe://demo.ward.internal/other/${i}`,
    }));
    const entry = {
      fingerprintSha256: fingerprint.toUpperCase().match(/../g)!.join(":"),
      id: "spiffe://demo.ward.internal/legacy/billing",
    };
    const withRegistry: MtlsConfig = {
      ...config,
      spiffe: false,
      registry: [...others.slice(0, 2500), entry, ...others.slice(2500)],
    };
    expect(await workloadIdentity(legacy, withRegistry, NOW)).toMatchObject({
      ok: true,
      workload: { id: "spiffe://demo.ward.internal/legacy/billing" },
    });
    expect(await workloadIdentity(await tlsClientAuth(CERTS.checkout), withRegistry, NOW)).toEqual({
      ok: false,
      problem: "not-registered",
    });
    // Each config gets its own index: the same certificate under a config without the entry is not registered.
    expect(await workloadIdentity(legacy, { ...withRegistry, registry: others }, NOW)).toEqual({
      ok: false,
      problem: "not-registered",
    });
  });

  it("answers the same from its parse cache, and still checks a different DER under a cached fingerprint", async () => {
    const auth = await tlsClientAuth(CERTS.checkout);
    expect((await workloadIdentity(auth, config, NOW)).ok).toBe(true);
    expect((await workloadIdentity(auth, config, NOW)).ok).toBe(true);
    const swapped = { ...auth, certRFC9440: (await tlsClientAuth(CERTS.twoSpiffe)).certRFC9440 };
    expect(await workloadIdentity(swapped, config, NOW)).toEqual({ ok: false, problem: "fingerprint-mismatch" });
  });

  it("judges a certificate once, and afresh when any field it was judged on differs", async () => {
    const auth = await tlsClientAuth(CERTS.checkout);
    const first = await workloadIdentity(auth, config, NOW);
    expect(first).toMatchObject({ ok: true, workload: { id: CHECKOUT } });
    // The same facts again (a new object, as every request's cf is): the same workload, shared and frozen.
    const again = await workloadIdentity({ ...auth }, config, NOW);
    expect(again).toEqual(first);
    if (!again.ok || !first.ok) throw new Error("expected an identity");
    expect(again.workload).toBe(first.workload);
    expect(Object.isFrozen(again.workload) && Object.isFrozen(again.certificate)).toBe(true);
    // Each field changed under the same fingerprint answers what a cold isolate (a config never seen) answers.
    const changed: Record<string, unknown>[] = [
      { certIssuerSKI: "00".repeat(20) },
      { certIssuerDNRFC2253: "CN=Someone Else" },
      { certNotBefore: "Jan 02 00:00:00 2027 GMT" },
      { certNotAfter: "Dec 31 23:59:59 2026 GMT" },
      { certNotAfter: "Dec 31 23:59:59 2099 GMT" },
      { certSerial: "01" },
      { certRFC9440: (await tlsClientAuth(CERTS.legacy)).certRFC9440 },
      { certRFC9440: ":AAAAA:" },
      { certRFC9440TooLarge: true },
      { certRFC9440TooLarge: "true" },
    ];
    for (const overrides of changed) {
      const other = { ...auth, ...overrides };
      const cold = await workloadIdentity(other, { ...config }, NOW);
      expect({ overrides, result: await workloadIdentity(other, config, NOW) }).toEqual({ overrides, result: cold });
      // And back: the certificate as it was is judged as it was.
      expect(await workloadIdentity(auth, config, NOW)).toEqual(first);
    }
    // Other trust domains for unbound pins are another judgement too.
    const unbound: MtlsConfig = { ...config, issuers: [{ ski: CA_SKI }] };
    expect((await workloadIdentity(auth, unbound, NOW, ["demo.ward.internal"])).ok).toBe(true);
    expect(await workloadIdentity(auth, unbound, NOW, ["partner.ward.internal"])).toEqual({
      ok: false,
      problem: "issuer-trust-domain-mismatch",
    });
  });

  // RFC 5280 4.1.2.5: the validity period includes both dates. Each edge is checked on its own millisecond.
  it("takes a certificate at its notBefore and at its notAfter, and not a millisecond outside either", async () => {
    const auth = await tlsClientAuth(CERTS.checkout, {
      certNotBefore: "Dec 31 23:50:00 2026 GMT",
      certNotAfter: "Jan 01 00:10:00 2027 GMT",
    });
    const [notBefore, notAfter] = [NOW - 600_000, NOW + 600_000];
    expect(await workloadIdentity(auth, config, notBefore)).toMatchObject({ ok: true, workload: { id: CHECKOUT } });
    expect(await workloadIdentity(auth, config, notAfter)).toMatchObject({ ok: true, remainingSeconds: 0 });
    for (const now of [notBefore - 1, notAfter + 1])
      expect(await workloadIdentity(auth, config, now)).toEqual({ ok: false, problem: "outside-validity" });
  });

  it("reads the time on every request, not from the judgement", async () => {
    const auth = await tlsClientAuth(CERTS.checkout, { certNotAfter: "Jan 01 00:10:00 2027 GMT" });
    const early = await workloadIdentity(auth, config, NOW);
    expect(early).toMatchObject({ ok: true, remainingSeconds: 600 });
    expect(await workloadIdentity(auth, config, NOW + 60_000)).toMatchObject({ ok: true, remainingSeconds: 540 });
    expect(await workloadIdentity(auth, config, NOW + 601_000)).toEqual({ ok: false, problem: "outside-validity" });
    // Refused for its issuer before its time, as always: the order of the checks does not change with the cache.
    const unpinned = { ...auth, certIssuerSKI: "00".repeat(20) };
    expect(await workloadIdentity(unpinned, config, NOW + 601_000)).toEqual({
      ok: false,
      problem: "issuer-not-pinned",
    });
  });

  it("keeps judgements of pinned, in-date certificates only, within its bound of characters", async () => {
    const own: MtlsConfig = { ...config };
    await workloadIdentity(await tlsClientAuth(CERTS.checkout, { certIssuerSKI: "00".repeat(20) }), own, NOW);
    await workloadIdentity(await tlsClientAuth(CERTS.checkout, { certNotAfter: "Dec 31 23:59:59 2026 GMT" }), own, NOW);
    expect(judgementsHeld(own).entries).toBe(0);
    await workloadIdentity(await tlsClientAuth(CERTS.checkout), own, NOW);
    expect(judgementsHeld(own).entries).toBe(1);
    // 1,000 certificates of 10 KiB from a pinned CA (their DER does not hash to their fingerprints: each is
    // judged, and kept as such): at most 8,000,000 characters stay.
    const auth = await tlsClientAuth(CERTS.checkout);
    const der = `:${btoa("x".repeat(7_500))}:`;
    for (let i = 0; i < 1_000; i++) {
      const fingerprint = i.toString(16).padStart(64, "0");
      const forged = { ...auth, certFingerprintSHA256: fingerprint, certRFC9440: der };
      expect(await workloadIdentity(forged, own, NOW)).toEqual({ ok: false, problem: "fingerprint-mismatch" });
    }
    const held = judgementsHeld(own);
    expect(held.characters).toBeLessThanOrEqual(8_000_000);
    expect(held.entries).toBeGreaterThan(700);
    expect(held.entries).toBeLessThan(800);
  });
});
