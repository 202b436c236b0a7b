// The decision-log line: the one JSON line the Worker writes for every request Ward answers, and what `ward why`,
// `ward metrics` and `ward shadow report` read back. One schema gives the type; the Worker builds its lines with
// decisionLine() / answerLine() and the CLI reads them with parseDecisionLine(), so writer and readers cannot
// drift apart (test/unit/decision-log.test.ts reads back what the builders write).
//
// Reading is strict about types and lenient about presence:
// - a known field of the wrong type (a status in quotes, reasons that are no list) makes the text no decision
//   line: the readers count it as skipped rather than guess at a value it may not mean;
// - the fields every line has always carried (level, event, requestId, effect, reasons, status) are required;
//   the others are optional: Ward's own answers carry no policy decision, and lines written before a field
//   existed (no `time`, `host`, `credential`, ...) still count wherever they can;
// - what a newer Ward may add is read, not refused: unknown fields are dropped, and reasons, problems and kinds
//   are read as text, not checked against this Ward's lists. A log outlives the CLI that reads it, and a line
//   refused for a new reason would hide a request from `ward why` and a denial from `ward metrics`.
import * as z from "zod";
import { REQUEST_PROBLEMS, type RequestProblem } from "./canonical-target.ts";
import type { CredentialSeen } from "./credential.ts";
import { REASONS, type AnswerReason, type Decision, type Reason, type RuleTrace } from "./decision.ts";
import type { DeliveryReason } from "./status.ts";
import type { WebSocketOutcome } from "./websocket/upgrade.ts";

const effect = z.enum(["allow", "deny"]);

const credential = z.object({
  /** `access-jwt`, `client-certificate` or `workload-token` today. */
  kind: z.string(),
  /** How long it was issued for: `exp - iat` of a token, `notAfter - notBefore` of a certificate. */
  lifetimeSeconds: z.number(),
  /** How long it had left at the request; absent on lines written before it was logged. */
  remainingSeconds: z.number().optional(),
  /** The token's `iss` (the Access team domain for an Access token); absent for certificates. */
  issuer: z.string().optional(),
});

/** One rule as the decision considered it: whether it applied, and if not, which facts failed (for `ward why`). */
const tracedRule = z.object({
  rule: z.string(),
  effect: z.string(),
  outcome: z.string(),
  detail: z.array(z.string()),
});

/** The time-bounded grant that allowed the request (GrantRef): `ward metrics` ages it from its bounds. */
const grant = z.object({
  id: z.string(),
  /** `exception` or `break-glass`. */
  kind: z.string().optional(),
  notBefore: z.string().optional(),
  notAfter: z.string().optional(),
  maxUses: z.number().optional(),
});

export const decisionLineSchema = z.object({
  /** `error` for an answer of 500 or more (logAnswer), else `info`. */
  level: z.enum(["info", "warn", "error"]),
  event: z.literal("decision"),
  /** When the request arrived, ISO 8601. */
  time: z.string().optional(),
  /** The id the client was given (`Ward-Request-Id`, the refusal's body, the denied page). */
  requestId: z.string(),
  /** Who called (`anonymous` when nobody was verified); absent on answers given before anyone was identified. */
  principal: z.string().optional(),
  /** The canonical target when there is one, else the request as received; the path never has its query. */
  method: z.string().optional(),
  host: z.string().optional(),
  path: z.string().optional(),
  service: z.string().nullable().optional(),
  /** Qualified route id, service/route. */
  route: z.string().nullable().optional(),
  /** Qualified rule id, service/route/rule. */
  rule: z.string().nullable().optional(),
  /** null on the answers of Ward's own paths: they are not decisions. */
  effect: effect.nullable(),
  mode: z.enum(["enforce", "audit"]).optional(),
  /** REASONS, or one of ANSWER_REASONS for an answer without a decision. */
  reasons: z.array(z.string()),
  /** Why a bad request was refused (a RequestProblem: path-dot-segment, query-method-override, ...). */
  problem: z.string().optional(),
  /** In audit mode: what enforce mode would have answered (no `rule` when no rule denied; null read alike). */
  wouldDeny: z
    .object({ status: z.number(), reasons: z.array(z.string()), rule: z.string().nullable().optional() })
    .nullable()
    .optional(),
  /**
   * On a refusal, or an allow that a deny would have refused (audit): every rule considered and why it did or
   * did not apply, as `ward explain` shows them. Bounded; never on a plain allow (the hot path stays small).
   */
  trace: z.array(tracedRule).optional(),
  /** The status the client got (after an allow: the origin's, or Ward's own when forwarding failed). */
  status: z.number().int(),
  policyVersion: z.string().optional(),
  latencyMs: z.number().optional(),
  /** The verified credential behind the principal. */
  credential: credential.nullable().optional(),
  /** Not written by this Ward: read so that a Worker logging every credential of a request counts them all. */
  credentials: z.array(credential).optional(),
  exception: grant.nullable().optional(),
  /** Request headers the origin was not sent: names only, never values. */
  droppedHeaders: z.array(z.string()).optional(),
  /**
   * Why an allowed request was answered by Ward instead of its origin (policy/status.ts DELIVERY_REASONS), or
   * `websocket-opened` for an upgrade Ward relays (its close is a `websocket-closed` line, same request id).
   */
  outcome: z.string().optional(),
  /** What the shadow candidate decided for the same request, when one is set. */
  shadow: z
    .object({
      version: z.string(),
      effect,
      status: z.number(),
      route: z.string().nullable(),
      rule: z.string().nullable(),
      reasons: z.array(z.string()),
    })
    .optional(),
  /** What went wrong, for `internal-error` (never a token). */
  error: z.string().optional(),
  /** Refused by the denylist: its entry, and the security event's jti and transmitter when one put it there. */
  listedBy: z.object({ entry: z.string(), jti: z.string().optional(), transmitter: z.string().optional() }).optional(),
});

