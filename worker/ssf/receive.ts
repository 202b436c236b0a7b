// The push endpoint for Security Event Tokens (RFC 8935): POST /.ward/ssf/events/<transmitter>. A SET is taken
// only from a transmitter the active policy trusts (sharedSignals), signed with its keys and an accepted
// algorithm, for this Ward environment's audience, recent, never seen before, with exactly the subscribed event
// types; then what it does (policy/ssf/actions.ts) is written to the denylist in one call and it is answered 202.
// A bad SET changes nothing and is answered 400 with the RFC's error code; one Ward cannot take now (no policy,
// a store or the transmitter's key set unreachable, a bound reached) changes nothing and is answered 503, so the
// transmitter sends it again: nothing is lost. Every SET is logged once (an ssf-event line).
//
// Bounded work per request: the body is read to at most MAX_SET_BYTES, a SET holds at most MAX_EVENTS events and
// aliases at most 16 identifiers, one signature is verified (the key set is fetched at most every 30 s for an
// unknown kid), and at most four Durable Object calls are made (claim, apply, commit; release if applying failed;
// a verification event: claim, its state, commit or release).
import type { Context } from "hono";
import {
  checkSetClaims,
  checkSetHeader,
  durationSeconds,
  planSignals,
  SET_MEDIA_TYPE,
  canonicalJson,
  sha256Hex,
  subjectShape,
  type CompiledPolicy,
  type SetErrorCode,
  type SharedSignals,
  type SignalPlan,
  type SsfEventLine,
  type SsfTransmitter,
  TRANSMITTER_NAME,
  type ValidSet,
} from "../../policy/index.ts";
import { DENYLIST_NAME, type SignalResult } from "../denylist/store.ts";
import type { AppEnv, Env } from "../env.ts";
import { COMPACT_JWS } from "../identity/bearer.ts";
import { hasUniqueMembers } from "../../policy/json-members.ts";
import { logEvent } from "../log/events.ts";
import { activePolicy } from "../policy-store/store.ts";
import { readBounded } from "../../policy/read-bounded.ts";
import { onPeopleRefused } from "./hooks.ts";
import type { Claim, SsfReplay } from "./replay.ts";
import { keySetUnavailable, transmitterKeys, verifySet } from "./keys.ts";
import { methodNotAllowed, setAccepted, setLater, setRefused } from "./respond.ts";
import { joseCode } from "../shared/jose-code.ts";

/** A SET is a kilobyte or two; anything near this is not one. */
export const MAX_SET_BYTES = 64 * 1024;

const textDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function decodeSegment(segment: string): string | undefined {
  try {
    const binary = atob(segment.replace(/-/g, "+").replace(/_/g, "/"));
    return textDecoder.decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

/** The JSON a segment holds, with no member name twice at any depth (two readers must not read two values). */
function jsonSegment(text: string | undefined): { value: unknown } | undefined {
  if (text === undefined || !hasUniqueMembers(text)) return undefined;
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/**
 * The value of the Worker secret `name` holding an Authorization field value, or undefined when it is unset or
 * blank. Whitespace around it is not part of it: an HTTP field value never begins or ends with any (RFC 9110
 * 5.5), so a secret put from the dashboard with a newline or a space around it matched no push (each refused for
 * good, revocations with them, the log blaming the transmitter) and was a header fetch refused to send.
 */
export function authorizationSecret(env: Env, name: string): string | undefined {
  const value = env[name];
  const trimmed = typeof value === "string" ? value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "") : "";
  return trimmed === "" ? undefined : trimmed;
}

/** Compared in constant time (by digest, so lengths do not show either). */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  const digest = (s: string) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  return crypto.subtle.timingSafeEqual(a, b);
}

export type SetOutcome =
  | { kind: "refused"; err: SetErrorCode; problem: string; set?: ValidSet }
  | { kind: "later"; problem: string; set?: ValidSet }
  | { kind: "accepted"; line: Partial<SsfEventLine> };

/** Everything about one push but the answer and the log line (exported for the outage tests). */
export async function takeSet(
  request: Request,
  env: Env,
  name: string,
  now: number,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<SetOutcome> {
  const policy = await activePolicy(env, now, waitUntil);
  if (!policy) return { kind: "later", problem: "policy-unavailable" };
  const signals = policy.document.sharedSignals;
  const transmitter: SsfTransmitter | undefined =
    signals && Object.hasOwn(signals.transmitters, name) ? signals.transmitters[name] : undefined;
  if (!signals || !transmitter) return { kind: "refused", err: "invalid_issuer", problem: "unknown-transmitter" };

  const mediaType = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (mediaType !== SET_MEDIA_TYPE) return { kind: "refused", err: "invalid_request", problem: "content-type" };
  if (transmitter.authorization) {
    // The stream's authorization_header, a secret both sides hold: without it configured, nothing is taken. Asked
    // for again (503), not refused: a 4xx is never sent again, and the SETs pushed while the operator puts the
    // secret in place (the policy pushed first, a new environment) would be lost, revocations with them.
    const secret = authorizationSecret(env, transmitter.authorization);
    if (secret === undefined) {
      logEvent("error", "ssf-authorization-secret-missing", { transmitter: name, secret: transmitter.authorization });
      return { kind: "later", problem: "authorization-secret-missing" };
    }
    if (!(await sameSecret(request.headers.get("authorization") ?? "", secret)))
      return { kind: "refused", err: "authentication_failed", problem: "authorization" };
  }

  const body = await readBounded(request, MAX_SET_BYTES);
  if (!body.ok) return { kind: "refused", err: "invalid_request", problem: "body-too-large-or-not-utf8" };
  return takeToken(body.text.trim(), {
    env,
    name,
    transmitter,
    signals,
    policy,
    now,
    waitUntil,
    replay: replayStub(env, transmitter.issuer),
  });
}

/** What one SET is taken with, however it was delivered (pushed, or polled: worker/ssf/poll.ts). */
export interface TokenContext {
  env: Env;
  /** The transmitter's name in the policy. */
  name: string;
  transmitter: SsfTransmitter;
  signals: SharedSignals;
  policy: CompiledPolicy;
  now: number;
  waitUntil: (p: Promise<unknown>) => void;
  replay: ReplayStore;
  /** Polled: the jti the transmitter delivered it under, which must be its own. */
  deliveredAs?: string;
}

/** The replay store as the receiver uses it: the transmitter's SsfReplay object, or the object itself when it polls. */
export type ReplayStore = Pick<SsfReplay, "claim" | "commit" | "release" | "checkVerification">;

/** The transmitter's replay store, reached through its stub; a missing binding fails at the first call (503). */
function replayStub(env: Env, issuer: string): ReplayStore {
  const stub = () => env.SSF_REPLAY.getByName(issuer);
  return {
    claim: (jti, digest, issuedAt, now) => stub().claim(jti, digest, issuedAt, now),
    commit: (jti, digest, issuedAt) => stub().commit(jti, digest, issuedAt),
    release: (jti, claimedAt) => stub().release(jti, claimedAt),
    checkVerification: (state, now) => stub().checkVerification(state, now),
  };
}

/**
 * One SET, the same checks and effects however it arrived: a compact JWS, signed by the transmitter's key with an
 * accepted algorithm, its claims (policy/ssf/set.ts), a verification's state, never seen before; then applied.
 */
export async function takeToken(token: string, ctx: TokenContext): Promise<SetOutcome> {
  const { env, name, transmitter, signals, policy, now, waitUntil, replay } = ctx;
  if (!COMPACT_JWS.test(token)) return { kind: "refused", err: "invalid_request", problem: "not-a-compact-jws" };
  const [headerPart, payloadPart] = token.split(".") as [string, string, string];
  const header = jsonSegment(decodeSegment(headerPart));
  const payloadText = decodeSegment(payloadPart);
  const payload = jsonSegment(payloadText);
  if (!header || !payload) return { kind: "refused", err: "invalid_request", problem: "not-json-or-duplicate-members" };
  const headerProblem = checkSetHeader(header.value, transmitter.algorithms);
  if (headerProblem) return { kind: "refused", ...headerProblem };

  const keys = transmitterKeys(transmitter);
  // A remote set fetched within the cooldown is not fetched again for an unknown kid: such a SET may be signed
  // with a key the transmitter has just published, and is asked for again (503) rather than refused for good.
  const coolingDown = (keys as { coolingDown?: boolean }).coolingDown === true;
  try {
    await verifySet(token, keys, transmitter.algorithms);
  } catch (error) {
    const code = joseCode(error);
    // The key set could not be had: the SET may be good, so it is sent again rather than lost.
    if (keySetUnavailable(code)) return { kind: "later", problem: `keys-unavailable: ${code ?? String(error)}` };
    if (code === "ERR_JWKS_NO_MATCHING_KEY" && coolingDown) return { kind: "later", problem: "keys-cooling-down" };
    return { kind: "refused", err: "invalid_key", problem: code ?? "invalid-key" };
  }

  // The pure reading of the claims: a SET it cannot read is refused, never a 500 (a pushed SET would be sent
  // again and again) nor an end to a poll (the SETs delivered after it would wait behind it for days).
  let set: ValidSet;
  let plan: SignalPlan;
  try {
    const checked = checkSetClaims(
      payload.value,
      {
        issuer: transmitter.issuer,
        audience: signals.audience,
        subscribed: new Set(transmitter.events),
        ...(transmitter.criticalSubjectMembers ? { criticalMembers: new Set(transmitter.criticalSubjectMembers) } : {}),
      },
      now,
    );
    if (!checked.ok) return { kind: "refused", err: checked.err, problem: checked.problem };
    set = checked.set;
    const teamDomain = policy.document.identity.access?.teamDomain;
    plan = planSignals(set, {
      transmitter: name,
      holdForSeconds: durationSeconds(signals.holdFor),
      subIssuers: new Set([...(teamDomain ? [teamDomain] : []), ...(transmitter.subIssuers ?? [])]),
      nowMs: now,
    });
  } catch (error) {
    return { kind: "refused", err: "invalid_request", problem: `unreadable: ${String(error).slice(0, 200)}` };
  }
  // Acknowledging one jti for another SET would tell the transmitter the wrong SET was taken.
  if (ctx.deliveredAs !== undefined && ctx.deliveredAs !== set.jti)
    return { kind: "refused", err: "invalid_request", problem: "poll-jti-mismatch", set };

  let claim: Claim;
  let digest: string;
  try {
    // The SET by its claims, not its signature: the same SET signed again for a retry is the same SET. (Its depth
    // is bounded by checkSetClaims; whatever else fails here is a refusal too, never a 500 or a stalled poll.)
    digest = await sha256Hex(canonicalJson(payload.value));
  } catch (error) {
    return { kind: "refused", err: "invalid_request", problem: `unreadable: ${String(error).slice(0, 200)}`, set };
  }
  try {
    // A deployment without the binding (an environment not yet upgraded) answers 503 here too, never 500.
    claim = await replay.claim(set.jti, digest, set.issuedAt, now);
  } catch (error) {
    return { kind: "later", problem: `replay-store-unavailable: ${String(error)}`, set };
  }
  const described = { set, facts: plan.facts };
  if (claim === "duplicate") return { kind: "accepted", line: lineOf(described, "duplicate", 0) };
  if (claim === "conflict") return { kind: "refused", err: "invalid_request", problem: "jti-reused", set };
  if (claim !== "fresh") return { kind: "later", problem: `replay-store-${claim}`, set };

  // A verification event counts only with the state `ward ssf verify` asked for (a replayed or forged one
  // cannot make a stream look verified); one with no state is the transmitter's own, logged, verifying nothing.
  const verification = set.events.find((e) => e.name === "verification");
  if (verification?.state !== undefined) {
    let verdict: boolean;
    try {
      verdict = await replay.checkVerification(verification.state, now);
    } catch (error) {
      await replay.release(set.jti, now).catch(() => undefined);
      return { kind: "later", problem: `replay-store-unavailable: ${String(error)}`, set };
    }
    if (!verdict) {
      // Forgotten again: the same SET is refused each time it comes, never acknowledged as a duplicate.
      await replay.release(set.jti, now).catch(() => undefined);
      return { kind: "refused", err: "invalid_request", problem: "verification-state-not-requested", set };
    }
  }

  let changes = 0;
  let refused = 0;
  let superseded = 0;
  if (plan.ops.length > 0) {
    let result: SignalResult | { ok: false; problem: string };
    try {
      result = await env.DENYLIST.getByName(DENYLIST_NAME).applySignals(
        { transmitter: name, jti: set.jti },
        plan.ops,
        now,
      );
    } catch (error) {
      result = { ok: false, problem: `denylist-unavailable: ${String(error)}` };
    }
    if (!result.ok) {
      // Nothing was written: forget the claim, so the transmitter's retry is applied.
      await replay.release(set.jti, now).catch(() => undefined);
      return { kind: "later", problem: result.problem, set };
    }
    ({ changes, refused, superseded } = result);
    // Fails closed (a later, older refusal of that person applies), but operators should know the bound was met.
    if (result.clearsFull) logEvent("warn", "ssf-clears-full", { transmitter: name, jti: set.jti });
  }
  try {
    await replay.commit(set.jti, digest, set.issuedAt);
  } catch (error) {
    // Applied but not remembered: the retry (after the claim lapses) applies it again, which changes nothing more.
    return { kind: "later", problem: `replay-commit-failed: ${String(error)}`, set };
  }
  if (refused > 0) waitUntil(onPeopleRefused(env, plan.facts, now));
  // Every refusal it carried was already answered by a later clear of the same transmitter: taken, not applied.
  const outcome = superseded > 0 && refused === 0 && plan.outcome === "applied" ? "superseded" : plan.outcome;
  const line = lineOf(described, outcome, changes);
  if (superseded > 0) line.superseded = superseded;
  return { kind: "accepted", line };
}

function lineOf(
  { set, facts }: { set: ValidSet; facts: { match: string; value: string }[] },
  outcome: SsfEventLine["outcome"],
  changes: number,
): Partial<SsfEventLine> {
  const line: Partial<SsfEventLine> = {
    outcome,
    jti: set.jti,
    issuedAt: new Date(set.issuedAt).toISOString(),
    events: set.events.map((e) => e.name),
    subject: subjectShape(set.subject),
    facts: facts.map((f) => `${f.match}:${f.value}`),
    changes,
  };
  if (set.txn !== undefined) line.txn = set.txn;
  for (const event of set.events) {
    if (event.name === "verification" && event.state !== undefined) line.state = event.state;
    if (event.name === "stream-updated") line.streamStatus = event.status;
  }
  return line;
}

/** The ssf-event line of one SET's outcome (pushed or polled), with the status a push is answered with. */
export function outcomeLine(
  outcome: SetOutcome,
  base: Pick<SsfEventLine, "time" | "requestId" | "transmitter"> & Partial<Pick<SsfEventLine, "delivery">>,
): SsfEventLine {
  const head = { event: "ssf-event" as const, ...base };
  if (outcome.kind === "accepted")
    return { level: "info", ...head, status: 202, outcome: "applied", ...outcome.line } as SsfEventLine;
  const described = outcome.set ? lineOf({ set: outcome.set, facts: [] }, "refused", 0) : {};
  delete described.facts;
  delete described.changes;
  if (outcome.kind === "refused")
    return {
      level: "warn",
      ...head,
      ...described,
      status: 400,
      outcome: "refused",
      err: outcome.err,
      problem: outcome.problem,
    };
  return { level: "error", ...head, ...described, status: 503, outcome: "retry", problem: outcome.problem };
}

export function writeLine(line: SsfEventLine): void {
  const { level, event, ...fields } = line;
  logEvent(level, event, fields);
}

/**
 * The transmitter's name as the URL gives it (decoded), cut to 64 UTF-16 units, never inside a character: half of
 * a surrogate pair is no text, and encodeURIComponent throws on it (from a review: `a` 63 times and an emoji was
 * a 500 and an internal-error line, for anyone to send).
 */
function transmitterParam(raw: string): string {
  const cut = raw.slice(0, 64);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** POST /.ward/ssf/events/:transmitter */
export async function receiveSet(c: Context<AppEnv>): Promise<Response> {
  const started = Date.now();
  const requestId = crypto.randomUUID();
  const name = transmitterParam(c.req.param("transmitter") ?? "");
  if (c.req.method !== "POST") return methodNotAllowed(requestId);
  const outcome = await takeSet(c.req.raw, c.env, name, started, (p) => c.executionCtx.waitUntil(p));
  // The name comes from the URL, decoded, as anyone sent it: logged as written only in a transmitter name's form,
  // percent-encoded otherwise (a line break in it would read as a row of its own to a log reader).
  const logged = TRANSMITTER_NAME.test(name) ? name : encodeURIComponent(name);
  writeLine(outcomeLine(outcome, { time: new Date(started).toISOString(), requestId, transmitter: logged }));
  if (outcome.kind === "accepted") return setAccepted(requestId);
  if (outcome.kind === "refused") return setRefused(outcome.err, requestId);
  return setLater(requestId);
}
