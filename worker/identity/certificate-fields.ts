// The fields of a certificate sent beside the client's that the chain check reads straight from its DER, before
// (or instead of) the schema's parse: its issuer's and subject's names, as bytes, which tell cheaply whether it
// can be on a path at all, and its validity.
//
// The validity only in the forms X.509 allows (RFC 5280, 4.1.2.5): UTCTime YYMMDDHHMMSSZ (a year from 50 to 99 is
// 19xx, else 20xx) or GeneralizedTime YYYYMMDDHHMMSSZ, every field in range. The schema's reader (asn1js) takes
// other forms and reads them wrong: a GeneralizedTime's offset added where it should be subtracted, a 13th month
// or a 32nd day rolled into the next. A time in any other form is refused, never guessed at (openssl refuses it
// too: "format error in certificate's notAfter field"). Ward reads the dates of the intermediates a client sends
// (certificate-chain.ts) here; the client certificate's come from Cloudflare, and a pinned CA's are not read.
import { derLength } from "../../policy/index.ts";

export interface CertificateFields {
  /** The issuer's and the subject's Name, DER (tag and length included), hex: as nameText writes a parsed one. */
  issuer: string;
  subject: string;
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
function element(
  der: Uint8Array,
  at: number,
  end: number,
): { tag: number; at: number; start: number; end: number } | undefined {
  const tag = der[at];
  // A multi-octet tag is none that a certificate's fields up to its subject use.
  if (tag === undefined || at >= end || (tag & 0x1f) === 0x1f) return undefined;
  const length = derLength(der, at + 1);
  if (!length || length.start + length.length > end) return undefined;
  return { tag, at, start: length.start, end: length.start + length.length };
}

const hexOf = (bytes: Uint8Array): string => {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
};

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
 * The issuer, validity and subject of the certificate `der` (one DER SEQUENCE: certificate-chain.ts reads only
 * such), walked to from its start: tbsCertificate, its version if any, serial number, signature algorithm, then
 * the issuer, the validity (exactly two times) and the subject, each a SEQUENCE. Undefined when any of it is not so.
 */
export function certificateFieldsOf(der: Uint8Array): CertificateFields | undefined {
  const certificate = element(der, 0, der.length);
  if (certificate?.tag !== SEQUENCE) return undefined;
  const tbs = element(der, certificate.start, certificate.end);
  if (tbs?.tag !== SEQUENCE) return undefined;
  let field = element(der, tbs.start, tbs.end);
  if (field?.tag === VERSION) field = element(der, field.end, tbs.end);
  if (field?.tag !== INTEGER) return undefined;
  const algorithm = element(der, field.end, tbs.end);
  const issuer = algorithm?.tag === SEQUENCE ? element(der, algorithm.end, tbs.end) : undefined;
  const validity = issuer?.tag === SEQUENCE ? element(der, issuer.end, tbs.end) : undefined;
  const subject = validity?.tag === SEQUENCE ? element(der, validity.end, tbs.end) : undefined;
  if (!issuer || !validity || subject?.tag !== SEQUENCE) return undefined;
  const first = element(der, validity.start, validity.end);
  const second = first && element(der, first.end, validity.end);
  if (!first || !second || second.end !== validity.end) return undefined;
  const notBefore = timeOf(first.tag, der.subarray(first.start, first.end));
  const notAfter = timeOf(second.tag, der.subarray(second.start, second.end));
  if (notBefore === undefined || notAfter === undefined) return undefined;
  return {
    issuer: hexOf(der.subarray(issuer.at, issuer.end)),
    subject: hexOf(der.subarray(subject.at, subject.end)),
    notBefore,
    notAfter,
  };
}