/** One decision-log line as the Worker writes it and the CLI reads it. */
export type DecisionLine = z.infer<typeof decisionLineSchema>;

/** The line `value` is (an object already parsed, e.g. out of a log export's wrapper), or undefined. */
export function asDecisionLine(value: unknown): DecisionLine | undefined {
  const result = decisionLineSchema.safeParse(value);
  return result.success ? result.data : undefined;
}

/** One line of text as the Worker writes it: its decision, or undefined for other events, text, broken JSON. */
export function parseDecisionLine(text: string): DecisionLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return asDecisionLine(value);
}

/** A decided request, as the gateway hands it to the decision log. */
export interface DecisionRecord {
  requestId: string;
  /** When the request arrived (ms since epoch). */
  time: number;
  decision: Decision;
  /** The request as received, for denials that matched no service (the canonical target when there is one). */
  request: { method: string; host: string; path: string };
  /** The verified credential behind the principal, if any. */
  credential?: CredentialSeen;
  /** What the shadow candidate decided for the same request, when one is set. */
  shadow?: Decision;
  /** Request headers the origin was not sent (names only, never values), so an app that breaks can see why. */
  droppedHeaders?: string[];
  /** Why the allowed request was not forwarded, when it was not (rate limit, assertion, origin); or that it was upgraded. */
  outcome?: DeliveryReason | WebSocketOutcome;
  status: number;
  latencyMs: number;
}

const TRACE_RULES = 32;
const TRACE_DETAILS = 8;
const DETAIL_LENGTH = 300;

/** The trace as logged: a bounded number of rules and facts, each fact cut to a bounded length. */
function boundedTrace(trace: readonly RuleTrace[]): DecisionLine["trace"] {
  return trace.slice(0, TRACE_RULES).map((t) => ({
    rule: t.rule,
    effect: t.effect,
    outcome: t.outcome,
    detail: t.detail
      .slice(0, TRACE_DETAILS)
      .map((d) => (d.length > DETAIL_LENGTH ? `${d.slice(0, DETAIL_LENGTH)}…` : d)),
  }));
}

/**
 * A path as logged: printable ASCII as it came, anything else percent-encoded (UTF-8), so a raw target that
 * bare workerd hands over (`/\u202e...`, U+2028, C1 controls) never reaches a log viewer or a terminal as is.
 */
function printablePath(path: string): string {
  return path.replace(/[^\x21-\x7e]/gu, (c) => {
    try {
      return encodeURIComponent(c);
    } catch {
      return "%EF%BF%BD";
    }
  });
}

/**
 * The line of a decided request. No tokens, no secrets, no header values. One literal with every field in its
 * place: a field left undefined is not written (JSON.stringify skips it), and every line is an object of one
 * shape, so the hot path builds no object per combination of fields present.
 */
