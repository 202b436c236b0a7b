// `ward why`: the decision behind one request, found by the request id a denied person or an API client was
// given, in words a developer can act on. It reads the decision logs `ward metrics` reads.
import { parseArgs } from "node:util";
import {
  auditLine,
  closeCauseText,
  DELIVERY_REASONS,
  decidedByLine,
  type DeliveryReason,
  isOwnPathReason,
  knownProblem,
  knownReasons,
  nextStep,
  traceLines,
  type DecisionLine,
  type DecisionOutcome,
  type NextStepContext,
  type WebSocketCloseLine,
  WEBSOCKET_OPENED,
} from "../../policy/index.ts";
import { CliError, EXIT } from "../cli-error.ts";
import { type Io, oneLine } from "../io.ts";
import { parseDecisionLog, websocketClosesIn } from "../logs/parse.ts";
import { readLogTexts, readProcessStdin, type ReadStdin } from "../logs/read.ts";
import { duration } from "../metrics/format.ts";
import { SCRIPT_HELP, SCRIPT_USAGE, scriptFlag, scriptOption } from "../logs/script-flag.ts";
import { loadPolicyFile } from "../policy-file.ts";

export const usage = `ward why REQUEST_ID LOG... [--policy FILE] [--json] ${SCRIPT_USAGE}
    the decision behind one request (the id on its response or denied page), from decision logs (- is
    stdin): who asked for what, the answer, the reasons and what to do next (--policy: whom to ask); for a
    WebSocket upgrade, how and when its connection closed
    ${SCRIPT_HELP}`;

/**
 * What to do about an allowed request Ward answered itself: the logged `outcome` says which of its steps failed
 * (policy/status.ts DELIVERY_REASONS), so the step names that one rather than "Ward or the origin".
 */
const DELIVERY_STEPS: Record<DeliveryReason, string> = {
  "rate-limited":
    "Ward's own rate limit (the rule's) was reached (429); the origin was not asked: wait, the response's Retry-After says how long, or ask for a higher limit",
  "rate-limit-unavailable":
    "Ward allowed it; its rate-limit store (RATE_LIMITER) did not answer and the rule does not fail open (503), so nothing was forwarded: see the gateway's rate-limit-unavailable error lines (they name the rule), then retry",
  "assertion-unavailable":
    "Ward allowed it; it could not sign the assertion (ASSERTION_SIGNING_KEYS unusable, 503), so nothing was forwarded: see the gateway's assertion-keys-unusable line with this request id, then fix the key set (ward keygen)",
  "origin-unavailable":
    "Ward allowed it; the service's origin has no binding the Worker can call (503), so nothing was forwarded: check the service's origin tunnel and the environment's bindings (ward doctor)",
  "origin-error":
    "Ward allowed it and forwarded it; the origin failed (502: no answer, or a broken one): look at the origin",
  "origin-timeout":
    "Ward allowed it and forwarded it; the origin did not answer in time (504, ORIGIN_TIMEOUT_MS): look at the origin",
};

const KNOWN_DELIVERY: ReadonlySet<string> = new Set(DELIVERY_REASONS);
const isDeliveryReason = (outcome: string | undefined): outcome is DeliveryReason =>
  outcome !== undefined && KNOWN_DELIVERY.has(outcome);

