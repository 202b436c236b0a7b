// Whether a shadow candidate would identify a request's caller as the active policy did. Identity is read from
// the policy as much as from the request: its identity sources (token issuers, Access and its limits, the
// client CAs, the trust domains), security events (sharedSignals), the Access applications services claim, and
// the request's own service (the audience a workload token must name, the Access applications that count there).
// A candidate that changes any of these for a request is decided on an identity of its own (shadow-line.ts), or
// its decision would be the active identity's: a new service's workloads shown as anonymous, a changed
// tokenAudience locking every workload out shown as no change (from a generated review of shadow policies).
import { claimedAudiences, tokenAudienceOf, type CompiledPolicy } from "../../policy/index.ts";
import { requestService } from "../identity/request-service.ts";

/** What of a policy, beyond the request's service, identify() reads: compared once per pair of versions. */
function sourcesOf(policy: CompiledPolicy): string {
  const doc = policy.document;
  // sharedSignals: whether security events hold a person's cached directory facts and posture (identify-access.ts).
  return JSON.stringify([
    doc.identity,
    doc.metadata.trustDomains ?? null,
    [...claimedAudiences(doc)].sort(),
    doc.sharedSignals ?? null,
  ]);
}

const alikeSources = new WeakMap<CompiledPolicy, { active: CompiledPolicy; alike: boolean }>();

function sourcesAlike(active: CompiledPolicy, shadow: CompiledPolicy): boolean {
  const known = alikeSources.get(shadow);
  if (known?.active === active) return known.alike;
  const alike = sourcesOf(active) === sourcesOf(shadow);
  alikeSources.set(shadow, { active, alike });
  return alike;
}

/** The audiences a request's credentials are checked against at its service (none: a host no service answers). */
function audiencesAt(request: Request, policy: CompiledPolicy): string {
  const service = requestService(request, policy);
  return service === undefined ? "" : JSON.stringify([tokenAudienceOf(service), service.accessAudiences ?? null]);
}

/** True when identify() with the candidate would read this request's credentials exactly as with the active policy. */
export function identifiesAlike(request: Request, active: CompiledPolicy, shadow: CompiledPolicy): boolean {
  return sourcesAlike(active, shadow) && audiencesAt(request, active) === audiencesAt(request, shadow);
}
