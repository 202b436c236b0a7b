// The verified facts about a caller, as the Worker builds them from request.cf.tlsClientAuth, a verified
// Access JWT and a verified workload token (never from headers a client can send). The policy core only reads
// them.
import type { TokenKind } from "./token-issuers.ts";

export interface WorkloadIdentity {
  /** SPIFFE ID from the certificate's SAN URI, or the id the fingerprint registry assigns. */
  id: string;
}

export interface UserIdentity {
  email: string;
  sub?: string;
  /** Group names from Access get-identity; undefined when they were not fetched. */
  groups?: readonly string[];
  /** Device posture check id -> passed, the results current at the request's time; undefined when not fetched. */
  devicePosture?: Readonly<Record<string, boolean>>;
  /**
   * When Access last evaluated each check in devicePosture (ms since the epoch): an open WebSocket's results go
   * stale as it lasts (posture-age.ts), and are judged again at each of its checks.
   */
  devicePostureAt?: Readonly<Record<string, number>>;
  /**
   * Checks Access reported whose result is too old to count at the request's time (posture-age.ts): unknown to every
   * rule, as a check not reported; only /.ward/me reads this, to tell the person.
   */
  devicePostureStale?: readonly string[];
}

export interface ServiceTokenIdentity {
  /** The Access service token's client id (the JWT's common_name). */
  clientId: string;
}

/** A verified workload token (identity.tokenIssuers): a bearer credential, never proof of a certificate. */
export interface WorkloadTokenIdentity {
  /** The issuer's name in identity.tokenIssuers. */
  issuer: string;
  kind: TokenKind;
  /** The token's `sub`. */
  subject: string;
  /**
   * The workload's SPIFFE ID: a JWT-SVID's `sub`, or a Kubernetes service account mapped into the issuer's
   * trust domain. The same identity a certificate gives: `spiffe`, `spiffePrefix` and `trustDomain` match it.
   */
  spiffeId?: string;
  /** The token's claims: `claims` matchers and conditions read them (apart from the Access token's). */
  claims: Readonly<Record<string, unknown>>;
}

export interface Identity {
  /** The workload a verified client certificate names; only a certificate sets it (`requireCertificate`, bothFactors). */
  workload?: WorkloadIdentity;
  /** At most one of user and serviceToken: they come from the one Access token. */
  user?: UserIdentity;
  serviceToken?: ServiceTokenIdentity;
  /** Claims of the verified Access token. */
  claims?: Readonly<Record<string, unknown>>;
  /** A verified workload token; when both it and a certificate name a SPIFFE ID, they name the same one. */
  workloadToken?: WorkloadTokenIdentity;
  /** Granted scopes: the workload token's `scope`/`scp` (Access tokens carry none). */
  scopes?: readonly string[];
}

export function isAuthenticated(identity: Identity): boolean {
  return (
    identity.workload !== undefined ||
    identity.user !== undefined ||
    identity.serviceToken !== undefined ||
    identity.workloadToken !== undefined
  );
}

/** The SPIFFE ID a workload token gives that the certificate does not already (undefined when none or the same). */
function tokenOnlySpiffeId(identity: Identity): string | undefined {
  const id = identity.workloadToken?.spiffeId;
  return id !== undefined && id !== identity.workload?.id ? id : undefined;
}

/** Every SPIFFE ID the caller's credentials name: the certificate's, the workload token's (one when they agree). */
export function workloadIdsOf(identity: Identity): string[] {
  const ids: string[] = [];
  if (identity.workload) ids.push(identity.workload.id);
  const tokenId = tokenOnlySpiffeId(identity);
  if (tokenId !== undefined) ids.push(tokenId);
  return ids;
}

/** Hex as certificates and policies write it (`AB:CD` or `abcd`), in one form: no colons, lower case. */
export const normaliseHex = (hex: string): string => hex.replace(/:/g, "").toLowerCase();

/** Defined with the trust domain itself, in spiffe-id.ts; re-exported for the readers of identities. */
export { trustDomainOf } from "./spiffe-id.ts";

/** Each credential's name among the caller's parts: a workload's, a person's (e-mail in lower case), ... */
export const workloadPart = (id: string): string => `workload:${id}`;
export const userPart = (user: UserIdentity): string => `user:${user.email.toLowerCase()}`;
const tokenPart = (token: ServiceTokenIdentity): string => `token:${token.clientId}`;
/** A workload token that names no SPIFFE ID, by its issuer's name and `sub`. */
const subjectPart = (token: WorkloadTokenIdentity): string => `subject:${token.issuer}/${token.subject}`;

/**
 * The caller's verified credentials by name: `workload:<SPIFFE ID>` (a certificate's or a workload token's),
 * `user:<e-mail>`, `token:<client id>` (an Access service token), `subject:<issuer>/<sub>` (a workload token
 * that names no SPIFFE ID). Read these rather than splitting a principal key on "+": e-mails, SPIFFE IDs and
 * subjects may contain "+" too.
 */
export function principalParts(identity: Identity): string[] {
  const parts = workloadIdsOf(identity).map(workloadPart);
  if (identity.user) parts.push(userPart(identity.user));
  if (identity.serviceToken) parts.push(tokenPart(identity.serviceToken));
  const token = identity.workloadToken;
  if (token && token.spiffeId === undefined) parts.push(subjectPart(token));
  return parts;
}

/**
 * Each of the caller's credentials as a caller of its own, named as in `principalParts` (same order): the
 * certificate (with the workload token that names the same workload), a workload token naming another or none,
 * the Access token's person or service token (with its claims). For what must hold of one credential, not of a
 * combination: a rate limit's bucket (policy/rate-limit-keys.ts).
 */
export function credentialParts(identity: Identity): { part: string; identity: Identity }[] {
  const parts: { part: string; identity: Identity }[] = [];
  const token = identity.workloadToken;
  if (identity.workload) {
    const own = token?.spiffeId === identity.workload.id ? { workloadToken: token } : {};
    parts.push({ part: workloadPart(identity.workload.id), identity: { workload: identity.workload, ...own } });
  }
  const tokenId = tokenOnlySpiffeId(identity);
  if (token && tokenId !== undefined) parts.push({ part: workloadPart(tokenId), identity: { workloadToken: token } });
  if (identity.user)
    parts.push({ part: userPart(identity.user), identity: { user: identity.user, claims: identity.claims } });
  if (identity.serviceToken)
    parts.push({
      part: tokenPart(identity.serviceToken),
      identity: { serviceToken: identity.serviceToken, claims: identity.claims },
    });
  if (token && token.spiffeId === undefined)
    parts.push({ part: subjectPart(token), identity: { workloadToken: token } });
  return parts;
}

/** Whom a person sees they are signed in as: their e-mail, else the service token, else the workload. */
export function displayName(identity: Identity): string | undefined {
  if (identity.user) return identity.user.email;
  if (identity.serviceToken) return `service token ${identity.serviceToken.clientId}`;
  if (identity.workload) return `workload ${identity.workload.id}`;
  // A workload token alone: the workload it names, or its issuer's subject.
  const token = identity.workloadToken;
  if (token) return token.spiffeId ? `workload ${token.spiffeId}` : `${token.issuer} subject ${token.subject}`;
  return undefined;
}

/** A stable name for the caller, used in logs and as the rate-limit key: its parts joined by "+". */
export function principalKey(identity: Identity): string {
  const parts = principalParts(identity);
  return parts.length === 0 ? "anonymous" : parts.join("+");
}
