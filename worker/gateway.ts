// The proxy path, taken by nearly every request: load the policy, identify the caller, decide, carry out the
// decision's obligations, answer (worker/respond.ts) or forward (worker/origin/), and log the decision once.
// The decisions themselves are the pure core's (policy/): this file only does the I/O around them.
import {
  applyDenylist,
  applyGrants,
  applyUpgrade,
  countryOf,
  countsTowardQuarantine,
  credentialBehind,
  displayName,
  evaluate,
  findService,
  grantMayApply,
  MAX_PATH_LENGTH,
  quarantineKeys,
  statusFor,
  type CompiledPolicy,
  type DeliveryReason,
  type CompiledService,
  type Decision,
  type Identity,
  type RequestFacts,
  type TimedGrant,
  type UpgradeKind,
  type WebSocketOutcome,
  WEBSOCKET_OPENED,
} from "../policy/index.ts";
import { denylistCopyReadAt, denylistVerdict, readDenylistCopy } from "./denylist/cache.ts";
import { countDenial } from "./denylist/quarantine.ts";
import type { Env } from "./env.ts";
import { consumeGrant, grantsInHand, grantsToDecide } from "./grants/cache.ts";
import { identify, type Identified } from "./identity/identify.ts";
import type { CertificateFacts } from "./identity/mtls.ts";
import { logEvent } from "./log/events.ts";
import { logAnswer, logDecision, type DecisionRecord } from "./log/decisions.ts";
import { assertionFor, assertionIssuer, assertionKeys } from "./origin/assertion.ts";
import { forward, originTimeout } from "./origin/forward.ts";
import { madeForAnotherOrigin, madeUnaskedByABrowser } from "./pages/browser.ts";
import { activePolicy, shadowPolicy } from "./policy-store/store.ts";
import { checkRateLimits } from "./rate-limit/limiter.ts";
import { receivedHeaders, type ReceivedHeaders } from "./received-headers.ts";
import { asReceived, parseReceived, rawPath } from "./request-target.ts";
import { answer, respondToDenial } from "./respond.ts";
import { logWithShadow } from "./shadow/shadow-line.ts";
import { offeredProtocols, openWebSocket, upgradeOf } from "./websocket/upgrade.ts";

type WaitUntil = (p: Promise<unknown>) => void;

const CONSUMED_AUTHORIZATION: readonly string[] = ["authorization"];

/** The facts evaluate() decides on but the identity, from the request as received: read once per request. */
function receivedFacts(
  request: Request,
  received: string,
  url: URL | undefined,
  headers: ReceivedHeaders,
): Omit<RequestFacts, "identity"> {
  return {
    method: request.method,
    // Unparseable (bare workerd, a Host like "a b"): the empty host makes it a bad request (host-invalid).
    host: url?.host ?? "",
    path: rawPath(received),
    query: url?.search.slice(1) ?? "",
    // request.cf is set by Cloudflare's edge, never by the client.
    country: countryOf(request.cf?.country),
    // Set (overwritten) by Cloudflare's edge too; read only where an anonymous caller meets a rate limit.
    clientAddress: headers.clientAddress ?? undefined,
    // A body on GET or HEAD (workerd: a Content-Length, even 0, or a Transfer-Encoding) is refused by evaluate.
    body: request.body !== null,
  };
}

/**
 * Whether a refusal may owe to Ward's own reads failing (a key set, Access's directory, the grant store) rather
 * than to the caller: such a refusal is not counted toward quarantine, or an outage would quarantine the callers
 * it refused (a shared frontend's certificate among them, once its users' tokens could not be checked) for long
 * after it ended (from a review). The failures themselves are logged where they happen.
 */
interface Unchecked {
  any: boolean;
}

/**
 * The policy's decision, with the denylist laid over it first (a revoked or quarantined caller must not spend a
 * grant's limited uses), then any time-bounded grant that lifts a deny no rule caused (a grant with a use limit
 * is counted before it is honoured; one the store will not count gives way to the next that covers the request).
 * `upgrade` refuses an upgrade the route does not carry, before a grant's use is spent on it.
 */
async function decide(
  env: Env,
  policy: CompiledPolicy,
  facts: RequestFacts,
  certificate: CertificateFacts | undefined,
  now: number,
  waitUntil: WaitUntil,
  upgrade: (decision: Decision) => Decision,
  unchecked: Unchecked,
): Promise<Decision> {
  let decision = evaluate(policy, facts, now);
  if (decision.principal !== "anonymous") {
    const verdict = await denylistVerdict(env, facts.identity, certificate, decision.principal, now, waitUntil);
    if (verdict.state === "denied")
      logEvent("warn", verdict.entry.kind === "quarantine" ? "quarantined-request" : "revoked-request", {
        principal: decision.principal,
        entry: verdict.entry.id,
      });
    decision = applyDenylist(decision, verdict);
  }
  decision = upgrade(decision);
  if (!decision.service || !grantMayApply(decision)) return decision;
  const { grants, storeFailed } = await grantsToDecide(env, decision.service, now);
  if (storeFailed) unchecked.any = true;
  let offered: readonly TimedGrant[] = grants ?? [];
  for (;;) {
    const granted = upgrade(applyGrants(policy, decision, facts.identity, offered, now));
    if (granted.effect === "deny" || granted.exception?.maxUses === undefined) return granted;
    const spent = granted.exception.id;
    const use = await consumeGrant(env, decision.service, spent, now);
    if (use.ok === true) return granted;
    // The copy is a few seconds old: other requests may have spent the grant's last use since (or it was revoked),
    // and another grant in force may still cover the request (from a generated test: refused with one in hand).
    // With the store unreachable, no grant with a use limit can be counted: only those without one remain.
    if (use.status === "unavailable") unchecked.any = true;
    offered = offered.filter((g) => g.id !== spent && (use.status !== "unavailable" || g.maxUses === undefined));
  }
}

