// The oracle of the SSF receiver's differential test (ssf-differential.test.ts), written from RFC 8417, RFC 8935, RFC 9493, CAEP 1.0, RISC 1.0,
// SSF 1.0 and docs/ssf.md ("What Ward checks", "What each event does", "Whom an event names"), never from
// Ward's code: what a push is answered with, and what it leaves in the denylist. It keeps its own model of the
// state the docs describe (jtis seen per issuer, refusals per transmitter, person and event, clears, holds).
import { canonical } from "./ssf-json.ts";
import { AUDIENCE, TEAM, TRANSMITTERS, URIS } from "./ssf-cases.ts";

export const HOLD_S = 3600;
export const MONTH_S = 730 * 3600;

export type Answer =
  | { status: 202; outcome?: string }
  | { status: 400; err: string[] }
  | { status: 405 }
  | { status: 503 }
  | { either: Answer[] };

/** What the oracle knows of one push beyond its bytes. */
export interface Built {
  transmitter: string;
  method: string;
  contentType: string | null;
  body: Uint8Array;
  /** How it was signed, and whether the header or payload names a member twice (the generator knows). */
  signer: string;
  dupHeader: boolean;
  dupPayload: boolean;
  kid: string;
}

const PLAIN = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;
function plain(v: unknown, max = 512): v is string {
  if (typeof v !== "string" || v.length === 0 || v.length > max || PLAIN.test(v)) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = v.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}
const obj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const has = (o: Record<string, unknown>, k: string) => Object.hasOwn(o, k);

/** A domain written in Unicode, in its IDNA (UTS #46) ASCII form; anything else as it is (docs/ssf.md). */
function asciiDomain(v: string): string {
  const at = v.lastIndexOf("@");
  const domain = v.slice(at + 1);
  // Letters, marks, digits, hyphens and dots (the full-width and ideographic ones too), one of them not ASCII.
  if (!/[^\x00-\x7f]/.test(domain) || !/^[\p{L}\p{M}\p{N}\-.。．｡]+$/u.test(domain)) return v;
  // Written as IDNA writes it, case aside: no compatibility form (full-width, Ⅸ, the Kelvin sign), dot but "."
  // nor ignorable code point (U+FE0F), which UTS #46 would map onto another's address. No address then.
  const labels = domain.split(".");
  if (labels.some((l) => l.normalize("NFKC") !== l || /\p{Default_Ignorable_Code_Point}/u.test(l))) return v;
  try {
    return `${v.slice(0, at)}@${new URL(`http://${domain}/`).hostname}`;
  } catch {
    return v;
  }
}

