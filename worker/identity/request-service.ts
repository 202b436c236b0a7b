// The service a request is for, read the way evaluate() will read it (the host of request.url, canonicalised,
// then the host index), so that the audience a workload token is checked against, and the Access applications
// that count, are those of the very service the decision is about.
import { canonicalHost, findService, type CompiledPolicy, type PolicyDocument } from "../../policy/index.ts";
import { parseReceived } from "../request-target.ts";

export type ServiceSource = PolicyDocument["services"][string];

export function requestService(request: Request, policy: CompiledPolicy): ServiceSource | undefined {
  const host = parseReceived(request.url)?.host;
  const canonical = host === undefined ? undefined : canonicalHost(host);
  const service = canonical === undefined ? undefined : findService(policy, canonical);
  return service && Object.hasOwn(policy.document.services, service.name)
    ? policy.document.services[service.name]
    : undefined;
}
