// A Security Event Token (RFC 8417) as SSF 1.0 profiles it, checked once its signature has verified: who sent
// it, to whom, when, which events it carries and about whom. Pure: the time comes in, nothing is fetched.
// Every refusal carries the RFC 8935 error code the transmitter is answered with, and a problem for the log.
import { isCleanText } from "../clean-text.ts";
import { canonicalJson } from "../hash.ts";
import { valuesWithin } from "../json-shape.ts";
import { eventNameOf, isStreamEvent, type KnownEventName, type SsfEventName } from "./events.ts";
import { parseSubject, type Subject } from "./subject.ts";

/** RFC 8935 §2.3 error codes (the IANA "Security Event Token Error Codes" registry). */
export const SET_ERROR_CODES = [
  "invalid_request",
  "invalid_key",
  "invalid_issuer",
  "invalid_audience",
  "authentication_failed",
  "access_denied",
] as const;
export type SetErrorCode = (typeof SET_ERROR_CODES)[number];

export interface SetRefusal {
  err: SetErrorCode;
  /** What exactly was wrong, for the operator's log; the transmitter gets only `err`. */
  problem: string;
}

/** A SET issued this far ahead of Ward's clock is refused: transmitters' clocks are NTP-synced too. */
export const MAX_FUTURE_SECONDS = 60;
/**
 * A SET issued longer ago than this is refused: its `jti` may no longer be remembered (the replay store keeps
 * each for this long). Long enough for a transmitter's retries through a Ward outage.
 */
export const MAX_SET_AGE_SECONDS = 7 * 86400;
/** SSF 1.0 §4.2.1: one event per SET (several only as alternative URIs of one); a few are tolerated, no more. */
export const MAX_EVENTS = 4;
const MAX_TEXT = 512;
/** Descriptive text (a reason) kept for the denylist entry and the log, at most this long. */
const MAX_REASON = 200;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const isText = (v: unknown, max = MAX_TEXT): v is string =>
  typeof v === "string" && v.length > 0 && v.length <= max && isCleanText(v);
const isInstant = (v: unknown): v is number =>
  typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 2 ** 32 - 1;

export type ParsedEvent =
  | {
      name: "session-revoked" | "token-claims-change" | "account-disabled" | "account-enabled" | "account-purged";
      reason?: string;
    }
  | {
      name: "credential-change";
      reason?: string;
      credentialType: string;
      changeType: "create" | "revoke" | "update" | "delete";
    }
  | { name: "credential-compromise"; reason?: string; credentialType: string }
  | { name: "device-compliance-change"; reason?: string; current: ComplianceStatus; previous: ComplianceStatus }
  | { name: "verification"; state?: string }
  | { name: "stream-updated"; status: "enabled" | "paused" | "disabled"; reason?: string };

type ComplianceStatus = "compliant" | "not-compliant";

export interface ValidSet {
  jti: string;
  /** `iat`, ms since the epoch. */
  issuedAt: number;
  txn?: string;
  events: ParsedEvent[];
  subject: Subject;
  /**
   * What part of the person a complex subject names beside its `user` (a session, a device, a tenant): its other
   * members in canonical JSON; absent when the SET is about the whole person. Ward refuses or holds the whole
   * person either way, but a clear lifts only what a SET of the same scope put there (policy/ssf/actions.ts).
   */
  scope?: string;
}

export interface SetExpectations {
  /** The transmitter's issuer: the SET's `iss`, exactly. */
  issuer: string;
  /** This Ward environment's audience: one of the SET's `aud`. */
  audience: string;
  /** The event types the policy accepts from this transmitter (stream events are always accepted). */
  subscribed: ReadonlySet<SsfEventName>;
  /** The transmitter's critical_subject_members (SSF 1.0 §7.1): complex-subject members a receiver must interpret. */
  criticalMembers?: ReadonlySet<string>;
}

/**
 * The complex-subject members Ward interprets: `user`, the person it refuses or refreshes. Any other (a session,
 * a device, a tenant, an application) narrows whom the event is about in a way Ward cannot honour: it acts on
 * the whole person. Where the transmitter declares such a member critical, acting anyway would apply only part
 * of what the event says (a revocation of one tenant's session read as one of every session), so the SET is
 * refused whole and the transmitter told (invalid_request).
 */
export const INTERPRETED_SUBJECT_MEMBERS: ReadonlySet<string> = new Set(["user"]);

const refuse = (err: SetErrorCode, problem: string): { ok: false } & SetRefusal => ({ ok: false, err, problem });

/**
 * The protected header, before its signature is checked: explicitly typed (RFC 8417 §2.3, SSF 1.0 §4.1.1; an ID
 * token or access token of the same issuer is never read as a SET), an accepted algorithm, no critical extension
 * Ward would have to understand.
 */
