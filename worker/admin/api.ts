// The admin API under /.ward/admin/ on every host Ward serves but an application's (policy/admin-host.ts): policy
// history, push, rollback and the shadow candidate (used by `ward push|rollback|history|shadow`). Protected by
// the policy itself: only its admin principals get in, with the same verified identity as any request (an Access
// token in the header, or a client certificate), and every call is logged. Deny by default: a policy without
// `admin` lets nobody in.
import { Hono, type Context } from "hono";
import * as z from "zod";
import { parseBody, plainText } from "./body.ts";
import {
  adminAnswersOn,
  denylistReason,
  loadPolicy,
  MAX_JSON_POLICY_BYTES,
  MAX_POLICY_BYTES,
  policyTooLarge,
  principalKey,
  principalsMatch,
  versionBefore,
  VERSION_CHECKED_HEADER,
  type CompiledPolicy,
  type Identity,
} from "../../policy/index.ts";
import type { AppEnv } from "../env.ts";
import { denylistRoutes } from "./denylist.ts";
import { grantRoutes } from "./grants.ts";
import { ssfRoutes } from "./ssf.ts";
import { policyControl } from "./policy-control.ts";
import { answerAdminFailure } from "./store-fault.ts";
import { authorityChanged } from "./still-authorised.ts";
import { startPollers } from "../ssf/poll.ts";
import { catchUpExactly, exactVerdict } from "../denylist/cache.ts";
import { SAFE_METHODS } from "../identity/access-token.ts";
import { identify } from "../identity/identify.ts";
import { madeForAnotherOrigin } from "../pages/browser.ts";
import { logEvent } from "../log/events.ts";
import type { ActivateRequest } from "../policy-store/control.ts";
import { activePolicy, confirmedAt, readStoredVersion, storeVersion } from "../policy-store/store.ts";
import { readVersionText } from "../policy-store/version-text.ts";
import { answer } from "../respond.ts";

/**
 * A push's body: the policy text as a JSON string and a message. A policy holds no control characters but tab,
 * CR and LF (parsePolicyText refuses the others), each escaped in two bytes as `"` and `\` are: the text at
 * most doubles, so a valid policy within MAX_JSON_POLICY_BYTES always fits, and a larger one is refused with the
 * policy's own message, not the body's.
 */
const MAX_PUSH_BODY_BYTES = 2 * MAX_JSON_POLICY_BYTES + 16 * 1024;

/** Policy text within MAX_POLICY_BYTES, or MAX_JSON_POLICY_BYTES as JSON (policy/stored-version.ts says why). */
const PolicyText = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    const tooLarge = policyTooLarge(text);
    if (tooLarge) ctx.addIssue({ code: "custom", message: tooLarge });
  });

export type AdminEnv = AppEnv & {
  Variables: {
    principal: string;
    identity: Identity;
    policy: CompiledPolicy;
    authorisedFrom: string | null;
    /**
     * Admits the caller again, as now (the denylist as its store has it, the admins of the version admitted by):
     * asked right before a write, whose body the caller may take as long as it likes to send (still-authorised.ts).
     */
    readmit: () => Promise<Response | undefined>;
    /** When the call came in, ms since the epoch. */
    started: number;
  };
};

const PushBody = z.strictObject({
  text: PolicyText,
  expected: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
  message: plainText(z.string().max(500)).default(""),
});

const ShadowBody = z.strictObject({
  text: PolicyText,
  message: plainText(z.string().max(500)).default(""),
});

const PromoteBody = z.strictObject({
  expected: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
  /** The candidate the caller reviewed: promoted only if it is still the one evaluated in shadow. */
  candidate: z.string().regex(/^[0-9a-f]{64}$/),
  message: plainText(z.string().max(500)).default("promote the shadow candidate"),
});

const RollbackBody = z.strictObject({
  to: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  expected: z.string().regex(/^[0-9a-f]{64}$/),
  message: plainText(z.string().max(500)).default(""),
});

export const admin = new Hono<AdminEnv>();
admin.onError(answerAdminFailure);

/** What identify needs to fetch for an admin check: the policy's own needs, and groups where admins are named by group. */
function adminNeeds(policy: CompiledPolicy): CompiledPolicy["needs"] {
  return { ...policy.needs, groups: policy.needs.groups || (policy.admin?.needsGroups ?? false) };
}

/** PolicyControl, its reads bounded (policy-control.ts): past the bound, answered as a store that did not answer. */
const control = (c: Context<AdminEnv>) => policyControl(c.env);

