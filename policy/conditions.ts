// Rule conditions. Every condition is checked (not just up to the first failure) so that explain can
// name each one that failed. Time is always an argument: the core never reads a clock.
import { DAYS, type Conditions } from "./schema.ts";
import { claimsHeld } from "./principals.ts";
import type { Identity } from "./identity.ts";
import { instantMs } from "./instant.ts";

export interface CompiledConditions {
  source: Conditions;
  scopes?: readonly string[];
  claims?: Readonly<Record<string, unknown>>;
  days?: ReadonlySet<number>;
  /** Minutes since 00:00 UTC, from inclusive, to exclusive. */
  hours?: { from: number; to: number };
  notBefore?: number;
  notAfter?: number;
  countries?: ReadonlySet<string>;
  devicePosture?: readonly string[];
}

export interface ConditionContext {
  identity: Identity;
  /** Milliseconds since the epoch. */
  now: number;
  /** ISO country code as Cloudflare sees it. */
  country?: string;
  /**
   * For deny rules: a condition whose fact is unknown (no country, posture not fetched) counts as holding, so a missing fact
   * can never switch a deny off. For allow rules it counts as failing. Both ways, it fails closed.
   */
  unknownHolds?: boolean;
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return h! * 60 + m!;
}

export function compileConditions(when: Conditions): CompiledConditions {
  return {
    source: when,
    scopes: when.scopes,
    claims: when.claims,
    // getUTCDay: 0 = Sunday; DAYS starts on Monday.
    days: when.time?.days ? new Set(when.time.days.map((d) => (DAYS.indexOf(d) + 1) % 7)) : undefined,
    hours: when.time?.hours ? { from: minutes(when.time.hours.from), to: minutes(when.time.hours.to) } : undefined,
    notBefore: when.time?.notBefore ? instantMs(when.time.notBefore) : undefined,
    notAfter: when.time?.notAfter ? instantMs(when.time.notAfter) : undefined,
    countries: when.country ? new Set(when.country) : undefined,
    devicePosture: when.devicePosture,
  };
}

/** Returns the failed conditions, described for people; an empty list means every condition holds. */
export function failedConditions(c: CompiledConditions, ctx: ConditionContext): string[] {
  const failed: string[] = [];
  const { identity, now } = ctx;
  if (c.scopes) {
    const granted = new Set(identity.scopes ?? []);
    const missing = c.scopes.filter((s) => !granted.has(s));
    if (missing.length > 0) failed.push(`missing scope ${missing.join(", ")}`);
  }
  if (c.claims && !claimsHeld(c.claims, identity)) failed.push(`claims ${JSON.stringify(c.claims)} not held`);
  if (c.notBefore !== undefined && now < c.notBefore) failed.push(`before ${c.source.time!.notBefore}`);
  if (c.notAfter !== undefined && now >= c.notAfter) failed.push(`at or after ${c.source.time!.notAfter}`);
  if (c.days || c.hours) {
    const date = new Date(now);
    if (c.days && !c.days.has(date.getUTCDay())) failed.push(`not on ${c.source.time!.days!.join("/")} (UTC)`);
    if (c.hours) {
      const m = date.getUTCHours() * 60 + date.getUTCMinutes();
      const { from, to } = c.hours;
      const inside = from < to ? m >= from && m < to : m >= from || m < to;
      if (!inside) failed.push(`outside ${c.source.time!.hours!.from}-${c.source.time!.hours!.to} UTC`);
    }
  }
  const countryUnknown = ctx.country === undefined;
  if (c.countries && !(countryUnknown && ctx.unknownHolds) && (countryUnknown || !c.countries.has(ctx.country!))) {
    failed.push(`country ${ctx.country ?? "unknown"} not in ${[...c.countries].join(", ")}`);
  }
  if (c.devicePosture) {
    const posture = identity.user?.devicePosture;
    // Posture not fetched, or a check Access did not report (or reported without a result): unknown, which holds
    // only for deny rules (see unknownHolds). Read as failing, a check left out of an answer turned a deny off.
    const failing = c.devicePosture.filter((check) => {
      const result = posture !== undefined && Object.hasOwn(posture, check) ? posture[check] : undefined;
      return result === undefined ? !ctx.unknownHolds : result !== true;
    });
    if (failing.length > 0) failed.push(`device posture ${failing.join(", ")} not passing`);
  }
  return failed;
}
