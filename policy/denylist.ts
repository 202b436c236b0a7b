// Who is refused whatever the policy says: the denylist's records (revocations and quarantines, kept by the
// Denylist Durable Object) and the pure matching of a caller's verified facts against them. The Worker keeps
// a copy per isolate and asks `deniedBy`; the CLI prints the same records.
import type { Decision } from "./decision.ts";
import { principalParts, type Identity } from "./identity.ts";
import { issuerSerial } from "./issuer-serial.ts";
import { statusFor } from "./status.ts";

/**
 * What an entry matches: a credential fact, or (for quarantine) one part of the principal key. `ca` is the key
 * identifier of a CA a client certificate's identity relies on (its issuer, or one on the path to a pin). `sub` is an
 * Access token's; `subject` a workload token's, qualified by its issuer's name (`github-actions/repo:o/r:ref:...`,
 * `cluster/system:serviceaccount:ns:sa`), since one `sub` means different callers at different issuers.
 */
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

/** A workload token's issuer-qualified subject, as a `subject` entry names it. */
export function tokenSubjectOf(token: { issuer: string; subject: string }): string {
  return `${token.issuer}/${token.subject}`;
}

export interface DenyEntry {
  id: string;
  kind: "revocation" | "quarantine";
  match: MatchKind;
  value: string;
  reason: string;
  createdAt: number;
  createdBy: string;
  /** Epoch ms; null: until released. */
  expiresAt: number | null;
  releasedAt: number | null;
  releasedBy: string | null;
  /** Put there by a security event (worker/ssf/): whose, which, and the SET's jti; absent for operators' entries. */
  signal?: { transmitter: string; event: string; jti: string };
}

export type NewDenyEntry = Pick<DenyEntry, "kind" | "match" | "value" | "reason" | "expiresAt">;

/** The verified client certificate as the denylist names it (Cloudflare's certIssuerSKI and certSerial as given). */
export interface DeniableCertificate {
  sha256: string;
  issuerSki: string;
  serial: string;
  /** The key identifiers of the CAs the identity relies on or was sent with, normalised (worker/identity/mtls.ts). */
  caKeys?: readonly string[];
  /** The CAs sent with it could not all be read: any `ca` revocation in force refuses it. */
  chainUnread?: true;
}

/**
 * What a refusal needs of an entry: which one (for the log), its kind, its end, and the security event behind it.
 * Isolates keep only this (worker/denylist/cache.ts): a copy of 100,000 entries is held in every isolate.
 */
export type ListedEntry = Pick<DenyEntry, "id" | "kind" | "expiresAt" | "signal">;

/**
 * The denylist indexed by fact: per kind of fact, its value -> the entry. One look-up per fact, however long the
 * list, and nothing built to look one up (a "match value" key string per fact and request was most of what the
 * look-up allocated); a kind no entry names costs one miss.
 */
export class DenylistIndex<E extends ListedEntry = DenyEntry> {
  readonly #byKind = new Map<MatchKind, Map<string, E>>();
  #size = 0;

  /** How many facts it holds. */
  get size(): number {
    return this.#size;
  }

  /** Whether any fact of this kind is listed (a fact whose value takes work to build need not be built). */
  names(match: MatchKind): boolean {
    return this.#byKind.has(match);
  }

