// Ward's own paths, on every host, before any service route can answer them: the assertion keys (so origins can
// fetch them through Ward), the admin API and the portal. Hono routes them; each answer is logged once.
import { Hono, type Handler, type MiddlewareHandler } from "hono";
import {
  ADMIN_PREFIX,
  adminAnswersOn,
  canonicalHost,
  denylistReason,
  isAuthenticated,
  KEY_SET_PATH,
  loginAudience,
  ME_PATH,
  PORTAL_PATH,
  principalKey,
  SSF_EVENTS_PREFIX,
  type AnswerReason,
} from "../policy/index.ts";
import { admin } from "./admin/api.ts";
import { denylistVerdict, readDenylistCopy } from "./denylist/cache.ts";
import type { AppEnv } from "./env.ts";
import { gateway } from "./gateway.ts";
import { identify } from "./identity/identify.ts";
import { logEvent } from "./log/events.ts";
import { logAnswer } from "./log/decisions.ts";
import { assertionKeys } from "./origin/assertion.ts";
import { isBrowserNavigation, loginRedirect, madeByAPage } from "./pages/browser.ts";
import { standingJson, standingPage } from "./pages/me.ts";
import { appsFor } from "./pages/portal.ts";
import { activePolicy } from "./policy-store/store.ts";
import { asReceived } from "./request-target.ts";
import { answer, respondToUnexpected } from "./respond.ts";
import { receiveSet } from "./ssf/receive.ts";

export const app = new Hono<AppEnv>();

/**
 * Ward's own paths answer without a policy decision; each answer is logged once, with the request id the client
 * got (added to the response when the handler gave none). Requests that fall through to the gateway, or fail,
 * are logged there (`logged`). Each answer Ward makes here is for the caller who asked (an admin's policy, grants
 * and denylist, a refusal, an error handler's failure): `no-store` unless its handler said otherwise (the public
 * key set), or a cache keyed on the URL (a TLS-inspecting forward proxy, one in front of the gateway) could serve
 * it to another caller. Only an answer handed on to the gateway (`handedOn`: perhaps an origin's, which keeps its
 * own Cache-Control and the gateway's `private` rule) is left as it is.
 */
function ownPath(reason: AnswerReason): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = Date.now();
    await next();
    // Before the `logged` test: an error handler logs its own answer, and no-store must not depend on its saying so.
    if (!c.get("handedOn") && !c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
    if (c.get("logged")) return;
    let requestId = c.res.headers.get("ward-request-id");
    if (requestId === null) {
      requestId = c.get("requestId") ?? crypto.randomUUID();
      c.res.headers.set("ward-request-id", requestId);
    }
    const principal = c.get("principal");
    logAnswer({
      requestId,
      time: started,
      request: asReceived(c.req.raw),
      reason,
      status: c.res.status,
      latencyMs: Date.now() - started,
      ...(principal ? { principal } : {}),
    });
  };
}
app.use(KEY_SET_PATH, ownPath("ward-key-set"));
app.use(PORTAL_PATH, ownPath("ward-portal"));
app.use(ME_PATH, ownPath("ward-portal"));
app.use(`${ADMIN_PREFIX}/*`, ownPath("ward-admin"));
app.use(`${SSF_EVENTS_PREFIX}/*`, ownPath("ward-ssf"));

// The assertion verification keys, on every host Ward serves, so origins can fetch them through Ward.
app.get(KEY_SET_PATH, async (c) => {
  try {
    const keys = await assertionKeys(c.env.ASSERTION_SIGNING_KEYS);
    return c.json(keys.published, 200, { "cache-control": "public, max-age=300" });
  } catch (error) {
    logEvent("error", "assertion-keys-unusable", { error: String(error) });
    return answer("assertion-unavailable", crypto.randomUUID());
  }
});

// The admin API answers its own paths on every host, before any service route can: on a service's host, 404
// (policy/admin-host.ts says why).
app.route(ADMIN_PREFIX, admin);

