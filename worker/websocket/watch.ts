// An open connection does not outlive the access that opened it. Every WEBSOCKET_CHECK_SECONDS the upgrade's
// request is decided again, as a new request would be: the isolate's newest policy, its copy of the denylist
// and of the service's grants, the credential's expiry, and the route's upgrade setting. Nothing here reads a
// store per connection: the copies refresh themselves (at most one read per interval per isolate), and a tick
// only compares. When access has ended, or the connection idled past its limit, both sides are closed.
import {
  accessEnded,
  applyDenylist,
  applyGrants,
  applyUpgrade,
  coversButForUses,
  currentPosture,
  evaluate,
  grantMayApply,
  isCurrentPosture,
  stillNamesAll,
  type AccessEnded,
  type CompiledPolicy,
  type OpenedAccess,
  type RequestFacts,
  type TimedGrant,
} from "../../policy/index.ts";
import { denylistVerdict, directoryFreshness, readDenylistCopy } from "../denylist/cache.ts";
import type { Env } from "../env.ts";
import { readableGrants } from "../grants/cache.ts";
import { identify } from "../identity/identify.ts";
import type { CertificateFacts } from "../identity/mtls.ts";
import { logEvent } from "../log/events.ts";
import { activePolicy } from "../policy-store/store.ts";
import { ABANDONED_READ_MS } from "../shared/refreshing-snapshot.ts";
import type { Relay } from "./relay.ts";

export interface Watched {
  env: Env;
  relay: Relay;
  /** The upgrade's facts: the same request, decided again at each check. */
  facts: RequestFacts;
  /** The upgrade's request: its credentials are identified again when the policy changes. */
  request: Request;
  /** The policy version `facts.identity` was verified under, and when (ms). */
  identifiedUnder: string;
  identifiedAt: number;
  certificate: CertificateFacts | undefined;
  opened: OpenedAccess;
  requestId: string;
  /** When the copy the upgrade's directory facts were checked against was read (upgrade.ts). */
  directoryAsOf: number;
  checkMs: number;
  idleMs: number;
  waitUntil: (p: Promise<unknown>) => void;
}

/** The facts without the person's groups and posture, or (`keepGroups`) without their posture only. */
function withoutDirectory(facts: RequestFacts, keepGroups: boolean): RequestFacts {
  const user = facts.identity.user!;
  const { groups, devicePosture: _posture, devicePostureAt: _at, devicePostureStale: _stale, ...rest } = user;
  return {
    ...facts,
    identity: { ...facts.identity, user: keepGroups && groups !== undefined ? { ...rest, groups } : rest },
  };
}

/**
 * The upgrade's facts as far as they may still be used. Security events (worker/ssf/) may since have said that
 * the person's groups or device changed, or that their device is not compliant: the groups and posture fetched
 * for the upgrade are then dropped (unknown, so conditions on them fail) rather than refetched, which would need
 * the credential a connection no longer carries. A connection whose access needs them ends; the client's next
 * upgrade is decided with what Access says now. One that does not need them goes on, and without them for good:
 * the Denylist object forgets a refresh once no cached answer can be older (REFRESH_KEPT_MS, minutes), but the
 * upgrade's facts are as old as the connection, and a push that later makes its route need a group must not find
 * them counting again (from a review). A posture hold sets the posture aside only while it lasts.
 */
function usableFacts(w: Watched, policyHasSignals: boolean, since: number, now: number): RequestFacts {
  const user = w.facts.identity.user;
  if (!policyHasSignals || !user || (user.groups === undefined && user.devicePosture === undefined)) return w.facts;
  const fresh = directoryFreshness(user, now);
  // Asked for after the upgrade: what the upgrade was decided with is stale.
  if (fresh.notBefore !== undefined && fresh.notBefore > since) w.facts = withoutDirectory(w.facts, false);
  else if (fresh.postureHeld) return withoutDirectory(w.facts, true);
  return w.facts;
}

