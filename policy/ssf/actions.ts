// What a valid SET does, decided here and carried out by the Worker (worker/ssf/): pure, so the same table
// is tested without a Worker and documented in docs/ssf.md.
//
//   session-revoked, credential-change (revoke, delete), credential-compromise
//       -> the subject is refused for `holdFor` (an Access session begun before the event must not outlive it)
//   account-disabled -> refused until account-enabled from the same transmitter, or at most one month
//   account-purged   -> refused for one month (no session begun before it can outlive that)
//   account-enabled  -> lifts what account-disabled from the same transmitter put there (SETs issued no later
//       than it, by iat: a disable issued after it and delivered before it stands), nothing else; remembered, so
//       that a disable issued before it and delivered after it is not applied (worker/denylist/store.ts). One
//       about one tenant (a complex subject's other members) lifts only a disable about that tenant
//       and answers only those.
//   token-claims-change -> the subject's cached groups and posture are dropped: the next request asks Access
//   device-compliance-change -> dropped too; not-compliant: device posture counts as unknown (posture conditions
//       fail) for `holdFor` or until the same transmitter says compliant (in a SET issued no earlier) about the
//       same device, or about the whole person
//   verification, stream-updated -> logged, nothing else
import { MAX_HOLD_SECONDS } from "./schema.ts";
import type { ValidSet } from "./set.ts";
import { subjectFacts, type SubjectFact } from "./subject.ts";

export type RefusingEvent =
  | "session-revoked"
  | "credential-change"
  | "credential-compromise"
  | "account-disabled"
  | "account-purged";

/**
 * `scope`, on the ops a later clear may undo: the SET's scope (ValidSet.scope), absent when it is about the whole
 * person. A clear about one device or tenant ends only what a SET about that one put there; one about the whole
 * person ends it all (worker/denylist/store.ts).
 */
export type SignalOp =
  /**
   * Refuse the person until `until` (ms), with `reason` as the denylist entry's reason. `issuedAt`: the SET's
   * `iat` (ms), kept with the entry, so that an older account-enabled delivered after it lifts nothing.
   */
  | {
      op: "refuse";
      fact: SubjectFact;
      event: RefusingEvent;
      until: number;
      reason: string;
      issuedAt: number;
      scope?: string;
    }
  /**
   * Lift the refusals `event` from this transmitter put on the person (account-enabled): those of SETs issued
   * no later than this one (`issuedAt`, its `iat` in ms). Delivery may be out of order (a push retried after a
   * 503): a disable issued after the enable stands.
   */
  | { op: "lift"; fact: SubjectFact; event: "account-disabled"; issuedAt: number; scope?: string }
  /** Drop the person's cached directory facts (groups, posture). */
  | { op: "refresh"; fact: SubjectFact }
  /** Device posture counts as unknown for the person until `until` (ms); `issuedAt` as for refuse. */
  | { op: "hold-posture"; fact: SubjectFact; until: number; issuedAt: number; scope?: string }
  /** End the posture hold this transmitter put on the person, if put by a SET issued no later than this one. */
  | { op: "release-posture"; fact: SubjectFact; issuedAt: number; scope?: string };

/** What a SET came to: changed something, could not (nobody Ward knows), had nothing to do, or managed the stream. */
export type SignalOutcome = "applied" | "unmapped" | "no-effect" | "stream";

export interface SignalPlan {
  ops: SignalOp[];
  facts: SubjectFact[];
  outcome: SignalOutcome;
}

export interface PlanContext {
  /** The transmitter's name in the policy. */
  transmitter: string;
  holdForSeconds: number;
  /** Issuers whose iss_sub `sub` is the Access token's (the team domain and the transmitter's subIssuers). */
  subIssuers: ReadonlySet<string>;
  nowMs: number;
}

const MAX_REASON = 300;
/** The ops that refuse someone, applied after the SET's others. */
const REFUSALS: ReadonlySet<SignalOp["op"]> = new Set(["refuse", "hold-posture"]);

export function planSignals(set: ValidSet, ctx: PlanContext): SignalPlan {
  const facts = subjectFacts(set.subject, ctx.subIssuers);
  const hold = ctx.nowMs + ctx.holdForSeconds * 1000;
  const month = ctx.nowMs + MAX_HOLD_SECONDS * 1000;
  // A SET may say it was issued up to a minute ahead of Ward's clock (set.ts); it cannot have been issued after
  // Ward received it. Ordering by the earlier of the two, an enable from a fast clock does not outrank a disable
  // sent after it from a correct one (nor lift it).
  const issuedAt = Math.min(set.issuedAt, Math.floor(ctx.nowMs / 1000) * 1000);
  const ops: SignalOp[] = [];
  const scope = set.scope === undefined ? {} : { scope: set.scope };
  let aboutSomeone = false;
  for (const event of set.events) {
    if (event.name === "verification" || event.name === "stream-updated") continue;
    aboutSomeone = true;
    const why = `${event.name} from ${ctx.transmitter}${"reason" in event && event.reason ? `: ${event.reason}` : ""} (jti ${set.jti})`;
    // Counted and cut by code points: a cut between a surrogate pair would leave half a letter.
    const points = Array.from(why);
    const reason = points.length > MAX_REASON ? `${points.slice(0, MAX_REASON - 1).join("")}…` : why;
    for (const fact of facts) {
      switch (event.name) {
        case "session-revoked":
        case "credential-compromise":
          ops.push({ op: "refuse", fact, event: event.name, until: hold, reason, issuedAt });
          break;
        case "credential-change":
          // A credential created or updated ends nothing; one revoked or deleted may have been what a session
          // was authenticated with.
          if (event.changeType === "revoke" || event.changeType === "delete")
            ops.push({ op: "refuse", fact, event: event.name, until: hold, reason, issuedAt });
          break;
        case "account-disabled":
        case "account-purged":
          ops.push({ op: "refuse", fact, event: event.name, until: month, reason, issuedAt, ...scope });
          break;
        case "account-enabled":
          ops.push({ op: "lift", fact, event: "account-disabled", issuedAt, ...scope });
          break;
        case "token-claims-change":
          ops.push({ op: "refresh", fact });
          break;
        case "device-compliance-change":
          ops.push({ op: "refresh", fact });
          ops.push(
            event.current === "not-compliant"
              ? { op: "hold-posture", fact, until: hold, issuedAt, ...scope }
              : { op: "release-posture", fact, issuedAt, ...scope },
          );
          break;
      }
    }
  }
  // A SET's events are members of one JSON object, which has no order (RFC 8259 §4), and the replay store's digest
  // reads it so: its refusals go last, after its clears, so that one disabling and enabling a person refuses them
  // whichever it wrote first, failing closed (a refusal of the same second applied after a clear stands).
  ops.sort((a, b) => Number(REFUSALS.has(a.op)) - Number(REFUSALS.has(b.op)));
  const outcome: SignalOutcome = !aboutSomeone
    ? "stream"
    : facts.length === 0
      ? "unmapped"
      : ops.length === 0
        ? "no-effect"
        : "applied";
  return { ops, facts, outcome };
}
