// The oracle of the directory differential, written from docs/policy.md ("identity.access", the `group` matcher,
// the `devicePosture` condition, `maxPostureAge`, "Missing facts fail closed"), docs/architecture.md (step 4,
// groups and posture) and docs/operations.md (a lookup gives up after 5 s), not from Ward's code. What
// get-identity answered gives the person's facts, or none (unknown); the route's rules then decide.
import { instantMillis, isInstant } from "../../unit/validate-oracle.ts";
import type { DirCase, GenPolicy, GenRule } from "./directory-cases.ts";

/** A person's facts: undefined is unknown (no answer Ward may use). Posture: a check passed, failed, or absent. */
export interface Facts {
  groups?: ReadonlySet<string>;
  posture?: ReadonlyMap<string, boolean>;
}

/** "Control characters are C0, DEL, C1, U+2028/U+2029, the bidirectional controls ... and lone surrogates." */
export function hasControl(s: string): boolean {
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(s)) return true;
  return /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

const UNKNOWN: Facts = {};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The get-identity lookup gives up after 5 s (operations.md); an answer that takes longer is none. */
const TIMEOUT_MS = 5_000;
/** `maxPostureAge` (default `25h`): an older result is unknown; one more than 30 s ahead of the request too. */
const MAX_POSTURE_AGE_MS = 25 * 3_600_000;
const POSTURE_SKEW_MS = 30_000;

/** "a result counts while its `timestamp` is an instant no older than `maxPostureAge` at the request's time". */
function current(timestamp: unknown, now: number): boolean {
  if (typeof timestamp !== "string" || !isInstant(timestamp)) return false;
  const at = instantMillis(timestamp);
  return now - at <= MAX_POSTURE_AGE_MS && at - now <= POSTURE_SKEW_MS;
}

/**
 * The facts Ward may take from an answer: one reading, or two where the docs leave it open (a list of thousands of
 * groups, which a bound may refuse as a whole). Each is a fail-closed reading.
 */
export function readings(c: DirCase, now = Date.now()): Facts[] {
  let value: unknown = c.answer;
  const raw = isObject(value)
    ? (value.$raw as { status?: number; body?: string; delayMs?: number } | undefined)
    : undefined;
  if (raw) {
    // A failed lookup, an error status, a late answer, a body that is no JSON: no answer.
    if ((raw.status ?? 200) !== 200 || (raw.delayMs ?? 0) >= TIMEOUT_MS) return [UNKNOWN];
    try {
      value = JSON.parse(raw.body ?? "");
    } catch {
      return [UNKNOWN];
    }
  }
  if (!isObject(value)) return [UNKNOWN];
  // An answer about someone else, or naming no one, is no answer about this person (addresses compare ignoring case).
  if (typeof value.email !== "string" || value.email.toLowerCase() !== c.email.toLowerCase()) return [UNKNOWN];
  // "An answer without a list of group names or with a name holding control characters leaves groups and posture unknown."
  if (!Array.isArray(value.groups)) return [UNKNOWN];
  const names: string[] = [];
  for (const g of value.groups) {
    const name = typeof g === "string" ? g : isObject(g) && typeof g.name === "string" ? g.name : undefined;
    if (name === undefined || hasControl(name)) return [UNKNOWN];
    names.push(name);
  }
  let posture: Map<string, boolean> | undefined;
  if (isObject(value.devicePosture)) {
    posture = new Map();
    for (const [id, result] of Object.entries(value.devicePosture)) {
      // A check whose name holds control characters is left out; a result other than success true/false is none;
      // so is one evaluated too long before the request, or not at an instant Ward can read.
      if (hasControl(id) || !isObject(result) || typeof result.success !== "boolean") continue;
      if (!current(result.timestamp, now)) continue;
      posture.set(id, result.success);
    }
  }
  const facts: Facts = { groups: new Set(names), ...(posture ? { posture } : {}) };
  return names.length > 1_000 ? [facts, UNKNOWN] : [facts];
}

function inGroup(rule: GenRule, p: GenPolicy, f: Facts, email: string): boolean | "unknown" {
  if ("emailDomain" in rule.who) return email.endsWith(`@${rule.who.emailDomain}`);
  const group = "group" in rule.who ? rule.who.group : p.sets[rule.who.set]!;
  return f.groups ? f.groups.has(group) : "unknown";
}

/** Each listed check: passed, failed, or unknown (not reported, or all posture unknown). */
function postureOf(rule: GenRule, f: Facts): ("pass" | "fail" | "unknown")[] {
  return (rule.posture ?? []).map((id) => {
    const r = f.posture?.get(id);
    return r === undefined ? "unknown" : r ? "pass" : "fail";
  });
}

/** In an allow rule an unknown fact fails; in a deny rule it holds (docs/policy.md "Missing facts fail closed"). */
function applies(rule: GenRule, p: GenPolicy, f: Facts, email: string): boolean {
  const who = inGroup(rule, p, f, email);
  const checks = postureOf(rule, f);
  if (rule.effect === "allow") return who === true && checks.every((x) => x === "pass");
  return who !== false && checks.every((x) => x !== "fail");
}

export interface Decision {
  status: 200 | 403;
  rule?: string;
  /** Let through by a grant to this group. */
  grant?: string;
}

export function decide(p: GenPolicy, route: string, f: Facts, email: string): Decision {
  const rules = p.routes.find((r) => r.id === route)!.rules;
  const deny = rules.find((r) => r.effect === "deny" && applies(r, p, f, email));
  if (deny) return { status: 403, rule: deny.id };
  const allow = rules.find((r) => r.effect === "allow" && applies(r, p, f, email));
  if (allow) return { status: 200, rule: allow.id };
  // A grant to a group lifts a no-matching-rule denial for a person known to be in it (unknown groups: never).
  const grant = p.grants.find((g) => g.routes.includes(route) && f.groups?.has(g.group));
  return grant ? { status: 200, grant: grant.group } : { status: 403 };
}

/** Whether an answer is one Ward may keep: a usable answer (cached per person, at most 5 min, never past exp). */
export const usable = (c: DirCase): boolean => readings(c).every((f) => f.groups !== undefined);

/** A device said not compliant (a security event): posture unknown, whatever Access says meanwhile (ssf.md). */
export const postureHeld = (f: Facts): Facts => (f.groups ? { groups: f.groups } : f);