/**
 * Whether a grant in force at the request's service names an Access group while the caller's groups were not
 * fetched (no rule of the policy reads groups, policy/compile.ts, and grants come and go without a push): unknown
 * groups match no grant, so the request is identified again with them and decided again (never when they were
 * asked for and not had). Only what a grant may lift gets here: a refusal, or audit mode's would-deny of one (a
 * group grant never applied in audit mode, where a grant to the person's e-mail did), and the service's grants
 * are the copy decide() just read.
 */
function grantNeedsGroups(
  decision: Decision,
  identity: Identity,
  asked: CompiledPolicy["needs"],
  now: number,
): boolean {
  if (!decision.service || !grantMayApply(decision)) return false;
  // Asked already and not had (a lookup for posture answers groups too; Access failed or its answer was unusable):
  // asking again would double the lookups, and the wait, while Access is failing (from a generated review: 10 s).
  if (!identity.user || identity.user.groups !== undefined || asked.groups || asked.devicePosture) return false;
  return grantsInHand(decision.service, now).some((grant) => !grant.usedUp && "group" in grant.principal);
}

interface Fulfilled {
  response: Response;
  /** Why the allowed request was not forwarded, when it was not; or that it became a relayed WebSocket. */
  outcome: DeliveryReason | WebSocketOutcome | undefined;
  droppedHeaders: string[] | undefined;
}

/** Every answer's account in one shape (V8 keeps one object shape, not one per combination of fields). */
const fulfilled = (response: Response, outcome?: Fulfilled["outcome"], droppedHeaders?: string[]): Fulfilled => ({
  response,
  outcome,
  droppedHeaders,
});

/**
 * An allowed request: its rate limits counted (a refusal never reaches the origin), the assertion signed (never
 * forwarded without it: an unsigned request is indistinguishable from one that bypassed Ward), then forwarded.
 */
async function fulfil(
  request: Request,
  headers: ReceivedHeaders,
  url: URL,
  service: CompiledService,
  decision: Decision,
  identified: Identified,
  env: Env,
  requestId: string,
  now: number,
  websocket?: { protocols?: string },
): Promise<Fulfilled> {
  const { identity, certificate, credentials } = identified;
  const limited =
    decision.obligations.rateLimits.length > 0
      ? await checkRateLimits(env, decision.obligations.rateLimits, now)
      : undefined;
  if (limited && !limited.ok) return fulfilled(answer(limited.reason, requestId, limited.headers), limited.reason);
  let assertion: string | undefined;
  try {
    const keys = await assertionKeys(env.ASSERTION_SIGNING_KEYS);
    assertion = await assertionFor(keys, {
      identity,
      decision,
      credentials,
      certificateSha256: certificate?.sha256,
      issuer: assertionIssuer(env.ASSERTION_ISSUER),
      // Read now, not at arrival (workerd's clock advances across I/O): a request that waited on look-ups (a key
      // set, grants) still hands the origin an assertion with the time to live docs/origin-assertion.md promises.
      now: Date.now(),
    });
  } catch (error) {
    logEvent("error", "assertion-keys-unusable", { requestId, error: String(error) });
  }
  let result: Fulfilled;
  if (assertion === undefined) {
    result = fulfilled(answer("assertion-unavailable", requestId), "assertion-unavailable");
  } else {
    const forwarded = await forward(
      request,
      url,
      service,
      decision,
      env,
      requestId,
      assertion,
      originTimeout(env.ORIGIN_TIMEOUT_MS),
      headers,
      websocket,
      // A workload token was Ward's credential, not the app's: never forwarded (forwardHeaders or not).
      identified.consumedAuthorization ? CONSUMED_AUTHORIZATION : undefined,
    );
    result = forwarded.ok
      ? fulfilled(forwarded.response, undefined, forwarded.dropped)
      : fulfilled(answer(forwarded.reason, requestId), forwarded.reason, forwarded.dropped);
  }
  // Both forward() and answer() build their own (mutable) Response.
  if (limited) for (const name in limited.headers) result.response.headers.set(name, limited.headers[name]!);
  return result;
}

