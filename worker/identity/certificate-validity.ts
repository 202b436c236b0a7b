// A certificate's validity, read from its DER in the only forms X.509 allows (RFC 5280, 4.1.2.5): UTCTime
// YYMMDDHHMMSSZ (a year from 50 to 99 is 19xx, else 20xx) or GeneralizedTime YYYYMMDDHHMMSSZ, every field in
// range. The schema's reader (asn1js) takes other forms and reads them wrong: a GeneralizedTime's offset added
// where it should be subtracted, a 13th month or a 32nd day rolled into the next. A time in any other form is
// refused, never guessed at (openssl refuses it too: "format error in certificate's notAfter field"). Ward reads
// the dates of the intermediates a client sends (certificate-chain.ts) here; the client certificate's come from
// Cloudflare, and a pinned CA's are not read.
import { derLength } from "./der.ts";

export interface Validity {
  notBefore: number;
  notAfter: number;
}

const SEQUENCE = 0x30;
const VERSION = 0xa0;
const INTEGER = 0x02;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;

const FORMS: Readonly<Record<number, RegExp>> = {
  [UTC_TIME]: /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/,
  [GENERALIZED_TIME]: /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/,
};
/** The lengths of the two forms: anything longer is refused before it is decoded. */
const MAX_TIME_BYTES = 15;

/** The element at `at`, inside `end`: its tag and the bounds of its content; undefined when it is not DER's. */
function element(der: Uint8Array, at: number, end: number): { tag: number; start: number; end: number } | undefined {
  const tag = der[at];
  // A multi-octet tag is none that a certificate's fields up to its validity use.
  if (tag === undefined || at >= end || (tag & 0x1f) === 0x1f) return undefined;
  const length = derLength(der, at + 1);
  if (!length || length.start + length.length > end) return undefined;
  return { tag, start: length.start, end: length.start + length.length };
}

const leap = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const daysIn = (year: number, month: number): number =>
  month === 2 ? (leap(year) ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;

/** A UTCTime's or GeneralizedTime's content as X.509 writes it, in milliseconds; undefined in any other form. */
function timeOf(tag: number, bytes: Uint8Array): number | undefined {
  const form = FORMS[tag];
  if (!form || bytes.length > MAX_TIME_BYTES) return undefined;
  const match = form.exec(String.fromCharCode(...bytes));
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fullYear = tag === UTC_TIME ? year + (year >= 50 ? 1900 : 2000) : year;
  if (month < 1 || month > 12 || day < 1 || day > daysIn(fullYear, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  // Not Date.UTC, which reads a year below 100 as 19xx.
  const date = new Date(0);
  date.setUTCFullYear(fullYear, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}

/**
 * The notBefore and notAfter of the certificate `der` (one DER SEQUENCE: certificate-chain.ts reads only such),
 * walked to from its start: tbsCertificate, its version if any, serial number, signature algorithm and issuer,
 * then the validity, exactly two times. Undefined when any of it is not so.
 */
export function validityOf(der: Uint8Array): Validity | undefined {
  const certificate = element(der, 0, der.length);
  if (certificate?.tag !== SEQUENCE) return undefined;
  const tbs = element(der, certificate.start, certificate.end);
  if (tbs?.tag !== SEQUENCE) return undefined;
  let field = element(der, tbs.start, tbs.end);
  if (field?.tag === VERSION) field = element(der, field.end, tbs.end);
  for (const tag of [INTEGER, SEQUENCE, SEQUENCE]) {
    if (field?.tag !== tag) return undefined;
    field = element(der, field.end, tbs.end);
  }
  if (field?.tag !== SEQUENCE) return undefined;
  const first = element(der, field.start, field.end);
  const second = first && element(der, first.end, field.end);
  if (!first || !second || second.end !== field.end) return undefined;
  const notBefore = timeOf(first.tag, der.subarray(first.start, first.end));
  const notAfter = timeOf(second.tag, der.subarray(second.start, second.end));
  return notBefore === undefined || notAfter === undefined ? undefined : { notBefore, notAfter };
}