/** RFC 5321 Mailbox, ASCII dot-atom and host name (Ward's e-mail rules, policy.md), its domain in IDNA's ASCII. */
function mailbox(text: unknown): string | undefined {
  if (typeof text !== "string") return undefined;
  const v = asciiDomain(text);
  if (v.length > 254) return undefined;
  const m =
    /^([A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)$/.exec(
      v,
    );
  if (!m || m[1]!.length > 64 || m[2]!.length > 253) return undefined;
  return v.toLowerCase();
}

function depthOver(v: unknown, max: number, depth = 0): boolean {
  if (v === null || typeof v !== "object") return false;
  if (depth >= max) return true;
  return Object.values(v as object).some((x) => depthOver(x, max, depth + 1));
}

type Fact = string; // "email x" | "sub x"
interface SubjectRead {
  ok: boolean;
  facts: Fact[];
  members: string[];
}

const REQUIRED: Record<string, string[]> = {
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

function formatOf(s: Record<string, unknown>): string | undefined | null {
  const legacy = typeof s.subject_type === "string" ? s.subject_type.replace(/-/g, "_") : undefined;
  if (!has(s, "format")) return legacy ?? null;
  if (typeof s.format !== "string") return undefined;
  if (legacy !== undefined && legacy !== s.format) return undefined;
  return s.format;
}

function simpleSubject(s: unknown, subIssuers: string[]): SubjectRead {
  const bad = { ok: false, facts: [], members: [] };
  if (!obj(s)) return bad;
  const f = formatOf(s);
  if (!f || !plain(f)) return bad;
  if (f === "complex" || f === "aliases") return bad;
  if (f === "ip-addresses") {
    const ips = s["ip-addresses"];
    return Array.isArray(ips) && ips.length > 0 && ips.length <= 16 && ips.every((x) => plain(x))
      ? { ok: true, facts: [], members: [] }
      : bad;
  }
  const req = has(REQUIRED, f) ? REQUIRED[f]! : undefined;
  if (!req) return { ok: true, facts: [], members: [] };
  if (!req.every((m) => plain(s[m]))) return bad;
  if (f === "email") {
    const e = mailbox(s.email);
    return e ? { ok: true, facts: [`email ${e}`], members: [] } : bad;
  }
  if (f === "iss_sub")
    return { ok: true, facts: subIssuers.includes(s.iss as string) ? [`sub ${s.sub}`] : [], members: [] };
  return { ok: true, facts: [], members: [] };
}

function readSubject(s: unknown, subIssuers: string[]): SubjectRead {
  const bad = { ok: false, facts: [], members: [] };
  if (!obj(s)) return bad;
  const f = formatOf(s);
  if (f === "complex" || f === null) {
    const names = Object.keys(s).filter((k) => k !== "format");
    if (names.length === 0 || names.length > 16) return bad;
    if (!names.every((n) => plain(n, 64))) return bad;
    let facts: Fact[] = [];
    // A member that cannot be read is passed over when the user can be read (docs/ssf.md).
    const userReadable = names.includes("user") && simpleSubject(s.user, subIssuers).ok;
    for (const n of names) {
      const m = simpleSubject(s[n], subIssuers);
      if (!m.ok && !userReadable) return bad;
      if (n === "user") facts = m.facts;
    }
    return { ok: true, facts, members: names };
  }
  if (f === "aliases") {
    const ids = s.identifiers;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 16) return bad;
    const facts: Fact[] = [];
    let readable = false;
    for (const id of ids) {
      const m = simpleSubject(id, subIssuers);
      readable ||= m.ok;
      for (const x of m.facts) if (!facts.includes(x)) facts.push(x);
    }
    // One identifier that can be read is enough; the others are passed over (docs/ssf.md).
    return readable ? { ok: true, facts, members: [] } : bad;
  }
  return simpleSubject(s, subIssuers);
}

/** An event's payload as its specification defines it; undefined when it does not conform. */
function readEvent(name: string, e: unknown): { ok: boolean; detail?: string } {
  if (!obj(e)) return { ok: false };
  if (has(e, "event_timestamp")) {
    // CAEP 1.0 §2: a JSON number of seconds (NumericDate, RFC 7519 §2: non-integer values allowed); docs/ssf.md:
    // "never read, any number not below zero".
    const ts = e.event_timestamp;
    if (typeof ts !== "number" || !Number.isFinite(ts) || ts < 0) return { ok: false };
  }
  switch (name) {
    case "credential-change":
      return plain(e.credential_type) && ["create", "revoke", "update", "delete"].includes(e.change_type as string)
        ? { ok: true, detail: e.change_type as string }
        : { ok: false };
    case "credential-compromise":
      return { ok: plain(e.credential_type) };
    case "device-compliance-change": {
      const s = (v: unknown) => v === "compliant" || v === "not-compliant";
      return s(e.current_status) && s(e.previous_status)
        ? { ok: true, detail: e.current_status as string }
        : { ok: false };
    }
    case "token-claims-change":
      return { ok: obj(e.claims) && Object.keys(e.claims).length > 0 };
    case "verification":
      if (has(e, "state") && !plain(e.state)) return { ok: false };
      return { ok: true, ...(has(e, "state") ? { detail: e.state as string } : {}) };
    case "stream-updated":
      return { ok: ["enabled", "paused", "disabled"].includes(e.status as string) };
    default:
      return { ok: true };
  }
}

function b64uDecode(s: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(s) || s.length % 4 === 1) return undefined;
  try {
    const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}
/** RFC 8259 JSON, with whether any object names a member twice (names compared decoded). */
function parseJson(text: string): { value: unknown; dup: boolean } {
  let i = 0;
  let dup = false;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw new Error(`bad JSON at ${i}`);
  };
  const string = (): string => {
    if (text[i] !== '"') fail();
    const start = i++;
    while (text[i] !== '"') {
      if (i >= text.length) fail();
      const c = text.charCodeAt(i);
      if (c < 0x20) fail();
      i += text[i] === "\\" ? 2 : 1;
    }
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const o: Record<string, unknown> = {};
      const names = new Set<string>();
      ws();
      if (text[i] === "}") return (i++, o);
      for (;;) {
        ws();
        const k = string();
        if (names.has(k)) dup = true;
        names.add(k);
        ws();
        if (text[i++] !== ":") fail();
        Object.defineProperty(o, k, { value: value(), enumerable: true, configurable: true, writable: true });
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") return (i++, o);
        else fail();
      }
    }
    if (c === "[") {
      i++;
      const a: unknown[] = [];
      ws();
      if (text[i] === "]") return (i++, a);
      for (;;) {
        a.push(value());
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") return (i++, a);
        else fail();
      }
    }
    if (c === '"') return string();
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i));
    if (m && m[0] !== "" && m[0] !== "-") return ((i += m[0].length), Number(m[0]));
    for (const [lit, v] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const)
      if (text.startsWith(lit, i)) return ((i += lit.length), v);
    return fail();
  };
  const v = value();
  ws();
  if (i !== text.length) fail();
  return { value: v, dup };
}

