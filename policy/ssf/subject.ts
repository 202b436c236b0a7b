// Subject identifiers (RFC 9493, and SSF 1.0 §3's complex subjects and extra formats) read from a SET, and what
// Ward can refuse or refresh for one: an e-mail, or the `sub` of the Access tokens it sees. Pure.
//
// A subject a Ward identity cannot be derived from (a session id, a device, a phone number, an iss_sub of an
// issuer whose `sub` is not the Access token's) maps to nothing: the event is accepted and logged, and changes
// nothing, rather than being guessed onto someone. A malformed subject refuses the whole SET; but one identifier of
// an `aliases` subject, or a complex subject's member other than `user`, that cannot be read beside a person who
// can is passed over (a 400 is never sent again: the revocation would be lost for a name Ward does not need).
import { isCleanText } from "../clean-text.ts";
import { canonicalEmail, withAsciiDomain } from "../email-address.ts";

/** What Ward can act on: a person by e-mail (lower case) or by the Access token's `sub`. */
export interface SubjectFact {
  match: "email" | "sub";
  value: string;
}

export type SimpleSubject =
  | { format: "email"; email: string }
  | { format: "iss_sub"; iss: string; sub: string }
  | { format: "opaque"; id: string }
  /** Well-formed, but Ward has no identity it names (account, phone_number, did, uri, jwt_id, a proprietary one...). */
  | { format: "unmapped"; name: string }
  /** Not well-formed, passed over beside a person named otherwise (an alias, a complex subject's other member). */
  | { format: "malformed"; problem: string };

export type Subject =
  | SimpleSubject
  | { format: "complex"; members: Readonly<Record<string, SimpleSubject>> }
  | { format: "aliases"; identifiers: readonly SimpleSubject[] };

export type SubjectResult = { ok: true; subject: Subject } | { ok: false; problem: string };

const MAX_MEMBER_LENGTH = 512;
/** A complex subject's member names (`user`, `session`, `tenant`): as long as criticalSubjectMembers' entries. */
const MAX_MEMBER_NAME_LENGTH = 64;
const MAX_ALIASES = 16;
const MAX_COMPLEX_MEMBERS = 16;

/** Members each format requires (RFC 9493 §3.2; SSF 1.0 §3.4: jwt_id, saml_assertion_id, ip-addresses). */
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  account: ["uri"],
  email: ["email"],
  iss_sub: ["iss", "sub"],
  opaque: ["id"],
  phone_number: ["phone_number"],
  did: ["url"],
  uri: ["uri"],
  jwt_id: ["iss", "jti"],
  saml_assertion_id: ["issuer", "assertion_id"],
};

const isText = (v: unknown): v is string =>
  typeof v === "string" && v.length > 0 && v.length <= MAX_MEMBER_LENGTH && isCleanText(v);

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * The format a subject names. Google's RISC transmitter writes `subject_type` (with "iss-sub") instead of
 * `format` (RISC 1.0 §3): read as the same, but a subject that says both, differently, is refused.
 */
function formatOf(value: Record<string, unknown>): string | undefined {
  const legacy = typeof value.subject_type === "string" ? value.subject_type.replace(/-/g, "_") : undefined;
  if (value.format === undefined) return legacy;
  if (typeof value.format !== "string") return undefined;
  return legacy === undefined || legacy === value.format ? value.format : undefined;
}

function simpleSubject(value: unknown): SubjectResult {
  if (!isObject(value)) return { ok: false, problem: "subject-not-object" };
  const format = formatOf(value);
  if (format === undefined || !isText(format)) return { ok: false, problem: "subject-format" };
  if (format === "complex" || format === "aliases") return { ok: false, problem: "subject-nested" };
  if (format === "ip-addresses") {
    const ips = value["ip-addresses"];
    return Array.isArray(ips) && ips.length > 0 && ips.length <= MAX_ALIASES && ips.every(isText)
      ? { ok: true, subject: { format: "unmapped", name: format } }
      : { ok: false, problem: "subject-members" };
  }
  // Own members only: a proprietary format may be named "constructor" or "__proto__".
  const required = Object.hasOwn(REQUIRED, format) ? REQUIRED[format] : undefined;
  // A proprietary format (SSF 1.0 §3.3): agreed between the parties, never mapped by Ward.
  if (!required) return { ok: true, subject: { format: "unmapped", name: format } };
  if (!required.every((m) => isText(value[m]))) return { ok: false, problem: "subject-members" };
  switch (format) {
    case "email": {
      // A domain in Unicode (`ann@bücher.example`) in its ASCII form, the one Ward's addresses are in.
      const email = canonicalEmail(withAsciiDomain(value.email as string));
      return email ? { ok: true, subject: { format, email } } : { ok: false, problem: "subject-email" };
    }
    case "iss_sub":
      return { ok: true, subject: { format, iss: value.iss as string, sub: value.sub as string } };
    case "opaque":
      return { ok: true, subject: { format, id: value.id as string } };
    default:
      return { ok: true, subject: { format: "unmapped", name: format } };
  }
}

