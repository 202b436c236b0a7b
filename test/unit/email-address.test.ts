// The e-mail addresses Ward accepts (policy/email-address.ts), with vectors from RFC 5321, RFC 5322 (its
// appendix A examples), RFC 3696 and Cloudflare Access's documented token, and the address an attacker
// would like read as one at example.com.
import { describe, expect, it } from "vitest";
import {
  canonicalEmail,
  emailDomainOf,
  isEmailAddress,
  mailboxParts,
  MAX_EMAIL_LENGTH,
} from "../../policy/email-address.ts";
import { isCleanText } from "../../policy/clean-text.ts";

const label63 = "d".repeat(63);
/** 64 + 1 + 189 = 254 characters: the longest address. */
const longest = `${"l".repeat(64)}@${[label63, label63, "d".repeat(61)].join(".")}`;

describe("isEmailAddress", () => {
  it.each([
    ["user@example.com", "Access's documented token"],
    ["jdoe@one.test", "RFC 5322 A.1.1"],
    ["mary@x.test", "RFC 5322 A.1.2"],
    ["boss@nil.test", "RFC 5322 A.1.3"],
    ["sysservices@example.net", "RFC 5322 A.2"],
    ["very.common@example.com", "dot-atom"],
    ["disposable.style.email.with+symbol@example.com", "plus tag"],
    ["other.email-with-hyphen@and.subdomains.example.com", "hyphens and sub-domains"],
    ["!#$%&'*+-/=?^_`{|}~@example.org", "every atext special (RFC 5322 3.2.3)"],
    ["user%example.com@example.org", "% is atext (RFC 3696 3)"],
    ["customer/department=shipping@example.com", "RFC 3696 3"],
    ["Ann.Smith@Example.COM", "any case"],
    ["admin@mailserver1", "a dotless domain (RFC 5321 Domain)"],
    ["a@xn--bcher-kva.example", "an internationalised domain as its A-label"],
    ["1234567890@1.example", "digits"],
    [longest, "254 characters, a 64-octet local part, 63-octet labels"],
  ])("takes %j (%s)", (address) => {
    expect(isEmailAddress(address)).toBe(true);
  });

  it.each([
    // Valid RFC 5322 / 5321, outside the subset (one reading only).
    ['"john..doe"@example.org', "a quoted-string local part"],
    ['" "@example.org', "a quoted space"],
    ['"mallory@evil.io"@example.com', "a quoted local part holding '@'"],
    ['"very.(),:;<>[]\\".VERY.\\"very@\\\\ \\"very\\".unusual"@strange.example.com', "RFC 3696's quoted example"],
    ["postmaster@[192.0.2.1]", "an address literal (RFC 5321 4.1.3)"],
    ["postmaster@[IPv6:2001:db8::1]", "an IPv6 address literal"],
    ["Mary Smith <mary@x.test>", "a name-addr, not an addr-spec (RFC 5322 A.1.1)"],
    ["pete(his account)@silly.test", "a comment (RFC 5322 A.5)"],
    ["jdoe@one.test.", "a trailing dot (an absolute domain)"],
    ["用户@例子.广告", "non-ASCII (SMTPUTF8)"],
    ["\u212Aelvin@example.com", "a Kelvin sign, which lower-cases to 'k'"],
    ["\u0130stanbul@example.com", "a dotted capital I, which lower-cases to two characters"],
    ["ann@exam\u0440le.com", "a Cyrillic letter in the domain"],
    // Not addresses at all.
    ["mallory@evil.io@example.com", "two '@'"],
    ["mallory@example.com@evil.io", "two '@', the other way"],
    ["mallory\uFF20evil.io@example.com", "a fullwidth at sign"],
    ["Abc.example.com", "no '@'"],
    ["@example.com", "no local part"],
    ["john@", "no domain"],
    ["", "empty"],
    [".john@example.com", "a leading dot"],
    ["john.@example.com", "a trailing dot in the local part"],
    ["john..doe@example.com", "two dots in a row"],
    ["john@example..com", "an empty label"],
    ["john@-example.com", "a label starting with '-'"],
    ["john@example-.com", "a label ending with '-'"],
    ["i_like_underscore@but_its_not_allowed.example.com", "'_' in a host name"],
    ['just"not"right@example.com', "quotes inside a dot-atom"],
    ["this is not@example.com", "a space"],
    ["ann@example.com\n", "a trailing LF"],
    ["ann@example.com\r\nBcc: mallory@evil.io", "CR LF and a header"],
    ["ann\u0000@example.com", "NUL"],
    ["ann\u202E@example.com", "a right-to-left override"],
    [" ann@example.com", "a leading space"],
    [`${"l".repeat(65)}@example.com`, "a 65-octet local part"],
    [`a@${"d".repeat(64)}.example.com`, "a 64-octet label"],
    [`${longest}x`, "255 characters"],
  ])("refuses %j (%s)", (address) => {
    expect(isEmailAddress(address)).toBe(false);
    expect(canonicalEmail(address)).toBeUndefined();
    expect(emailDomainOf(address)).toBeUndefined();
  });

  it("bounds an address at RFC 5321's 254 characters", () => {
    expect(longest).toHaveLength(MAX_EMAIL_LENGTH);
  });

  it("refuses what is not a string (a claim may be anything)", () => {
    expect(isEmailAddress(["ann@example.com"] as unknown as string)).toBe(false);
  });
});

describe("canonicalEmail and emailDomainOf", () => {
  it("lower-case the whole address (ASCII: exact, no two addresses become one)", () => {
    expect(canonicalEmail("Ann.Smith@Example.COM")).toBe("ann.smith@example.com");
    expect(emailDomainOf("Ann.Smith@Example.COM")).toBe("example.com");
    expect(mailboxParts("Ann@Example.com")).toEqual({ local: "Ann", domain: "Example.com" });
  });

  it("give the domain after the one '@', and none for an address with two", () => {
    expect(emailDomainOf("user%evil.io@example.com")).toBe("example.com");
    expect(emailDomainOf("mallory@evil.io@example.com")).toBeUndefined();
  });
});

describe("isCleanText", () => {
  it.each([
    "u-1",
    "7335d417-61da-459d-899c-0a01c76a2f94",
    "e367826f93b8d71185e03fe518aff3b4.access",
    "Équipe Paris",
    "財務チーム",
    "family 👨‍👩‍👧",
    "a b\u00A0c",
  ])("takes %s", (text) => {
    expect(isCleanText(text)).toBe(true);
  });

  it.each([
    ["NUL", "a\u0000b"],
    ["LF", "a\nb"],
    ["CR", "a\rb"],
    ["TAB", "a\tb"],
    ["ESC", "a\u001B[31mb"],
    ["DEL", "a\u007Fb"],
    ["NEL (C1)", "a\u0085b"],
    ["CSI (C1)", "a\u009Bb"],
    ["line separator", "a\u2028b"],
    ["paragraph separator", "a\u2029b"],
    ["right-to-left override", "a\u202Eb"],
    ["left-to-right embedding", "a\u202Ab"],
    ["right-to-left isolate", "a\u2067b"],
    ["pop directional isolate", "a\u2069b"],
    ["right-to-left mark", "a\u200Fb"],
    ["Arabic letter mark", "a\u061Cb"],
    ["a lone high surrogate", "a\uD800b"],
    ["a lone low surrogate", "a\uDC00"],
  ])("refuses %s", (_name, text) => {
    expect(isCleanText(text)).toBe(false);
  });
});