/** Everything that is not one of Ward's own paths: identify, decide, then answer or forward. */
export async function gateway(request: Request, env: Env, ctx: ExecutionContext, received: string): Promise<Response> {
  const started = Date.now();
  const requestId = crypto.randomUUID();
  const waitUntil: WaitUntil = (p) => ctx.waitUntil(p);

  const policy = await activePolicy(env, started, waitUntil);
  if (!policy) {
    logAnswer({
      requestId,
      time: started,
      request: asReceived(request),
      reason: "policy-unavailable",
      status: statusFor("policy-unavailable"),
      latencyMs: Date.now() - started,
    });
    return answer("policy-unavailable", requestId);
  }

  // Security events may have made cached groups and posture stale (worker/ssf/): an idle isolate reads the
  // denylist copy, which says whose, before identifying rather than after.
  if (policy.document.sharedSignals && (policy.needs.groups || policy.needs.devicePosture))
    await readDenylistCopy(env, started, waitUntil);
  // What a WebSocket's directory facts are as of (worker/websocket/watch.ts): the copy identify checks them against.
  let directoryAsOf = denylistCopyReadAt(started);
  // Verified facts only: request.cf.tlsClientAuth and a verified Access token.
  // What was asked of Access's directory for this request: a lookup answers groups and posture at once.
  let asked: CompiledPolicy["needs"] = policy.needs;
  let identified = await identify(request, policy, started, requestId, asked);
  const url = parseReceived(received);
  const headers = receivedHeaders(request);
  const asSent = receivedFacts(request, received, url, headers);
  let facts: RequestFacts = { ...asSent, identity: identified.identity };
  const upgrade: UpgradeKind = upgradeOf(request, headers);
  const withUpgrade = (d: Decision) =>
    upgrade === "none" ? d : applyUpgrade(policy, d, upgrade, () => madeForAnotherOrigin(request));
  const unchecked: Unchecked = { any: identified.unchecked === true };
  let decision = await decide(env, policy, facts, identified.certificate, started, waitUntil, withUpgrade, unchecked);
  if (grantNeedsGroups(decision, identified.identity, asked, started)) {
    asked = { ...policy.needs, groups: true };
    // The groups are checked against the copy as it is now (decide() read it; on a fresh isolate there was none
    // above): a refresh recorded before it must not make them stale (from a review: it closed the WebSocket).
    directoryAsOf = denylistCopyReadAt(started);
    identified = await identify(request, policy, started, requestId, asked, true);
    facts = { ...asSent, identity: identified.identity };
    unchecked.any = identified.unchecked === true;
    decision = await decide(env, policy, facts, identified.certificate, started, waitUntil, withUpgrade, unchecked);
  }
  const { identity, certificate, credentials } = identified;

  // A workload walking the internal graph: its denials are counted off the request path (not those Ward's own
  // failing reads may have caused: Unchecked).
  const quarantine = policy.document.quarantine;
  if (quarantine && !unchecked.any && countsTowardQuarantine(decision, () => madeUnaskedByABrowser(request, identity)))
    for (const key of quarantineKeys(identity, decision.principal))
      waitUntil(countDenial(env, key, quarantine, started));

  const service =
    decision.effect === "allow" && decision.target ? findService(policy, decision.target.host) : undefined;
  const websocket = upgrade === "websocket" ? { protocols: offeredProtocols(headers) } : undefined;
  let { response, droppedHeaders, outcome }: Fulfilled =
    service && url
      ? await fulfil(request, headers, url, service, decision, identified, env, requestId, started, websocket)
      : fulfilled(respondToDenial(request, policy, decision, url, requestId, displayName(identity)));
  // The origin switched protocols: Ward relays the socket, and closes it when access ends (worker/websocket/).
  if (websocket && response.webSocket) {
    const origin = response as Response & { webSocket: WebSocket };
    response = openWebSocket({
      env,
      request,
      policy,
      decision,
      facts,
      certificate,
      expiresAt: identified.expiresAt,
      requestId,
      directoryAsOf,
      origin,
      waitUntil,
    });
    outcome = WEBSOCKET_OPENED;
  }

  const credential = credentialBehind(decision, credentials);
  const record: DecisionRecord = {
    requestId,
    time: started,
    decision,
    // As received, from what was already read (no second parse on the hot path); bounded like asReceived.
    request: { method: facts.method, host: facts.host, path: facts.path.slice(0, MAX_PATH_LENGTH) },
    // Absent ones undefined, not left out: one shape of record (and line, policy/decision-log.ts) a request.
    credential,
    droppedHeaders,
    outcome,
    status: response.status,
    latencyMs: Date.now() - started,
  };
  // A shadow candidate decides the same request for the log only (ward shadow report); it never answers.
  const candidate = shadowPolicy();
  const shadow = candidate && candidate.version !== policy.version ? candidate : undefined;
  if (!shadow) logDecision(record, env.DECISIONS);
  else
    logWithShadow({
      request,
      active: policy,
      shadow,
      record,
      facts,
      asSent,
      asked,
      upgrade,
      started,
      requestId,
      dataset: env.DECISIONS,
      waitUntil,
    });
  return response;
}