export function checkSetHeader(header: unknown, algorithms: readonly string[]): SetRefusal | undefined {
  if (!isObject(header)) return { err: "invalid_request", problem: "header-not-object" };
  const typ = typeof header.typ === "string" ? header.typ.toLowerCase() : undefined;
  if (typ !== "secevent+jwt" && typ !== "application/secevent+jwt")
    return { err: "invalid_request", problem: "typ-not-secevent" };
  if (header.crit !== undefined) return { err: "invalid_request", problem: "crit" };
  if (typeof header.alg !== "string" || !algorithms.includes(header.alg))
    return { err: "invalid_key", problem: "algorithm-not-accepted" };
  return undefined;
}

function reasonOf(payload: Record<string, unknown>): string | undefined {
  // reason_admin: a language-tagged object (CAEP 1.0 §2), a plain string in older drafts; RISC's `reason`.
  const admin = payload.reason_admin;
  const candidates = isObject(admin) ? [admin.en, ...Object.values(admin)] : [admin, payload.reason];
  const text = candidates.find((v) => isText(v, 4096)) as string | undefined;
  // Cut by code points: a cut between a surrogate pair would leave half a letter.
  return text === undefined ? undefined : Array.from(text).slice(0, MAX_REASON).join("");
}

type EventResult = { ok: true; event: ParsedEvent } | ({ ok: false } & SetRefusal);

/** One event's payload as its specification defines it (CAEP 1.0 §3, RISC 1.0 §2, SSF 1.0 §8.1.4 and §8.1.5). */
function parseEvent(name: KnownEventName, payload: unknown): EventResult {
  if (!isObject(payload)) return refuse("invalid_request", `${name}: payload-not-object`);
  // Never read; a NumericDate, which may have a fraction (RFC 7519 §2), and milliseconds in some CAEP drafts'
  // examples: any finite number not below zero.
  const stamp = payload.event_timestamp;
  if (stamp !== undefined && !(typeof stamp === "number" && Number.isFinite(stamp) && stamp >= 0))
    return refuse("invalid_request", `${name}: event_timestamp`);
  const reason = reasonOf(payload);
  const withReason = <T extends object>(e: T) => (reason === undefined ? e : { ...e, reason });
  switch (name) {
    case "credential-change": {
      const change = payload.change_type;
      if (
        !isText(payload.credential_type) ||
        !(change === "create" || change === "revoke" || change === "update" || change === "delete")
      )
        return refuse("invalid_request", `${name}: credential_type or change_type`);
      return { ok: true, event: withReason({ name, credentialType: payload.credential_type, changeType: change }) };
    }
    case "credential-compromise":
      if (!isText(payload.credential_type)) return refuse("invalid_request", `${name}: credential_type`);
      return { ok: true, event: withReason({ name, credentialType: payload.credential_type }) };
    case "device-compliance-change": {
      const status = (v: unknown): v is ComplianceStatus => v === "compliant" || v === "not-compliant";
      if (!status(payload.current_status) || !status(payload.previous_status))
        return refuse("invalid_request", `${name}: current_status or previous_status`);
      return {
        ok: true,
        event: withReason({ name, current: payload.current_status, previous: payload.previous_status }),
      };
    }
    case "token-claims-change":
      if (!isObject(payload.claims) || Object.keys(payload.claims).length === 0)
        return refuse("invalid_request", `${name}: claims`);
      return { ok: true, event: withReason({ name }) };
    case "verification":
      if (payload.state !== undefined && !isText(payload.state)) return refuse("invalid_request", `${name}: state`);
      return { ok: true, event: payload.state === undefined ? { name } : { name, state: payload.state } };
    case "stream-updated": {
      const s = payload.status;
      if (s !== "enabled" && s !== "paused" && s !== "disabled") return refuse("invalid_request", `${name}: status`);
      const r = isText(payload.reason) ? payload.reason.slice(0, MAX_REASON) : undefined;
      return { ok: true, event: r === undefined ? { name, status: s } : { name, status: s, reason: r } };
    }
    default:
      return { ok: true, event: withReason({ name }) };
  }
}

/** Objects and arrays within one another a subject may hold: a complex subject's aliases' identifiers are 3. */
const MAX_SUBJECT_DEPTH = 8;
/** And the whole SET: its events and their claims (a token-claims-change's `claims`) sit a few levels below that. */
const MAX_PAYLOAD_DEPTH = 32;

/**
 * The subject: SSF 1.0's top-level `sub_id`, or (older RISC and CAEP drafts, Google's transmitter) each event's
 * `subject`. Where both are given they must be the same subject: two readers of one SET must never act on two
 * different people.
 */
