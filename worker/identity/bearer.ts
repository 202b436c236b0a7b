// A workload token as it arrives: `Authorization: Bearer <jws>` (RFC 6750 2.1, as the JWT-SVID standard says
// workloads send theirs), read before any signature is checked only to learn which trusted issuer it names.
// Nothing read here counts until the issuer's key has verified it (workload-token.ts).
import { hasUniqueMembers } from "../../policy/json-members.ts";

/** Tokens above this size are refused before any parsing (JWT-SVIDs, cluster and CI tokens are 1-2 KiB). */
export const MAX_BEARER_LENGTH = 8192;

// One space-separated credential of the Bearer scheme (any case, RFC 9110 11.1) in JWS compact form: three
// base64url parts, the signature not empty. A JWE (five parts) or a JWS with an unencoded payload is no token.
const BEARER = /^bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;
/**
 * A JWS in compact form as written, and nothing else: three base64url parts, no padding or whitespace (which
 * decoders would skip), the signature not empty. A JWE has five parts.
 */
export const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * Whether the token's signature part is the one spelling of its bytes. The signature is not signed, and base64
 * decoders ignore the bits a last character carries past the bytes (4 of them for a 256- or 64-byte signature),
 * so 16 texts would verify alike, each a token of its own to the verified-token caches. (An ECDSA signature
 * has one other valid form, s as n - s, which issuers write either way and WebCrypto accepts: an ES256 token
 * may take two entries, never more.)
 */
