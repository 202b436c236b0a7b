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

/** Elements strictDerTree reads at most unless told: a leaf certificate has a few hundred. */
export const MAX_DER_ELEMENTS = 4096;

/**
 * Whether `der` is one element that is DER all the way down (X.690, 10): every element's length definite and in
 * its shortest form, a constructed one's contents exactly its elements, nothing after the last; of the universal
 * types only SEQUENCE and SET constructed; an OBJECT IDENTIFIER's subidentifiers without a leading 0x80 octet
 * (8.19.2) and ending where it ends; a BOOLEAN one octet, 0x00 or 0xFF (11.1); an INTEGER or ENUMERATED in its
 * fewest octets (8.3.2). Other primitive contents are not read (an OCTET STRING's encapsulated value is checked on
 * its own). False past `maxElements` elements (a CRL the operator gives the CLI has some per entry, and many
 * entries). `integers: false` leaves INTEGERs to a caller that names the one at fault. Read on the bytes themselves: the ASN.1 schema reader Ward uses takes BER and stops after the first
 * element, where a strict one refuses or reads on.
 */
export function strictDerTree(
  der: Uint8Array,
  maxElements = MAX_DER_ELEMENTS,
  { integers = true }: { integers?: boolean } = {},
): boolean {
  let elements = 0;
  // Each frame: the contents still to be read, as [from, to).
  const frames: [number, number][] = [[0, der.length]];
  let first = true;
  while (frames.length > 0) {
    const frame = frames[frames.length - 1]!;
    if (frame[0] === frame[1]) {
      frames.pop();
      continue;
    }
    if (++elements > maxElements) return false;
    const at = frame[0];
    const tag = der[at]!;
    if ((tag & 0x1f) === 0x1f) return false;
    const length = derLength(der, at + 1);
    if (length === undefined) return false;
    const end = length.start + length.length;
    if (end > frame[1]) return false;
    // The outermost: one element that ends where the bytes end.
    if (first && end !== der.length) return false;
    first = false;
    frame[0] = end;
    // Of the universal types, only SEQUENCE and SET are constructed in DER (X.690 10.2: strings are primitive).
    if ((tag & 0x20) !== 0 && (tag & 0xc0) === 0 && tag !== 0x30 && tag !== 0x31) return false;
    if ((tag & 0x20) !== 0) frames.push([length.start, end]);
    else if (tag === 0x06 && !oidContents(der, length.start, end)) return false;
    else if (tag === 0x01 && !(length.length === 1 && (der[length.start] === 0x00 || der[length.start] === 0xff)))
      return false;
    else if (integers && (tag === 0x02 || tag === 0x0a) && !minimalInteger(der, length.start, end)) return false;
  }
  return !first;
}

/**
 * An INTEGER's or ENUMERATED's contents (X.690 8.3.2, 8.4): at least one octet, and no first octet that only
 * repeats the sign of the next (0x00 before one below 0x80, 0xFF before one from 0x80). A serial number written
 * `00 10` is `10` to a reader that strips the zero and not DER to one that refuses it (Go's, for one).
 */
export function minimalInteger(der: Uint8Array, start: number, end: number): boolean {
  if (start === end) return false;
  if (end - start === 1) return true;
  const first = der[start]!;
  const second = der[start + 1]!;
  return !((first === 0x00 && second < 0x80) || (first === 0xff && second >= 0x80));
}

/** An OBJECT IDENTIFIER's contents: at least one subidentifier, none with a leading 0x80, the last one ended. */
function oidContents(der: Uint8Array, start: number, end: number): boolean {
  if (start === end) return false;
  let subidentifierStart = true;
  for (let i = start; i < end; i++) {
    if (subidentifierStart && der[i] === 0x80) return false;
    subidentifierStart = (der[i]! & 0x80) === 0;
  }
  return subidentifierStart;
}
