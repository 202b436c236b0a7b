// What reading the certificates a client sends beside its own costs (worker/identity/sent-certificates.ts,
// certificate-chain.ts). A review found a chain of intermediates stuffed with hundreds of one-letter names, each
// naming the pinned root as its issuer, cost ten times an honest judgement to parse, on every request that
// varied it (a judgement is kept per chain). Each certificate is now bounded in size and in what is parsed of it,
// parsed only once its subject names the issuer of a certificate on a path, and parsed once. No timing here: what
// is parsed, and what is refused.
import { AsnConvert } from "@peculiar/asn1-schema";
import { afterEach, describe, expect, it, vi } from "vitest";
import intermediatePem from "../../fixtures/certs/chain/chain-intermediate.pem?raw";
import leafPem from "../../fixtures/certs/chain/chain-leaf.pem?raw";
import manyNamesPem from "../../fixtures/certs/chain/chain-many-names.pem?raw";
import manyNamesLeafPem from "../../fixtures/certs/chain/chain-many-names-leaf.pem?raw";
import otherRootPem from "../../fixtures/certs/chain/chain-other-root.pem?raw";
import oversizedPem from "../../fixtures/certs/chain/chain-oversized.pem?raw";
import oversizedLeafPem from "../../fixtures/certs/chain/chain-oversized-leaf.pem?raw";
import rootPem from "../../fixtures/certs/chain/chain-root.pem?raw";
import secondIntermediatePem from "../../fixtures/certs/chain/chain-second-intermediate.pem?raw";
import secondLeafPem from "../../fixtures/certs/chain/chain-second-leaf.pem?raw";
import secondRootPem from "../../fixtures/certs/chain/chain-second-root.pem?raw";
import upperPem from "../../fixtures/certs/chain/chain-upper.pem?raw";
import { readIssuerCertificate } from "../../../policy/index.ts";
import { type MtlsConfig, workloadIdentity } from "../../../worker/identity/mtls.ts";
import { chainCertificates } from "../../../worker/identity/sent-certificates.ts";
import { tlsClientAuth } from "../support/client-certs.ts";

const NOW = Date.UTC(2027, 0, 1);
const DOMAIN = "chain.ward.internal";

const derOf = (pem: string): Uint8Array =>
  Uint8Array.from(atob(pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, "")), (c) => c.charCodeAt(0));
const field = (...ders: Uint8Array[]): string => ders.map((der) => `:${btoa(String.fromCharCode(...der))}:`).join(", ");
const pinning = (root: string, more: MtlsConfig["issuers"] = []): MtlsConfig => ({
  required: false,
  issuers: [{ certificate: root, intermediates: 1, trustDomains: [DOMAIN] }, ...more],
  spiffe: true,
});
const skiOf = (pem: string): string => {
  const read = readIssuerCertificate(pem);
  if (!read.ok) throw new Error(read.problem);
  return read.certificate.ski;
};
/** What Cloudflare reports for `leaf`, the intermediate `issuer` its issuer, sent with `chain`. */
const presented = (leaf: string, issuer: string, chain: string) =>
  tlsClientAuth(leaf, { certIssuerSKI: skiOf(issuer), certChainRFC9440: chain, certChainRFC9440TooLarge: false });
const identity = async (config: MtlsConfig, leaf: string, issuer: string, chain: string) =>
  workloadIdentity(await presented(leaf, issuer, chain), config, NOW);

/** The content of a DER element (lengths of up to two octets, as these certificates have) as its elements. */
function elementsOf(der: Uint8Array): Uint8Array[] {
  const bounds = (at: number) => {
    let length = der[at + 1]!;
    let start = at + 2;
    if (length & 0x80) {
      const octets = length & 0x7f;
      length = 0;
      for (let i = 0; i < octets; i++) length = length * 256 + der[start + i]!;
      start += octets;
    }
    return { start, end: start + length };
  };
  const out: Uint8Array[] = [];
  const outer = bounds(0);
  for (let at = outer.start; at < outer.end; at = bounds(at).end) out.push(der.subarray(at, bounds(at).end));
  return out;
}
function element(tag: number, parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((sum, part) => sum + part.length, 0);
  const header = n < 0x80 ? [tag, n] : n < 0x100 ? [tag, 0x81, n] : [tag, 0x82, n >> 8, n & 0xff];
  return Uint8Array.from([...header, ...parts.flatMap((part) => [...part])]);
}

