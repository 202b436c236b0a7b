// The oracle of validate-differential.test.ts: what docs/policy.md says of each value's form and bounds, written
// from that page alone ("The document", "Validation issues"), never from policy/validate. A verdict is either
// "accepted" (warnings allowed) or "refused" with the codes the reference names for it.

export type Verdict = { ok: true } | { ok: false; codes: readonly string[] };

export const ACCEPT: Verdict = { ok: true };
export const refuse = (...codes: string[]): Verdict => ({ ok: false, codes });
export const FORMAT = refuse("invalid-format");
export const RANGE = refuse("out-of-range");
/** A string past a documented length: the reference names no code for it (only "the message says the form"). */
export const TOO_LONG = refuse("invalid-format", "out-of-range");

// Value formats ("The document", first table).
export const isName = (s: string): boolean => /^[a-z][a-z0-9-]{0,62}$/.test(s);
export const isTrustDomain = (s: string): boolean => /^[a-z0-9._-]{1,255}$/.test(s);
export const isBinding = (s: string): boolean => /^[A-Z][A-Z0-9_]*$/.test(s);
export const isAud = (s: string): boolean => /^[0-9a-f]{64}$/.test(s);
export const isTeamDomain = (s: string): boolean => /^https:\/\/[a-z0-9-]+\.cloudflareaccess\.com$/.test(s);
export const isForwardHeaderName = (s: string): boolean => /^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$/.test(s);
export const isRuleHeaderName = (s: string): boolean => /^[A-Za-z0-9-]+$/.test(s);
export const isHours = (s: string): boolean => /^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$/.test(s);
/** RFC 6749 scope-token, at most 255 characters. */
export const isScope = (s: string): boolean => /^[\x21\x23-\x5b\x5d-\x7e]{1,255}$/.test(s);

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** *host name*: lower case, no port, no trailing dot, LDH labels of 1-63, may start with `*.`. */
export function isHost(s: string): boolean {
  const rest = s.startsWith("*.") ? s.slice(2) : s;
  return rest.length > 0 && rest.split(".").every((l) => LABEL.test(l));
}

/** *SPIFFE ID* (a `spiffePrefix` may end in `/`). */
export function isSpiffe(s: string, prefix = false): boolean {
  if (s.length > 2048 || !s.startsWith("spiffe://")) return false;
  const rest = s.slice("spiffe://".length);
  const slash = rest.indexOf("/");
  const td = slash < 0 ? rest : rest.slice(0, slash);
  if (!isTrustDomain(td)) return false;
  if (slash < 0) return true;
  let segments = rest.slice(slash + 1).split("/");
  if (prefix && segments.at(-1) === "") segments = segments.slice(0, -1);
  if (segments.length === 0) return prefix;
  return segments.every((g) => /^[A-Za-z0-9._-]+$/.test(g) && g !== "." && g !== "..");
}

const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+$/;
const LDH = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/;
/** An e-mail address as the reference's "An e-mail address" paragraph defines it. */
export function isEmail(s: string): boolean {
  if (s.length > 254 || s.split("@").length !== 2) return false;
  const [local = "", host = ""] = s.split("@");
  if (local.length > 64 || !local.split(".").every((run) => ATEXT.test(run))) return false;
  return host.length <= 253 && host.split(".").every((l) => l.length <= 63 && LDH.test(l));
}

/** 32 lower-case hex then `.access`, optionally a lower-case domain after it. */
export const isClientId = (s: string): boolean => /^[0-9a-f]{32}\.access(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(s);

const UNIT: Record<string, bigint> = { s: 1n, m: 60n, h: 3600n, d: 86400n };
/** A *duration* against a documented range: its form, then its seconds (any number of digits). */
export function duration(s: string, max: string, min = "1s"): Verdict {
  const seconds = durationSeconds(s);
  if (seconds === undefined) return FORMAT;
  const lo = durationSeconds(min) ?? 1n;
  const hi = durationSeconds(max) ?? 0n;
  return seconds < lo || seconds > hi ? RANGE : ACCEPT;
}
export function durationSeconds(s: string): bigint | undefined {
  const m = /^([1-9][0-9]*)([smhd])$/.exec(s);
  return m ? BigInt(m[1] as string) * (UNIT[m[2] as string] as bigint) : undefined;
}

/** An integer range: a fraction or another type is refused (the reference names no single code). */
export function integer(v: unknown, lo: number, hi: number): Verdict {
  if (typeof v !== "number") return refuse("invalid-type");
  if (!Number.isInteger(v)) return refuse("invalid-type", "invalid-value", "out-of-range");
  return v < lo || v > hi ? RANGE : ACCEPT;
}

const DAYS_IN = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** *instant*: ISO 8601 date and time with seconds and an offset; a real calendar date and time. */
export function isInstant(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, se] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  const leap = (y as number) % 4 === 0 && ((y as number) % 100 !== 0 || (y as number) % 400 === 0);
  const days = (mo as number) === 2 && !leap ? 28 : (DAYS_IN[(mo as number) - 1] ?? 0);
  if ((mo as number) < 1 || (mo as number) > 12 || (d as number) < 1 || (d as number) > days) return false;
  if ((h as number) > 23 || (mi as number) > 59 || (se as number) > 59) return false;
  if (m[8] !== "Z" && (Number(m[9]) > 23 || Number(m[10]) > 59)) return false;
  return true;
}