/** What to do, from the answer the client got; the reasons decide for denials. */
function advice(record: DecisionLine, context: NextStepContext): string | undefined {
  const { status, reasons } = record;
  // Logged by the gateway itself when it had no policy to decide with (a cold isolate and KV unreadable):
  // not one of the policy's reasons.
  if (reasons.includes("policy-unavailable")) {
    return "the gateway had no usable policy (503): check the policy store (ward history; the gateway's policy-* error lines), then retry";
  }
  if (reasons.includes("internal-error")) {
    // 503: an admin call whose Durable Object the platform said did not answer (worker/admin/store-fault.ts).
    if (status === 503)
      return "a store Ward keeps its state in did not answer (503); nothing was forwarded: retry, and after a change (a push, revocation or grant) check first whether it was made (ward history, ward revoke list, ward exceptions list)";
    return "Ward failed unexpectedly (500); nothing was forwarded: the line's error says where, report it with the request id";
  }
  // Answered by one of Ward's own paths (key set, portal, admin API): no policy decision to act on.
  if (reasons.some(isOwnPathReason)) {
    if (status === 401) return "sign in (Access) and retry";
    if (status === 403)
      return "the caller is not allowed there (not an admin, or revoked or quarantined): see the gateway's lines with this request id";
    if (status === 503)
      return "Ward could not answer (no policy, denylist or signing key): see the gateway's error lines, then retry";
    return undefined;
  }
  // nextStep knows this Ward's reasons and problems; a newer Ward's are shown above, not advised on.
  const outcome: DecisionOutcome = {
    effect: record.effect === "allow" ? "allow" : "deny",
    reasons: knownReasons(reasons),
    route: record.route || undefined,
    problem: knownProblem(record.problem),
    ...(record.wouldDeny ? { wouldDeny: record.wouldDeny } : {}),
  };
  // After an allow the status is the origin's answer, or Ward's own when forwarding failed: the line's outcome
  // says which. A line without one (a Ward from before it was logged, or a newer Ward's outcome) cannot be told
  // apart, so the step names both.
  if (outcome.effect === "allow" && isDeliveryReason(record.outcome)) return DELIVERY_STEPS[record.outcome];
  if (outcome.effect === "allow" && status >= 400) {
    if (status === 429)
      return "a rate limit was reached (the rule's, or the origin's own): wait, the response's Retry-After says how long, or ask for a higher limit";
    if (status === 502 || status === 504)
      return `Ward allowed it; the origin ${status === 504 ? "did not answer in time" : "failed"} (${status}): look at the origin`;
    if (status === 503)
      return "Ward allowed it; Ward could not complete it (signing key, rate-limit state or origin binding unavailable: the gateway's error lines carry this request id) or the origin answered 503 itself";
    return `Ward allowed it; the origin answered ${status} itself: look at the origin`;
  }
  return nextStep(outcome, { ...context, ...(record.trace ? { trace: record.trace } : {}) });
}

/**
 * How the connection an upgrade opened ended (its close line, same request id), or that these logs do not say.
 * A client was only told "access ended": the cause is for the operator.
 */
function websocketLine(record: DecisionLine, closed: WebSocketCloseLine | undefined): string | undefined {
  if (!closed) {
    return record.outcome === WEBSOCKET_OPENED
      ? "websocket opened; no close line in these logs (still open, or it closed after they end)"
      : undefined;
  }
  const seconds = Math.round(closed.durationMs / 100) / 10;
  return (
    `websocket closed: ${closed.cause} after ${duration(seconds)} (code ${closed.code}; ` +
    `${closed.messagesFromClient} messages from the client, ${closed.messagesFromOrigin} from the origin): ` +
    closeCauseText(closed.cause)
  );
}

/**
 * The denylist entry that refused a revoked or quarantined caller, and the security event that put it there
 * when one did: what `ward revoke list` / `ward quarantine list` and the transmitter know it by.
 */
function listedByLine(listedBy: DecisionLine["listedBy"]): string | undefined {
  if (!listedBy) return undefined;
  const from = listedBy.transmitter ? ` from transmitter ${listedBy.transmitter}` : "";
  const event = listedBy.jti ? ` (security event jti ${listedBy.jti}${from})` : from ? ` (${from.trim()})` : "";
  return `listed by ${listedBy.entry}${event}`;
}

/** What the shadow candidate would have answered the same request (ward shadow report counts these). */
function shadowLine(shadow: DecisionLine["shadow"]): string | undefined {
  if (!shadow) return undefined;
  const version = shadow.version ? `${shadow.version.slice(0, 12)} ` : "";
  return `shadow    ${version}would answer ${shadow.effect.toUpperCase()} ${shadow.status} (${shadow.reasons.join(", ")})`;
}