/**
 * The upgrade's posture results that still count now. Each was evaluated at some time before the upgrade and is
 * not asked for again, so it ages as the connection lasts: one older than the policy's identity.access
 * maxPostureAge is unknown, as a new request would find it (policy/posture-age.ts). A connection whose allow rule
 * needs it ends, as does one a deny rule on it now holds for; the client's next upgrade asks Access again.
 */
function currentPostureFacts(facts: RequestFacts, maxAgeMs: number | undefined, now: number): RequestFacts {
  const user = facts.identity.user;
  const posture = user?.devicePosture;
  if (!user || posture === undefined) return facts;
  const at = user.devicePostureAt ?? {};
  // A policy without identity.access takes no result as current.
  const age = maxAgeMs ?? Number.NEGATIVE_INFINITY;
  const when = (id: string) => (Object.hasOwn(at, id) ? at[id]! : Number.NaN);
  if (Object.keys(posture).every((id) => isCurrentPosture(when(id), now, age))) return facts;
  const results = Object.fromEntries(Object.entries(posture).map(([id, success]) => [id, { success, at: when(id) }]));
  return { ...facts, identity: { ...facts.identity, user: { ...user, ...currentPosture(results, now, age) } } };
}

/** Groups and posture are not asked for again: the upgrade's stay with the person (usableFacts judges them). */
const NO_DIRECTORY = { groups: false, devicePosture: false };

/**
 * How often the credentials are identified again under an unchanged policy. An issuer may withdraw a signing key
 * (after a leak) without any push: a new request stops being let through with the key's tokens once the
 * isolate's key set has aged out, cached verifications with it (issuer-keys.ts, KEYS_MAX_AGE_MS). An open
 * connection is identified again at most this much later, rather than lasting until its token's `exp`. Each
 * time is a look-up in the isolate's caches, rarely a signature check: not every tick, as connections are many.
 */
export const REIDENTIFY_MS = 60_000;

/**
 * The upgrade's credentials identified under `policy`, as a new request's would be. False when they no longer
 * name everyone the upgrade did, with the same scopes (policy/websocket/still-names.ts says why that ends it). A
 * credential now accepted for less long ends the connection sooner. Verified-token caches and key sets are the
 * isolate's, so this is rarely more than a look-up.
 */
async function reidentify(w: Watched, policy: CompiledPolicy, now: number): Promise<boolean> {
  const fresh = await identify(w.request, policy, now, w.requestId, NO_DIRECTORY);
  if (!stillNamesAll(w.facts.identity, fresh.identity)) return false;
  const expiries = Object.values(fresh.expiresAt);
  if (expiries.length > 0)
    w.opened = {
      ...w.opened,
      credentialExpiresAt: Math.min(w.opened.credentialExpiresAt ?? Number.POSITIVE_INFINITY, ...expiries),
    };
  // The certificate as its identity relies on it now: a push may trust it through another path (its root pinned
  // with `intermediates`, no longer its issuer), whose CAs a `ca` revocation names as it does for a new request.
  w.certificate = fresh.certificate;
  w.identifiedUnder = policy.version;
  w.identifiedAt = now;
  return true;
}

