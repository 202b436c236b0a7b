// Ward's gateway Worker: load the compiled policy, canonicalise and decide, then answer or forward.
import { Hono, type MiddlewareHandler } from "hono";
import { applyGrants, evaluate, findService, grantMayApply, MAX_PATH_LENGTH, principalKey, type AnswerReason, type CompiledPolicy, type Decision, type Identity } from "../policy/index.ts";
import { deniedPage, isBrowserNavigation, loginRedirect, madeForAnotherOrigin } from "./pages/browser.ts";
import type { AppEnv, Env } from "./env.ts";
import { consumeGrant, grantsFor } from "./grants/cache.ts";
import { countDenial } from "./denylist/quarantine.ts";
import { denylistVerdict } from "./denylist/cache.ts";
import { assertionFor, assertionKeys, JWKS_PATH } from "./origin/assertion.ts";
import { logAnswer, logDecision } from "./log/decisions.ts";
import { forward } from "./origin/forward.ts";
import { identify } from "./identity/identify.ts";
import type { CertificateFacts } from "./identity/mtls.ts";
import { logEvent } from "./log/events.ts";
import { activePolicy, shadowPolicy } from "./policy-store/store.ts";
import { admin, ADMIN_PREFIX } from "./admin/api.ts";
import { appsFor, PORTAL_PATH, portalPage } from "./pages/portal.ts";
import { gatewayResponse } from "./respond.ts";
import { checkRateLimits } from "./rate-limit/limiter.ts";
import { asReceived, parseReceived, rawPath } from "./request-target.ts";

const app = new Hono<AppEnv>();

/**
 * Ward's own paths answer without a policy decision; each answer is logged once, with the request id the client
 * got (added to the response when the handler gave none). Requests that fall through to the gateway, or fail,
 * are logged there (`logged`).
 */
function ownPath(reason: AnswerReason): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = Date.now();
    await next();
    if (c.get("logged")) return;
    let requestId = c.res.headers.get("ward-request-id");
    if (requestId === null) {
      requestId = c.get("requestId") ?? crypto.randomUUID();
      c.res.headers.set("ward-request-id", requestId);
    }
    const principal = c.get("principal");
    logAnswer({ requestId, time: started, request: asReceived(c.req.raw), reason, status: c.res.status, latencyMs: Date.now() - started, ...(principal ? { principal } : {}) });
  };
}
app.use(JWKS_PATH, ownPath("ward-key-set"));
app.use(PORTAL_PATH, ownPath("ward-portal"));
app.use(`${ADMIN_PREFIX}/*`, ownPath("ward-admin"));

// The assertion verification keys, on every host Ward serves, so origins can fetch them through Ward.
app.get(JWKS_PATH, async (c) => {
  try {
    const keys = await assertionKeys(c.env.ASSERTION_SIGNING_KEYS);
    return c.json(keys.published, 200, { "cache-control": "public, max-age=300" });
  } catch (error) {
    logEvent("error", "assertion-keys-unusable", { error: String(error) });
    return gatewayResponse(503, crypto.randomUUID());
  }
});

// The admin API answers its own paths on every host, before any service route can.
app.route(ADMIN_PREFIX, admin);

// The portal: the apps this person may open, from the same compiled policy.
app.get(PORTAL_PATH, async (c) => {
  const now = Date.now();
  const requestId = crypto.randomUUID();
  const policy = await activePolicy(c.env, now, (p) => c.executionCtx.waitUntil(p));
  if (!policy) return gatewayResponse(503, requestId);
  const { identity, certificate } = await identify(c.req.raw, policy, now, requestId);
  c.set("principal", principalKey(identity));
  const url = new URL(c.req.url);
  if (identity.user) {
    // A revoked or quarantined person sees no list either.
    const listed = await denylistVerdict(c.env, identity, certificate, principalKey(identity), now, (p) => c.executionCtx.waitUntil(p));
    if (listed.state !== "clear") return gatewayResponse(listed.state === "unknown" ? 503 : 403, requestId);
  }
  if (!identity.user) {
    const access = policy.document.identity.access;
    if (access && isBrowserNavigation(c.req.raw)) return loginRedirect(access.teamDomain, access.audiences[0]!, url.hostname, PORTAL_PATH);
    return gatewayResponse(401, requestId);
  }
  return portalPage(identity.user.email, appsFor(policy, identity, url.protocol, url.port), requestId);
});

/**
 * A deny that no rule caused may be lifted by a time-bounded grant of the service (exception or
 * break-glass). Only denied requests look; a grant with a use limit is counted before it is honoured.
 */