/** A subject identifier as a SET carries it (`sub_id`, or an event's `subject` in older RISC and CAEP drafts). */
export function parseSubject(value: unknown): SubjectResult {
  if (!isObject(value)) return { ok: false, problem: "subject-not-object" };
  const format = formatOf(value);
  // SSF 1.0 §3.2: a complex subject is an object of simple ones; older drafts left out `"format": "complex"`.
  if (format === "complex" || (value.format === undefined && value.subject_type === undefined)) {
    const members: Record<string, SimpleSubject> = {};
    const names = Object.keys(value).filter((k) => k !== "format");
    if (names.length === 0 || names.length > MAX_COMPLEX_MEMBERS) return { ok: false, problem: "subject-members" };
    // Member names reach the log line (subjectShape): text, and short, like every other name a SET gives Ward.
    if (!names.every((name) => name.length <= MAX_MEMBER_NAME_LENGTH && isText(name)))
      return { ok: false, problem: "subject-members" };
    // The user is whom the event is about; another member (a device, a session) only narrows it, and one that
    // cannot be read is passed over when there is a user to act on, never in place of one.
    const user = Object.hasOwn(value, "user") ? simpleSubject(value.user) : undefined;
    for (const name of names) {
      const member = simpleSubject(value[name]);
      if (!member.ok && !user?.ok) return member;
      members[name] = member.ok ? (member.subject as SimpleSubject) : { format: "malformed", problem: member.problem };
    }
    return { ok: true, subject: { format: "complex", members } };
  }
  if (format === "aliases") {
    const list = value.identifiers;
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_ALIASES)
      return { ok: false, problem: "subject-members" };
    const identifiers: SimpleSubject[] = [];
    let firstProblem: SubjectResult | undefined;
    for (const item of list) {
      const id = simpleSubject(item);
      firstProblem ??= id.ok ? undefined : id;
      identifiers.push(id.ok ? (id.subject as SimpleSubject) : { format: "malformed", problem: id.problem });
    }
    // Names of one subject: one that can be read is enough; none, and the SET names no one.
    if (firstProblem && identifiers.every((id) => id.format === "malformed")) return firstProblem;
    return { ok: true, subject: { format: "aliases", identifiers } };
  }
  return simpleSubject(value);
}

/**
 * The facts a subject names a person by. In a complex subject only `user` names one (its session, device or
 * tenant is no one Ward can refuse). An iss_sub counts only when its issuer's `sub` is the Access token's: the
 * Access team domain's, or an issuer the policy lists in `subIssuers`.
 */
export function subjectFacts(subject: Subject, subIssuers: ReadonlySet<string>): SubjectFact[] {
  const simple = (s: SimpleSubject): SubjectFact[] => {
    if (s.format === "email") return [{ match: "email", value: s.email }];
    if (s.format === "iss_sub" && subIssuers.has(s.iss)) return [{ match: "sub", value: s.sub }];
    return [];
  };
  let facts: SubjectFact[];
  if (subject.format === "complex") facts = subject.members.user ? simple(subject.members.user) : [];
  else if (subject.format === "aliases") facts = subject.identifiers.flatMap(simple);
  else facts = simple(subject);
  const seen = new Set<string>();
  return facts.filter((f) => {
    const key = `${f.match} ${f.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** How a log line names a subject without copying it whole: its format, and the members of a complex one. */
export function subjectShape(subject: Subject): string {
  const name = (s: SimpleSubject) => (s.format === "unmapped" ? s.name : s.format);
  if (subject.format === "complex")
    return `complex(${Object.entries(subject.members)
      .map(([k, v]) => `${k}:${name(v)}`)
      .join(",")})`;
  if (subject.format === "aliases") return `aliases(${subject.identifiers.map(name).join(",")})`;
  return name(subject);
}
