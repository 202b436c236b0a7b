// DER's length octets (X.690, 8.1.3 and 10.1), read strictly: a definite length, in its shortest form. BER's
// indefinite length, a long form for what fits the short one, or a leading zero octet is another encoding of
// the same value, which another parser may split otherwise: none is DER. And the byte sequences Cloudflare
// carries a certificate's DER in.

/** The length at `at` and where the content starts; undefined when it is not DER's or runs past the end. */
export function derLength(der: Uint8Array, at: number): { length: number; start: number } | undefined {
  const first = der[at];
  if (first === undefined) return undefined;
  if (first < 0x80) return { length: first, start: at + 1 };
  const octets = first & 0x7f;
  if (octets < 1 || octets > 3 || at + octets >= der.length || der[at + 1] === 0) return undefined;
  let length = 0;
  for (let i = 1; i <= octets; i++) length = length * 256 + der[at + i]!;
  return length < 0x80 ? undefined : { length, start: at + 1 + octets };
}

/** Whether `der` is one SEQUENCE that ends where the bytes end. */
export function singleDerSequence(der: Uint8Array): boolean {
  const length = der[0] === 0x30 ? derLength(der, 1) : undefined;
  return length !== undefined && length.start + length.length === der.length;
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
