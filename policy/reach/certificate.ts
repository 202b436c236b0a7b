// A service that requires a client certificate refuses a caller without one before any rule or grant is
// consulted: a grant to a principal that is not a workload holds only with a certificate as well.
import type { PolicyDocument } from "../schema.ts";
import { isWorkloadPrincipal } from "./principals.ts";

export function requiresCertificate(doc: PolicyDocument, service: string): boolean {
  const own = Object.hasOwn(doc.services, service) ? doc.services[service]!.requireCertificate : undefined;
  return own ?? doc.identity.mtls?.required ?? false;
}

/** The conditions of a grant to `principal`, with `client certificate required` where the service needs one the principal does not prove. */
export function withCertificate(
  conditions: readonly string[],
  principal: string,
  required: boolean,
): readonly string[] {
  return required && !isWorkloadPrincipal(principal) ? [...conditions, "client certificate required"] : conditions;
}
