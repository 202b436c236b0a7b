// A client's certificate as DER, strictly (policy/der-length.ts), and the byte sequences Cloudflare carries a
// certificate's DER in.
import { AsnConvert } from "@peculiar/asn1-schema";
import { oneDerElement, strictDerTree } from "../../policy/index.ts";

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
 * shortest lengths, nothing after the value, no padded OID). The schema's reader is lenient (BER lengths, an OID
 * padded with 0x80, bytes after the first element): what it would take, a stricter reader that verified the chain
 * may read otherwise (`GeneralNames || GeneralNames` is a second URI SAN to one and none to the other). Judged on
 * the bytes, not by encoding the value again: the reader does not give back every valid value as it was (an OID
 * arc past 2^53, as in a UUID OID `2.25.<128 bits>`). Throws otherwise.
 */
export function parseDer<T>(bytes: BufferSource, type: new () => T): T {
  const given = ArrayBuffer.isView(bytes)
    ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    : new Uint8Array(bytes);
  if (!strictDerTree(given)) throw new Error("not DER");
  return AsnConvert.parse(given, type);
}