/**
 * How long after a move through PolicyControl an isolate's copy may still name the version before it: KV takes
 * up to ~60 s to reach every location, and an isolate re-reads every POLICY_REFRESH_SECONDS.
 */
const POINTER_SPREAD_MS = 120_000;

/**
 * The version whose admins may make this call, when it is not the isolate's copy: the one PolicyControl (the one
 * writer) made active, which this copy has not reached: in the POINTER_SPREAD_MS after the move, or later while
 * this isolate cannot read KV (it keeps its copy). An admin the move removed could otherwise push himself back
 * in, lift revocations or break glass. A copy that KV named since the move had time to spread was put in KV
 * around the writer (a bootstrap, the recovery when a version no longer loads), and the gateway enforces the
 * copy: so does this. Undefined (the caller answers 503, for a retry) when the writer's version cannot be loaded
 * here.
 */
async function authorisingPolicy(c: Context<AdminEnv>, copy: CompiledPolicy): Promise<CompiledPolicy | undefined> {
  const { active, movedAt } = await control(c).authority();
  c.set("authorisedFrom", active);
  if (active === null || active === copy.version) return copy;
  // KV named the copy after the move had had time to spread (so past it now): it was put there by hand.
  if (confirmedAt(copy.version) > (movedAt ?? Number.NEGATIVE_INFINITY) + POINTER_SPREAD_MS) return copy;
  const stored = await readStoredVersion(c.env.POLICY, active, { role: "active", keeping: copy.version });
  return stored.ok ? stored.policy : undefined;
}

type Admitted = { policy: CompiledPolicy; identity: Identity; principal: string } | { refused: Response };

/** A refused admin call's line: who asked for what, and why when it is more than "not an admin". */
function logRefused(
  c: Context<AdminEnv>,
  principal: string,
  why: { denylist?: string; crossOrigin?: true } = {},
): void {
  logEvent("warn", "admin-request", {
    requestId: c.get("requestId"),
    principal,
    method: c.req.method,
    path: new URL(c.req.url).pathname,
    allowed: false,
    ...why,
  });
}

/** Whether this request comes from an admin of `policy` (on a host it answers on, not on the denylist). */
async function admitted(c: Context<AdminEnv>, policy: CompiledPolicy, now: number): Promise<Admitted> {
  const requestId = c.get("requestId");
  // Not on an application's host: not found there, whoever asks, and never handed on to its origin (a route
  // with pathPrefix / would take the path, and a push's body is the whole policy).
  if (!adminAnswersOn(policy, new URL(c.req.url).host)) return { refused: answer("route-not-found", requestId) };
  // A change another origin's page asked for is nobody's: not only the Access cookie (worker/identity/access-token.ts)
  // but a client certificate is sent by the browser by itself, and a `no-cors` fetch or a form is a simple request
  // (no preflight) with any body (from a review: a page elsewhere made a break-glass grant with an operator's
  // certificate). The CLI sends no Fetch Metadata nor Origin; a page's reads it cannot read the answer to.
  if (!SAFE_METHODS.has(c.req.method) && madeForAnotherOrigin(c.req.raw)) {
    c.set("principal", "anonymous");
    logRefused(c, "anonymous", { crossOrigin: true });
    return { refused: answer("unauthenticated", requestId) };
  }
  const needs = adminNeeds(policy);
  let { identity, certificate } = await identify(c.req.raw, policy, now, requestId, needs);
  let principal = principalKey(identity);
  // Nobody but an admin costs the Denylist's one object a call: any signed-in person or workload may call here as
  // often as it likes, and a read per call (from a review: made before this check) loaded the object every isolate
  // refreshes its copy from. Whoever is no admin by the isolate's copy (groups it holds cached included) is refused
  // here; one who is, is checked again below against the store and any directory facts it says are stale.
  if (!isAdmin(policy, identity)) return notAnAdmin(c, principal);
  // The denylist as the store has it now.
  const caughtUp = await catchUpExactly(c.env, now);
  if (caughtUp && (needs.groups || needs.devicePosture)) {
    // Groups a security event made stale show only in the caught-up copy: an admin by group whose group was
    // taken away is asked for again (from a review: the groups cached before the event counted for one more call).
    ({ identity, certificate } = await identify(c.req.raw, policy, now, requestId, needs, true));
    principal = principalKey(identity);
  }
  c.set("principal", principal);
  // A revoked or quarantined admin credential is refused here too, by the store as it is now (not the isolate's
  // copy, which may trail it by seconds: a revoked admin would lift his own revocation); an unknown denylist
  // fails closed.
  const listed = exactVerdict(caughtUp, identity, certificate, principal, now);
  const refused = denylistReason(listed);
  if (refused) {
    logRefused(c, principal, { denylist: listed.state });
    return { refused: answer(refused, requestId) };
  }
  return isAdmin(policy, identity) ? { policy, identity, principal } : notAnAdmin(c, principal);
}

