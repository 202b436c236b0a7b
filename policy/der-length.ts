// DER's length octets (X.690, 8.1.3 and 10.1), read strictly: a definite length, in its shortest form. BER's
// indefinite length, a long form for what fits the short one, or a leading zero octet is another encoding of
// the same value, which another parser may split otherwise: none is DER. Read by the Worker (a client's
// certificates) and the CLI (a CRL) alike.

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

/**
 * Whether `der` is one element (a one-octet tag, a DER length) that ends where the bytes end. The ASN.1 reader
 * Ward uses stops after the first element and says nothing of what follows.
 */
export function oneDerElement(der: Uint8Array): boolean {
  const tag = der[0];
  // 0x1f: a tag number in the octets after it, which nothing Ward reads this way has.
  if (tag === undefined || (tag & 0x1f) === 0x1f) return false;
  const length = derLength(der, 1);
  return length !== undefined && length.start + length.length === der.length;
}
