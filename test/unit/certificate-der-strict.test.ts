// A leaf's extensions are read only when they are DER (RFC 5280 asks for it; X.690's one encoding per value): the
// schema's reader takes a BER length, an OID padded with 0x80 or bytes after the first element, where a strict
// reader (the one that verified the chain, a library an origin uses) reads otherwise or refuses. `GeneralNames ||
// GeneralNames` is a second URI SAN to one and none to the other. Certificates written byte by byte and signed by a
// pinned CA (test/worker/identity/cert-der.ts); each non-DER form is refused as `unparseable-certificate`.
import { describe, expect, it } from "vitest";
import { type MtlsConfig, workloadIdentity } from "../../worker/identity/mtls.ts";
import * as d from "../worker/identity/cert-der.ts";

const NOW = Date.UTC(2027, 0, 1);

/** An OBJECT IDENTIFIER's contents, arcs of any size (X.690 8.19). */
function bigOid(text: string): Uint8Array {
  const arcs = text.split(".").map(BigInt);
  const out: number[] = [];
  for (const arc of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
    const groups: number[] = [];
    let rest = arc;
    do {
      groups.unshift(Number(rest & 0x7fn));
      rest >>= 7n;
    } while (rest > 0n);
    out.push(...groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)));
  }
  return Uint8Array.from(out);
}
const TD = "gen.ward.test";
const ID = `spiffe://${TD}/a`;

