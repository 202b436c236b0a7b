// How Windows' best-fit conversion reads a character when a path is converted to an ANSI code page (a program
// that is not Unicode: PHP or CGI on IIS). Code page 1252 (Western European) maps each character below to the
// ASCII one it is listed under; test/fixtures/bestfit/bestfit1252-to-ascii.txt holds the published table, and
// test/unit/best-fit.test.ts checks that Ward reads every entry of it so. Only the entries NFKC (and dropping the
// accents of a letter that ends as ASCII: letter-fold.ts) does not already read so are listed here. Beside them,
// the Japanese and Korean code pages read the yen and won signs as their `\`, and `⧵` is read as `\` too.

/** ASCII character: the characters best-fit reads as it. */
const READ_AS: Readonly<Record<string, string>> = {
  "!": "\u01c3",
  '"': "\u02ba",
  "%": "\u066a",
  "'": "\u02b9\u02bc\u02c8\u2032",
  "(": "\u2320",
  ")": "\u2321",
  "*": "\u2217",
  "+": "\u250c\u2510\u2514\u2518\u251c\u253c\u2552\u2553\u2554\u2555\u2556\u2557\u2558\u2559\u255a\u255b\u255c\u255d\u256a\u256b\u256c",
  "-": "\u2010\u2011\u2212\u2500\u252c\u2534\u2550\u2564\u2565\u2566\u2567\u2568\u2569",
  "/": "\u2044\u2215",
  "8": "\u221e",
  ":": "\u0589\u2236",
  "<": "\u2329\u3008",
  "=": "\u2017\u2261\u2264\u2265",
  ">": "\u232a\u3009",
  E: "\u2107",
  F: "\u03a6",
  G: "\u01e4\u0393",
  H: "\u0126",
  I: "\u0197",
  L: "\u0141",
  O: "\u019f\u03a9",
  P: "\u20a7\u2118",
  S: "\u03a3",
  T: "\u0166\u01ae\u0398",
  "[": "\u301a",
  "\\": "\u2216\u29f5\u00a5\u20a9",
  "]": "\u301b",
  "^": "\u02c4\u2303",
  _: "\u02cd\u2584",
  "`": "\u02cb\u2035",
  a: "\u03b1",
  b: "\u0180",
  d: "\u0111\u03b4",
  e: "\u03b5\u212e",
  f: "\u03c6",
  g: "\u01e5\u0261",
  h: "\u0127\u04bb",
  i: "\u0131",
  l: "\u0142\u019a",
  n: "\u2229",
  p: "\u03c0",
  s: "\u03c3",
  t: "\u0167\u01ab\u03c4",
  v: "\u221a",
  z: "\u01b6",
  "|": "\u01c0\u2223\u2758",
  "~": "\u223c",
};

const BEST_FIT: ReadonlyMap<string, string> = new Map(
  Object.entries(READ_AS).flatMap(([ascii, characters]) => [...characters].map((c) => [c, ascii] as const)),
);

/** The ASCII character best-fit reads `c` (one code point) as, where NFKC does not already read it so. */
export function bestFit(c: string): string | undefined {
  return BEST_FIT.get(c);
}

/** Each character of `text` as best-fit reads it, where the table above has it. */
export function bestFitEach(text: string): string {
  let read = "";
  for (const c of text) read += bestFit(c) ?? c;
  return read;
}

/**
 * The characters code page 1252 holds beyond Latin-1 (its bytes 0x80-0x9F: `€ ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž ‘ ’ “ ” • – — ˜ ™
 * š › œ ž Ÿ`), which best-fit keeps as they are.
 */
const CODE_PAGE_HIGH = new Set(
  "\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178",
);

/** Whether code page 1252 holds `c` (one code point): best-fit keeps it. */
export function inCodePage(c: string): boolean {
  return c.charCodeAt(0) < 0x100 || CODE_PAGE_HIGH.has(c);
}

/**
 * Combining marks code page 1252 reads as ASCII characters of their own: `_` + U+0332 is `__` to best-fit. The fold
 * drops marks on ASCII letters (NFKD's reading of `ā`), so these are read only in best-fit's own reading
 * (folded-spellings.ts).
 */
const MARKS: ReadonlyMap<string, string> = new Map([
  ["\u0300", "`"],
  ["\u0302", "^"],
  ["\u0303", "~"],
  ["\u030e", '"'],
  ["\u0331", "_"],
  ["\u0332", "_"],
]);

/** The ASCII character best-fit reads a combining mark as, if any. */
export function bestFitMark(c: string): string | undefined {
  return MARKS.get(c);
}
