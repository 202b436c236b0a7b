// A pinned CA reached through intermediate CAs the client sent (identity.mtls.issuers[].intermediates, read from
// Cloudflare's certChainRFC9440): SPIRE below an upstream authority signs with an intermediate it rotates, and
// the authority's root is what the operator pins. Each link's signature is checked with the key above it, so an
// intermediate another root signed, carrying the genuine one's name and key identifier, reaches nothing. The
// fixtures (test/fixtures/certs/chain/) were made with openssl, which refuses the same chains (README.md there).
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate, id_ce_subjectKeyIdentifier, SubjectKeyIdentifier } from "@peculiar/asn1-x509";
import { describe, expect, it } from "vitest";
import belowPathlen0Pem from "../../fixtures/certs/chain/chain-below-pathlen0.pem?raw";
import belowPathlen0LeafPem from "../../fixtures/certs/chain/chain-below-pathlen0-leaf.pem?raw";
import deepLeafPem from "../../fixtures/certs/chain/chain-deep-leaf.pem?raw";
import ekuAnyPem from "../../fixtures/certs/chain/chain-eku-any.pem?raw";
import ekuAnyLeafPem from "../../fixtures/certs/chain/chain-eku-any-leaf.pem?raw";
import ekuClientPem from "../../fixtures/certs/chain/chain-eku-client.pem?raw";
import ekuClientLeafPem from "../../fixtures/certs/chain/chain-eku-client-leaf.pem?raw";
import ekuServerPem from "../../fixtures/certs/chain/chain-eku-server.pem?raw";
import ekuServerLeafPem from "../../fixtures/certs/chain/chain-eku-server-leaf.pem?raw";
import forgedLeafPem from "../../fixtures/certs/chain/chain-forged-leaf.pem?raw";
import intermediatePem from "../../fixtures/certs/chain/chain-intermediate.pem?raw";
import leafPem from "../../fixtures/certs/chain/chain-leaf.pem?raw";
import lookalikePem from "../../fixtures/certs/chain/chain-lookalike-intermediate.pem?raw";
import lowerPem from "../../fixtures/certs/chain/chain-lower.pem?raw";
import nameConstrainedPem from "../../fixtures/certs/chain/chain-name-constrained.pem?raw";
import nameConstrainedLeafPem from "../../fixtures/certs/chain/chain-name-constrained-leaf.pem?raw";
import nameConstrainedNoncriticalPem from "../../fixtures/certs/chain/chain-name-constrained-noncritical.pem?raw";
import nameConstrainedNoncriticalLeafPem from "../../fixtures/certs/chain/chain-name-constrained-noncritical-leaf.pem?raw";
import intermediateExpiredPem from "../../fixtures/certs/chain/chain-intermediate-expired.pem?raw";
import rsa4608Pem from "../../fixtures/certs/chain/chain-rsa-4608.pem?raw";
import rsa4608LeafPem from "../../fixtures/certs/chain/chain-rsa-4608-leaf.pem?raw";
import noKeyCertSignPem from "../../fixtures/certs/chain/chain-no-keycertsign.pem?raw";
import noKeyCertSignLeafPem from "../../fixtures/certs/chain/chain-no-keycertsign-leaf.pem?raw";
import notCaPem from "../../fixtures/certs/chain/chain-not-ca.pem?raw";
import notCaLeafPem from "../../fixtures/certs/chain/chain-not-ca-leaf.pem?raw";
import otherRootPem from "../../fixtures/certs/chain/chain-other-root.pem?raw";
import rootPem from "../../fixtures/certs/chain/chain-root.pem?raw";
import rootEkuServerPem from "../../fixtures/certs/chain/chain-root-eku-server.pem?raw";
import rootPathlen0Pem from "../../fixtures/certs/chain/chain-root-pathlen0.pem?raw";
import secondIntermediatePem from "../../fixtures/certs/chain/chain-second-intermediate.pem?raw";
import secondLeafPem from "../../fixtures/certs/chain/chain-second-leaf.pem?raw";
import secondRootPem from "../../fixtures/certs/chain/chain-second-root.pem?raw";
import timeGeneralizedPem from "../../fixtures/certs/chain/chain-time-generalized.pem?raw";
import timeMonth13Pem from "../../fixtures/certs/chain/chain-time-month13.pem?raw";
import timeOffsetPem from "../../fixtures/certs/chain/chain-time-offset.pem?raw";
import underEkuServerRootPem from "../../fixtures/certs/chain/chain-under-eku-server-root.pem?raw";
import underEkuServerRootLeafPem from "../../fixtures/certs/chain/chain-under-eku-server-root-leaf.pem?raw";
import underPathlen0RootPem from "../../fixtures/certs/chain/chain-under-pathlen0-root.pem?raw";
import underPathlen0RootLeafPem from "../../fixtures/certs/chain/chain-under-pathlen0-root-leaf.pem?raw";
import upperPem from "../../fixtures/certs/chain/chain-upper.pem?raw";
import { chainCertificates } from "../../../worker/identity/sent-certificates.ts";
import { judgementsHeld, type MtlsConfig, workloadIdentity } from "../../../worker/identity/mtls.ts";
import { tlsClientAuth } from "../support/client-certs.ts";