const isAdmin = (policy: CompiledPolicy, identity: Identity): boolean =>
  policy.admin !== undefined && principalsMatch(policy.admin.principals, identity);

/** Not an admin: the same answers as a route with no matching rule (a 401 asks an anonymous caller to sign in). */
function notAnAdmin(c: Context<AdminEnv>, principal: string): Admitted {
  c.set("principal", principal);
  logRefused(c, principal);
  return { refused: answer(principal === "anonymous" ? "unauthenticated" : "no-matching-rule", c.get("requestId")) };
}

admin.use("*", async (c, next) => {
  const now = Date.now();
  const requestId = crypto.randomUUID();
  c.set("requestId", requestId);
  c.set("started", now);
  const copy = await activePolicy(c.env, now, (p) => c.executionCtx.waitUntil(p));
  if (!copy) return answer("policy-unavailable", requestId);
  // First as the isolate's copy says, so that nobody but its admins reaches the one PolicyControl object.
  let checked = await admitted(c, copy, now);
  if ("refused" in checked) return checked.refused;
  const authority = await authorisingPolicy(c, copy);
  if (!authority) return answer("policy-unavailable", requestId);
  if (authority !== copy) {
    checked = await admitted(c, authority, now);
    if ("refused" in checked) return checked.refused;
  }
  logEvent("info", "admin-request", {
    requestId,
    principal: checked.principal,
    method: c.req.method,
    path: new URL(c.req.url).pathname,
    allowed: true,
  });
  c.set("identity", checked.identity);
  c.set("policy", checked.policy);
  const admittedBy = checked.policy;
  c.set("readmit", async () => {
    const again = await admitted(c, admittedBy, Date.now());
    return "refused" in again ? again.refused : undefined;
  });
  await next();
});

async function activate(
  c: Context<AdminEnv>,
  request: Omit<ActivateRequest, "who" | "authorisedFrom">,
  next: CompiledPolicy,
): Promise<Response> {
  // The version moved meanwhile is PolicyControl's to refuse (authorisedFrom); a credential revoked meanwhile, ours.
  const revoked = await c.get("readmit")();
  if (revoked) return revoked;
  const result = await control(c).activate({
    ...request,
    who: c.get("principal"),
    authorisedFrom: c.get("authorisedFrom"),
  });
  if (!result.ok && "shadow" in result) {
    logEvent("warn", "policy-activation-conflict", {
      requestId: c.get("requestId"),
      candidate: request.version,
      shadow: result.shadow,
    });
    return c.json({ error: "the shadow candidate changed", shadow: result.shadow, candidate: request.version }, 409);
  }
  if (!result.ok) {
    logEvent("warn", "policy-activation-conflict", {
      requestId: c.get("requestId"),
      expected: request.expected,
      active: result.active,
      stored: request.version,
    });
    return c.json({ error: "conflict", active: result.active, stored: request.version }, 409);
  }
  logEvent("info", "policy-activated", { requestId: c.get("requestId"), ...result.entry });
  // Transmitters the policy polls (RFC 8936) are polled from now on (worker/ssf/poll.ts).
  const signals = next.document.sharedSignals;
  if (signals) c.executionCtx.waitUntil(startPollers(c.env, signals.transmitters));
  return c.json({ entry: result.entry });
}

admin.get("/policy", async (c) => {
  const state = await control(c).state();
  return c.json({ environment: c.env.WARD_ENV ?? null, ...state });
});

/**
 * A version's text: its source as first pushed when that is the version, else its stored document (canonical JSON,
 * the same version: the bytes hash to its name), else 422. Never another version's text under its name: a rollback's
 * diff, and its dry run's exit status, would be of a policy the rollback does not activate.
 */
