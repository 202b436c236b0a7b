// The verified credentials of a request, as the decision log records them (the lateral-movement metrics read
// their issued lifetimes), and which one a decision is logged with.
import type { Decision } from "./decision.ts";

export type CredentialKind = "access-jwt" | "client-certificate" | "workload-token";

/** A verified credential and how long it was issued for. */
export interface CredentialSeen {
  kind: CredentialKind;
  lifetimeSeconds: number;
  /**
   * Seconds it had left at the request: `exp` minus the request's second (negative when used past `exp`, within
   * the clock skew allowed), or a certificate's own notAfter minus it (whatever its intermediates').
   */
  remainingSeconds?: number;
  /** Who issued it: the token's `iss` (the Access team domain for an Access token). */
  issuer?: string;
}

/**
 * The credential behind the decision's principal: for a workload the certificate (or, without one, the
 * workload token that named it), for a token subject the workload token, else the Access token.
 */
export function credentialBehind(
  decision: Pick<Decision, "principal">,
  credentials: readonly CredentialSeen[],
): CredentialSeen | undefined {
  const { principal } = decision;
  const kinds: CredentialKind[] = principal.startsWith("workload:")
    ? ["client-certificate", "workload-token"]
    : principal.startsWith("subject:")
      ? ["workload-token"]
      : ["access-jwt"];
  for (const kind of kinds) {
    const seen = credentials.find((c) => c.kind === kind);
    if (seen) return seen;
  }
  return undefined;
}
