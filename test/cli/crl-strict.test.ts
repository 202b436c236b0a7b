// `ward revoke --crl` takes a CRL only as RFC 5280 lays one out (5.1), in DER: the schema's reader took a
// version 2 or none with extensions, an element it did not expect, a padded serial, lengths not in their shortest
// form, where openssl refuses such a list or another reader reads it otherwise. Each case is revoked.crl.pem
// changed in one place (crl-edit.ts).
import { describe, expect, it } from "vitest";
import { readRevocationList } from "../../scripts/crl.ts";
import { changed, DER, firstEntry, integer, NULL, type Node, SKI } from "./crl-edit.ts";

describe("a list not laid out as RFC 5280 writes one, in DER", () => {
  it.each<[string, (tbs: Node[]) => void, RegExp]>([
    [
      "version INTEGER 2 (a v3 CRL: no such thing)",
      (tbs) => {
        tbs[0] = integer("02");
      },
      /^the CRL's version is not v2 \(INTEGER 1\) but the INTEGER 02:/,
    ],
    [
      "version 1 written in a padded INTEGER",
      (tbs) => {
        tbs[0] = integer("0001");
      },
      /^the CRL's version is not v2 \(INTEGER 1\) but the INTEGER 0001:/,
    ],
    [
      "no version (v1) with extensions",
      (tbs) => {
        tbs.shift();
      },
      /^the CRL is a v1 CRL \(it has no version field\), .*RFC 5280 \(5\.1\.2\.1\)/,
    ],
    [
      "an element after its extensions, inside tbsCertList",
      (tbs) => {
        tbs.push(NULL);
      },
      /^the CRL is not laid out as RFC 5280 \(5\.1\) writes one: an element after its fields/,
    ],
    [
      "an element after an entry's date",
      (tbs) => {
        firstEntry(tbs).push({ tag: 0x30, content: Buffer.alloc(0), kids: [] }, NULL);
      },
      /: its entry 1 is not a serial number, a date and extensions;/,
    ],
    [
      "a serial with a zero byte DER does not write",
      (tbs) => {
        firstEntry(tbs)[0] = integer("0000a1b2");
      },
      /: its entry 1's serial number 0000a1b2 is not an INTEGER in its shortest form/,
    ],
    [
      "a negative serial with a 0xff byte DER does not write",
      (tbs) => {
        firstEntry(tbs)[0] = integer("ffff");
      },
      /: its entry 1's serial number ffff is not an INTEGER in its shortest form/,
    ],
    [
      "an empty serial",
      (tbs) => {
        firstEntry(tbs)[0] = integer("");
      },
      /: its entry 1's serial number \(empty\) is not an INTEGER/,
    ],
  ])("refuses %s", (_name, change, message) => {
    expect(() => readRevocationList(changed(change))).toThrow(message);
  });

  it("refuses a length not in its shortest form", () => {
    // The issuer's SEQUENCE (53 bytes) with its length in two octets, the lengths around it one longer.
    const at = DER.indexOf(Buffer.from("3035311330", "hex"));
    expect(at).toBeGreaterThan(0);
    const der = Buffer.concat([DER.subarray(0, at), Buffer.from("308135", "hex"), DER.subarray(at + 2)]);
    expect(der.subarray(0, 7).toString("hex")).toBe("308201303081d7");
    der.writeUInt16BE(0x131, 2);
    der[6] = 0xd8;
    expect(() => readRevocationList(der)).toThrow(/^the CRL is not DER \(a length not in its shortest form/);
  });

  it.each([
    [
      "its key identifier's length in the long form",
      (ski: Buffer) => Buffer.concat([Buffer.from("3017808114", "hex"), ski]),
    ],
    [
      "a zero byte after the value",
      (ski: Buffer) => Buffer.concat([Buffer.from("30168014", "hex"), ski, Buffer.from([0])]),
    ],
  ])("refuses an authorityKeyIdentifier with %s", (_name, value) => {
    // Extension values are OCTET STRINGs, read on their own: the schema's reader took these as the same key.
    const der = changed((tbs) => {
      const extensions = tbs[6]!.kids![0]!.kids!;
      const aki = extensions.find((e) => e.kids![0]!.content.equals(Buffer.from("551d23", "hex")))!;
      aki.kids![1] = { tag: 0x04, content: value(Buffer.from(SKI, "hex")) };
    });
    expect(() => readRevocationList(der)).toThrow(/^the CRL's authorityKeyIdentifier extension does not decode/);
  });

  it("takes the authorityKeyIdentifier as written in DER", () => {
    const der = changed((tbs) => {
      const extensions = tbs[6]!.kids![0]!.kids!;
      const aki = extensions.find((e) => e.kids![0]!.content.equals(Buffer.from("551d23", "hex")))!;
      aki.kids![1] = { tag: 0x04, content: Buffer.concat([Buffer.from("30168014", "hex"), Buffer.from(SKI, "hex")]) };
    });
    expect(readRevocationList(der).revoked).toContain(`${SKI}/a1b2`);
  });

  it("still takes a list of 6,000 entries, past the elements a client's certificate is read with", () => {
    // And past the 10,000 nodes asn1js reads by default: from a review, such a list was "not a CRL".
    const serials = Array.from({ length: 6000 }, (_, i) => (0x100000 + i).toString(16));
    const der = changed((tbs) => {
      const [entry] = tbs[5]!.kids!;
      tbs[5]!.kids = serials.map((serial) => ({ ...entry!, kids: [integer(serial), entry!.kids![1]!] }));
    });
    expect(readRevocationList(der).revoked).toEqual(serials.map((serial) => `${SKI}/${serial}`));
  });
});