function recordLines(
  record: DecisionLine,
  closed: WebSocketCloseLine | undefined,
  context: NextStepContext,
  policyNote: string | undefined,
): string[] {
  const owner = context.owner;
  const lines: string[] = [];
  // Ward's own paths answer without a decision: their lines have no effect.
  const answer =
    record.effect === null
      ? `${record.status} (Ward's own path, no policy decision)`
      : `${record.effect.toUpperCase()} ${record.status}`;
  lines.push(`request   ${record.requestId}${record.time ? ` at ${record.time}` : ""}`);
  // A line from before the request was decided (no policy) has only the id, the answer and the reason.
  if (record.principal) lines.push(`caller    ${record.principal}`);
  if (record.method && record.host) lines.push(`asked     ${record.method} ${record.host}${record.path ?? ""}`);
  const mode = record.mode ? `  mode ${record.mode}` : "";
  const version = record.policyVersion ? `  policy ${record.policyVersion.slice(0, 12)}` : "";
  lines.push(`answer    ${answer}${mode}${version}`);
  if (record.service) lines.push(`service   ${record.service}${owner ? ` (owner ${owner})` : ""}`);
  if (record.route) lines.push(`route     ${record.route}`);
  if (record.rule) lines.push(decidedByLine(record.rule, record.route ?? undefined));
  if (record.exception) lines.push(`decided by ${record.exception.kind ?? "grant"} ${record.exception.id}`.trimEnd());
  lines.push(`reasons   ${record.reasons.join(", ")}`);
  const listedBy = listedByLine(record.listedBy);
  if (listedBy) lines.push(listedBy);
  // Why Ward answered an allowed request itself; an upgrade's is the websocket line below.
  if (record.outcome && record.outcome !== WEBSOCKET_OPENED) lines.push(`outcome   ${record.outcome}`);
  if (record.error) lines.push(`error     ${record.error}`);
  const websocket = websocketLine(record, closed);
  if (websocket) lines.push(websocket);
  if (record.problem) lines.push(`problem   ${record.problem}`);
  const audit = auditLine(record);
  if (audit) lines.push(audit);
  const shadow = shadowLine(record.shadow);
  if (shadow) lines.push(shadow);
  // The failing facts, as `ward explain` shows them (logged with refusals).
  lines.push(...traceLines(record.trace ?? []));
  if (policyNote) lines.push(policyNote);
  const next = advice(record, context);
  if (next) lines.push(`next step ${next}`);
  return lines;
}

/** `readStdin` is for tests; the CLI reads the process's standard input. */
export async function whyCommand(args: string[], io: Io, readStdin: ReadStdin = readProcessStdin): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { policy: { type: "string" }, json: { type: "boolean", default: false }, ...scriptOption },
  });
  const [requestId, ...logs] = positionals;
  if (!requestId || logs.length === 0) throw new CliError(`expected REQUEST_ID LOG...\n${usage}`);
  const script = scriptFlag(values.script);
  if (logs.filter((f) => f === "-").length > 1) throw new CliError("standard input (-) can be read once only");
  // Read once (standard input can be), searched twice: the decision, and an upgrade's close line.
  const texts = await readLogTexts(logs, readStdin);
  const records = texts.flatMap((text) => parseDecisionLog(text, script).records);
  const id = requestId.trim().toLowerCase();
  const record = records.find((r) => r.requestId.toLowerCase() === id);
  if (!record)
    throw new CliError(
      `no decision with request id ${requestId} in ${logs.join(", ")} (${records.length} decisions read)`,
      EXIT.failed,
    );
  const closed = texts.flatMap((text) => websocketClosesIn(text, script)).find((c) => c.requestId.toLowerCase() === id);
  if (values.json) {
    io.out(JSON.stringify(closed ? { ...record, websocketClosed: closed } : record, null, 2));
    return EXIT.ok;
  }
  const context: NextStepContext = {};
  let policyNote: string | undefined;
  if (values.policy) {
    const policy = await loadPolicyFile(values.policy, io.err);
    const owner = record.service ? policy.document.services[record.service]?.owner : undefined;
    if (owner) context.owner = owner;
    context.securityContact = policy.document.metadata.owners.join(", ");
    // The owner is looked up in the file given; say so when it is not the version that decided.
    if (record.policyVersion && record.policyVersion !== policy.version) {
      policyNote = `note      ${values.policy} is version ${policy.version.slice(0, 12)}, not the one that decided`;
    }
  }
  for (const line of recordLines(record, closed, context, policyNote)) io.out(oneLine(line));
  return EXIT.ok;
}