function subjectOf(
  payload: Record<string, unknown>,
  events: Record<string, unknown>,
): SetRefusal | { subject: Subject; scope?: string } {
  const inEvents = Object.values(events)
    .map((e) => (isObject(e) ? e.subject : undefined))
    .filter((s) => s !== undefined);
  const all = payload.sub_id === undefined ? inEvents : [payload.sub_id, ...inEvents];
  if (all.length === 0) return { err: "invalid_request", problem: "subject-missing" };
  // Compared as canonical JSON, which recurses: a subject nested thousands deep (a 64 KiB body holds 30,000
  // levels) would run it out of stack. No subject format nests past a complex subject's aliases.
  if (all.some((s) => valuesWithin(s, MAX_SUBJECT_DEPTH, Number.POSITIVE_INFINITY) === undefined))
    return { err: "invalid_request", problem: "subject-too-deep" };
  const first = canonicalJson(all[0]);
  if (all.some((s) => canonicalJson(s) !== first)) return { err: "invalid_request", problem: "subject-ambiguous" };
  const parsed = parseSubject(all[0]);
  if (!parsed.ok) return { err: "invalid_request", problem: parsed.problem };
  return parsed.subject.format === "complex"
    ? { subject: parsed.subject, ...scopeOf(all[0] as Record<string, unknown>) }
    : { subject: parsed.subject };
}

/**
 * A complex subject's members other than `user`, as sent (a device's id is kept even in a format Ward does not
 * map): two SETs about the same device of a person have the same scope, about two devices two scopes.
 */
function scopeOf(complex: Record<string, unknown>): { scope?: string } {
  const { user: _user, format: _format, ...rest } = complex;
  return Object.keys(rest).length === 0 ? {} : { scope: canonicalJson(rest) };
}

/**
 * The claims of a SET whose signature verified, in the order that tells a transmitter the most useful error:
 * issuer, audience, then the token's own shape. `nowMs` is Ward's clock.
 */
export function checkSetClaims(
  payload: unknown,
  expected: SetExpectations,
  nowMs: number,
): { ok: true; set: ValidSet } | ({ ok: false } & SetRefusal) {
  if (!isObject(payload)) return refuse("invalid_request", "payload-not-object");
  // Before anything walks it recursively (the receiver's digest of the claims, canonicalJson): a 64 KiB body holds
  // some 30,000 levels, which would overflow the stack (from a review: a 500 to a push, a poll stalled for days).
  if (valuesWithin(payload, MAX_PAYLOAD_DEPTH, Number.POSITIVE_INFINITY) === undefined)
    return refuse("invalid_request", "payload-too-deep");
  if (payload.iss !== expected.issuer) return refuse("invalid_issuer", "iss");
  const aud = payload.aud;
  const audiences = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : [];
  if (!audiences.every((a) => typeof a === "string") || !audiences.includes(expected.audience))
    return refuse("invalid_audience", "aud");
  // SSF 1.0 §4.1.2, §4.1.3: no `sub` and no `exp` (defence against reading another JWT as a SET, and back).
  if (payload.sub !== undefined) return refuse("invalid_request", "sub-present");
  if (payload.exp !== undefined) return refuse("invalid_request", "exp-present");
  if (!isInstant(payload.iat)) return refuse("invalid_request", "iat-malformed");
  const now = Math.floor(nowMs / 1000);
  if (payload.iat > now + MAX_FUTURE_SECONDS) return refuse("invalid_request", "iat-in-the-future");
  if (payload.iat < now - MAX_SET_AGE_SECONDS) return refuse("invalid_request", "iat-too-old");
  if (!isText(payload.jti, 256)) return refuse("invalid_request", "jti");
  if (payload.txn !== undefined && !isText(payload.txn, 256)) return refuse("invalid_request", "txn");
  if (!isObject(payload.events)) return refuse("invalid_request", "events-not-object");
  const uris = Object.keys(payload.events);
  if (uris.length === 0 || uris.length > MAX_EVENTS) return refuse("invalid_request", "events-count");
  // Exactly the subscribed types: one Ward does not know, or the policy does not take from this transmitter,
  // refuses the whole SET (nothing of it is applied). Types first, then payloads, in the order docs/ssf.md lists.
  const names: KnownEventName[] = [];
  for (const uri of uris) {
    const name = eventNameOf(uri);
    if (name === undefined) return refuse("invalid_request", "event-type-unknown");
    names.push(name);
  }
  const unsubscribed = names.find((name) => !isStreamEvent(name) && !expected.subscribed.has(name));
  if (unsubscribed !== undefined) return refuse("access_denied", `event-type-not-subscribed: ${unsubscribed}`);
  const events: ParsedEvent[] = [];
  for (const [i, uri] of uris.entries()) {
    const parsed = parseEvent(names[i]!, payload.events[uri]);
    if (!parsed.ok) return parsed;
    events.push(parsed.event);
  }
  const subject = subjectOf(payload, payload.events);
  if ("err" in subject) return { ok: false, ...subject };
  if (subject.subject.format === "complex" && expected.criticalMembers) {
    const critical = Object.keys(subject.subject.members).find(
      (m) => expected.criticalMembers!.has(m) && !INTERPRETED_SUBJECT_MEMBERS.has(m),
    );
    if (critical !== undefined) return refuse("invalid_request", `critical-subject-member: ${critical}`);
  }
  const set: ValidSet = { jti: payload.jti, issuedAt: payload.iat * 1000, events, subject: subject.subject };
  if (payload.txn !== undefined) set.txn = payload.txn as string;
  if (subject.scope !== undefined) set.scope = subject.scope;
  return { ok: true, set };
}
