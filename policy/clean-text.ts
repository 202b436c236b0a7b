// Text that names someone (a token's `sub`, `common_name`, an Access group name) must be plain text. It ends
// up in decision logs, the signed assertion the origin reads, the denied page and `ward` output, and is
// compared with what a policy names. A CR or LF forges log lines and headers; NUL truncates it in C-based
// readers; other C0 and C1 controls and DEL drive terminals; U+2028/U+2029 end a line for JavaScript and
// some log viewers; bidirectional controls (Trojan Source, CVE-2021-42574) make a name display as another
// one; a lone surrogate is no character at all and each encoder replaces it differently. Such a name is not
// one an honest identity provider issues, so the claim (or the whole answer) does not count.

/** One such character (with the `u` flag a lone surrogate is one, a pair never matches): `ward` escapes them too. */
export const UNSAFE =
  /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]|[\uD800-\uDFFF]/u;

/** No control character, line or paragraph separator, bidirectional control or lone surrogate. */
export function isCleanText(text: string): boolean {
  return !UNSAFE.test(text);
}