async function withGrants(env: Env, policy: CompiledPolicy, decision: Decision, identity: Identity, now: number): Promise<Decision> {
  if (!decision.service || !grantMayApply(decision)) return decision;
  const granted = applyGrants(policy, decision, identity, await grantsFor(env, decision.service, now), now);
  if (granted.exception?.maxUses === undefined) return granted;
  const use = await consumeGrant(env, decision.service, granted.exception.id, now);
  return use.ok ? granted : decision;
}

const isListed = (decision: Decision) => decision.reasons[0] === "revoked" || decision.reasons[0] === "quarantined";

/**
 * Revoked credentials and quarantined identities are refused whatever the policy says. If the denylist
 * cannot be known, identified callers are refused too (503): a revoked credential must not slip through.
 */
async function withDenylist(env: Env, decision: Decision, identity: Identity, certificate: CertificateFacts | undefined, now: number, waitUntil: (p: Promise<unknown>) => void): Promise<Decision> {
  if (decision.principal === "anonymous") return decision;
  const verdict = await denylistVerdict(env, identity, certificate, decision.principal, now, waitUntil);
  if (verdict.state === "clear") return decision;
  const { exception: _exception, wouldDeny: _wouldDeny, rule: _rule, ...rest } = decision;
  const refused = { ...rest, effect: "deny" as const, obligations: { rateLimits: [], headers: {} } };
  if (verdict.state === "unknown") return { ...refused, status: 503, reasons: ["denylist-unavailable"] };
  logEvent("warn", verdict.entry.kind === "quarantine" ? "quarantined-request" : "revoked-request", { principal: decision.principal, entry: verdict.entry.id });
  return { ...refused, status: 403, reasons: [verdict.entry.kind === "quarantine" ? "quarantined" : "revoked"] };
}

/** One place turns a deny into a response: people get the login or the denied page, API clients JSON. */
function denial(request: Request, policy: CompiledPolicy, decision: Decision, url: URL | undefined, requestId: string): Response {
  const access = policy.document.identity.access;
  const service = decision.service ? policy.document.services[decision.service] : undefined;
  if (access && service && isBrowserNavigation(request)) {
    if (decision.reasons.includes("unauthenticated") && url) {
      return loginRedirect(access.teamDomain, access.audiences[0]!, decision.target!.host, url.pathname + url.search);
    }
    // A hidden service stays hidden; only a 403 becomes the page.
    if (decision.status === 403) {
      // Access handles /cdn-cgi/access/logout on every protected host, before the Worker.
      return deniedPage(decision.service!, service.owner, requestId, "/cdn-cgi/access/logout", PORTAL_PATH);
    }
  }
  return gatewayResponse(decision.status, requestId);
}

