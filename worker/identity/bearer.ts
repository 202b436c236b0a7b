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

/** What is no base64url letter: a payload is a run of them, whatever wraps it (dots, quotes, padding, commas). */
const NOT_BASE64URL = /[^A-Za-z0-9_-]+/;
/** A percent-encoded octet: `h%2Ep%2Es` is a token to whoever decodes the value first. */
const PERCENT_OCTET = /%[0-9A-Fa-f]{2}/;
const PERCENT_OCTETS = /%([0-9A-Fa-f]{2})/g;
/** Percent-decodings undone at most: each one a pass over the value (`%252E` is `%2E` decoded once). */
const MAX_PERCENT_DECODINGS = 3;

/**
 * The texts of an Authorization value a token may be read from, each scanned for payloads: the value as sent; in
 * base64url letters where it has standard base64's (`+`, `/`: decoders take either); percent-decoded, as often as it
 * still holds an encoded octet (up to MAX_PERCENT_DECODINGS); and the string values of a JSON object in it (a JWS
 * in JSON serialization, RFC 7515 7.2, whose members may be written with escapes). Each is linear in the value.
 */
function readings(value: string): string[] {
  const texts = [value];
  if (value.includes("+") || value.includes("/")) texts.push(value.replaceAll("+", "-").replaceAll("/", "_"));
  let decoded = value;
  for (let i = 0; i < MAX_PERCENT_DECODINGS && PERCENT_OCTET.test(decoded); i++) {
    decoded = decoded.replace(PERCENT_OCTETS, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    texts.push(decoded);
  }
  for (const text of [value, decoded]) {
    const strings = jsonStrings(text);
    if (strings !== undefined) texts.push(strings);
    if (decoded === value) break;
  }
  return texts;
}

/** The string values (and member names) of the JSON object from the text's first `{` to its last `}`, if it is one. */
function jsonStrings(text: string): string | undefined {
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  if (start === -1 || end < start) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(start, end + 1));
  } catch {
    return undefined;
  }
  const strings: string[] = [];
  // Its own stack: V8's JSON.parse takes any depth, and so must this walk.
  const pending: unknown[] = [parsed];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next === "string") strings.push(next);
    else if (next !== null && typeof next === "object")
      for (const [name, member] of Object.entries(next)) {
        strings.push(name);
        pending.push(member);
      }
  }
  return strings.join(" ");
}

/**
 * The `iss` each JWS payload in an Authorization value claims, read with no check at all: whether a value that
 * is not one Bearer token (the header sent twice and joined with ", ", a tab after the scheme, another scheme, a
 * token over the size bound) still carries a token meant for Ward. A payload is signed, so it is a whole run of
 * base64url letters however the token around it is wrapped: base64 padding after the signature (which is not
 * signed, and which decoders skip: `<h>.<p>.<sig>==` verifies, from a review), quotes, a comma; in any of the
 * value's readings (percent-encoded, in JSON serialization: from a review that had an origin sent a token so
 * wrapped). Linear in the header's size, and no exception is thrown for a run that cannot be an object. Undefined
 * when more than MAX_CLAIMED_PAYLOADS runs would need parsing: the value is then taken for Ward's.
 */
export function claimedIssuers(value: string): string[] | undefined {
  const issuers: string[] = [];
  let parsed = 0;
  for (const text of readings(value)) {
    for (const part of text.split(NOT_BASE64URL)) {
      if (part.length === 0 || part.length % 4 === 1) continue;
      // As bytes: a UTF-8 byte order mark first is skipped by decoders (jose's TextDecoder too), so it is here.
      const bytes = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
      const decoded = (bytes.startsWith("\xef\xbb\xbf") ? bytes.slice(3) : bytes).trim();
      // A member named iss is spelt `iss`, or with an escape: without either, no parse can find one (and a hostile
      // header of many `{,}` would cost a thrown parse each).
      if (!decoded.startsWith("{") || !decoded.endsWith("}") || !(decoded.includes("iss") || decoded.includes("\\")))
        continue;
      if (++parsed > MAX_CLAIMED_PAYLOADS) return undefined;
      const iss = jsonObjectOf(part)?.value.iss;
      if (typeof iss === "string") issuers.push(iss);
    }
  }
  return issuers;
}

/** The decoded text of a `Basic` Authorization value (RFC 7617: base64 of user:password), or undefined. */
export function basicCredentials(value: string): string | undefined {
  const match = /^[\t ]*basic[\t ]+([A-Za-z0-9+/]+={0,2})[\t ]*$/i.exec(value);
  if (!match) return undefined;
  try {
    return atob(match[1]!);
  } catch {
    return undefined; // base64 of a length no encoder writes
  }
}

/** A base64url part as UTF-8 JSON text of an object, parsed, and whether it names a member twice; else undefined. */
function jsonObjectOf(part: string): { value: Record<string, unknown>; unique: boolean } | undefined {
  try {
    const binary = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    const text = textDecoder.decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
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