export function canonicalSignature(token: string): boolean {
  const signature = token.slice(token.lastIndexOf(".") + 1);
  const rest = signature.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const last = BASE64URL.indexOf(signature[signature.length - 1]!);
  return last !== -1 && (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}

/** The JWS in a Bearer Authorization value, or undefined for any other value (another scheme, two tokens). */
export function bearerTokenOf(value: string | null): string | undefined {
  if (value === null || value.length > MAX_BEARER_LENGTH + 16) return undefined;
  return BEARER.exec(value)?.[1];
}

const textDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * Payloads claimedIssuers parses at most. An Authorization value holds a token or two (a header sent twice);
 * one of more is hostile, and each parse of a crafted segment costs a thrown JSON.parse: 128 KiB of `{"iss":,}`
 * took 77 ms of CPU a request. Past the bound the value is Ward's unread: consumed, as a trusted issuer's token
 * is, so no token can hide behind junk before it.
 */
export const MAX_CLAIMED_PAYLOADS = 16;
/**
 * Runs of base64 letters claimedIssuers looks at at most, in all its readings, repeats included. A token is three
 * runs in each of a few readings, a Negotiate or Basic credential one; thousands are a hostile value (128 KiB of
 * 14-letter runs took 4-7 ms a request to read). Past the bound the value is Ward's unread, as past
 * MAX_CLAIMED_PAYLOADS, and the rest of it is not scanned.
 */
export const MAX_CLAIMED_RUNS = 256;

/**
 * A run of base64 letters, of either alphabet, long enough to be a payload that names an issuer (`{"iss":""}` is 14
 * letters): a payload is signed, so it is one such run whatever wraps the token (dots, quotes, padding, commas,
 * JSON). Shorter runs are never decoded: a value of a thousand `ab,` costs no decoding at all.
 */
const WIDE_RUN = /[A-Za-z0-9_+/-]{14,}/g;
/** Within a run holding `+` or `/`, the runs of base64url letters alone: `h/p/s` is a token split there. */
const NARROW_RUN = /[A-Za-z0-9_-]{14,}/g;
/**
 * How base64 of a payload starts: its `{`, JSON's whitespace or a byte order mark first. Only such runs within a run
 * are read (a payload is all they can be): random standard base64, a Negotiate ticket of 12-48 KB, holds one run
 * of 14 base64url letters every 50 or so, and counted each, an honest ticket passed MAX_CLAIMED_RUNS (from a review).
 */
const PAYLOAD_START = /^[eICD7]/;
/**
 * Letters of payload-shaped runs parsed at most, in all: a few tokens' worth. One run of 96 KiB that decodes to
 * `{"iss":...}` took 20-50 ms to parse (from a review); past the bound the value is Ward's, unread.
 */
const MAX_CLAIMED_LETTERS = 4 * MAX_BEARER_LENGTH;
/** Undone at most this many times (`%252E` is `%2E` once undone): each time a pass over the value. */
const MAX_DECODINGS = 3;

/**
 * The texts of an Authorization value a token may be read from: the value as sent, and as often as it still holds
 * something encoded (up to MAX_DECODINGS), with its percent-encoded octets and JSON's escapes of ASCII and of `/`
 * undone, both at once (either may wrap the other). Native passes with no callback and no backtracking: linear in
 * the value, and a few milliseconds for Cloudflare's largest request headers (docs/performance.md).
 */
function readings(value: string): string[] {
  const texts = [value];
  let text = value;
  for (let decodings = 0; decodings < MAX_DECODINGS && (text.includes("%") || text.includes("\\")); decodings++) {
    // JSON's escape of an ASCII character, `\u00XX` (a JWS in JSON serialization, RFC 7515 7.2, may write its letters
    // so), is `%XX` to `unescape`, which reads each `%XX` (and `%uXXXX`) as the code unit it names and leaves any
    // other `%` as it is. Plain replacements: a regular expression's took 3.6 ms for 128 KiB of escapes.
    const decoded = unescape(text.replaceAll("\\u00", "%").replaceAll("\\/", "/"));
    if (decoded === text) break;
    texts.push((text = decoded));
  }
  return texts;
}

/**
 * The `iss` each JWS payload in an Authorization value claims, read with no check at all: whether a value that
 * is not one Bearer token (the header sent twice and joined with ", ", a tab after the scheme, another scheme, a
 * token over the size bound) still carries a token meant for Ward. Every run of base64 letters (WIDE_RUN, and the
 * base64url runs within it) of every reading (readings) is decoded once, and read as a payload when it is a JSON
 * object that may name `iss`; a run that is not is read one level down as base64 of other text (a `Basic`
 * credential's `user:token`, in either alphabet, anywhere in the value). So base64 padding after the signature
 * (not signed, skipped by decoders: `<h>.<p>.<sig>==` verifies, from a review), quotes, commas, percent-encoding
 * and JWS JSON serialization hide nothing (from a black-box review that had an origin sent a token so wrapped).
 * Each distinct run counts once. Linear in the header's size, and no exception is thrown for a run that cannot be
 * an object. Undefined when more than MAX_CLAIMED_PAYLOADS runs (or MAX_CLAIMED_LETTERS letters) would need
 * parsing, or more than MAX_CLAIMED_RUNS looking at: the value is then Ward's.
 */
export function claimedIssuers(value: string): string[] | undefined {
  const issuers: string[] = [];
  // Runs read, by level: one first met inside another's decoding is still read as base64 of text when met at the top.
  const seen = new Set<string>();
  let parsed = 0;
  let runs = 0;
  let letters = 0;
  // False once past a bound. `nested`: the run is inside another's decoding, which is not decoded further.
  const read = (run: string, nested: boolean): boolean => {
    if (++runs > MAX_CLAIMED_RUNS) return false;
    const key = nested ? `n${run}` : `t${run}`;
    if (seen.has(key) || (nested && seen.has(`t${run}`))) return true;
    seen.add(key);
    if (run.length % 4 !== 1) {
      const bytes = atob(run.includes("-") || run.includes("_") ? run.replace(/-/g, "+").replace(/_/g, "/") : run);
      // As bytes: a UTF-8 byte order mark first is skipped by decoders (jose's TextDecoder too), so it is here.
      const text = (bytes.startsWith("\xef\xbb\xbf") ? bytes.slice(3) : bytes).trim();
      // A member named iss is spelt `iss`, or with an escape: without either, no parse can find one (and a hostile
      // header of many `{,}` would cost a thrown parse each).
      if (text.startsWith("{") && text.endsWith("}") && (text.includes("iss") || text.includes("\\"))) {
        if (++parsed > MAX_CLAIMED_PAYLOADS || (letters += run.length) > MAX_CLAIMED_LETTERS) return false;
        const iss = issOf(bytes);
        if (typeof iss === "string") issuers.push(iss);
        return true;
      }
      if (!nested && bytes.length >= 14)
        for (const inner of bytes.matchAll(WIDE_RUN)) if (!readRun(inner[0], true)) return false;
    }
    return true;
  };
  const readRun = (run: string, nested: boolean): boolean => {
    if (!read(run, nested)) return false;
    if (run.includes("+") || run.includes("/"))
      for (const narrow of run.matchAll(NARROW_RUN))
        if (PAYLOAD_START.test(narrow[0]) && !read(narrow[0], true)) return false;
    return true;
  };
  for (const text of readings(value))
    for (const run of text.matchAll(WIDE_RUN)) if (!readRun(run[0], false)) return undefined;
  return issuers;
}

/** Bytes held one to a character (atob's output) as UTF-8 text; throws when they are not UTF-8. */
function utf8Of(binary: string): string {
  // A plain loop: Uint8Array.from with a mapping function took ~18 ms for 96 KiB (~0.2 ms a 1 KiB token part).
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return textDecoder.decode(bytes);
}

/**
 * The `iss` of decoded payload bytes, as JSON.parse reads it (a name given twice: the last, as peekToken reads it;
 * the Bearer path refuses such a token anyway), or undefined for bytes that are no JSON object in UTF-8.
 */
function issOf(binary: string): unknown {
  try {
    const value: unknown = JSON.parse(utf8Of(binary));
    return value !== null && typeof value === "object" ? (value as { iss?: unknown }).iss : undefined;
  } catch {
    return undefined;
  }
}

/** A base64url part as UTF-8 JSON text of an object, parsed, and whether it names a member twice; else undefined. */
function jsonObjectOf(part: string): { value: Record<string, unknown>; unique: boolean } | undefined {
  try {
    const text = utf8Of(atob(part.replace(/-/g, "+").replace(/_/g, "/")));
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
    return { value: value as Record<string, unknown>, unique: hasUniqueMembers(text) };
  } catch {
    return undefined;
  }
}

export type PeekResult =
  | { ok: true; header: Record<string, unknown>; payload: Record<string, unknown>; issuer: string }
  | {
      ok: false;
      problem: "token-size" | "malformed-token" | "no-issuer" | "duplicate-members";
      /** The `iss` as JSON.parse reads it (the last one), when there is one: whether the token was meant for Ward. */
      issuer?: string;
    };

/** The unverified header and payload of a compact JWS, and the `iss` it claims. */
export function peekToken(token: string): PeekResult {
  if (token.length > MAX_BEARER_LENGTH) return { ok: false, problem: "token-size" };
  const [headerPart, payloadPart] = token.split(".") as [string, string];
  const header = jsonObjectOf(headerPart);
  const payload = header && jsonObjectOf(payloadPart);
  if (!header || !payload) return { ok: false, problem: "malformed-token" };
  const issuer = payload.value.iss;
  if (typeof issuer !== "string") return { ok: false, problem: "no-issuer" };
  // Duplicate names (at any depth) read as two different tokens to two parsers: `iss` or `sub` twice
  // would let Ward and an origin, or Ward's choice of issuer and its verifier, disagree on who this is.
  if (!header.unique || !payload.unique) return { ok: false, problem: "duplicate-members", issuer };
  return { ok: true, header: header.value, payload: payload.value, issuer };
}
