// E-mail addresses as Ward accepts them: one RFC 5321 Mailbox (Local-part "@" Domain), in a subset that has
// exactly one reading. The gateway refuses an Access token whose `email` is not one; `email` and
// `emailDomain` matchers (gateway, `ward explain`, grants) compare only addresses that are, so
// `mallory@evil.io@example.com` is no address at all, rather than one at example.com (the part after the
// last "@") or at evil.io (the part after the first), depending on who reads it.
//
// The subset:
// - Local-part: a dot-atom (RFC 5322 3.2.3 / RFC 5321 4.1.2 Dot-string): atext runs (letters, digits and
//   ! # $ % & ' * + - / = ? ^ _ ` { | } ~) joined by single dots, at most 64 octets (RFC 5321 4.5.3.1.1).
//   No quoted-string: `"a@example.com"@evil.io` is a valid RFC 5322 address whose local part holds an "@";
//   no identity provider in front of Access issues one, and a reader that splits on "@" gets it wrong.
// - Domain: host-name labels (letters, digits, inner hyphens, 1 to 63 each) joined by dots, at most 253
//   characters (RFC 1035 2.3.4, RFC 5321 4.1.2 Domain). No address literal (`[192.0.2.1]`), no trailing
//   dot. An internationalised domain is taken in its ASCII (A-label, `xn--`) form only.
// - ASCII only, at most 254 characters in all (RFC 5321 4.5.3.1.3: a path of 256 with its angle brackets).
//   No SMTPUTF8 (RFC 6531) local parts: case folding outside ASCII is where two different addresses
//   become one (the Kelvin sign "K" lower-cases to "k", "İ" to two characters).
// Addresses compare ignoring case, all of them: RFC 5321 lets a server treat the local part's case as
// significant, but identity providers do not issue two people addresses that differ only in case, and the
// policy has always matched `Ann@Example.com` as `ann@example.com`. ASCII lower-casing is exact.

export const MAX_EMAIL_LENGTH = 254;
const MAX_LOCAL_LENGTH = 64;
export const MAX_DOMAIN_LENGTH = 253;

const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
/** A domain of host-name labels (the length aside); `ward schema` writes it as emailDomain's pattern. */
export const MAIL_DOMAIN =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** The two parts of a well-formed address, as written; undefined for anything else. */
export function mailboxParts(text: string): { local: string; domain: string } | undefined {
  if (typeof text !== "string" || text.length > MAX_EMAIL_LENGTH) return undefined;
  const at = text.indexOf("@");
  // Exactly one "@": a dot-atom cannot hold one, so a second one anywhere makes it no address.
  if (at === -1 || text.indexOf("@", at + 1) !== -1) return undefined;
  const local = text.slice(0, at);
  const domain = text.slice(at + 1);
  if (local.length > MAX_LOCAL_LENGTH || domain.length > MAX_DOMAIN_LENGTH) return undefined;
  if (!LOCAL_PART.test(local) || !MAIL_DOMAIN.test(domain)) return undefined;
  return { local, domain };
}

export function isEmailAddress(text: string): boolean {
  return mailboxParts(text) !== undefined;
}

/**
 * Whether the text could be the domain of a well-formed address (host-name labels, at most 253 characters): an
 * `emailDomain` matcher that is not one (`-x.com`, a label of 64) matches no address the gateway takes.
 */
export function isMailDomain(text: string): boolean {
  return text.length <= MAX_DOMAIN_LENGTH && MAIL_DOMAIN.test(text);
}

/**
 * What a domain in Unicode may hold for IDNA to read: letters, marks, digits, hyphens, dots (`。`, `．`, `｡` too,
 * which withAsciiDomain then finds not written as IDNA writes it).
 */
const UNICODE_DOMAIN = /^[\p{L}\p{M}\p{N}.\u3002\uff0e\uff61-]+$/u;

