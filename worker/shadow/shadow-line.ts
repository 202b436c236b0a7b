// A shadow candidate decides the same request for the decision log only (`ward shadow report`); it never answers.
// The line is written exactly once, whatever the candidate's evaluation or a lookup does: the record is the active
// decision's, and the candidate's part is best-effort, worked out off the request path when it needs I/O.
import {
  applyUpgrade,
  evaluate,
  type CompiledPolicy,
  type Decision,
  type Identity,
  type RequestFacts,
  type UpgradeKind,
} from "../../policy/index.ts";
import { identify } from "../identity/identify.ts";
import { logDecision, type DecisionRecord } from "../log/decisions.ts";
import { logEvent } from "../log/events.ts";
import { madeForAnotherOrigin } from "../pages/browser.ts";
import { identifiesAlike } from "./shadow-identity.ts";

const NO_DIRECTORY: CompiledPolicy["needs"] = { groups: false, devicePosture: false };

export interface ShadowRequest {
  request: Request;
  active: CompiledPolicy;
  shadow: CompiledPolicy;
  /** The active decision's record, as it is logged without a candidate. */
  record: DecisionRecord;
  /** The facts the active policy decided on, and the same without the identity. */
  facts: RequestFacts;
  asSent: Omit<RequestFacts, "identity">;
  /** What was asked of Access's directory for the active decision. */
  asked: CompiledPolicy["needs"];
  upgrade: UpgradeKind;
  started: number;
  requestId: string;
  dataset: AnalyticsEngineDataset | undefined;
  waitUntil: (p: Promise<unknown>) => void;
}

/** Logs the request's decision line with the candidate's decision in it. */
export function logWithShadow(r: ShadowRequest): void {
  const { request, shadow, record, started, requestId, upgrade } = r;
  // Its own routes decide an upgrade too (policy/websocket/upgrade.ts), as they would once promoted.
  const decideShadow = (f: RequestFacts) => {
    const d = evaluate(shadow, f, started);
    return upgrade === "none" ? d : applyUpgrade(shadow, d, upgrade, () => madeForAnotherOrigin(request));
  };
  const logWith = (f: RequestFacts | undefined) => {
    let shadowDecision: Decision | undefined;
    if (f)
      try {
        shadowDecision = decideShadow(f);
      } catch (error) {
        logEvent("error", "shadow-evaluation-failed", { requestId, error: String(error) });
      }
    logDecision(shadowDecision ? { ...record, shadow: shadowDecision } : record, r.dataset);
  };
  const withIdentity = (again: Promise<{ identity: Identity }>, otherwise: RequestFacts | undefined) =>
    r.waitUntil(
      again
        .then(
          (identified): RequestFacts | undefined => ({ ...r.asSent, identity: identified.identity }),
          () => otherwise,
        )
        .then(logWith),
    );
  // A candidate that reads this request's credentials otherwise (its identity sources, the audiences at its
  // service): the caller identified as the candidate would, off the request path, logging nothing (its events are
  // not the live request's). Issuers and Access may be asked: this request's own directory answer is reused from the
  // cache (a token with an identity_nonce). Undecided if that fails: never on the active facts.
  if (!identifiesAlike(request, r.active, shadow)) {
    // The live request's lookup gave nothing: the candidate is decided on the same unknown groups and posture, not
    // on an answer asked again (the failure's 2 s memory may be over once a slow origin has answered: a failing
    // Access asked twice, or facts the live decision never had; from a closing review).
    const user = r.facts.identity.user;
    const liveLookupFailed =
      (r.asked.groups || r.asked.devicePosture) && user !== undefined && user.groups === undefined;
    const needs = liveLookupFailed ? NO_DIRECTORY : shadow.needs;
    withIdentity(identify(request, shadow, started, requestId, needs, "silent"), undefined);
    return;
  }
  // Only when no lookup was asked for this request: one that was asked and failed is not asked again for the
  // candidate alone (it would be decided on facts the active decision did not have, and a failing Access asked twice).
  const unfetched = r.asked.groups || r.asked.devicePosture ? undefined : unfetchedFor(shadow, r.facts.identity);
  if (!unfetched) logWith(r.facts);
  // A person's groups or posture it reads and the active policy does not: fetched off the request path (a
  // policy that never answers must not make live traffic wait on Access), the line written once they are.
  else
    withIdentity(identify(request, r.active, started, requestId, { ...r.active.needs, ...unfetched }, true), r.facts);
}

/** What directory facts of the caller a shadow candidate reads that this request did not fetch, if any. */
function unfetchedFor(shadow: CompiledPolicy, identity: Identity): { groups?: true; devicePosture?: true } | undefined {
  const user = identity.user;
  if (!user) return undefined;
  const groups = shadow.needs.groups && user.groups === undefined;
  const devicePosture = shadow.needs.devicePosture && user.devicePosture === undefined;
  if (!groups && !devicePosture) return undefined;
  return { ...(groups ? { groups: true } : {}), ...(devicePosture ? { devicePosture: true } : {}) };
}