/**
 * The review's certificate: the second intermediate (issued by the pinned root) with `names` one-letter CNs
 * added to its subject. Its signature no longer holds, which the path never gets to check.
 */
function stuffed(names: number, salt: number): Uint8Array {
  const [tbs, algorithm, signature] = elementsOf(derOf(secondIntermediatePem)) as [Uint8Array, Uint8Array, Uint8Array];
  const fields = elementsOf(tbs);
  const cn = (i: number) =>
    Uint8Array.from([0x31, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x01, 0x61 + (i % 26)]);
  const subject = element(0x30, [...elementsOf(fields[5]!), ...Array.from({ length: names }, (_, i) => cn(i + salt))]);
  return element(0x30, [element(0x30, [...fields.slice(0, 5), subject, ...fields.slice(6)]), algorithm, signature]);
}

/** How many times the schema parsed exactly these bytes. */
const sameBytes = (data: unknown, der: Uint8Array): boolean => {
  const bytes = data instanceof Uint8Array ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : undefined;
  return bytes !== undefined && bytes.length === der.length && bytes.every((b, i) => b === der[i]);
};
const parses = (spy: { mock: { calls: unknown[][] } }, der: Uint8Array): number =>
  spy.mock.calls.filter(([data]) => sameBytes(data, der)).length;

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the certificates a client sends beside its own, read within bounds", () => {
  it("parses none of a chain of many-named intermediates whose subject names no certificate's issuer", async () => {
    const chain = [0, 1, 2, 3].map((salt) => stuffed(205, salt * 7));
    expect(field(...chain).length).toBeLessThanOrEqual(16_384);
    const auth = await presented(secondLeafPem, secondIntermediatePem, field(...chain));
    const config = pinning(secondRootPem);
    const spy = vi.spyOn(AsnConvert, "parse");
    // Each names the pinned root as its issuer, so the path check must look: their subjects name nothing.
    expect(await workloadIdentity(auth, config, NOW)).toEqual({ ok: false, problem: "issuer-not-pinned" });
    for (const der of chain) expect(parses(spy, der)).toBe(0);
  });

  it("parses each certificate sent at most once, for the path and for a `ca` revocation", async () => {
    const sent = [derOf(intermediatePem), derOf(otherRootPem), derOf(upperPem)];
    const auth = await presented(leafPem, intermediatePem, field(...sent));
    const config = pinning(rootPem);
    const otherRoot = skiOf(otherRootPem);
    const spy = vi.spyOn(AsnConvert, "parse");
    const result = await workloadIdentity(auth, config, NOW);
    expect(result).toMatchObject({ ok: true, certificate: { caKeys: expect.arrayContaining([otherRoot]) } });
    for (const der of sent) expect(parses(spy, der)).toBe(1);
  });

  it("takes no intermediate with more ASN.1 elements than a CA's certificate has, nor past 4 KiB", async () => {
    // Both are valid (openssl verifies either chain): 80 names in a subject (382 elements), a 4,697-byte one.
    expect(await identity(pinning(secondRootPem), manyNamesLeafPem, manyNamesPem, field(derOf(manyNamesPem)))).toEqual({
      ok: false,
      problem: "issuer-not-pinned",
    });
    expect(await identity(pinning(secondRootPem), oversizedLeafPem, oversizedPem, field(derOf(oversizedPem)))).toEqual({
      ok: false,
      problem: "certificate-too-large",
    });
    expect(chainCertificates(field(derOf(secondIntermediatePem), derOf(oversizedPem)))).toBe("certificate-too-large");
    // Sent beside a certificate a name pin gave its identity: what it holds is unknown to a `ca` revocation.
    const named = pinning(secondRootPem, [{ ski: skiOf(secondIntermediatePem), trustDomains: [DOMAIN] }]);
    const chain = field(derOf(secondIntermediatePem), derOf(manyNamesPem));
    expect(await identity(named, secondLeafPem, secondIntermediatePem, chain)).toMatchObject({
      ok: true,
      certificate: { chainUnread: true },
    });
  });
});
