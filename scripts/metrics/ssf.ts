// `ward metrics` for security events (docs/ssf.md): how many SETs of each event type Ward took, what became of
// them, and how long from each event's `iat` to the first request Ward refused because of it. The link is the
// decision line's `listedBy.jti` (the denylist entry the refusal matched, and the SET that put it there) to the
// ssf-event line's `jti`; a refused person who never came back has no such request and is counted apart.
import type { DecisionLine, SsfEventLine } from "../../policy/index.ts";
import { median, topCounts, type Count } from "./aggregate.ts";

/** The events whose effect is refusing the person (policy/ssf/actions.ts). */
const REFUSING = new Set([
  "session-revoked",
  "credential-change",
  "credential-compromise",
  "account-disabled",
  "account-purged",
]);
/** Outcomes of a SET taken for the first time (not refused, not to be sent again, not a duplicate). */
const TAKEN = new Set(["applied", "unmapped", "no-effect", "stream", "superseded"]);

export interface SlowRefusal {
  jti: string;
  transmitter: string;
  events: string[];
  issuedAt: string;
  firstRefusal: string;
  seconds: number;
}

export interface SsfMetrics {
  /** ssf-event lines in the window: every delivery, refused and repeated ones included. */
  deliveries: number;
  /** Events of the SETs taken, per type. */
  byEvent: Count[];
  byOutcome: Count[];
  timeToRefusal: {
    /** SETs applied with an event that refuses the person. */
    refusing: number;
    /** Of those, the ones a refused request is linked to. */
    linked: number;
    medianSeconds: number | null;
    maxSeconds: number | null;
    /** The slowest first (at most `top`). */
    slowest: SlowRefusal[];
  };
}

export function ssfMetrics(
  lines: readonly SsfEventLine[],
  decisions: readonly DecisionLine[],
  top: number,
): SsfMetrics {
  const byEvent = new Map<string, number>();
  const byOutcome = new Map<string, number>();
  const applied = new Map<string, SsfEventLine>();
  for (const l of lines) {
    byOutcome.set(l.outcome, (byOutcome.get(l.outcome) ?? 0) + 1);
    if (!TAKEN.has(l.outcome)) continue;
    for (const e of l.events ?? []) byEvent.set(e, (byEvent.get(e) ?? 0) + 1);
    if (l.outcome === "applied" && l.jti && l.issuedAt && (l.events ?? []).some((e) => REFUSING.has(e)))
      applied.set(`${l.transmitter} ${l.jti}`, l);
  }
  // The first refused request per SET (a log is not always in time order).
  const first = new Map<string, number>();
  for (const d of decisions) {
    const by = d.listedBy;
    if (!by?.jti || !by.transmitter || d.time === undefined || !d.reasons.includes("revoked")) continue;
    const key = `${by.transmitter} ${by.jti}`;
    const t = Date.parse(d.time);
    if (applied.has(key) && Number.isFinite(t) && t < (first.get(key) ?? Infinity)) first.set(key, t);
  }
  const slow: SlowRefusal[] = [];
  for (const [key, l] of applied) {
    const t = first.get(key);
    if (t === undefined) continue;
    slow.push({
      jti: l.jti!,
      transmitter: l.transmitter,
      events: l.events ?? [],
      issuedAt: l.issuedAt!,
      firstRefusal: new Date(t).toISOString(),
      seconds: (t - Date.parse(l.issuedAt!)) / 1000,
    });
  }
  slow.sort((a, b) => b.seconds - a.seconds || (a.jti < b.jti ? -1 : 1));
  const seconds = slow.map((s) => s.seconds);
  return {
    deliveries: lines.length,
    byEvent: topCounts(byEvent, Number.MAX_SAFE_INTEGER),
    byOutcome: topCounts(byOutcome, Number.MAX_SAFE_INTEGER),
    timeToRefusal: {
      refusing: applied.size,
      linked: slow.length,
      medianSeconds: seconds.length > 0 ? median(seconds) : null,
      // The slowest first (sorted above): not Math.max(...seconds), which a long log overflows the stack with.
      maxSeconds: slow.length > 0 ? slow[0]!.seconds : null,
      slowest: slow.slice(0, top),
    },
  };
}
