// The verified facts about a caller, as the Worker builds them from request.cf.tlsClientAuth and a verified
// Access JWT (never from headers a client can send). The policy core only reads them.

export interface WorkloadIdentity {
  /** SPIFFE ID from the certificate's SAN URI, or the id the fingerprint registry assigns. */
  id: string;
}

export interface UserIdentity {
  email: string;
  sub?: string;
  /** Group names from Access get-identity; undefined when they were not fetched. */
  groups?: readonly string[];
  /** Device posture check id -> passed; undefined when not fetched. */
  devicePosture?: Readonly<Record<string, boolean>>;
}

export interface ServiceTokenIdentity {
  /** The Access service token's client id (the JWT's common_name). */
  clientId: string;
}

export interface Identity {
  workload?: WorkloadIdentity;
  /** At most one of user and serviceToken: they come from the one Access token. */
  user?: UserIdentity;
  serviceToken?: ServiceTokenIdentity;
  /** Claims of the verified Access token. */
  claims?: Readonly<Record<string, unknown>>;
  /** Granted scopes (the token's `scope`/`scp`). */
  scopes?: readonly string[];
}

export function isAuthenticated(identity: Identity): boolean {
  return identity.workload !== undefined || identity.user !== undefined || identity.serviceToken !== undefined;
}

/** Hex as certificates and policies write it (`AB:CD` or `abcd`), in one form: no colons, lower case. */
export const normaliseHex = (hex: string): string => hex.replace(/:/g, "").toLowerCase();

/** Defined with the trust domain itself, in spiffe-id.ts; re-exported for the readers of identities. */
export { trustDomainOf } from "./spiffe-id.ts";

/**
 * The caller's verified credentials by name: `workload:<SPIFFE ID>`, `user:<e-mail>`, `token:<client id>`.
 * Read these rather than splitting a principal key on "+": e-mails and SPIFFE IDs may contain "+" too.
 */
export function principalParts(identity: Identity): string[] {
  const parts: string[] = [];
  if (identity.workload) parts.push(`workload:${identity.workload.id}`);
  if (identity.user) parts.push(`user:${identity.user.email.toLowerCase()}`);
  if (identity.serviceToken) parts.push(`token:${identity.serviceToken.clientId}`);
  return parts;
}

/** Whom a person sees they are signed in as: their e-mail, else the service token, else the workload. */
export function displayName(identity: Identity): string | undefined {
  if (identity.user) return identity.user.email;
  if (identity.serviceToken) return `service token ${identity.serviceToken.clientId}`;
  return identity.workload ? `workload ${identity.workload.id}` : undefined;
}

/** A stable name for the caller, used in logs and as the rate-limit key: its parts joined by "+". */
export function principalKey(identity: Identity): string {
  const parts = principalParts(identity);
  return parts.length === 0 ? "anonymous" : parts.join("+");
}