// Security Event Tokens pushed by the transmitters the policy trusts (docs/ssf.md); any other method: 405.
app.all(`${SSF_EVENTS_PREFIX}/:transmitter`, receiveSet);

// Where do I stand (and the portal, the same page): who Ward sees, the facts it sees, the apps this caller may
// open, from the same compiled policy. Groups and posture are always looked up here (the hot path does so only
// where a rule reads them), through the same cache the gateway decides by, so the page shows what it decides on.
/** `asJson`: whether this request gets the facts as JSON (API clients and workloads) rather than the page. */
const whereIStand =
  (asJson: (request: Request) => boolean): Handler<AppEnv> =>
  async (c) => {
    const now = Date.now();
    const requestId = crypto.randomUUID();
    const policy = await activePolicy(c.env, now, (p) => c.executionCtx.waitUntil(p));
    if (!policy) return answer("policy-unavailable", requestId);
    // On an application's host, a script of that application's pages (an XSS, an app that serves its users'
    // HTML) could read the visitor's groups, posture and other apps with the Access cookie the browser adds: as
    // for the admin API (policy/admin-host.ts), but the page stays there for the person who opens it.
    if (madeByAPage(c.req.raw) && !adminAnswersOn(policy, new URL(c.req.url).host))
      return answer("route-not-found", requestId);
    // Security events may have made cached groups and posture stale (worker/ssf/): the copy says whose.
    if (policy.document.sharedSignals) await readDenylistCopy(c.env, now, (p) => c.executionCtx.waitUntil(p));
    const { identity, certificate, credentials, expiresAt } = await identify(c.req.raw, policy, now, requestId, {
      groups: true,
      devicePosture: true,
    });
    c.set("principal", principalKey(identity));
    const url = new URL(c.req.url);
    if (!isAuthenticated(identity)) {
      const access = policy.document.identity.access;
      // The host as the gateway reads it (a trailing dot, capitals): that service's own Access application.
      const host = canonicalHost(url.host);
      const audience = access && host ? loginAudience(policy, host) : undefined;
      if (access && host && audience && isBrowserNavigation(c.req.raw))
        return loginRedirect(access.teamDomain, audience, host, url.pathname, requestId);
      return answer("unauthenticated", requestId);
    }
    // A revoked or quarantined caller sees nothing either.
    const listed = await denylistVerdict(c.env, identity, certificate, principalKey(identity), now, (p) =>
      c.executionCtx.waitUntil(p),
    );
    const refused = denylistReason(listed);
    if (refused) return answer(refused, requestId);
    const standing = { identity, credentials, expiresAt, apps: appsFor(policy, identity, url.protocol, url.port), now };
    return asJson(c.req.raw) ? standingJson(standing, requestId) : standingPage(standing, requestId);
  };
// The portal is a page; /.ward/me answers a browser with the page and anything else with JSON.
app.get(
  PORTAL_PATH,
  whereIStand(() => false),
);
app.get(
  ME_PATH,
  whereIStand(
    (request) => !isBrowserNavigation(request) && !(request.headers.get("accept") ?? "").includes("text/html"),
  ),
);

app.onError((error, c) => {
  c.set("logged", true);
  return respondToUnexpected(error, c.get("requestId") ?? crypto.randomUUID(), c.req.raw, Date.now());
});

// Behind Ward's own paths, Hono hands everything else to the gateway too (e.g. POST to the key set's path).
app.all("*", (c) => {
  c.set("logged", true);
  c.set("handedOn", true);
  return gateway(c.req.raw, c.env, c.executionCtx as ExecutionContext, c.req.url);
});

/**
 * Could Hono route this path to one of Ward's own handlers? They all live under "/." (/.ward/...,
 * /.well-known/ward/...), and Hono percent-decodes paths before routing, so any "%" goes to Hono too.
 */
export const mayBeReserved = (path: string): boolean => path.startsWith("/.") || path.includes("%");
