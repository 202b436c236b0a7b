// A client's certificate as DER, strictly (policy/der-length.ts), and the byte sequences Cloudflare carries a
// certificate's DER in.
import { oneDerElement } from "../../policy/index.ts";

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
