// evaluate(compiled, request, now) -> Decision. Pure; never throws for request data. Default deny; a
// matching deny rule overrides any allow.
import { canonicalTarget, type CanonicalTarget } from "./canonical-target.ts";
import { failedConditions } from "./conditions.ts";
import {
  findService,
  type CompiledPolicy,
  type CompiledRoute,
  type CompiledRule,
  type CompiledService,
} from "./compile.ts";
import type { Decision, Obligations, Reason, RuleTrace } from "./decision.ts";
import { isAuthenticated, principalKey, type Identity } from "./identity.ts";
import { accessName, accessPart, principalsMatch } from "./principals.ts";
import { statusFor } from "./status.ts";

export interface RequestFacts {
  method: string;
  host: string;
  /** The raw path as received (percent-encoded, without the query). */
  path: string;
  /** The raw query as received, without the `?`: never matched, only refused if it overrides the method. */
  query?: string;
  identity: Identity;
  /** Cloudflare's country code for the client. */
  country?: string;
  /** The request carries content (the Worker: `request.body !== null`, i.e. a Content-Length or Transfer-Encoding). */
  body?: boolean;
}

function traceRule(rule: CompiledRule, request: RequestFacts, now: number): RuleTrace {
  const { identity } = request;
  const trace: RuleTrace = { rule: rule.id, effect: rule.effect, outcome: "applies", detail: [] };
  const deny = rule.effect === "deny";
  if (rule.principals && !principalsMatch(rule.principals, identity, deny)) {
    trace.outcome = "principal-not-matched";
    trace.detail.push(`caller is none of: ${rule.principals.labels.join("; ")}`);
  }
  const both = rule.bothFactors;
  if (both) {
    const missing: string[] = [];
    if (!identity.workload || !principalsMatch(both.workload, { workload: identity.workload })) {
      missing.push(`no workload among: ${both.workload.labels.join("; ")}`);
    }
    const access = accessPart(identity);
    if (!isAuthenticated(access) || !principalsMatch(both.access, access, deny)) {
      missing.push(`no Access identity among: ${both.access.labels.join("; ")}`);
    }
    const name = accessName(identity);
    if (missing.length === 0 && (name === undefined || !both.pairs.has(`${identity.workload!.id} ${name}`))) {
      missing.push(`workload and Access identity are not paired in binding ${both.binding}`);
    }
    if (missing.length > 0) {
      trace.outcome = "principal-not-matched";
      trace.detail.push(...missing);
    }
  }
  if (rule.conditions) {
    const failed = failedConditions(rule.conditions, {
      identity,
      now,
      country: request.country,
      unknownHolds: deny,
    });
    if (failed.length > 0) {
      if (trace.outcome === "applies") trace.outcome = "conditions-failed";
      trace.detail.push(...failed);
    }
  }
  return trace;
}

function emptyObligations(): Obligations {
  return { rateLimits: [], headers: {} };
}

/**
 * Audit mode answers allow but records the deny that enforce mode would have answered. Targets that
 * cannot be matched at all (bad request, unknown host) are refused in every mode.
 */
function finish(service: CompiledService | undefined, decision: Decision): Decision {
  if (decision.effect === "deny" && service?.mode === "audit") {
    return {
      ...decision,
      effect: "allow",
      status: statusFor("audit-would-deny"),
      reasons: ["audit-would-deny", ...decision.reasons],
      wouldDeny: { status: decision.status, reasons: decision.reasons, rule: decision.rule },
    };
  }
  return decision;
}

export function evaluate(policy: CompiledPolicy, request: RequestFacts, now: number): Decision {
  const principal = principalKey(request.identity);
  const base = {
    mode: "enforce" as "enforce" | "audit",
    principal,
    obligations: emptyObligations(),
    policyVersion: policy.version,
    trace: [] as RuleTrace[],
  };
  const canonical = canonicalTarget(request.method, request.host, request.path, request.query);
  if (!canonical.ok) {
    return {
      ...base,
      effect: "deny",
      status: statusFor("bad-request"),
      reasons: ["bad-request"],
      problem: canonical.problem,
    };
  }
  const target: CanonicalTarget = canonical.target;
  const service = findService(policy, target.host);
  if (!service)
    return { ...base, effect: "deny", status: statusFor("host-not-found"), reasons: ["host-not-found"], target };
  // GET and HEAD carry no content (RFC 9110 §9.3.1-2). One that does cannot be forwarded as it came, and a body
  // the origin may or may not read is where request smuggling starts: refused in every mode, like a bad target.
  if (request.body && (target.method === "GET" || target.method === "HEAD")) {
    return {
      ...base,
      effect: "deny",
      status: statusFor("body-not-allowed"),
      reasons: ["body-not-allowed"],
      service: service.name,
      target,
    };
  }

  const serviceBase = { ...base, mode: service.mode, service: service.name, target };
  const authenticated = isAuthenticated(request.identity);
  if (service.requireCertificate && !request.identity.workload) {
    return finish(service, {
      ...serviceBase,
      effect: "deny",
      status: statusFor("certificate-required"),
      reasons: ["certificate-required"],
    });
  }

  const route: CompiledRoute | undefined = service.routes.find(
    target.segments,
    (r) => r.methods === "any" || r.methods.has(target.method),
  );
  if (!route) {
    // An anonymous caller is asked to authenticate rather than told what exists.
    const reason: Reason = authenticated ? "route-not-found" : "unauthenticated";
    return finish(service, {
      ...serviceBase,
      effect: "deny",
      status: statusFor(reason, service.hide),
      reasons: [reason],
    });
  }

  const routeBase = { ...serviceBase, route: route.id };
  let firstAllow: CompiledRule | undefined;
  let firstDeny: CompiledRule | undefined;
  for (const rule of route.rules) {
    const trace = traceRule(rule, request, now);
    routeBase.trace.push(trace);
    if (trace.outcome !== "applies") continue;
    if (rule.effect === "deny") firstDeny ??= rule;
    else firstAllow ??= rule;
  }

  if (firstDeny) {
    return finish(service, {
      ...routeBase,
      effect: "deny",
      status: statusFor("denied-by-rule", service.hide),
      reasons: ["denied-by-rule"],
      rule: firstDeny.id,
    });
  }
  if (!firstAllow) {
    const reason: Reason = authenticated ? "no-matching-rule" : "unauthenticated";
    return finish(service, {
      ...routeBase,
      effect: "deny",
      status: statusFor(reason, service.hide),
      reasons: [reason],
    });
  }

  const obligations = emptyObligations();
  if (firstAllow.rateLimit) {
    const { limit, periodSeconds, key, failOpen } = firstAllow.rateLimit;
    obligations.rateLimits.push({
      rule: firstAllow.id,
      key: key === "principal" ? principal : `${principal} ${route.id}`,
      limit,
      periodSeconds,
      failOpen,
    });
  }
  if (firstAllow.headers) Object.assign(obligations.headers, firstAllow.headers);
  return {
    ...routeBase,
    effect: "allow",
    status: statusFor("allowed-by-rule"),
    reasons: ["allowed-by-rule"],
    rule: firstAllow.id,
    obligations,
  };
}
