// A client's certificate as DER, strictly (policy/der-length.ts), and the byte sequences Cloudflare carries a
// certificate's DER in.
import { AsnConvert } from "@peculiar/asn1-schema";
import { derLength, oneDerElement, strictDerTree } from "../../policy/index.ts";

/** Whether `der` is one SEQUENCE that ends where the bytes end. */
export function singleDerSequence(der: Uint8Array): boolean {
  return der[0] === 0x30 && oneDerElement(der);
}

/**
 * The bytes of an RFC 8941 byte sequence (`:base64:`, as Cloudflare writes certRFC9440 and each member of
 * certChainRFC9440); undefined when it is not one.
 */
export function byteSequence(text: string): Uint8Array | undefined {
  const match = /^:([A-Za-z0-9+/]+={0,2}):$/.exec(text);
  if (!match) return undefined;
  try {
    return Uint8Array.from(atob(match[1]!), (c) => c.charCodeAt(0));
  } catch {
    return undefined; // base64 of a length no encoder writes
  }
}

/**
 * `bytes` read as `type`, only when they are DER all the way down (policy/der-length.ts strictDerTree: definite
 * shortest lengths, nothing after the value, no padded OID, only SEQUENCE and SET constructed). The schema's reader
 * is lenient (BER lengths, an OID padded with 0x80, bytes after the first element, elements it does not expect
 * skipped): what it would take, a stricter reader that verified the chain may read otherwise (`GeneralNames ||
 * GeneralNames` is a second URI SAN to one and none to the other). With `exact`, the value encoded again must
 * give the bytes back too, so that nothing was skipped and no DEFAULT was written out: for values without OIDs,
 * since the reader does not give back every valid OID (an arc past 2^53, as in a UUID OID `2.25.<128 bits>`).
 * Throws otherwise.
 */
export function parseDer<T>(bytes: BufferSource, type: new () => T, exact = false): T {
  const given = ArrayBuffer.isView(bytes)
    ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    : new Uint8Array(bytes);
  if (!strictDerTree(given)) throw new Error("not DER");
  const value = AsnConvert.parse(given, type);
  if (exact) {
    const again = new Uint8Array(AsnConvert.serialize(value));
    if (again.length !== given.length || again.some((b, i) => b !== given[i])) throw new Error("not DER");
  }
  return value;
}

/** The elements inside the element whose tag is at `at`: each one's tag, where it starts (its tag) and ends. DER already. */
function children(der: Uint8Array, at: number): { tag: number; start: number; end: number }[] {
  const outer = derLength(der, at + 1)!;
  const out: { tag: number; start: number; end: number }[] = [];
  for (let i = outer.start; i < outer.start + outer.length; ) {
    const length = derLength(der, i + 1)!;
    out.push({ tag: der[i]!, start: i, end: length.start + length.length });
    i = length.start + length.length;
  }
  return out;
}

/**
 * Whether a certificate's extensions (DER already) are each exactly an Extension (RFC 5280 4.1): an OID, a
 * `critical` written only when TRUE, one OCTET STRING. The schema's reader skips what follows its fields: a
 * second OCTET STRING would be a second value one reader takes and another does not.
 */
export function extensionsWellFormed(der: Uint8Array): boolean {
  const [tbs] = children(der, 0);
  if (tbs?.tag !== 0x30) return false;
  const wrapper = children(der, tbs.start).find((c) => c.tag === 0xa3);
  if (!wrapper) return true;
  const [list, ...more] = children(der, wrapper.start);
  if (list?.tag !== 0x30 || more.length > 0) return false;
  return children(der, list.start).every((extension) => {
    if (extension.tag !== 0x30) return false;
    const tags = children(der, extension.start).map((c) => c.tag);
    if (tags.length === 2) return tags[0] === 0x06 && tags[1] === 0x04;
    // A BOOLEAN written out is TRUE in DER (FALSE is the DEFAULT, left out): strictDerTree read it as 0x00 or 0xFF.
    const critical = children(der, extension.start)[1];
    return (
      tags.length === 3 && tags[0] === 0x06 && tags[1] === 0x01 && tags[2] === 0x04 && der[critical!.end - 1] === 0xff
    );
  });
}

/** GeneralName's tags (RFC 5280 4.2.1.6): [0] to [8], each primitive or constructed as its type is. */
const GENERAL_NAME_TAGS = new Set([0xa0, 0x81, 0x82, 0xa3, 0xa4, 0xa5, 0x86, 0x87, 0x88]);

/** Whether a subjectAltName value (DER already) is one SEQUENCE of GeneralNames and nothing else. */
export function generalNamesWellFormed(value: Uint8Array): boolean {
  return value[0] === 0x30 && children(value, 0).every((name) => GENERAL_NAME_TAGS.has(name.tag));
}
