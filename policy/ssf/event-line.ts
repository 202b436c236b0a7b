// The log line of one pushed SET ("ssf-event"), the decision log's companion: written by the receiver
// (worker/ssf/), read by `ward ssf delivered`. One type for both, here in the core.
import type { SignalOutcome } from "./actions.ts";
import type { SetErrorCode } from "./set.ts";

/**
 * What became of a SET: its outcome when valid (applied, unmapped, no-effect, stream; `superseded` when every
 * refusal it carried was already answered by a later clear of the same transmitter), `duplicate` for a SET
 * already applied, `refused` for one answered 400, `retry` for one Ward could not take now (5xx: the transmitter
 * sends it again, nothing is lost).
 */
export type SsfDelivery = SignalOutcome | "superseded" | "duplicate" | "refused" | "retry";

export interface SsfEventLine {
  level: "info" | "warn" | "error";
  event: "ssf-event";
  /** When Ward received it (ISO 8601). */
  time: string;
  requestId: string;
  /** The transmitter's name in the push URL. */
  transmitter: string;
  /** How it came: pushed to Ward (RFC 8935; the default) or fetched by Ward's poll (RFC 8936). */
  delivery?: "push" | "poll";
  /** The status Ward answered with: 202, 400 or 5xx (polled: what a push would have been answered with). */
  status: number;
  outcome: SsfDelivery;
  err?: SetErrorCode;
  /** Why it was refused or could not be taken, for operators (the transmitter sees only `err`). */
  problem?: string;
  jti?: string;
  txn?: string;
  /** The SET's `iat` (ISO 8601). */
  issuedAt?: string;
  /** The events' short names (session-revoked, ...). */
  events?: string[];
  /** The subject's shape (email, iss_sub, complex(user:email,device:iss_sub), ...), never all of it. */
  subject?: string;
  /** Whom it named, as Ward can act on them: "email:ann@example.com", "sub:...". */
  facts?: string[];
  /** How many denylist and directory changes it made. */
  changes?: number;
  /** Refusals and posture holds it carried that a later clear of the same transmitter had answered: not applied. */
  superseded?: number;
  /** A verification event's state (`ward ssf verify` looks for it). */
  state?: string;
  /** A stream-updated event's new status. */
  streamStatus?: string;
}

const OUTCOMES: ReadonlySet<string> = new Set<SsfDelivery>([
  "applied",
  "unmapped",
  "no-effect",
  "stream",
  "superseded",
  "duplicate",
  "refused",
  "retry",
]);

const optionalString = (v: unknown) => v === undefined || typeof v === "string";

/** An object that is an ssf-event line, typed; undefined for anything else (a log mixes every kind of line). */
export function asSsfEventLine(value: unknown): SsfEventLine | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const v = value as Record<string, unknown>;
  if (v.event !== "ssf-event") return undefined;
  if (typeof v.time !== "string" || typeof v.transmitter !== "string" || typeof v.requestId !== "string")
    return undefined;
  if (typeof v.status !== "number" || typeof v.outcome !== "string" || !OUTCOMES.has(v.outcome)) return undefined;
  if (!["jti", "txn", "issuedAt", "subject", "state", "err", "problem"].every((k) => optionalString(v[k])))
    return undefined;
  for (const list of [v.events, v.facts])
    if (list !== undefined && !(Array.isArray(list) && list.every((x) => typeof x === "string"))) return undefined;
  return v as unknown as SsfEventLine;
}
