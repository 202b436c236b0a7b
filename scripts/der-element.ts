// Whether bytes are one DER element and nothing else. The ASN.1 reader Ward uses stops after the first element
// and says nothing of what follows, so a second CRL after the first, or an extension's value with more after
// it, would be read in part without a word.

/** Whether `der` is one element (a one-octet tag, a definite length in DER's shortest form) that ends where it ends. */
export function oneDerElement(der: Uint8Array): boolean {
  const tag = der[0];
  const first = der[1];
  // 0x1f: a tag number in the octets after it, which nothing in a CRL has.
  if (tag === undefined || first === undefined || (tag & 0x1f) === 0x1f) return false;
  if (first < 0x80) return 2 + first === der.length;
  const octets = first & 0x7f;
  // 0x80: BER's indefinite length; a leading zero octet or a long form for a short length: not DER's.
  if (octets < 1 || octets > 4 || der[2] === 0) return false;
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + (der[2 + i] ?? Number.NaN);
  return length >= 0x80 && 2 + octets + length === der.length;
}
