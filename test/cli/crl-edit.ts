// revoked.crl.pem (test/fixtures/certs: the workload CA's list of A1B2 and checkout.pem's serial) as DER, and
// that DER changed in one place, the lengths around it written again, for the tests of what `ward revoke --crl`
// refuses (crl-strict.test.ts, crl-negative-serial.test.ts). Ward does not check a CRL's signature.
import { readFileSync } from "node:fs";
import { join } from "node:path";

const PEM = readFileSync(join(import.meta.dirname, "../fixtures/certs/revoked.crl.pem"), "latin1");
export const DER = Buffer.from(PEM.replace(/-----[A-Z0-9 ]+-----/g, "").replace(/\s+/g, ""), "base64");
export const SKI = "3a45f848c6050cd86d58fe6da772c4f3c3cef5c2";

/** A DER element: its tag and contents, and its elements when it is a SEQUENCE or [0]. */
export interface Node {
  tag: number;
  content: Buffer;
  kids?: Node[];
}

function read(bytes: Buffer): Node[] {
  const out: Node[] = [];
  for (let at = 0; at < bytes.length; ) {
    let length = bytes[at + 1]!;
    let head = 2;
    if (length & 0x80) {
      const octets = length & 0x7f;
      length = bytes.readUIntBE(at + 2, octets);
      head += octets;
    }
    const tag = bytes[at]!;
    const content = bytes.subarray(at + head, at + head + length);
    out.push(tag === 0x30 || tag === 0xa0 ? { tag, content, kids: read(content) } : { tag, content });
    at += head + length;
  }
  return out;
}

function write(node: Node): Buffer {
  const content = node.kids ? Buffer.concat(node.kids.map(write)) : node.content;
  const n = content.length;
  const length =
    n < 0x80
      ? [n]
      : n < 0x100
        ? [0x81, n]
        : n < 0x10000
          ? [0x82, n >> 8, n & 0xff]
          : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([node.tag, ...length]), content]);
}

/** revoked.crl.pem's DER with its tbsCertList's elements changed by `change`. */
export function changed(change: (tbs: Node[]) => void): Buffer {
  const [top] = read(DER);
  change(top!.kids![0]!.kids!);
  return write(top!);
}

export const integer = (hex: string): Node => ({ tag: 0x02, content: Buffer.from(hex, "hex") });
export const NULL: Node = { tag: 0x05, content: Buffer.alloc(0) };
/** The first entry (serial A1B2): version, signature, issuer, thisUpdate, nextUpdate, revokedCertificates. */
export const firstEntry = (tbs: Node[]) => tbs[5]!.kids![0]!.kids!;
