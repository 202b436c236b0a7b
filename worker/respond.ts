// Every response Ward answers itself comes from here: a generic body with the request id, never the reason;
// people in a browser get the Access login or the denied page instead.
import {
  loginAudience,
  ME_PATH,
  statusFor,
  type AnswerReason,
  type CompiledPolicy,
  type Decision,
  type DeliveryReason,
  type Reason,
} from "../policy/index.ts";
import { UNSAFE } from "../policy/clean-text.ts";
import { logAnswer } from "./log/decisions.ts";
import { deniedPage, isBrowserNavigation, loginRedirect } from "./pages/browser.ts";
import { asReceived } from "./request-target.ts";

const TITLES: Record<number, string> = {
  400: "bad request",
  401: "authentication required",
  403: "forbidden",
  404: "not found",
  429: "too many requests",
  500: "internal error",
  502: "bad gateway",
  503: "service unavailable",
  504: "gateway timeout",
};

/** `extra` adds headers (e.g. Retry-After, RateLimit) without changing the generic body. */
export function gatewayResponse(status: number, requestId: string, extra: Record<string, string> = {}): Response {
  const headers = new Headers({
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "ward-request-id": requestId,
  });
  if (status === 401) headers.set("www-authenticate", 'Bearer realm="ward"');
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  return new Response(`${JSON.stringify({ error: TITLES[status] ?? "error", requestId })}\n`, { status, headers });
}

/** Ward's own answer for a reason, with the status the core's table gives it (policy/status.ts). */
export function answer(
  reason: Reason | AnswerReason | DeliveryReason,
  requestId: string,
  extra: Record<string, string> = {},
): Response {
  return gatewayResponse(statusFor(reason), requestId, extra);
}

/** A deny as an answer: people get the login or the denied page, API clients the generic JSON. */
export function respondToDenial(
  request: Request,
  policy: CompiledPolicy,
  decision: Decision,
  url: URL | undefined,
  requestId: string,
  who?: string,
): Response {
  const access = policy.document.identity.access;
  const service = decision.service ? policy.document.services[decision.service] : undefined;
  if (access && service && isBrowserNavigation(request)) {
    if (decision.reasons.includes("unauthenticated") && url) {
      // The service's own Access application, where it names them: a login to another one gives a token
      // that does not count here.
      const aud = loginAudience(policy, decision.target!.host)!;
      return loginRedirect(access.teamDomain, aud, decision.target!.host, url.pathname + url.search, requestId);
    }
    // A hidden service stays hidden: its refusals are 404, and a revoked or quarantined caller's 403 (the same on
    // every host) gets no page naming it or its owner either.
    if (decision.status === 403 && !service.hide) {
      // Access handles /cdn-cgi/access/logout on every protected host, before the Worker.
      return deniedPage(decision.service!, service.owner, requestId, who, "/cdn-cgi/access/logout", ME_PATH);
    }
  }
  return gatewayResponse(decision.status, requestId);
}

/** Controls, line separators and bidirectional controls, each: an error's text may quote what a client sent. */
const UNSAFE_EVERYWHERE = new RegExp(UNSAFE.source, "gu");
/** An error's detail, as much as an operator needs: its first 500 characters, each unsafe one a "?". */
export const errorText = (error: unknown): string => String(error).slice(0, 500).replace(UNSAFE_EVERYWHERE, "?");

/** Anything unexpected: logged once with its detail, answered with nothing but the status and the request id. */
export function respondToUnexpected(error: unknown, requestId: string, request: Request, started: number): Response {
  logAnswer({
    requestId,
    time: started,
    request: asReceived(request),
    reason: "internal-error",
    status: statusFor("internal-error"),
    latencyMs: Date.now() - started,
    error: errorText(error),
  });
  return answer("internal-error", requestId);
}