/**
 * The address with its domain in ASCII when written in Unicode (IDNA, UTS #46 as the WHATWG URL parser applies
 * it: `ann@bücher.example` is `ann@xn--bcher-kva.example`), the form Ward's addresses are in; otherwise the text
 * as it is. For a sender that writes domains as people do (security events); what comes out is checked as
 * any address is. Nothing but a domain reaches the parser: no `%`, `/`, `:` or `@` it would read otherwise.
 */
export function withAsciiDomain(text: string): string {
  const at = text.lastIndexOf("@");
  const domain = text.slice(at + 1);
  if (at === -1 || /^[\x00-\x7f]*$/.test(domain) || !UNICODE_DOMAIN.test(domain)) return text;
  let ascii: string;
  try {
    ascii = new URL(`http://${domain}/`).hostname;
  } catch {
    return text; // UTS #46 has no ASCII form of it: no address
  }
  // Only a domain written as IDNA writes it, case aside: UTS #46 also maps compatibility forms (`ｅｘａｍｐｌｅ`,
  // `Ⅸ`, `ẞ` to `ss`) and drops ignorable code points (U+FE0F, U+034F), so another string to the sender's
  // directory would name another's address (from a review: `fay@ｅｘａｍｐｌｅ.com` refused fay@example.com).
  // So too its dots, "." only (`example。com` is example.com), and NFC as written: the Kelvin sign's `\u212Aexample`
  // is kexample, a decomposed `bu\u0308cher` bücher (from a review: both were read as those).
  if (domain.normalize("NFC") !== domain) return text;
  const written = domain.split(".").map((label) => label.toLowerCase());
  const read = ascii.split(".").map((label) => (label.startsWith("xn--") ? punycodeDecoded(label.slice(4)) : label));
  return read.length === written.length && read.every((label, i) => label === written[i])
    ? `${text.slice(0, at)}@${ascii}`
    : text;
}

/** RFC 3492's decoding of a label's Punycode (after `xn--`); undefined when it is none. */
export function punycodeDecoded(input: string): string | undefined {
  const [base, tMin, tMax] = [36, 1, 26];
  const adapt = (delta: number, points: number, first: boolean): number => {
    let d = first ? Math.floor(delta / 700) : delta >> 1;
    d += Math.floor(d / points);
    let k = 0;
    for (; d > ((base - tMin) * tMax) >> 1; k += base) d = Math.floor(d / (base - tMin));
    return k + Math.floor(((base - tMin + 1) * d) / (d + 38));
  };
  const delimiter = input.lastIndexOf("-");
  const output = [...input.slice(0, Math.max(delimiter, 0))].map((c) => c.codePointAt(0)!);
  let [n, i, bias] = [128, 0, 72];
  for (let at = delimiter + 1; at < input.length; ) {
    const before = i;
    for (let w = 1, k = base; ; k += base) {
      const c = input.charCodeAt(at++);
      const digit = c >= 0x30 && c <= 0x39 ? c - 22 : c >= 0x61 && c <= 0x7a ? c - 0x61 : base;
      if (digit >= base) return undefined; // also past the end (NaN)
      i += digit * w;
      const t = k <= bias ? tMin : k >= bias + tMax ? tMax : k - bias;
      if (digit < t) break;
      w *= base - t;
    }
    bias = adapt(i - before, output.length + 1, before === 0);
    n += Math.floor(i / (output.length + 1));
    i %= output.length + 1;
    if (n > 0x10ffff) return undefined;
    output.splice(i++, 0, n);
  }
  return String.fromCodePoint(...output);
}

/** The address in the one form Ward compares, logs and keys on (lower case); undefined when not well-formed. */
export function canonicalEmail(text: string): string | undefined {
  return mailboxParts(text) === undefined ? undefined : text.toLowerCase();
}

/** The lower-cased domain of a well-formed address; undefined when the text is not one. */
export function emailDomainOf(text: string): string | undefined {
  return mailboxParts(text)?.domain.toLowerCase();
}
