// An oracle of the denylist, written from the docs and not from the code (it imports nothing of policy/ or
// worker/): docs/operations.md "Revocation and quarantine" and "The admin API" (which spellings a revocation
// takes, what each names, when it is in force), docs/policy.md (`quarantine`, the `revoked` and `quarantined`
// reasons, the decision log's `principal`, which credentials count together) and docs/ssf.md (a security
// event's refusal is an entry like `ward revoke`'s). Two questions:
//
// - admitRevocation: does `POST /.ward/admin/revocations` take this value as written (201), or refuse it (422)?
//   And if it takes it, the one key it names (so two spellings of one credential name one thing).
// - refusal: a caller with these verified credentials, at this instant, against these entries: refused or not,
//   and by which entries (any one of them may be the one the log names: the docs order only a revocation before a
//   quarantine).
//
// Where the docs are silent the oracle says what it assumed, in a comment naming the gap.

export type MatchKind =
  | "spiffe"
  | "fingerprint"
  | "serial"
  | "ca"
  | "email"
  | "sub"
  | "token"
  | "subject"
  | "principal";

export interface OracleEntry {
  id: string;
  kind: "revocation" | "quarantine";
  match: MatchKind;
  /** As an operator (or a security event, or Ward's quarantine) wrote it: any documented spelling. */
  value: string;
  /** Epoch ms; null: until lifted. */
  expiresAt: number | null;
  /** When it was lifted (a revocation) or released (a quarantine); null while it is not. */
  liftedAt: number | null;
}

/** The credentials Ward verified on a request, as docs/policy.md describes each one's facts. */
export interface OracleCaller {
  /** A client certificate from a pinned issuer, in date, that names a workload (its SPIFFE ID or registry id). */
  certificate?: {
    spiffeId: string;
    /** Cloudflare's certFingerprintSHA256. */
    fingerprint: string;
    /** Cloudflare's certIssuerSKI ("" when it reports none). */
    issuerSki: string;
    /** Cloudflare's certSerial ("" when it reports none). */
    serial: string;
    /** The key identifiers of the CAs of its path (the issuer's, each intermediate's, the pin's) and of every certificate sent with it. */
    caKeys: string[];
    /** It was sent with a chain Ward cannot read (over Cloudflare's bound, not DER, a certificate past Ward's bounds). */
    chainUnread: boolean;
  };
  /** A person's Access token. */
  person?: { email: string; sub?: string };
  /** An Access service token's client id. */
  serviceToken?: string;
  /** A workload token of `identity.tokenIssuers` (issuer: its name there), and the SPIFFE ID it names, if any. */
  workloadToken?: { issuer: string; sub: string; spiffeId?: string };
}

// ---------------------------------------------------------------------------------------------------------------
// Spellings

/** ASCII letters only: the docs' "case ignored" is for e-mail addresses and hex, both ASCII (policy.md). */
const asciiLower = (text: string): string => text.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** Hex "colons and case ignored" (operations.md: a fingerprint, a key identifier, a serial). */
const hexKey = (text: string): string => asciiLower(text.replace(/:/g, ""));

/** A serial number with its leading zeros ignored too; "0" stays a digit. */
const serialKey = (text: string): string => hexKey(text).replace(/^0+(?=.)/, "");

/** A certificate's name as a `serial` entry gives it, or none when either part is outside the documented bounds. */
function serialName(issuerSki: string, serial: string): string | undefined {
  const ski = hexKey(issuerSki);
  const number = serialKey(serial);
  return /^([0-9a-f]{2}){4,64}$/.test(ski) && /^[0-9a-f]{1,64}$/.test(number) ? `${ski}/${number}` : undefined;
}

/** Anything JavaScript's trim() takes away: "white space around the value is refused (422)" (operations.md). */
const padded = (text: string): boolean => text !== text.trim();

