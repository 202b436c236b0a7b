// Poll delivery (RFC 8936) for transmitters that only offer polling: the transmitter's SsfReplay object, from its
// alarm, asks the stream's poll endpoint for SETs ({ack, setErrs, returnImmediately: true, maxEvents}), takes each
// exactly as a pushed one is taken (receive.ts takeToken: the same checks, the same replay store, the same
// effects and log line, with delivery "poll"), acknowledges those taken, and reports those refused in `setErrs`
// with the RFC 8935 error code. One Ward cannot take now is neither: the transmitter delivers it again.
//
// Bounded work per alarm: at most MAX_ROUNDS requests of at most `maxEvents` SETs each and one acknowledgement
// request, each answer read to at most MAX_POLL_BYTES, each request given up after POLL_TIMEOUT_MS. Redirects
// are never followed (a poll endpoint that moved is a failure, not a reason to send the bearer token elsewhere).
// A failed poll waits longer each time (`every` doubled per failure, at most an hour); acknowledgements lost with
// a failed request are sent again when the SETs come again, as duplicates.
import { durationSeconds, type SetErrorCode, type SsfTransmitter } from "../../policy/index.ts";
import type { Env } from "../env.ts";
import { logEvent } from "../log/events.ts";
import { activePolicy } from "../policy-store/store.ts";
import { objectMembers } from "../../policy/json-members.ts";
import { readBounded } from "../../policy/read-bounded.ts";
import { authorizationSecret, MAX_SET_BYTES, outcomeLine, takeToken, writeLine, type ReplayStore } from "./receive.ts";
import { SET_ERROR_DESCRIPTIONS } from "./respond.ts";

const utf8 = new TextEncoder();

/** Poll requests per alarm that may bring SETs (then one more that only acknowledges). */
export const MAX_ROUNDS = 4;
/** An answer larger than this is refused unread: 100 SETs of a few kilobytes fit many times over. */
export const MAX_POLL_BYTES = 1024 * 1024;
export const POLL_TIMEOUT_MS = 10_000;
const MAX_BACKOFF_MS = 3600_000;
/** With more available at the transmitter, the next alarm comes this soon. */
const MORE_AVAILABLE_MS = 1_000;
const MAX_JTI = 256;

export type PollResult =
  | { kind: "ok"; nextInMs: number }
  | { kind: "failed"; problem: string; nextInMs: number }
  /** The active policy polls no transmitter with this issuer. */
  | { kind: "stopped" };

type SetErr = { err: SetErrorCode; description: string };

interface PollAnswer {
  /** Each entry as delivered: `token` undefined when the entry is no SET at all (not a string, or its key no jti). */
  sets: [jti: string, token: string | undefined][];
  moreAvailable: boolean;
}

function backoff(everyMs: number, failures: number): number {
  return Math.min(everyMs * 2 ** Math.min(failures + 1, 20), MAX_BACKOFF_MS);
}

/**
 * The answer's SETs, or why it is not one (RFC 8936 §2.5: {sets: {jti: SET}, moreAvailable}). An entry that is no
 * SET (a value that is not a string, a key that is no jti Ward takes) is judged alone, as a pushed one would be:
 * refusing the whole answer would hold every SET after it back, since the transmitter delivers it again as it was.
 */
function parseAnswer(text: string): PollAnswer | string {
  let value: unknown;
  try {
    value = JSON.parse(text === "" ? "{}" : text);
  } catch {
    return "answer-not-json";
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return "answer-not-object";
  const { sets, moreAvailable } = value as { sets?: unknown; moreAvailable?: unknown };
  if (sets !== undefined && (sets === null || typeof sets !== "object" || Array.isArray(sets)))
    return "answer-sets-not-object";
  // Each entry as written, a jti given twice twice: JSON.parse keeps only the last, and the first SET under it
  // would be neither taken nor reported, lost if it was a revocation. Each is taken as a push would be.
  const setsText = sets === undefined ? "{}" : objectMembers(text)!.findLast(([name]) => name === "sets")![1];
  const entries = objectMembers(setsText)!.map(([jti, value]): [string, string | undefined] => {
    const token: unknown = JSON.parse(value);
    return [jti, jti.length > 0 && jti.length <= MAX_JTI && typeof token === "string" ? token : undefined];
  });
  return { sets: entries, moreAvailable: moreAvailable === true };
}

async function request(
  endpoint: string,
  authorization: string,
  body: Record<string, unknown>,
): Promise<{ ok: true; text: string } | { ok: false; problem: string }> {
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: "POST",
      redirect: "manual",
      headers: { authorization, "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(POLL_TIMEOUT_MS),
    });
  } catch (error) {
    return { ok: false, problem: `poll-unreachable: ${String(error)}` };
  }
  if (res.status !== 200 && res.status !== 202 && res.status !== 204) {
    await res.body?.cancel();
    return { ok: false, problem: `poll-status-${res.status}` };
  }
  const read = await readBounded(res, MAX_POLL_BYTES);
  return read.ok ? { ok: true, text: read.text } : { ok: false, problem: "poll-answer-too-large-or-not-utf8" };
}

