// How origins that change letters read a decoded path, modelled from what they are documented to do, not from
// policy/: Unicode normalisation (NFC, NFD, NFKC, as the runtime's tables have it), Windows' best-fit conversion to
// code page 1252 as Unicode publishes it (test/fixtures/bestfit/; a character neither in it nor in Latin-1 becomes
// `?`), lower-casing before or after, and Windows dropping a segment's trailing dots and spaces after conversion.
import published from "../../fixtures/bestfit/bestfit1252-to-ascii.txt?raw";
import highCharacters from "../../fixtures/bestfit/cp1252-high.txt?raw";

/** Best-fit's table as Unicode publishes it: the characters beyond Latin-1 it reads as ASCII, and that ASCII. */
export const PUBLISHED_BEST_FIT: ReadonlyMap<string, string> = new Map(
  published
    .split("\n")
    .map((line) => /^0x([0-9a-f]{4})\t0x([0-9a-f]{2})\t/.exec(line))
    .filter((m) => m !== null)
    .map((m) => [String.fromCodePoint(parseInt(m[1]!, 16)), String.fromCharCode(parseInt(m[2]!, 16))] as const),
);

/** The characters code page 1252 holds beyond Latin-1 (its bytes 0x80-0x9F), as its table publishes them. */
const CODE_PAGE_HIGH = new Set(
  highCharacters
    .split("\n")
    .map((line) => /^0x[0-9a-f]{2}\t0x([0-9a-f]{4})\t/.exec(line))
    .filter((m) => m !== null)
    .map((m) => String.fromCodePoint(parseInt(m[1]!, 16))),
);

/** Whether code page 1252 holds the character as it is. */
export const inCodePage1252 = (c: string): boolean => c.codePointAt(0)! < 0x100 || CODE_PAGE_HIGH.has(c);

/** Code page 1252 with best fit: its own characters as they are, the table's as ASCII, anything else `?`. */
export function bestFit1252(text: string): string {
  let out = "";
  for (const c of text) out += inCodePage1252(c) ? c : (PUBLISHED_BEST_FIT.get(c) ?? "?");
  return out;
}

export interface OriginReading {
  name: string;
  /** A segment as the origin reads it. */
  read: (segment: string) => string;
  /** The origin converts to code page 1252 (and so drops trailing dots and spaces, as Windows does). */
  bestFit: boolean;
  /** Only origins that compare paths whatever their case lower-case them. */
  caseInsensitiveOnly?: boolean;
}

const lower = (s: string) => s.toLowerCase();
export const ORIGIN_READINGS: readonly OriginReading[] = [
  { name: "NFC", read: (s) => s.normalize("NFC"), bestFit: false },
  { name: "NFD", read: (s) => s.normalize("NFD"), bestFit: false },
  { name: "NFKC", read: (s) => s.normalize("NFKC"), bestFit: false },
  { name: "best-fit", read: bestFit1252, bestFit: true },
  { name: "NFKC, best-fit", read: (s) => bestFit1252(s.normalize("NFKC")), bestFit: true },
  { name: "lower, best-fit", read: (s) => bestFit1252(lower(s)), bestFit: true, caseInsensitiveOnly: true },
  {
    name: "NFKC, lower, best-fit",
    read: (s) => bestFit1252(lower(s.normalize("NFKC"))),
    bestFit: true,
    caseInsensitiveOnly: true,
  },
  {
    name: "lower, NFKC, best-fit",
    read: (s) => bestFit1252(lower(s).normalize("NFKC")),
    bestFit: true,
    caseInsensitiveOnly: true,
  },
];

/**
 * The decoded path as the origin reads it, or undefined where it reads a `?` best-fit made: whether that ends the
 * path depends on whether the origin parses the converted path again, which docs/policy.md leaves out of scope.
 */
export function readPath(decodedPath: string, reading: OriginReading): string | undefined {
  const segments = decodedPath.split("/").map(reading.read);
  if (!reading.bestFit) return segments.join("/");
  if (segments.some((s) => s.includes("?"))) return undefined;
  return segments.map((s, i) => (i === segments.length - 1 && s === "" ? s : s.replace(/[. ]+$/, ""))).join("/");
}

/**
 * Characters some single reading turns into one or two printable ASCII characters, by what they become: the
 * spellings a client can send for an ASCII route literal. Keys `ci:x` hold those that become `x` in the other case.
 */
export function lookAlikesOfAscii(): Map<string, string[]> {
  const single = [
    (c: string) => c.normalize("NFKC"),
    bestFit1252,
    (c: string) => bestFit1252(c.normalize("NFKC")),
    (c: string) => bestFit1252(lower(c)),
    (c: string) => bestFit1252(lower(c.normalize("NFKC"))),
  ];
  const found = new Map<string, string[]>();
  const add = (key: string, c: string) => found.set(key, [...(found.get(key) ?? []), c]);
  for (let cp = 0x80; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const c = String.fromCodePoint(cp);
    const seen = new Set<string>();
    for (const read of single) {
      const r = read(c);
      if (!/^[\x21-\x3e\x40-\x7e]{1,2}$/.test(r) || seen.has(r)) continue;
      seen.add(r);
      add(r, c);
      if (/^[a-z]$/i.test(r)) add(`ci:${r === r.toLowerCase() ? r.toUpperCase() : r.toLowerCase()}`, c);
    }
  }
  return found;
}