function utf8json(bytes: Uint8Array | undefined): { value: unknown; dup: boolean } | undefined {
  if (!bytes) return undefined;
  try {
    let text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    if (text.startsWith("\ufeff")) text = text.slice(1);
    return parseJson(text);
  } catch {
    return undefined;
  }
}

interface Open {
  until: number;
  issuedAt: number;
}
/** The model of the state the docs describe. */
export class Model {
  seen = new Map<string, Map<string, string>>();
  /** `${transmitter}|${fact}|${event}` -> open refusal */
  open = new Map<string, Open>();
  clears = new Map<string, number>();
  holds = new Map<string, Open>();
  refreshed = new Set<Fact>();
  verifyState = "STATE";

  /** What the push is answered with, applying what the docs say it does. `now` in ms. */
  take(b: Built, now: number): Answer & { facts?: Fact[] } {
    if (b.method !== "POST") return { status: 405 };
    const t = Object.hasOwn(TRANSMITTERS, b.transmitter) ? TRANSMITTERS[b.transmitter] : undefined;
    if (!t) return { status: 400, err: ["invalid_issuer"] };
    const refuse = (...err: string[]) => ({ status: 400 as const, err });
    const media = (b.contentType ?? "").split(";")[0]!.trim().toLowerCase();
    if (media !== "application/secevent+jwt") return refuse("invalid_request");
    if (b.body.byteLength > 64 * 1024) return refuse("invalid_request");
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(b.body);
    } catch {
      return refuse("invalid_request");
    }
    // Leading/trailing whitespace around the token is no part of it (a BOM or NUL is).
    text = text.replace(/^[\s]+|[\s]+$/g, "");
    if (text.startsWith("\ufeff") || text.includes("\u0000")) return refuse("invalid_request");
    const parts = text.split(".");
    if (parts.length !== 3) return refuse("invalid_request");
    const header = utf8json(b64uDecode(parts[0]!));
    const payloadJ = utf8json(b64uDecode(parts[1]!));
    if (!b64uDecode(parts[2]!)) return refuse("invalid_request");
    if (!header || !payloadJ || header.dup || payloadJ.dup) return refuse("invalid_request");
    const h = header.value;
    if (!obj(h)) return refuse("invalid_request");
    const typ = typeof h.typ === "string" ? h.typ.toLowerCase() : undefined;
    if (typ !== "secevent+jwt" && typ !== "application/secevent+jwt") return refuse("invalid_request");
    if (has(h, "crit")) return refuse("invalid_request");
    if (h.alg !== "ES256") return refuse("invalid_key");
    if (has(h, "kid") && h.kid !== b.kid) {
      // A kid the key set lacks: refused, or (a remote set fetched within 30 s) asked for again.
      return t.remote
        ? { either: [refuse("invalid_key", "invalid_request"), { status: 503 }] }
        : refuse("invalid_key", "invalid_request");
    }
    if (b.signer !== "good") return refuse("invalid_key");
    const p = payloadJ.value;
    if (!obj(p)) return refuse("invalid_request");
    if (depthOver(p, 32)) return refuse("invalid_request");
    if (p.iss !== t.issuer) return refuse("invalid_issuer");
    const aud = p.aud;
    const auds = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : [];
    if (!auds.every((a) => typeof a === "string") || !auds.includes(AUDIENCE)) return refuse("invalid_audience");
    if (has(p, "sub") || has(p, "exp")) return refuse("invalid_request");
    const nowS = Math.floor(now / 1000);
    const iat = p.iat;
    if (typeof iat !== "number" || !Number.isInteger(iat) || iat < 0 || iat > nowS + 60 || iat < nowS - 7 * 86400)
      return refuse("invalid_request");
    if (!plain(p.jti, 256)) return refuse("invalid_request");
    if (has(p, "txn") && !plain(p.txn, 256)) return refuse("invalid_request");
    if (!obj(p.events)) return refuse("invalid_request");
    const uris = Object.keys(p.events);
    if (uris.length < 1 || uris.length > 4) return refuse("invalid_request");
    const byUri = new Map(Object.entries(URIS).map(([n, u]) => [u, n]));
    const names = uris.map((u) => byUri.get(u));
    if (names.some((n) => n === undefined)) return refuse("invalid_request");
    if (names.some((n) => n !== "verification" && n !== "stream-updated" && !t.events.includes(n!)))
      return refuse("access_denied");
    const read = uris.map((u, i) => ({
      name: names[i]!,
      ...readEvent(names[i]!, (p.events as Record<string, unknown>)[u]),
    }));
    if (read.some((e) => !e.ok)) return refuse("invalid_request");
    // The subject: sub_id and every event's own; all the same; well-formed; at most 8 deep.
    const subjects = [
      ...(has(p, "sub_id") ? [p.sub_id] : []),
      ...Object.values(p.events as Record<string, unknown>).flatMap((e) =>
        obj(e) && has(e, "subject") ? [e.subject] : [],
      ),
    ];
    if (subjects.length === 0) return refuse("invalid_request");
    if (subjects.some((s) => depthOver(s, 8))) return refuse("invalid_request");
    if (subjects.some((s) => canonical(s) !== canonical(subjects[0]))) return refuse("invalid_request");
    const subj = readSubject(subjects[0], [TEAM, ...t.subIssuers]);
    if (!subj.ok) return refuse("invalid_request");
    if (subj.members.some((m) => m !== "user" && t.critical.includes(m))) return refuse("invalid_request");
    const verification = read.find((e) => e.name === "verification");
    if (verification?.detail !== undefined && verification.detail !== this.verifyState)
      return refuse("invalid_request");
    // jti: the same SET again (by its claims) is a duplicate; another under a seen jti is refused.
    let seen = this.seen.get(t.issuer);
    if (!seen) this.seen.set(t.issuer, (seen = new Map()));
    const digest = canonical(p);
    const before = seen.get(p.jti);
    if (before !== undefined)
      return before === digest ? { status: 202, outcome: "duplicate" } : refuse("invalid_request");
    seen.set(p.jti, digest);
    // What it does (docs/ssf.md "What each event does"): "the refusals (a disable, a revocation, a device not
    // compliant) are applied after its other events, whatever order it writes them in".
    const issuedAt = Math.min(iat, nowS);
    const facts = subj.facts;
    const tr = b.transmitter;
    let personEvents = false;
    const refuseFor = (fact: Fact, event: string, until: number) => {
      const key = `${tr}|${fact}|${event}`;
      if (event === "account-disabled" && (this.clears.get(`${tr}|${fact}|account-disabled`) ?? -1) > issuedAt) return;
      const o = this.open.get(key);
      this.open.set(key, { until: Math.max(o?.until ?? 0, until), issuedAt: Math.max(o?.issuedAt ?? 0, issuedAt) });
    };
    const refusing = (e: (typeof read)[number]) =>
      ["session-revoked", "credential-compromise", "account-disabled", "account-purged"].includes(e.name) ||
      (e.name === "credential-change" && (e.detail === "revoke" || e.detail === "delete")) ||
      (e.name === "device-compliance-change" && e.detail === "not-compliant");
    for (const e of [...read.filter((x) => !refusing(x)), ...read.filter(refusing)]) {
      if (e.name === "verification" || e.name === "stream-updated") continue;
      personEvents = true;
      for (const fact of facts) {
        switch (e.name) {
          case "session-revoked":
          case "credential-compromise":
            refuseFor(fact, e.name, nowS + HOLD_S);
            break;
          case "credential-change":
            if (e.detail === "revoke" || e.detail === "delete") refuseFor(fact, e.name, nowS + HOLD_S);
            break;
          case "account-disabled":
          case "account-purged":
            refuseFor(fact, e.name, nowS + MONTH_S);
            break;
          case "account-enabled": {
            const key = `${tr}|${fact}|account-disabled`;
            const o = this.open.get(key);
            if (o && o.issuedAt <= issuedAt) this.open.delete(key);
            this.clears.set(key, Math.max(this.clears.get(key) ?? -1, issuedAt));
            break;
          }
          case "token-claims-change":
            this.refreshed.add(fact);
            break;
          case "device-compliance-change": {
            this.refreshed.add(fact);
            const key = `${tr}|${fact}|posture`;
            if (e.detail === "not-compliant") {
              if ((this.clears.get(key) ?? -1) > issuedAt) break;
              const o = this.holds.get(key);
              this.holds.set(key, {
                until: Math.max(o?.until ?? 0, nowS + HOLD_S),
                issuedAt: Math.max(o?.issuedAt ?? 0, issuedAt),
              });
            } else {
              const o = this.holds.get(key);
              if (o && o.issuedAt <= issuedAt) this.holds.delete(key);
              this.clears.set(key, Math.max(this.clears.get(key) ?? -1, issuedAt));
            }
            break;
          }
        }
      }
    }
    const outcome = !personEvents ? "stream" : facts.length === 0 ? "unmapped" : undefined;
    return { status: 202, ...(outcome ? { outcome } : {}), facts };
  }
}