/** One alarm's polling of the transmitter with `issuer`; `replay` is the calling object itself. */
export async function pollTransmitter(
  env: Env,
  issuer: string,
  replay: ReplayStore,
  failures: number,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<PollResult> {
  const policy = await activePolicy(env, Date.now(), waitUntil);
  if (!policy) return { kind: "failed", problem: "policy-unavailable", nextInMs: backoff(30_000, failures) };
  const signals = policy.document.sharedSignals;
  const found = signals
    ? Object.entries(signals.transmitters).find(([, t]) => t.issuer === issuer && t.poll !== undefined)
    : undefined;
  if (!signals || !found) return { kind: "stopped" };
  const [name, transmitter] = found as [string, SsfTransmitter & { poll: NonNullable<SsfTransmitter["poll"]> }];
  const { poll } = transmitter;
  const everyMs = durationSeconds(poll.every) * 1000;
  const failed = (problem: string): PollResult => {
    logEvent("error", "ssf-poll-failed", { transmitter: name, problem, failures: failures + 1 });
    return { kind: "failed", problem, nextInMs: backoff(everyMs, failures) };
  };
  const authorization = authorizationSecret(env, poll.authorization);
  if (authorization === undefined) return failed("authorization-secret-missing");

  let ack: string[] = [];
  // A Map, not an object: a SET delivered as `__proto__` is reported like any other.
  let setErrs = new Map<string, SetErr>();
  const reported = () => (setErrs.size > 0 ? { setErrs: Object.fromEntries(setErrs) } : {});
  let more = false;
  let problem: string | undefined;
  for (let round = 0; round < MAX_ROUNDS && problem === undefined; round++) {
    const body = { ack, ...reported(), returnImmediately: true, maxEvents: poll.maxEvents };
    const reply = await request(poll.endpoint, authorization, body);
    if (!reply.ok) return failed(reply.problem);
    // Sent: acknowledged and reported, whatever comes of this round's SETs.
    ack = [];
    setErrs = new Map();
    const answer = parseAnswer(reply.text);
    if (typeof answer === "string") return failed(answer);
    more = answer.moreAvailable || answer.sets.length > poll.maxEvents;
    // More than asked for: the rest is left unacknowledged, delivered again.
    for (const [jti, token] of answer.sets.slice(0, poll.maxEvents)) {
      const now = Date.now();
      const outcome =
        token === undefined
          ? ({ kind: "refused", err: "invalid_request", problem: "answer-set-malformed" } as const)
          : // In bytes, as a pushed SET's body is bounded (a JWS is ASCII, but the answer is not ours to trust).
            utf8.encode(token).byteLength > MAX_SET_BYTES
            ? ({ kind: "refused", err: "invalid_request", problem: "set-too-large" } as const)
            : await takeToken(token.trim(), {
                env,
                name,
                transmitter,
                signals,
                policy,
                now,
                waitUntil,
                replay,
                deliveredAs: jti,
              });
      writeLine(
        outcomeLine(outcome, {
          time: new Date(now).toISOString(),
          requestId: crypto.randomUUID(),
          transmitter: name,
          delivery: "poll",
        }),
      );
      // One answer for a jti delivered twice: acknowledged when either was taken (another SET under a taken jti
      // is refused, as a push is, and logged so), else the refusal.
      if (outcome.kind === "accepted") {
        if (!ack.includes(jti)) ack.push(jti);
        setErrs.delete(jti);
      } else if (outcome.kind === "refused" && !ack.includes(jti))
        setErrs.set(jti, { err: outcome.err, description: SET_ERROR_DESCRIPTIONS[outcome.err] });
      else {
        // A SET Ward cannot take now: neither acknowledged nor refused. Stop here, so that it and the SETs after
        // it are delivered again in order, rather than a later one applied before it.
        problem = outcome.problem;
        break;
      }
    }
    if (!more) break;
  }
  if (ack.length > 0 || setErrs.size > 0) {
    const body = { ack, ...reported(), returnImmediately: true, maxEvents: 0 };
    const reply = await request(poll.endpoint, authorization, body);
    if (!reply.ok) return failed(reply.problem);
  }
  if (problem !== undefined) return failed(problem);
  return { kind: "ok", nextInMs: more ? MORE_AVAILABLE_MS : everyMs };
}

/** Starts the pollers of the policy's polling transmitters (after a policy is activated); failures are logged. */
export async function startPollers(env: Env, transmitters: Readonly<Record<string, SsfTransmitter>>): Promise<void> {
  await Promise.all(
    Object.entries(transmitters)
      .filter(([, t]) => t.poll !== undefined)
      .map(([name, t]) =>
        env.SSF_REPLAY.getByName(t.issuer)
          .startPolling(t.issuer)
          .catch((error: unknown) =>
            logEvent("error", "ssf-poll-start-failed", { transmitter: name, error: String(error) }),
          ),
      ),
  );
}