admin.get("/policy/versions/:version{[0-9a-f]{64}}", async (c) => {
  const version = c.req.param("version");
  const shown = await readVersionText(c.env.POLICY, version);
  // Ward-Version-Checked: this gateway checked the text is that version, as its release derives versions; a CLI
  // of another release may derive another name from the same text and must not take that for another version's.
  if (shown.ok)
    return shown.form === "source"
      ? c.text(shown.text, 200, { [VERSION_CHECKED_HEADER]: "source" })
      : c.body(shown.text, 200, {
          "content-type": "application/json; charset=utf-8",
          [VERSION_CHECKED_HEADER]: "document",
        });
  if (shown.missing) return c.json({ error: "no such version" }, 404);
  return c.json(
    {
      error: `the text stored for version ${version} is not that version (another version's text, or one this Ward does not load), and no stored document of it is either: push that version's text again to put it back`,
    },
    422,
  );
});

/**
 * Why a version may not become active through this caller, if it may not: it is for another environment,
 * or it would leave the caller (and perhaps everyone) unable to use the admin API again, which only the
 * bootstrap path could undo. Push, shadow, promote and rollback all ask.
 */
async function refusal(c: Context<AdminEnv>, next: CompiledPolicy): Promise<Response | undefined> {
  const environment = c.env.WARD_ENV;
  if (environment && next.document.metadata.environment !== environment) {
    return c.json(
      {
        error: `the policy is for environment "${next.document.metadata.environment}"; this gateway serves "${environment}"`,
      },
      422,
    );
  }
  if (!next.admin || !principalsMatch(next.admin.principals, c.get("identity"))) {
    return c.json(
      {
        error: `under the new policy ${c.get("principal")} would no longer be an admin: keep yourself in admin.principals`,
      },
      422,
    );
  }
  // This request's credentials verified as the new version would verify them (its Access team and audiences,
  // its token limits, its certificate issuers): a version that changes how admins sign in (an audience typo)
  // would otherwise let every admin out at once.
  const { identity } = await identify(c.req.raw, next, Date.now(), c.get("requestId"), adminNeeds(next));
  if (!principalsMatch(next.admin.principals, identity)) {
    return c.json(
      {
        error: `under the new policy the credentials of this request would not verify ${c.get("principal")} as an admin: check identity.access (teamDomain, audiences, token limits) and identity.mtls against what admins sign in with`,
      },
      422,
    );
  }
  // The admin API answers only on hosts no service names: a version that gives this one to a service (exactly or
  // by a wildcard) would shut the door this caller came in by.
  const host = new URL(c.req.url).host;
  if (!adminAnswersOn(next, host)) {
    return c.json(
      {
        error: `under the new policy a service serves ${host}, where the admin API would then not answer: keep a host no service names for it (WARD_URL)`,
      },
      422,
    );
  }
  return undefined;
}

/** A stored version, read as a gateway isolate would read it, that this caller may make active. */
async function storedCandidate(
  c: Context<AdminEnv>,
  version: string,
  role: "rollback" | "promote",
): Promise<CompiledPolicy | Response> {
  // A version the gateway could not load is never made active.
  const stored = await readStoredVersion(
    c.env.POLICY,
    version,
    { role },
    { background: (p) => c.executionCtx.waitUntil(p) },
  );
  if (!stored.ok)
    return stored.missing
      ? c.json({ error: `version ${version} is not stored` }, 404)
      : c.json({ error: `version ${version} does not load as stored` }, 422);
  return (await refusal(c, stored.policy)) ?? stored.policy;
}

/** A pushed text that may become active: valid, for this environment, keeping the pusher an admin. Not stored. */
async function pushedCandidate(c: Context<AdminEnv>, text: string): Promise<CompiledPolicy | Response> {
  const loaded = await loadPolicy(text, { yamlUpTo: MAX_POLICY_BYTES });
  if (!loaded.ok) return c.json({ error: "invalid policy", issues: loaded.issues }, 422);
  return (await refusal(c, loaded.policy)) ?? loaded.policy;
}

/**
 * Stores a pushed candidate's text, only once its caller is admitted again by the version admitted by, still the
 * active one (authorityChanged): a caller refused there leaves nothing behind (from a review: a revoked admin's
 * push was refused, but its text stayed in KV under its hash). Content-addressed, so storing before the move
 * loses nothing, whoever wins it; a source already stored is kept. The store is several KV calls: the write that
 * follows asks again (from a review: an admin revoked while they ran still made his push active).
 */
async function storeCandidate(c: Context<AdminEnv>, next: CompiledPolicy, text: string): Promise<Response | undefined> {
  const refused = await authorityChanged(c);
  if (refused) return refused;
  await storeVersion(c.env.POLICY, next, text);
  return undefined;
}

