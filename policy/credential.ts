// The verified credentials of a request, as the decision log records them (the lateral-movement metrics read
// their issued lifetimes), and which one a decision is logged with.
import type { Decision } from "./decision.ts";

/** A verified credential and how long it was issued for. */
export interface CredentialSeen {
  kind: "access-jwt" | "client-certificate";
  lifetimeSeconds: number;
}

/** The credential behind the decision's principal: the certificate for a workload, else the Access token. */
export function credentialBehind(
  decision: Pick<Decision, "principal">,
  credentials: readonly CredentialSeen[],
): CredentialSeen | undefined {
  const kind = decision.principal.startsWith("workload:") ? "client-certificate" : "access-jwt";
  return credentials.find((seen) => seen.kind === kind);
}