/** Everything that is not one of Ward's own paths: identify, decide, then answer or forward. */
async function gateway(request: Request, env: Env, ctx: ExecutionContext, received: string): Promise<Response> {
  const started = Date.now();
  const requestId = crypto.randomUUID();
  const waitUntil = (p: Promise<unknown>) => ctx.waitUntil(p);
  const policy = await activePolicy(env, started, waitUntil);
  if (!policy) {
    logAnswer({ requestId, time: started, request: asReceived(request), reason: "policy-unavailable", status: 503, latencyMs: Date.now() - started });
    return gatewayResponse(503, requestId);
  }

  // Verified facts only: request.cf.tlsClientAuth and a verified Access token.
  const { identity, certificate, credentials } = await identify(request, policy, started, requestId);
  // Unparseable (bare workerd, a Host like "a b"): the empty host makes it a bad request (host-invalid).
  const url = parseReceived(received);
  // request.cf is set by Cloudflare's edge, never by the client.
  // "XX" is Cloudflare's "no country known": unknown, as an absent country is (so a deny rule on countries holds).
  const cfCountry = request.cf?.country;
  const country = typeof cfCountry === "string" && cfCountry !== "" && cfCountry !== "XX" ? cfCountry : undefined;
  // A body on GET or HEAD (workerd: a Content-Length, even 0, or a Transfer-Encoding) is refused by evaluate.
  const facts = { method: request.method, host: url?.host ?? "", path: rawPath(received), query: url?.search.slice(1) ?? "", identity, country, body: request.body !== null };
  // The denylist first: a revoked or quarantined caller must not spend a grant's limited uses.
  const listed = await withDenylist(env, evaluate(policy, facts, started), identity, certificate, started, waitUntil);
  const decision = await withGrants(env, policy, listed, identity, started);
  // A workload walking the internal graph: count the denials of identified callers, off the request path.
  // Not those a browser made for another origin's page (images, scripts, forms of a page the person only
  // viewed): any page could otherwise get its viewers quarantined.
  const quarantine = policy.document.quarantine;
  if (quarantine && decision.effect === "deny" && decision.principal !== "anonymous" && (decision.status === 403 || decision.status === 404) && !isListed(decision) && !madeForAnotherOrigin(request)) {
    waitUntil(countDenial(env, decision.principal, quarantine, started));
  }
  // A shadow candidate decides the same request for the log only (ward shadow report); it never answers.
  const shadow = shadowPolicy();
  const shadowDecision = shadow && shadow.version !== policy.version ? evaluate(shadow, facts, started) : undefined;
  const service = decision.target ? findService(policy, decision.target.host) : undefined;

  let response: Response;
  let droppedHeaders: string[] | undefined;
  if (decision.effect === "allow" && service && url) {
    // Counted before anything is signed or forwarded; a refusal never reaches the origin.
    const limited = decision.obligations.rateLimits.length > 0 ? await checkRateLimits(env, decision.obligations.rateLimits, started) : undefined;
    if (limited && !limited.ok) {
      response = gatewayResponse(limited.status, requestId, limited.headers);
    } else {
      let assertion: string | undefined;
      try {
        const keys = await assertionKeys(env.ASSERTION_SIGNING_KEYS);
        assertion = await assertionFor(keys, { identity, decision, certificateSha256: certificate?.sha256, issuer: env.ASSERTION_ISSUER ?? "ward", now: started });
      } catch (error) {
        // Never forward without telling the origin who called: an unsigned request is indistinguishable
        // from one that bypassed Ward.
        logEvent("error", "assertion-keys-unusable", { requestId, error: String(error) });
      }
      if (assertion === undefined) {
        response = gatewayResponse(503, requestId);
      } else {
        const timeout = Number(env.ORIGIN_TIMEOUT_MS);
        const forwarded = await forward(request, url, service, decision, env, requestId, assertion, timeout > 0 ? timeout : undefined);
        droppedHeaders = forwarded.dropped;
        response = forwarded.ok ? forwarded.response : gatewayResponse(forwarded.status, requestId);
      }
      // Both forward() and gatewayResponse() build their own (mutable) Response.
      if (limited) for (const [name, value] of Object.entries(limited.headers)) response.headers.set(name, value);
    }
  } else {
    response = denial(request, policy, decision, url, requestId);
  }
  // The credential behind the principal: the certificate for a workload, else the Access token.
  const credential = credentials.find((seen) => (decision.principal.startsWith("workload:") ? seen.kind === "client-certificate" : seen.kind === "access-jwt"));
  logDecision(
    {
      requestId,
      time: started,
      decision,
      // As received, from what was already read (no second parse on the hot path); bounded like asReceived.
      request: { method: request.method, host: facts.host, path: facts.path.slice(0, MAX_PATH_LENGTH) },
      ...(credential ? { credential } : {}),
      ...(shadowDecision ? { shadow: shadowDecision } : {}),
      ...(droppedHeaders ? { droppedHeaders } : {}),
      status: response.status,
      latencyMs: Date.now() - started,
    },
    env.DECISIONS,
  );
  return response;
}

/** Anything unexpected: logged once with its detail, answered with nothing but the status and the request id. */
function unexpected(error: unknown, requestId: string, request: Request, started: number): Response {
  logAnswer({ requestId, time: started, request: asReceived(request), reason: "internal-error", status: 500, latencyMs: Date.now() - started, error: String(error) });
  return gatewayResponse(500, requestId);
}

app.onError((error, c) => {
  c.set("logged", true);
  return unexpected(error, c.get("requestId") ?? crypto.randomUUID(), c.req.raw, Date.now());
});

// Behind Ward's own paths, Hono hands everything else to the gateway too (e.g. POST to the key set's path).
app.all("*", (c) => {
  c.set("logged", true);
  return gateway(c.req.raw, c.env, c.executionCtx as ExecutionContext, c.req.url);
});

/**
 * Could Hono route this path to one of Ward's own handlers? They all live under "/." (/.ward/...,
 * /.well-known/ward/...), and Hono percent-decodes paths before routing, so any "%" goes to Hono too.
 */
const mayBeReserved = (path: string): boolean => path.startsWith("/.") || path.includes("%");

export default {
  // The proxy path, taken by nearly every request, is a plain function: no router, no framework context.
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const started = Date.now();
    const received = request.url;
    try {
      // Hono answers errors itself (onError); what it cannot (a thrown non-Error) still gets a logged 500.
      if (mayBeReserved(rawPath(received))) return await app.fetch(request, env, ctx);
      return await gateway(request, env, ctx, received);
    } catch (error) {
      return unexpected(error, crypto.randomUUID(), request, started);
    }
  },
} satisfies ExportedHandler<Env>;
// Durable Object classes are exported by the Worker's main module.
export { PolicyControl } from "./policy-store/control.ts";
export { RateLimiter } from "./rate-limit/limiter.ts";
export { Grants } from "./grants/store.ts";
export { Denylist } from "./denylist/store.ts";
export { DenialCounter } from "./denylist/quarantine.ts";