// A SPIFFE ID as the SPIFFE standard and policy.md define it: `spiffe://`, a trust domain of 1 to 255 of [a-z0-9._-],
// then path segments of [A-Za-z0-9._-], none "." or "..", no trailing "/", nothing else (port, query, `%`).
const TRUST_DOMAIN = /^[a-z0-9._-]{1,255}$/;
const SEGMENT = /^[A-Za-z0-9._-]+$/;
export function spiffeShape(text: string): "workload" | "trust-domain" | undefined {
  if (!text.startsWith("spiffe://") || text.length > 2048) return undefined;
  const [domain, ...segments] = text.slice("spiffe://".length).split("/");
  if (!TRUST_DOMAIN.test(domain!)) return undefined;
  if (segments.some((s) => !SEGMENT.test(s) || s === "." || s === "..")) return undefined;
  return segments.length === 0 ? "trust-domain" : "workload";
}

// An e-mail address as policy.md's `email` matcher and the gateway take one: one plain address, local@domain, the
// local part a dot-atom of ASCII atext (at most 64), the domain host-name labels (at most 253), ASCII only, at most
// 254 in all; no quoted local part, address literal, trailing dot or invisible character.
const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
export function plainAddress(text: string): boolean {
  if (text.length > 254) return false;
  const parts = text.split("@");
  if (parts.length !== 2) return false;
  const [local, domain] = parts as [string, string];
  return (
    local.length <= 64 && domain.length <= 253 && LOCAL.test(local) && domain.split(".").every((l) => LABEL.test(l))
  );
}