const NOW = Date.UTC(2027, 0, 1);
const DOMAIN = "chain.ward.internal";
const API = `spiffe://${DOMAIN}/ns/shop/sa/api`;

const viaRoot = (intermediates: number | undefined, extra: MtlsConfig["issuers"] = []): MtlsConfig => ({
  required: false,
  issuers: [
    { certificate: rootPem, ...(intermediates !== undefined ? { intermediates } : {}), trustDomains: [DOMAIN] },
    ...extra,
  ],
  spiffe: true,
});

const base64Of = (pem: string): string => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
/** Cloudflare's certChainRFC9440: the intermediates as the client sent them, an RFC 8941 list of byte sequences. */
const chainField = (...pems: string[]): string => pems.map((pem) => `:${base64Of(pem)}:`).join(", ");

/** A certificate's subject key identifier, CA or not: what Cloudflare reports as certIssuerSKI for what it signed. */
function skiOf(pem: string): string {
  const extension = parsed(pem).tbsCertificate.extensions?.find((e) => e.extnID === id_ce_subjectKeyIdentifier);
  if (!extension) throw new Error("no subjectKeyIdentifier");
  const ski = AsnConvert.parse(extension.extnValue, SubjectKeyIdentifier);
  return [...new Uint8Array(ski.buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const parsed = (pem: string): Certificate =>
  AsnConvert.parse(
    Uint8Array.from(atob(base64Of(pem)), (c) => c.charCodeAt(0)),
    Certificate,
  );

/** What Cloudflare reports for a leaf the intermediate `issuer` signed, sent with `chain`. */
async function presented(leaf: string, issuer: string, chain: string, overrides: Record<string, unknown> = {}) {
  return tlsClientAuth(leaf, {
    certIssuerSKI: skiOf(issuer),
    certIssuerDNRFC2253: "CN=whatever the intermediate is called,O=Ward Tests",
    certChainRFC9440: chain,
    certChainRFC9440TooLarge: false,
    ...overrides,
  });
}

async function identity(config: MtlsConfig, leaf: string, issuer: string, chain: string, now = NOW) {
  return workloadIdentity(await presented(leaf, issuer, chain), config, now);
}

describe("a pinned CA reached through the intermediates the client sent", () => {
  it("takes a leaf an intermediate signed that the pinned root signed, when the pin allows one", async () => {
    const result = await identity(viaRoot(1), leafPem, intermediatePem, chainField(intermediatePem));
    expect(result).toMatchObject({ ok: true, workload: { id: API } });
    // Cloudflare's issuer of the certificate is the intermediate: that is what the denylist names it by.
    expect(result.ok && result.certificate.issuerSki).toBe(skiOf(intermediatePem));
    // A `ca` revocation names any CA the identity relies on: the intermediate, and the root it reached.
    expect(result.ok && result.certificate.caKeys).toEqual([skiOf(intermediatePem), skiOf(rootPem)]);
  });

  it("takes none by default, nor without the chain: the pin names the CA that signs client certificates", async () => {
    expect(await identity(viaRoot(undefined), leafPem, intermediatePem, chainField(intermediatePem))).toEqual({
      ok: false,
      problem: "issuer-not-pinned",
    });
    expect(await identity(viaRoot(0), leafPem, intermediatePem, chainField(intermediatePem))).toEqual({
      ok: false,
      problem: "issuer-not-pinned",
    });
    expect(await identity(viaRoot(1), leafPem, intermediatePem, "")).toEqual({
      ok: false,
      problem: "issuer-not-pinned",
    });
  });

  it("goes through two intermediates only when the pin allows two, in whatever order they were sent", async () => {
    expect(await identity(viaRoot(2), deepLeafPem, lowerPem, chainField(lowerPem, upperPem))).toMatchObject({
      ok: true,
      workload: { id: `spiffe://${DOMAIN}/ns/shop/sa/deep` },
    });
    const reversed = await identity(viaRoot(2), deepLeafPem, lowerPem, chainField(upperPem, lowerPem));
    expect(reversed).toMatchObject({ ok: true });
    expect(reversed.ok && reversed.certificate.caKeys).toEqual([skiOf(lowerPem), skiOf(upperPem), skiOf(rootPem)]);
    // The root itself sent along, as clients often do, and an unrelated certificate: neither is in the way.
    expect(
      await identity(viaRoot(2), deepLeafPem, lowerPem, chainField(rootPem, intermediatePem, upperPem, lowerPem)),
    ).toMatchObject({ ok: true });
    expect(await identity(viaRoot(1), deepLeafPem, lowerPem, chainField(lowerPem, upperPem))).toEqual({
      ok: false,
      problem: "issuer-not-pinned",
    });
  });

  it("refuses a look-alike intermediate another root signed, with the genuine one's name and key identifier", async () => {
    // openssl verifies this chain against other-root.pem: Cloudflare would, were that root trusted for the host.
    expect(await identity(viaRoot(1), forgedLeafPem, lookalikePem, chainField(lookalikePem))).toEqual({
      ok: false,
      problem: "issuer-not-pinned",
    });
    // The genuine intermediate sent with it did not sign the forged leaf, and the look-alike is not the root's.
    expect(await identity(viaRoot(1), forgedLeafPem, lookalikePem, chainField(lookalikePem, intermediatePem))).toEqual({
      ok: false,
      problem: "issuer-not-pinned",
    });
    // Pinning the other root too gives it only its own trust domains: the forged SPIFFE ID is not among them.
    const both = viaRoot(1, [{ certificate: otherRootPem, intermediates: 1, trustDomains: ["other.ward.internal"] }]);
    expect(await identity(both, forgedLeafPem, lookalikePem, chainField(lookalikePem))).toEqual({
      ok: false,
      problem: "issuer-trust-domain-mismatch",
    });
  });

  it("refuses intermediates that may not sign certificates, or past a path length, as openssl does", async () => {
    for (const [leaf, issuer, chain] of [
      [notCaLeafPem, notCaPem, chainField(notCaPem)],
      [noKeyCertSignLeafPem, noKeyCertSignPem, chainField(noKeyCertSignPem)],
      // A name constraint Ward does not apply, critical or not (openssl applies it either way): refused.
      [nameConstrainedLeafPem, nameConstrainedPem, chainField(nameConstrainedPem)],
      [nameConstrainedNoncriticalLeafPem, nameConstrainedNoncriticalPem, chainField(nameConstrainedNoncriticalPem)],
      // An RSA key past 4,096 bits: a client choosing the keys would choose what each check costs.
      [rsa4608LeafPem, rsa4608Pem, chainField(rsa4608Pem)],
      // The intermediate's pathlen 0 lets no CA follow it.
      [belowPathlen0LeafPem, belowPathlen0Pem, chainField(belowPathlen0Pem, intermediatePem)],
    ] as const)
      expect(await identity(viaRoot(3), leaf, issuer, chain)).toEqual({ ok: false, problem: "issuer-not-pinned" });
  });

  it("refuses a CA on the path whose extendedKeyUsage leaves out clientAuth, as openssl -purpose sslclient", async () => {
    const pinning = (root: string): MtlsConfig => ({
      required: false,
      issuers: [{ certificate: root, intermediates: 1, trustDomains: [DOMAIN] }],
      spiffe: true,
    });
    // For servers, or for servers and "any" (which openssl and BoringSSL do not take for clientAuth): refused.
    for (const [leaf, intermediate] of [
      [ekuServerLeafPem, ekuServerPem],
      [ekuAnyLeafPem, ekuAnyPem],
    ] as const)
      expect(await identity(pinning(secondRootPem), leaf, intermediate, chainField(intermediate))).toEqual({
        ok: false,
        problem: "issuer-not-pinned",
      });
    // For client authentication (the extension marked critical, which Ward now applies): taken.
    expect(
      await identity(pinning(secondRootPem), ekuClientLeafPem, ekuClientPem, chainField(ekuClientPem)),
    ).toMatchObject({ ok: true, workload: { id: `spiffe://${DOMAIN}/ns/shop/sa/eku-client` } });
    // A pinned root for servers only (validation refuses such a pin): nothing is reached through it.
    const chain = chainField(underEkuServerRootPem);
    expect(await identity(pinning(rootEkuServerPem), underEkuServerRootLeafPem, underEkuServerRootPem, chain)).toEqual({
      ok: false,
      problem: "issuer-not-pinned",
    });
  });

  it("honours the pinned root's own path length, whatever the pin allows", async () => {
    // Validation refuses such a pin (intermediates past the pathLenConstraint); the Worker does not rely on it.
    const config: MtlsConfig = {
      required: false,
      issuers: [{ certificate: rootPathlen0Pem, intermediates: 1, trustDomains: [DOMAIN] }],
      spiffe: true,
    };
    const chain = chainField(underPathlen0RootPem);
    expect(await identity(config, underPathlen0RootLeafPem, underPathlen0RootPem, chain)).toEqual({
      ok: false,
      problem: "issuer-not-pinned",
    });
  });

  it("takes the path in date during a rotation, whatever order the two intermediates were sent in", async () => {
    // The same key and subject, once in a certificate valid for a day (long expired at NOW), once for ten years.
    for (const chain of [
      chainField(intermediateExpiredPem, intermediatePem),
      chainField(intermediatePem, intermediateExpiredPem),
    ])
      expect(await identity(viaRoot(1), leafPem, intermediatePem, chain)).toMatchObject({ ok: true });
    expect(await identity(viaRoot(1), leafPem, intermediatePem, chainField(intermediateExpiredPem))).toEqual({
      ok: false,
      problem: "outside-validity",
    });
  });

  it("reads an intermediate's dates only in the forms X.509 allows, refusing it otherwise", async () => {
    const config: MtlsConfig = {
      required: false,
      issuers: [{ certificate: secondRootPem, intermediates: 1, trustDomains: [DOMAIN] }],
      spiffe: true,
    };
    const through = (intermediate: string) =>
      identity(config, secondLeafPem, secondIntermediatePem, chainField(intermediate));
    expect(await through(secondIntermediatePem)).toMatchObject({ ok: true });
    // The same intermediate re-signed with notAfter GeneralizedTime 20270101140000Z: 14 hours left at NOW.
    const generalized = await through(timeGeneralizedPem);
    expect(generalized).toMatchObject({ ok: true, remainingSeconds: 14 * 3600 });
    // 20270101000000+1400 is 2026-12-31T10:00Z, expired at NOW (the schema read 2027-01-01T14:00Z); 20271301...
    // has no month 13 (the schema read 2028-01-01). openssl: "format error in certificate's notAfter field".
    for (const intermediate of [timeOffsetPem, timeMonth13Pem])
      expect(await through(intermediate)).toEqual({ ok: false, problem: "issuer-not-pinned" });
  });

  it("adds what a pin reached through the chain gives to what a direct pin of the intermediate gives", async () => {
    // The intermediate pinned too, for another trust domain: the root's domain still counts for its leaf.
    const both = viaRoot(1, [{ certificate: intermediatePem, trustDomains: ["other.ward.internal"] }]);
    const result = await identity(both, leafPem, intermediatePem, chainField(intermediatePem));
    expect(result).toMatchObject({ ok: true, workload: { id: API } });
    // ... and binds the identity to the intermediate's dates, as the path alone would.
    expect(
      await identity(both, leafPem, intermediatePem, chainField(intermediatePem), notAfterOf(intermediatePem) + 1000),
    ).toEqual({
      ok: false,
      problem: "outside-validity",
    });
    // Without the chain, the direct pin alone gives only its own trust domain.
    expect(await identity(both, leafPem, intermediatePem, "")).toEqual({
      ok: false,
      problem: "issuer-trust-domain-mismatch",
    });
  });

  it("holds the identity only while every intermediate on the path is in date", async () => {
    const config = viaRoot(1);
    const auth = await presented(leafPem, intermediatePem, chainField(intermediatePem));
    const inDate = await workloadIdentity(auth, config, NOW);
    expect(inDate).toMatchObject({ ok: true });
    // The intermediate is made for ten years, the leaf for a hundred: the leaf's dates (Cloudflare's) still hold.
    const intermediateEnds = notAfterOf(intermediatePem);
    expect(intermediateEnds).toBe(Date.parse("Dec  2 11:53:22 2036 GMT"));
    expect(await workloadIdentity(auth, config, intermediateEnds + 1000)).toEqual({
      ok: false,
      problem: "outside-validity",
    });
    // What the identity has left is the intermediate's, not the leaf's.
    expect(inDate.ok && inDate.remainingSeconds).toBe(Math.floor(intermediateEnds / 1000) - Math.floor(NOW / 1000));
  });

  it("refuses a chain field it cannot read as one, and judges each certificate once", async () => {
    const one = `:${base64Of(intermediatePem)}:`;
    for (const chain of [
      base64Of(intermediatePem),
      `${one};a=1`,
      `${one},`,
      `${one},,${one}`,
      `:${base64Of(intermediatePem)}AA==:`,
      Array(5).fill(one).join(","),
    ])
      expect(await identity(viaRoot(1), leafPem, intermediatePem, chain)).toMatchObject({ ok: false });
    expect(chainCertificates(`${one},\t${one}`)).toHaveLength(2);
    expect(chainCertificates(`${one};a=1`)).toBe("unparseable-certificate");
    expect(chainCertificates(Array(5).fill(one).join(","))).toBe("certificate-too-large");
    expect(await identity(viaRoot(1), leafPem, intermediatePem, chainField(intermediatePem), NOW)).toMatchObject({
      ok: true,
    });
    const tooLarge = await presented(leafPem, intermediatePem, "", { certChainRFC9440TooLarge: true });
    expect(await workloadIdentity(tooLarge, viaRoot(1), NOW)).toEqual({ ok: false, problem: "certificate-too-large" });

    const config = viaRoot(1);
    const auth = await presented(leafPem, intermediatePem, chainField(intermediatePem));
    for (let i = 0; i < 3; i++) expect(await workloadIdentity(auth, config, NOW)).toMatchObject({ ok: true });
    expect(judgementsHeld(config).entries).toBe(1);
    // Another chain with the same leaf is judged again, not taken from the first.
    const lookalike = { ...auth, certChainRFC9440: chainField(lookalikePem) };
    expect(await workloadIdentity(lookalike, config, NOW)).toEqual({ ok: false, problem: "issuer-not-pinned" });
  });

  it("names every CA the client sent for a `ca` revocation, even when a name pin gave the identity", async () => {
    // A name pin of the issuer for the same trust domain: the chain is not needed, and not read for trust. A
    // leaked intermediate's key could sign a CA carrying that name; the intermediate must still be named.
    const named = viaRoot(1, [{ ski: skiOf(intermediatePem), trustDomains: [DOMAIN] }]);
    const result = await identity(named, leafPem, intermediatePem, chainField(intermediatePem));
    expect(result).toMatchObject({ ok: true, workload: { id: API } });
    expect(result.ok && result.certificate.caKeys).toContain(skiOf(intermediatePem));
    expect(result.ok && result.certificate.chainUnread).toBeUndefined();
    // Sent along though no path uses it: named too.
    const extra = await identity(named, leafPem, intermediatePem, chainField(intermediatePem, otherRootPem));
    expect(extra.ok && extra.certificate.caKeys).toContain(skiOf(otherRootPem));
    // A chain over Cloudflare's bound hides what it held: marked, so that any CA cut off refuses it.
    const hidden = await workloadIdentity(
      await presented(leafPem, intermediatePem, "", { certChainRFC9440TooLarge: true }),
      viaRoot(0, [{ ski: skiOf(intermediatePem), trustDomains: [DOMAIN] }]),
      NOW,
    );
    expect(hidden).toMatchObject({ ok: true, certificate: { chainUnread: true } });
  });
});

/** A certificate's notAfter, read with the library the Worker uses. */
const notAfterOf = (pem: string): number => parsed(pem).tbsCertificate.validity.notAfter.getTime().getTime();
