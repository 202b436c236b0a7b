// A chain pin reached through one of two re-issued intermediates (same name, same key), both sent: "Of several
// paths (a rotation sends the old intermediate and the new), the one in date that stays valid longest counts"
// (docs/policy.md). Which one is in date changes with time: an isolate that judged the certificate while only the
// old one was must take the renewed one once the old expires, as a fresh isolate does.
import { expect, it } from "vitest";
import { workloadIdentity, type MtlsConfig } from "../../worker/identity/mtls.ts";
import * as d from "../worker/identity/cert-der.ts";

const TD = "a.rev.test";
const day = (y: number, m: number, dd = 1) => new Date(Date.UTC(y, m - 1, dd));

async function intermediate(root: d.Ca, key: d.KeyPair, subject: d.Bytes, serial: number, from: Date, to: Date) {
  return d.sign(
    d.tbs({
      serial: new Uint8Array([serial]),
      issuer: root.subject,
      subject,
      notBefore: d.x509Time(from),
      notAfter: d.x509Time(to),
      spki: key.spki,
      extensions: [
        d.extension(d.OID.basicConstraints, d.basicConstraintsValue(true, 0), true),
        d.extension(d.OID.keyUsage, d.keyUsageValue([5, 6]), true),
        d.extension(d.OID.ski, d.octets(key.ski)),
        d.extension(d.OID.aki, d.seq(d.tlv(0x80, root.key.ski))),
      ],
    }),
    root.key.privateKey,
  );
}

it("takes the renewed intermediate once the old one expires, in an isolate that judged the old path first", async () => {
  const root = await d.makeCa("Rev Root");
  const intKey = await d.newKey();
  const intSubject = d.name([d.OID.o, "Ward Review"], [d.OID.cn, "Rev Intermediate"]);
  const old = await intermediate(root, intKey, intSubject, 2, day(2026, 1), day(2027, 6));
  const renewed = await intermediate(root, intKey, intSubject, 3, day(2027, 3), day(2028, 6));
  const leafKey = await d.newKey();
  const leaf = await d.sign(
    d.tbs({
      serial: new Uint8Array([0x42]),
      issuer: intSubject,
      subject: d.name([d.OID.cn, "leaf"]),
      notBefore: d.x509Time(day(2026, 6)),
      notAfter: d.x509Time(day(2028, 1)),
      spki: leafKey.spki,
      extensions: [
        d.extension(d.OID.keyUsage, d.keyUsageValue([0]), true),
        d.extension(d.OID.san, d.sanValue(d.gn.uri(`spiffe://${TD}/ns/shop/sa/checkout`))),
        d.extension(d.OID.aki, d.seq(d.tlv(0x80, intKey.ski))),
      ],
    }),
    intKey.privateKey,
  );
  const auth = {
    certPresented: "1",
    certVerified: "SUCCESS",
    certRevoked: "0",
    certIssuerSKI: d.toHex(intKey.ski),
    certIssuerDNRFC2253: "CN=Rev Intermediate,O=Ward Review",
    certSerial: "42",
    certNotBefore: d.openSslTime(day(2026, 6)),
    certNotAfter: d.openSslTime(day(2028, 1)),
    certFingerprintSHA256: await d.sha256Hex(leaf),
    certRFC9440: `:${d.b64(leaf)}:`,
    certRFC9440TooLarge: false,
    certChainRFC9440: `:${d.b64(old)}:, :${d.b64(renewed)}:`,
    certChainRFC9440TooLarge: false,
  };
  const make = (): MtlsConfig => ({
    required: false,
    spiffe: true,
    issuers: [{ certificate: root.pem, trustDomains: [TD], intermediates: 1 }],
  });
  const before = day(2027, 1); // only the old intermediate is in date
  const after = day(2027, 7); // only the renewed one is
  const config = make();
  const first = await workloadIdentity(auth, config, before.getTime());
  const later = await workloadIdentity(auth, config, after.getTime());
  const freshIsolate = await workloadIdentity(auth, make(), after.getTime());
  expect(first.ok).toBe(true);
  expect(freshIsolate.ok).toBe(true);
  expect(later.ok).toBe(true);
});