admin.put("/policy", async (c) => {
  const body = await parseBody(c, PushBody, MAX_PUSH_BODY_BYTES);
  if (body instanceof Response) return body;
  const next = await pushedCandidate(c, body.text);
  if (next instanceof Response) return next;
  // Stored even when already active: a push of its text puts back a source KV lost or had replaced.
  const refused = await storeCandidate(c, next, body.text);
  if (refused) return refused;
  if (body.expected === next.version) {
    // Already active, as the caller believes: say so only if it still is.
    const { active } = await control(c).state(1);
    if (active === next.version) return c.json({ entry: null, unchanged: true, version: next.version });
    return c.json({ error: "conflict", active, stored: next.version }, 409);
  }
  // Admitted again after the store, as any move (activate); PolicyControl checks the authority, atomically with it.
  return activate(c, { expected: body.expected, version: next.version, action: "push", message: body.message }, next);
});

admin.put("/policy/shadow", async (c) => {
  const body = await parseBody(c, ShadowBody, MAX_PUSH_BODY_BYTES);
  if (body instanceof Response) return body;
  const next = await pushedCandidate(c, body.text);
  if (next instanceof Response) return next;
  // The gateway never tries the active version beside itself: accepted, it would be a candidate no line reports.
  const { active } = await control(c).state(1);
  if (active === next.version)
    return c.json({ error: `version ${next.version} is already active: nothing to try in shadow` }, 409);
  const refused = await storeCandidate(c, next, body.text);
  if (refused) return refused;
  // Asked again after the store's KV calls, right before the write, as every other write is.
  const moved = await authorityChanged(c);
  if (moved) return moved;
  const entry = await control(c).setShadow(next.version, c.get("principal"), body.message);
  logEvent("info", "shadow-set", { requestId: c.get("requestId"), ...entry });
  return c.json({ entry });
});

admin.delete("/policy/shadow", async (c) => {
  const moved = await authorityChanged(c);
  if (moved) return moved;
  const entry = await control(c).setShadow(null, c.get("principal"), "");
  // No candidate was set: nothing recorded, nothing to log (the answer says so with a null entry).
  if (entry) logEvent("info", "shadow-cleared", { requestId: c.get("requestId"), ...entry });
  return c.json({ entry });
});

admin.post("/policy/shadow/promote", async (c) => {
  const body = await parseBody(c, PromoteBody);
  if (body instanceof Response) return body;
  const { shadow } = await control(c).state(1);
  if (!shadow) return c.json({ error: "no shadow candidate is set" }, 409);
  if (body.candidate === body.expected)
    return c.json({ error: `version ${body.candidate} is already active: nothing to promote` }, 409);
  if (shadow !== body.candidate)
    return c.json({ error: "the shadow candidate changed", shadow, candidate: body.candidate }, 409);
  const candidate = await storedCandidate(c, body.candidate, "promote");
  if (candidate instanceof Response) return candidate;
  // The object checks again, atomically with the move, that the candidate is still the one in shadow.
  return activate(
    c,
    { expected: body.expected, version: body.candidate, action: "promote", message: body.message },
    candidate,
  );
});

admin.post("/policy/rollback", async (c) => {
  const body = await parseBody(c, RollbackBody);
  if (body instanceof Response) return body;
  let to = body.to;
  if (!to) {
    const { active, history } = await control(c).state(1000);
    // "The version before" is the one before the active version: asked from another (the caller's view is stale),
    // it is a conflict, as activate would find, not a target to judge (from a generated test: the stale view's
    // version before was the active one, and the answer was that it did not load).
    if (active !== body.expected) {
      // A refused move all the same: logged as the object's refusal is (docs/operations.md), which it was before.
      logEvent("warn", "policy-activation-conflict", {
        requestId: c.get("requestId"),
        expected: body.expected,
        active,
      });
      return c.json({ error: "conflict", active }, 409);
    }
    to = versionBefore(history, body.expected);
    if (!to) return c.json({ error: "no earlier version recorded for the active one; name one with --to" }, 409);
  }
  // Recorded, it would be a move from the active version to itself, which a plain rollback would then repeat.
  if (to === body.expected) return c.json({ error: `version ${to} is already active: nothing to roll back` }, 409);
  const stored = await storedCandidate(c, to, "rollback");
  if (stored instanceof Response) return stored;
  return activate(c, { expected: body.expected, version: to, action: "rollback", message: body.message }, stored);
});

grantRoutes(admin);
denylistRoutes(admin);
ssfRoutes(admin);

admin.all("*", (c) => c.json({ error: "no such admin endpoint" }, 404));