  /** Any entry of this kind in force at `now` (the first in the copy's order), for a fact that could not be read. */
  firstInForce(match: MatchKind, now: number): E | undefined {
    for (const entry of this.#byKind.get(match)?.values() ?? [])
      if (entry.expiresAt === null || entry.expiresAt > now) return entry;
    return undefined;
  }

  get(match: MatchKind, value: string): E | undefined {
    return this.#byKind.get(match)?.get(factValue(match, value));
  }

  set(match: MatchKind, value: string, entry: E): void {
    let values = this.#byKind.get(match);
    if (!values) this.#byKind.set(match, (values = new Map()));
    const before = values.size;
    values.set(factValue(match, value), entry);
    this.#size += values.size - before;
  }

  delete(match: MatchKind, value: string): void {
    const values = this.#byKind.get(match);
    if (!values?.delete(factValue(match, value))) return;
    this.#size--;
    if (values.size === 0) this.#byKind.delete(match);
  }

  /** Drops every fact whose entry `drop` says (while iterating: Map iteration allows deleting what was visited). */
  deleteWhere(drop: (entry: E) => boolean): void {
    for (const [match, values] of this.#byKind) {
      for (const [value, entry] of values) {
        if (!drop(entry)) continue;
        values.delete(value);
        this.#size--;
      }
      if (values.size === 0) this.#byKind.delete(match);
    }
  }
}

/** A fact's value as the index keeps it: e-mail addresses in lower case. */
const factValue = (match: MatchKind, value: string) => (match === "email" ? value.toLowerCase() : value);

/** One entry per fact: the one that lasts longest, so a short revocation never hides a permanent one. */
export function indexDenylist<E extends ListedEntry & Pick<DenyEntry, "match" | "value">>(
  entries: readonly E[],
): DenylistIndex<E> {
  const index = new DenylistIndex<E>();
  const end = (e: E) => e.expiresAt ?? Infinity;
  for (const entry of entries) {
    const held = index.get(entry.match, entry.value);
    if (!held || end(entry) > end(held)) index.set(entry.match, entry.value, entry);
  }
  return index;
}

/**
 * A certificate's "issuer/serial" name (undefined when it has none), worked out once per certificate object: the
 * gateway keeps one per certificate and isolate (worker/identity/mtls.ts), and this runs on every request.
 */
const serialNames = new WeakMap<DeniableCertificate, { issuerSki: string; serial: string; name?: string }>();
function serialNameOf(certificate: DeniableCertificate): string | undefined {
  const { issuerSki, serial } = certificate;
  const known = serialNames.get(certificate);
  // Named from the fields it has now: an object changed since (not the gateway's: they are frozen) is named again.
  if (known && known.issuerSki === issuerSki && known.serial === serial) return known.name;
  const name = issuerSerial(issuerSki, serial);
  serialNames.set(certificate, name === undefined ? { issuerSki, serial } : { issuerSki, serial, name });
  return name;
}

/** The entry in force at `now` that names this fact, if any. */
function inForce<E extends ListedEntry>(
  index: DenylistIndex<E>,
  match: MatchKind,
  value: string,
  now: number,
): E | undefined {
  const entry = index.get(match, value);
  // An expiry is compared here, at the request's instant, whatever the copy's age.
  return entry && (entry.expiresAt === null || entry.expiresAt > now) ? entry : undefined;
}

/**
 * The first entry in force that names one of the caller's verified facts. Each fact is looked up directly
 * (no list of facts is built, and a fact that takes work to name is named only when its kind is listed): this
 * runs on every request once the denylist has entries.
 */
export function deniedBy<E extends ListedEntry>(
  index: DenylistIndex<E>,
  identity: Identity,
  certificate: DeniableCertificate | undefined,
  principal: string,
  now: number,
): E | undefined {
  if (index.size === 0) return undefined;
  const { user, serviceToken } = identity;
  // A revoked SPIFFE ID is refused whichever credential names it: a certificate or a workload token.
  let entry = identity.workload && inForce(index, "spiffe", identity.workload.id, now);
  const tokenId = identity.workloadToken?.spiffeId;
  if (!entry && tokenId !== undefined) entry = inForce(index, "spiffe", tokenId, now);
  if (!entry && certificate) {
    entry = inForce(index, "fingerprint", certificate.sha256, now);
    const serial = entry || !index.names("serial") ? undefined : serialNameOf(certificate);
    if (serial) entry = inForce(index, "serial", serial, now);
    // A CA cut off: every certificate whose identity relies on it, issued directly or below it on the path, or
    // sent with it. One sent with CAs that could not be read might hide one: refused while any CA is cut off.
    if (!entry && index.names("ca")) {
      for (const key of certificate.caKeys ?? []) if ((entry = inForce(index, "ca", key, now))) break;
      if (!entry && certificate.chainUnread) entry = index.firstInForce("ca", now);
    }
  }
  if (!entry && user)
    entry = inForce(index, "email", user.email, now) ?? (user.sub ? inForce(index, "sub", user.sub, now) : undefined);
  if (!entry && serviceToken) entry = inForce(index, "token", serviceToken.clientId, now);
  // A workload token by its issuer and sub: the one way to revoke a token that names no SPIFFE ID (an OIDC
  // subject, an unmapped service account), and a way to revoke one issuer's tokens of a SPIFFE ID alone.
  if (!entry && identity.workloadToken && index.names("subject"))
    entry = inForce(index, "subject", tokenSubjectOf(identity.workloadToken), now);
  // A quarantine names the whole principal key or one part of it ("workload+user" has two parts).
  if (!entry) entry = inForce(index, "principal", principal, now);
  const credentials =
    Number(identity.workload !== undefined) +
    Number(user !== undefined) +
    Number(serviceToken !== undefined) +
    Number(identity.workloadToken !== undefined);
  if (!entry && credentials > 1 && index.names("principal")) {
    for (const part of principalParts(identity)) {
      entry = inForce(index, "principal", part, now);
      if (entry) break;
    }
  }
  return entry;
}

/** What the isolate's copy of the denylist says of a caller: clear, listed, or not known (no usable copy). */
export type DenylistVerdict = { state: "clear" } | { state: "denied"; entry: ListedEntry } | { state: "unknown" };

/**
 * The decision with the denylist laid over it, as applyGrants lays grants: a revoked or quarantined caller is
 * refused whatever the policy says (403), and if the list cannot be known an identified caller is refused too
 * (503): a revoked credential must not slip through. Anonymous callers are never looked up.
 */
export function applyDenylist(decision: Decision, verdict: DenylistVerdict): Decision {
  const reason = denylistReason(verdict);
  if (reason === undefined) return decision;
  const { exception: _exception, wouldDeny: _wouldDeny, rule: _rule, ...rest } = decision;
  return {
    ...rest,
    effect: "deny",
    obligations: { rateLimits: [], headers: {} },
    status: statusFor(reason),
    reasons: [reason],
    ...(verdict.state === "denied"
      ? {
          listedBy: {
            entry: verdict.entry.id,
            ...(verdict.entry.signal
              ? { jti: verdict.entry.signal.jti, transmitter: verdict.entry.signal.transmitter }
              : {}),
          },
        }
      : {}),
  };
}

/** Why the denylist refuses a caller (Ward's own paths answer with it too), or undefined when it does not. */
export function denylistReason(
  verdict: DenylistVerdict,
): "denylist-unavailable" | "revoked" | "quarantined" | undefined {
  if (verdict.state === "clear") return undefined;
  if (verdict.state === "unknown") return "denylist-unavailable";
  return verdict.entry.kind === "quarantine" ? "quarantined" : "revoked";
}

/** Refused because the caller is on the denylist (not because of the policy). */
export function isListed(decision: Pick<Decision, "reasons">): boolean {
  return decision.reasons[0] === "revoked" || decision.reasons[0] === "quarantined";
}