/** A control character (C0, DEL, C1): what policy.md's Access `sub` and a workload token's `sub` may not hold. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** An Access service token's client id (policy.md): 32 lower-case hex digits, `.access`, optionally the team's domain. */
const CLIENT_ID = /^[0-9a-f]{32}\.access(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** What the admin API is told of the active policy when it checks a value. */
export interface AdmitContext {
  /** `identity.tokenIssuers[].name`. */
  tokenIssuers: readonly string[];
  /** `identity.mtls.registry[].id`: a trust domain's own ID here may be revoked with `--spiffe`. */
  registryIds: readonly string[];
}

/**
 * Whether the admin API takes `value` for `match` as written, and the key it then names (what a caller's fact is
 * compared with); undefined: refused (422), nothing stored.
 */
export function admitRevocation(match: MatchKind, value: string, ctx: AdmitContext): string | undefined {
  // "Values are at most 2,200 characters"; and "white space around it is refused (422), not trimmed, for every
  // kind but `--subject` and `--sub`" (operations.md: the gateway reads either with white space around it).
  if (value.length === 0 || value.length > 2200) return undefined;
  if (match !== "subject" && match !== "sub" && padded(value)) return undefined;
  switch (match) {
    case "spiffe": {
      // "a SPIFFE ID ... the gateway would never verify in that spelling ... is refused 422"; a trust domain's own
      // ID "as a slip for the whole domain, unless the active policy's identity.mtls.registry gives that ID".
      const shape = spiffeShape(value);
      if (shape === "workload" || (shape === "trust-domain" && ctx.registryIds.includes(value))) return value;
      return undefined;
    }
    case "fingerprint":
      // "its SHA-256 fingerprint ... colons, case ... ignored".
      return /^[0-9a-f]{64}$/.test(hexKey(value)) ? hexKey(value) : undefined;
    case "ca": {
      // "hex, 1 to 64 bytes, colons and case ignored"; "an odd number of digits is refused (422)".
      const key = hexKey(value);
      return /^([0-9a-f]{2}){1,64}$/.test(key) ? key : undefined;
    }
    case "serial": {
      // "`ISSUER_SKI/SERIAL`, hex", "a key identifier of 4 to 64 bytes and a serial of at most 64 hex digits; colons,
      // case and a serial's leading zeros ignored" (a key identifier with an odd number of digits is refused).
      const parts = value.split("/");
      if (parts.length !== 2) return undefined;
      return serialName(parts[0]!, parts[1]!);
    }
    case "email":
      // "a person (e-mail, case ignored ...)"; an e-mail the gateway would never verify in that spelling is 422.
      return plainAddress(value) ? asciiLower(value) : undefined;
    case "sub":
      // "the Access token's `sub`: any the gateway reads, at most 255 characters, spaces included" (policy.md: free
      // of control characters).
      return value.length <= 255 && !CONTROL.test(value) ? value : undefined;
    case "token":
      // "A ... revocation (`ward revoke --token`) naming one [that is not a client id] is refused (422)".
      return CLIENT_ID.test(value) ? value : undefined;
    case "subject": {
      // "ISSUER/SUB": the issuer "named as in identity.tokenIssuers of the active policy, and a name it does not have
      // is refused (422)"; "a sub is any text without control characters", stored as sent.
      const slash = value.indexOf("/");
      if (slash <= 0) return undefined;
      const sub = value.slice(slash + 1);
      if (!ctx.tokenIssuers.includes(value.slice(0, slash))) return undefined;
      return sub.length >= 1 && sub.length <= 1024 && !CONTROL.test(sub) ? value : undefined;
    }
    case "principal":
      return undefined; // only Ward's quarantine writes these
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Refusal

/** The key a stored entry names, spelt as the facts below are: entries past the admin API, an event or a quarantine. */
function entryKey(entry: OracleEntry): string {
  switch (entry.match) {
    case "fingerprint":
    case "ca":
      return hexKey(entry.value);
    case "serial": {
      const [ski, serial] = entry.value.split("/");
      return `${hexKey(ski ?? "")}/${serialKey(serial ?? "")}`;
    }
    case "email":
      return asciiLower(entry.value);
    default:
      return entry.value;
  }
}

/** In force at `at`: not lifted by then, and "ignored from their expiry on". No entry has a start other than its storing. */
export function inForce(entry: OracleEntry, at: number): boolean {
  return (entry.liftedAt === null || at < entry.liftedAt) && (entry.expiresAt === null || at < entry.expiresAt);
}

/**
 * The credentials that count: "A certificate and a workload token that both name a SPIFFE ID must name the same one"
 * (policy.md, workload tokens): when they name two, neither counts, and the caller is whatever else it carries.
 */
export function countedCredentials(caller: OracleCaller): OracleCaller {
  const { certificate, workloadToken } = caller;
  if (certificate && workloadToken?.spiffeId !== undefined && workloadToken.spiffeId !== certificate.spiffeId) {
    const { certificate: _c, workloadToken: _w, ...rest } = caller;
    return rest;
  }
  return caller;
}

/**
 * The principal's parts as policy.md's decision log names them, in its order: `workload:<id>` (a certificate's or
 * a workload token's SPIFFE ID, once when both name it), `user:<e-mail, lower case>`, `token:<client id>`,
 * `subject:<token issuer>/<sub>` (a workload token that names no SPIFFE ID).
 */
export function principalParts(caller: OracleCaller): string[] {
  const parts: string[] = [];
  const ids = new Set<string>();
  if (caller.certificate) ids.add(caller.certificate.spiffeId);
  if (caller.workloadToken?.spiffeId !== undefined) ids.add(caller.workloadToken.spiffeId);
  for (const id of ids) parts.push(`workload:${id}`);
  if (caller.person) parts.push(`user:${asciiLower(caller.person.email)}`);
  if (caller.serviceToken !== undefined) parts.push(`token:${caller.serviceToken}`);
  if (caller.workloadToken && caller.workloadToken.spiffeId === undefined)
    parts.push(`subject:${caller.workloadToken.issuer}/${caller.workloadToken.sub}`);
  return parts;
}

/** "joined with `+` when several are present, or `anonymous`". */
export const principalKey = (caller: OracleCaller): string => principalParts(caller).join("+") || "anonymous";

/** Every fact of the caller an entry can name, keyed as entryKey spells an entry's. */
function factsOf(caller: OracleCaller): Set<string> {
  const facts = new Set<string>();
  const add = (match: MatchKind, key: string) => facts.add(`${match} ${key}`);
  const { certificate, person, serviceToken, workloadToken } = caller;
  // "`--spiffe` refuses the workload whatever its credential": a certificate's, a workload token's.
  if (certificate) add("spiffe", certificate.spiffeId);
  if (workloadToken?.spiffeId !== undefined) add("spiffe", workloadToken.spiffeId);
  if (certificate) {
    add("fingerprint", hexKey(certificate.fingerprint));
    // "a certificate Cloudflare reports without an issuer SKI or serial (or with a key identifier of fewer than 4
    // bytes) cannot match such an entry".
    const serial = serialName(certificate.issuerSki, certificate.serial);
    if (serial !== undefined) add("serial", serial);
    for (const key of certificate.caKeys) add("ca", hexKey(key));
  }
  if (person) {
    add("email", asciiLower(person.email));
    // An Access person's `sub` only: a workload token's is named with its issuer (`subject`).
    if (person.sub) add("sub", person.sub);
  }
  if (serviceToken !== undefined) add("token", serviceToken);
  // "one of a token that names a SPIFFE ID refuses that issuer's tokens only": every workload token has one.
  if (workloadToken) add("subject", `${workloadToken.issuer}/${workloadToken.sub}`);
  // A quarantine "names that credential and refuses every request carrying it". One naming the whole principal, as
  // the decision log keys it (an earlier release's quarantine of a caller with several credentials), is assumed to
  // refuse that combination: the docs no longer speak of such entries.
  const parts = principalParts(caller);
  if (parts.length > 0) {
    add("principal", parts.join("+"));
    for (const part of parts) add("principal", part);
  }
  return facts;
}

export interface OracleVerdict {
  refused: boolean;
  /**
   * The entries the refusal may name: for each fact named, the longest lasting in force ("of two entries naming the
   * same credential, the one that lasts longer counts"), revocations before quarantines.
   */
  by: Set<string>;
  /** The reasons those give: `revoked` for a revocation, `quarantined` for a quarantine. */
  reasons: Set<"revoked" | "quarantined">;
}

/** Whether the caller is refused at `at`, and by which entries; anonymous callers "do not depend on it". */
export function refusal(entries: readonly OracleEntry[], callerAsSent: OracleCaller, at: number): OracleVerdict {
  const caller = countedCredentials(callerAsSent);
  const verdict: OracleVerdict = { refused: false, by: new Set(), reasons: new Set() };
  if (principalParts(caller).length === 0) return verdict;
  const facts = factsOf(caller);
  const unread = caller.certificate?.chainUnread === true;
  // Per fact named: the entries in force, and how long each lasts.
  const byFact = new Map<string, OracleEntry[]>();
  for (const entry of entries) {
    if (!inForce(entry, at)) continue;
    const fact = `${entry.match} ${entryKey(entry)}`;
    // "A certificate sent with a chain Ward cannot read ... is refused while any `ca` revocation is in force, and the
    // log names one of them."
    if (!facts.has(fact) && !(unread && entry.match === "ca")) continue;
    byFact.set(fact, [...(byFact.get(fact) ?? []), entry]);
  }
  const end = (e: OracleEntry) => e.expiresAt ?? Infinity;
  const counted: OracleEntry[] = [];
  for (const named of byFact.values()) {
    const longest = Math.max(...named.map(end));
    counted.push(...named.filter((entry) => end(entry) === longest));
  }
  // "A caller whose credentials several entries name is refused by one of them (a revocation before a quarantine)".
  const revoked = counted.some((entry) => entry.kind === "revocation");
  for (const entry of counted) {
    if (revoked && entry.kind === "quarantine") continue;
    verdict.by.add(entry.id);
    verdict.reasons.add(entry.kind === "quarantine" ? "quarantined" : "revoked");
  }
  verdict.refused = verdict.by.size > 0;
  return verdict;
}