/** The whole millisecond an instant is read as: the next one for more fraction digits ("time.notAfter"). */
export function instantMillis(s: string): number {
  const m = /\.(\d+)/.exec(s);
  const whole = Date.parse(s.replace(/\.\d+/, ""));
  if (!m) return whole;
  const digits = m[1] as string;
  const ms = Number(digits.slice(0, 3).padEnd(3, "0"));
  const more = /[1-9]/.test(digits.slice(3)) ? 1 : 0;
  return whole + ms + more;
}

/**
 * A header value in a rule's `headers`: at most 4,096 of printable ASCII, space, tab, Latin-1 letters. (Ward
 * takes all of U+00A0-U+00FF, the no-break space and `×` included: the reference's "letters" read as Latin-1's
 * printable half, which the runtime sends as UTF-8 as it does the letters. A doc gap, not a hole.)
 */
export function headerValue(s: string): Verdict {
  if (!/^[\t\x20-\x7e\u00a0-\u00ff]*$/.test(s)) return FORMAT;
  return s.length > 4096 ? TOO_LONG : ACCEPT;
}

/** `reserved-header` in a rule's `headers` ("#### `headers`"). */
export function reservedRuleHeader(name: string): boolean {
  const n = name.toLowerCase();
  return RESERVED_PREFIXES.some((p) => n.startsWith(p)) || RESERVED_RULE_NAMES.includes(n);
}
/** `reserved-header` in `forwardHeaders` ("Never forwardable"). */
export function reservedForwardHeader(name: string): boolean {
  const n = name.toLowerCase();
  return RESERVED_PREFIXES.some((p) => n.startsWith(p)) || RESERVED_FORWARD_NAMES.includes(n);
}
const RESERVED_PREFIXES = ["cf-", "x-forwarded-", "ward-", "x-ward-", "mf-", "proxy-", "x-original-", "x-envoy-"];
const RESERVED_FORWARD_NAMES = [
  "host",
  "connection",
  "te",
  "trailer",
  "upgrade",
  "keep-alive",
  "transfer-encoding",
  "forwarded",
  "x-http-method",
  "x-http-method-override",
  "x-method-override",
  "x-rewrite-url",
  "x-real-ip",
  "true-client-ip",
  "x-client-ip",
  "client-ip",
  "x-cluster-client-ip",
  "x-originating-ip",
  "x-middleware-subrequest",
];
const RESERVED_RULE_NAMES = [...RESERVED_FORWARD_NAMES, "content-length", "authorization", "cookie"];

/**
 * `{ emailDomain }` ("Principal matchers"): lower case, at least two labels, each 1-63 letters, digits and `-`, not
 * starting or ending with `-`; at most 253 characters.
 */
export function isMailDomainForm(s: string): boolean {
  const labels = s.split(".");
  return s.length <= 253 && labels.length >= 2 && labels.every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l));
}

/**
 * A route's `path` ("Path patterns"): `invalid-path-pattern` for what no canonical path matches. `prefix` for a
 * `pathPrefix` (no `{**}`, one trailing `/` ignored).
 */
export function isPathPattern(p: string, prefix: boolean): boolean {
  if (!p.startsWith("/")) return false;
  let body = p.slice(1);
  if (prefix && body.endsWith("/") && body !== "") body = body.slice(0, -1);
  if (p === "/") return true;
  const segments = body.split("/");
  if (prefix && segments.includes("")) return false;
  for (let i = 0; i < segments.length; i++) {
    const g = segments[i] as string;
    const last = i === segments.length - 1;
    if (g === "") {
      if (!last) return false;
      continue;
    }
    if (g === "{**}") {
      if (prefix || !last) return false;
      continue;
    }
    if (g === "{*}" || /^\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(g)) continue;
    if (g === "." || g === "..") return false;
    if (/[\\;%?#{}\x00-\x1f\x7f-\x9f]/.test(g)) return false;
    // "Canonical request targets": a segment ending in a dot or a space (NFKC's too), or holding a letter whose
    // NFKC form is a separator, is refused in every request, so no canonical path matches such a literal. (Not in
    // the reference's list for patterns: a doc gap; the rule above says why they are refused.)
    // Windows' best-fit reads `∕` `⁄` as `/`, `∖` `⧵` and the yen and won signs as `\`, `٪` as `%` (NFKC first:
    // `½` is `1⁄2`): "path-encoded-separator", "path-encoded-percent".
    const nfkc = g.normalize("NFKC").replace(/[\u2215\u2044\u2216\u29f5\u00a5\u20a9\u066a]/g, "/");
    if (/[. ]$/.test(nfkc) || /[/\\;?#%]/.test(nfkc)) return false;
  }
  // Ward's own paths.
  return !/^\/(\.ward|\.well-known\/ward)(\/|$)/.test(p);
}