export function decisionLine(record: DecisionRecord): DecisionLine {
  const { decision, shadow } = record;
  const target = decision.target ?? record.request;
  return {
    // An answer of 500 or more is an outage to alert on (denylist-unavailable, origin-error, ...), decided or not.
    level: record.status >= 500 ? "error" : "info",
    event: "decision",
    time: new Date(record.time).toISOString(),
    requestId: record.requestId,
    principal: decision.principal,
    // The path without its query: queries may carry personal data or secrets.
    method: target.method,
    host: target.host,
    path: printablePath(target.path),
    service: decision.service ?? null,
    route: decision.route ?? null,
    rule: decision.rule ?? null,
    effect: decision.effect,
    mode: decision.mode,
    reasons: decision.reasons,
    // Why a bad request was refused (path-dot-segment, query-method-override, ...).
    problem: decision.problem || undefined,
    wouldDeny: decision.wouldDeny ?? null,
    trace:
      decision.trace.length > 0 && (decision.effect === "deny" || decision.wouldDeny)
        ? boundedTrace(decision.trace)
        : undefined,
    status: record.status,
    policyVersion: decision.policyVersion,
    latencyMs: record.latencyMs,
    credential: record.credential ?? null,
    exception: decision.exception ?? null,
    droppedHeaders: record.droppedHeaders || undefined,
    outcome: record.outcome || undefined,
    listedBy: decision.listedBy || undefined,
    shadow: shadow
      ? {
          version: shadow.policyVersion,
          effect: shadow.effect,
          status: shadow.status,
          route: shadow.route ?? null,
          rule: shadow.rule ?? null,
          reasons: shadow.reasons,
        }
      : undefined,
  };
}

/** A request Ward answered without a policy decision (ANSWER_REASONS): no policy, an unexpected error, its own paths. */
export interface AnswerRecord {
  requestId: string;
  time: number;
  /** As received: the raw path, without the query. */
  request: { method: string; host: string; path: string };
  reason: AnswerReason;
  status: number;
  latencyMs: number;
  /** Who called, when the answer's handler identified the caller (portal, admin API). */
  principal?: string;
  /** What went wrong, for `internal-error` (never a token). */
  error?: string;
}

/** Ward's own paths are not decisions: no effect, so `ward metrics` counts them neither allowed nor denied. */
const OWN_PATHS: ReadonlySet<string> = new Set<AnswerReason>(["ward-key-set", "ward-portal", "ward-admin", "ward-ssf"]);

/** Whether a logged reason is one of Ward's own paths (key set, portal, admin API, security-event receiver). */
export const isOwnPathReason = (reason: string): boolean => OWN_PATHS.has(reason);

/**
 * The line of an answer without a decision, in the decision log's shape (event "decision", the request id the
 * client was given, status, reasons), so `ward why` and `ward metrics` see every answered request.
 */
export function answerLine(record: AnswerRecord): DecisionLine {
  return {
    level: record.status >= 500 ? "error" : "info",
    event: "decision",
    time: new Date(record.time).toISOString(),
    requestId: record.requestId,
    ...(record.principal ? { principal: record.principal } : {}),
    method: record.request.method,
    host: record.request.host,
    path: printablePath(record.request.path),
    effect: isOwnPathReason(record.reason) ? null : "deny",
    reasons: [record.reason],
    status: record.status,
    latencyMs: record.latencyMs,
    ...(record.error ? { error: record.error } : {}),
  };
}

const KNOWN_REASONS: ReadonlySet<string> = new Set(REASONS);

/** The reasons of a line that this Ward's policy knows (a newer Ward's, or an answer's, are left out). */
export function knownReasons(reasons: readonly string[]): Reason[] {
  return reasons.filter((r): r is Reason => KNOWN_REASONS.has(r));
}

const KNOWN_PROBLEMS: ReadonlySet<string> = new Set(REQUEST_PROBLEMS);

const isTargetProblem = (problem: string): problem is RequestProblem => KNOWN_PROBLEMS.has(problem);

/** A line's problem when this Ward knows it, else undefined. */
export function knownProblem(problem: string | undefined): RequestProblem | undefined {
  return problem !== undefined && isTargetProblem(problem) ? problem : undefined;
}