/** The same request decided now, as gateway.ts decides it (without spending a grant's use again). */
async function accessEndedNow(w: Watched, now: number, since: number): Promise<AccessEnded | undefined> {
  // Known without any copy: the credential's end is an instant.
  if (w.opened.credentialExpiresAt !== undefined && now >= w.opened.credentialExpiresAt) return "credential-expired";
  const policy = await activePolicy(w.env, now, w.waitUntil);
  // Once a policy has loaded, the isolate keeps one for good; without one, nothing may be allowed.
  if (!policy) return "policy";
  // A new policy may no longer trust a credential the upgrade was let through with, nor an issuer a key it
  // signed with: what still verifies stays.
  const reidentifyDue = policy.version !== w.identifiedUnder || now - w.identifiedAt >= REIDENTIFY_MS;
  if (reidentifyDue && !(await reidentify(w, policy, now))) return "policy";
  if (w.opened.credentialExpiresAt !== undefined && now >= w.opened.credentialExpiresAt) return "credential-expired";
  const signals = policy.document.sharedSignals !== undefined;
  // The copy that says whose directory facts are stale is the denylist's: up to date before they are read.
  if (signals) await readDenylistCopy(w.env, now, w.waitUntil);
  // Grants are matched against these facts too: groups a security event made stale name no grant's group.
  const usable = currentPostureFacts(usableFacts(w, signals, since, now), policy.access?.maxPostureAgeMs, now);
  let decision = evaluate(policy, usable, now);
  if (decision.principal !== "anonymous") {
    const verdict = await denylistVerdict(w.env, w.facts.identity, w.certificate, decision.principal, now, w.waitUntil);
    decision = applyDenylist(decision, verdict);
  }
  let grants: readonly TimedGrant[] | "unreadable" = [];
  if (decision.service && grantMayApply(decision)) {
    const read = await readableGrants(w.env, decision.service, now);
    const refused = decision;
    // A used-up grant lasts for the connection that spent its last use only while it would still cover the
    // caller as they are now: not on its id alone.
    grants =
      read?.filter((g) => !g.usedUp || coversButForUses(g, policy, refused, usable.identity, now)) ?? "unreadable";
    // The upgrade's grant first: while it still covers the caller, it is the one the re-decision names, not
    // another that happens to come before it (the origin was told which grant let the connection through, and
    // another one's name ends it: accessEnded).
    const opened = w.opened.grant?.id;
    const offered =
      opened === undefined ? read : read?.toSorted((a, b) => Number(b.id === opened) - Number(a.id === opened));
    decision = applyGrants(policy, decision, usable.identity, offered ?? [], now);
  }
  // The request was a same-origin WebSocket upgrade when it was let through; whether the route still carries
  // upgrades is the policy's to say now.
  decision = applyUpgrade(policy, decision, "websocket", () => false);
  return accessEnded(decision, w.opened, now, grants);
}

/** Starts the checks; they stop when the connection ends, whoever ends it. */
export function watchAccess(w: Watched): void {
  let checkingSince: number | undefined;
  // A directory refresh recorded after the copy the upgrade was checked against makes its facts stale: not
  // merely one recorded after the upgrade, as a refresh may reach this isolate's copy only after the upgrade.
  const since = w.directoryAsOf;
  const check = async (): Promise<void> => {
    if (w.relay.ended) return;
    const now = Date.now();
    // What needs no copy is decided at every tick, even while a check waits for one.
    if (w.relay.idleFor(now) >= w.idleMs) return w.relay.end("idle");
    if (w.opened.credentialExpiresAt !== undefined && now >= w.opened.credentialExpiresAt)
      return w.relay.end("credential-expired");
    if (checkingSince !== undefined) {
      // One check at a time; one that never finishes (a read whose promise never settles) must not leave the
      // connection unchecked for good.
      if (now - checkingSince < ABANDONED_READ_MS) return;
      logEvent("error", "websocket-check-failed", { requestId: w.requestId, error: "check did not finish" });
      return w.relay.end("check-failed");
    }
    checkingSince = now;
    try {
      const ended = await accessEndedNow(w, now, since);
      if (ended) w.relay.end(ended);
    } catch (error) {
      // Unknown is not allowed: a check that cannot finish ends the connection.
      logEvent("error", "websocket-check-failed", { requestId: w.requestId, error: String(error) });
      w.relay.end("check-failed");
    } finally {
      checkingSince = undefined;
    }
  };
  const timer = setInterval(() => void check(), w.checkMs);
  w.relay.onEnd(() => clearInterval(timer));
}