describe("a leaf certificate's extensions, strictly DER", async () => {
  const ca = await d.makeCa("Gen CA");
  const config: MtlsConfig = { required: false, issuers: [{ certificate: ca.pem, trustDomains: [TD] }], spiffe: true };
  const leafKey = await d.newKey();
  let serials = 0;
  // Each certificate its own serial unless given one (Cloudflare's certSerial is its bytes in hex).
  const identify = async (extensions: d.Bytes[], serial = [0x10, ++serials]) => {
    const der = await d.sign(
      d.tbs({
        serial: new Uint8Array(serial),
        issuer: ca.subject,
        subject: d.name([d.OID.cn, "leaf"]),
        notBefore: d.utcTime(new Date(Date.UTC(2026, 0, 1))),
        notAfter: d.utcTime(new Date(Date.UTC(2028, 0, 1))),
        spki: leafKey.spki,
        extensions,
      }),
      ca.key.privateKey,
    );
    const auth = {
      certPresented: "1",
      certVerified: "SUCCESS",
      certRevoked: "0",
      certIssuerSKI: ca.skiHex,
      certIssuerDNRFC2253: "CN=Gen CA,O=Ward Review",
      certSerial: Buffer.from(serial).toString("hex"),
      certNotBefore: "Jan  1 00:00:00 2026 GMT",
      certNotAfter: "Jan  1 00:00:00 2028 GMT",
      certFingerprintSHA256: await d.sha256Hex(der),
      certRFC9440: `:${d.b64(der)}:`,
      certRFC9440TooLarge: false,
    };
    return workloadIdentity(auth, config, NOW);
  };
  const ku = d.extension(d.OID.keyUsage, d.keyUsageValue([0]), true);
  const san = (...names: d.Bytes[]) => d.extension(d.OID.san, d.sanValue(...names));

  it("identifies the workload of a certificate written in DER", async () => {
    expect(await identify([ku, san(d.gn.uri(ID))])).toMatchObject({ ok: true, workload: { id: ID } });
  });

  it("identifies it beside an extension named by a UUID OID, whose last arc is past 2^53", async () => {
    // X.667's 2.25.<128-bit UUID>: valid DER that the schema's reader does not encode back as it was.
    const uuidOid = d.tlv(0x06, bigOid("2.25.329800735698586629295641978511506172918"));
    const named = d.seq(uuidOid, d.octets(d.tlv(0x0c, d.utf8("team-a"))));
    expect(await identify([ku, san(d.gn.uri(ID)), named])).toMatchObject({ ok: true, workload: { id: ID } });
    // And as an otherName's type in the SAN, beside nothing else a URI.
    const other = d.tlv(0xa0, uuidOid, d.tlv(0xa0, d.tlv(0x0c, d.utf8("x"))));
    expect(await identify([ku, san(d.gn.uri(ID), other)])).toMatchObject({ ok: true, workload: { id: ID } });
  });

  const notDer: [string, d.Bytes[]][] = [
    [
      "a second SAN list after the first",
      [ku, d.extension(d.OID.san, d.cat(d.sanValue(d.gn.uri(ID)), d.sanValue(d.gn.uri(`spiffe://${TD}/b`))))],
    ],
    ["bytes after the SAN list", [ku, d.extension(d.OID.san, d.cat(d.sanValue(d.gn.uri(ID)), new Uint8Array([0, 0])))]],
    [
      "a SAN list of indefinite length",
      [ku, d.extension(d.OID.san, d.cat(new Uint8Array([0x30, 0x80]), d.gn.uri(ID), new Uint8Array([0, 0])))],
    ],
    [
      "a SAN list's length in the long form where the short one fits",
      [ku, d.extension(d.OID.san, d.cat(new Uint8Array([0x30, 0x81, d.gn.uri(ID).length]), d.gn.uri(ID)))],
    ],
    [
      "cA TRUE after an empty basicConstraints",
      [
        ku,
        d.extension(d.OID.basicConstraints, d.cat(d.basicConstraintsValue(false), d.basicConstraintsValue(true)), true),
        san(d.gn.uri(ID)),
      ],
    ],
    [
      "keyCertSign in a second key usage after the first",
      [d.extension(d.OID.keyUsage, d.cat(d.keyUsageValue([0]), d.keyUsageValue([5])), true), san(d.gn.uri(ID))],
    ],
    [
      "the SAN's OID padded with 0x80",
      [ku, d.seq(d.tlv(0x06, new Uint8Array([0x55, 0x1d, 0x80, 0x11])), d.octets(d.sanValue(d.gn.uri(ID))))],
    ],
  ];
  // From a review of the first strict reading, which checked the bytes' framing only: elements the schema does not
  // expect are skipped by its reader, so each of these read one way here and another (or not at all) by openssl.
  notDer.push(
    [
      "basicConstraints with its fields out of order, cA TRUE after pathLen",
      [
        ku,
        d.extension(d.OID.basicConstraints, d.seq(d.tlv(0x02, new Uint8Array([0])), d.TRUE), true),
        san(d.gn.uri(ID)),
      ],
    ],
    [
      "an Extension with a second value, cA TRUE in it",
      [
        ku,
        d.seq(d.oid(d.OID.basicConstraints), d.TRUE, d.octets(d.seq()), d.octets(d.basicConstraintsValue(true))),
        san(d.gn.uri(ID)),
      ],
    ],
    [
      "a SAN Extension with a second value naming another workload",
      [
        ku,
        d.seq(d.oid(d.OID.san), d.octets(d.sanValue(d.gn.uri(ID))), d.octets(d.sanValue(d.gn.uri(`spiffe://${TD}/b`)))),
      ],
    ],
    [
      "keyUsage as a constructed BIT STRING, keyCertSign in a later piece",
      [
        d.extension(
          d.OID.keyUsage,
          d.tlv(0x23, d.tlv(0x03, new Uint8Array([0x00])), d.tlv(0x03, new Uint8Array([0x01, 0x84]))),
          true,
        ),
        san(d.gn.uri(ID)),
      ],
    ],
    [
      "cA FALSE written out (a DEFAULT encoded)",
      [ku, d.extension(d.OID.basicConstraints, d.seq(new Uint8Array([1, 1, 0])), true), san(d.gn.uri(ID))],
    ],
    [
      "critical FALSE written out",
      [ku, d.seq(d.oid(d.OID.san), new Uint8Array([1, 1, 0]), d.octets(d.sanValue(d.gn.uri(ID))))],
    ],
    // X.690 8.3.2: an INTEGER in its fewest octets.
    [
      "basicConstraints' pathLenConstraint padded with a zero octet",
      [
        ku,
        d.extension(d.OID.basicConstraints, d.seq(d.tlv(0x02, new Uint8Array([0x00, 0x01]))), true),
        san(d.gn.uri(ID)),
      ],
    ],
    [
      "basicConstraints' pathLenConstraint of no octets",
      [ku, d.extension(d.OID.basicConstraints, d.seq(d.tlv(0x02, new Uint8Array([]))), true), san(d.gn.uri(ID))],
    ],
  );
  it.each(notDer)("refuses %s", async (_, extensions) => {
    expect(await identify(extensions)).toEqual({ ok: false, problem: "unparseable-certificate" });
  });

  it.each([
    ["a zero octet", [0x00, 0x10, 0x01]],
    ["two zero octets", [0x00, 0x00, 0x10, 0x02]],
    ["a 0xFF octet before a negative one", [0xff, 0x80, 0x01]],
  ])("refuses a serial number padded with %s", async (_, serial) => {
    expect(await identify([ku, san(d.gn.uri(ID))], serial)).toEqual({ ok: false, problem: "unparseable-certificate" });
  });

  it.each([
    ["-32767", [0x80, 0x01]],
    ["-1", [0xff]],
  ])("refuses the negative serial number %s, which RFC 5280 forbids", async (_, serial) => {
    expect(await identify([ku, san(d.gn.uri(ID))], serial)).toEqual({ ok: false, problem: "unparseable-certificate" });
  });

  it("identifies the workload of a serial whose zero octet keeps it positive", async () => {
    // 0x00 before 0x80 or above is DER: without it the serial would be negative.
    expect(await identify([ku, san(d.gn.uri(ID))], [0x00, 0x80, 0x01])).toMatchObject({
      ok: true,
      workload: { id: ID },
    });
  });
});
