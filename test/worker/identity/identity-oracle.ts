// The oracle of the identity differential test, written from the docs (docs/policy.md: identity.access,
// identity.mtls, identity.tokenIssuers, principal matchers, `bothFactors`, conditions, rateLimit, quarantine, the
// decision; docs/origin-assertion.md; docs/operations.md's decision log; docs/architecture.md's identity step),
// not from the code: given a generated policy and what a request carries, which credentials count, who the caller
// is, what the gateway answers, what the origin is told and what the log says.
import {
  AUD,
  CERT_FIXTURES,
  CLUSTER_ISS,
  DEMO_TD,
  GITHUB_ISS,
  ISSUER_NAMES,
  OTHER_APP,
  PARTNER_TD,
  SAFE_METHODS,
  SPIRE_ISS,
  TEAM,
  tokenAudienceOf,
  type AccessSpec,
  type Case,
  type GenPolicy,
  type GenRule,
  type GenService,
  type Matcher,
} from "./identity-cases.ts";

/** A certificate that gave a workload identity. */
interface CertId {
  id: string;
}
/** A verified Access token: a person or a service token, and the token's claims. */
interface AccessId {
  email?: string;
  clientId?: string;
  groups?: string[];
  claims: Record<string, unknown>;
}
/** A verified workload token. */
interface TokenId {
  issuerName: string;
  iss: string;
  sub: string;
  spiffeId?: string;
  scopes: string[];
  claims: Record<string, unknown>;
}
/** The caller: the credentials that count (any subset, each alone a caller too). */
export interface Caller {
  cert?: CertId;
  access?: AccessId;
  token?: TokenId;
}

export interface Expected {
  status: number;
  forwarded: boolean;
  principal: string;
  /** The decision's reasons. */
  reasons: string[];
  /** `service/route/rule` when a rule decided. */
  rule?: string;
  /** The decision log's `credential`: its kind and issuer, or null. */
  credential: { kind: string; issuer?: string } | null;
  /** The assertion's identity claims, for a forwarded request. */
  assertion?: {
    sub: string;
    workload?: string;
    email?: string;
    service_token?: string;
    scope?: string;
    credentials: string[];
    cnf: boolean;
    wouldDeny?: string;
  };
  /** The origin receives the client's Authorization (a token not Ward's, where the service forwards it). */
  authorizationForwarded: boolean;
  /** The deciding allow rule's rate-limit keys (`key` of each obligation), sorted; undefined without a limit. */
  rateLimitKeys?: string[];
  /** Whom a denial would count against for quarantine, sorted (identified callers only). */
  quarantineKeys: string[];
  /**
   * Whether each event about the request's credentials is logged: a credential that was read and does not count
   * is never dropped without a word.
   */
  events: Record<CredentialEvent, boolean>;
}

export type CredentialEvent =
  | "client-certificate-rejected"
  | "access-token-rejected"
  | "workload-token-rejected"
  | "workload-credentials-disagree";

/** The stand-in directory's groups (vitest.config.ts): a person's by the local part of their e-mail. */
const DIRECTORY: Record<string, string> = { editor: "wiki-editors", admin: "ward-admins", sre: "sre" };

const lower = (s: string) => s.toLowerCase();

/**
 * docs/policy.md, identity.mtls: presented, verified, not revoked, a pinned issuer (a `certificate` pin also proves
 * its key signed it), in date; then the registry entry for its fingerprint, else (with `spiffe`) the SPIFFE ID of
 * an X509-SVID: exactly one URI SAN, a SPIFFE ID with a path, in a trust domain the issuer is bound to, not a CA's.
 */
function certificateIdentity(p: GenPolicy, c: Case): CertId | undefined {
  const cert = c.cert;
  if (cert?.state !== "ok") return undefined;
  const f = CERT_FIXTURES[cert.fixture];
  // A self-signed certificate reported with the workload CA's names: a name pin takes it, the CA's key did not sign it.
  if (f.issuer === "self" && p.demoPin === "certificate") return undefined;
  const registered = p.registry.find((e) => e.fixture === cert.fixture);
  if (registered) return { id: registered.id };
  if (!p.spiffe) return undefined;
  if (f.uris.length !== 1 || f.ca) return undefined;
  const match = /^spiffe:\/\/([a-z0-9._-]+)\/[a-z0-9._/-]+$/.exec(f.uris[0]!);
  if (!match) return undefined;
  const bound = f.issuer === "partner" ? [PARTNER_TD] : [DEMO_TD];
  return bound.includes(match[1]!) ? { id: f.uris[0]! } : undefined;
}

/** The service the request's host names. */
const serviceOf = (p: GenPolicy, c: Case): GenService | undefined =>
  c.service < 0 ? undefined : p.services[c.service];

/**
 * docs/policy.md, identity.access: which token is read. The header (the cookie beside it is not read, whatever it
 * holds and whether the header's token counts), or the cookie on GET/HEAD/OPTIONS; on a state-changing request a
 * browser made for another site's page, none; two different CF_Authorization cookies, none, and not the header
 * beside them either.
 */
function accessTokenRead(c: Case): AccessSpec | "unreadable" | undefined {
  const sent = c.access;
  if (!sent) return undefined;
  const safe = SAFE_METHODS.includes(c.method);
  // For another origin's page: Sec-Fetch-Site other than same-origin or none, or without it an Origin not the
  // request's own (null included).
  const { site, origin } = c.browser;
  const forAnotherOrigin =
    site !== undefined ? site !== "same-origin" && site !== "none" : origin !== undefined && origin !== "own";
  if (!safe && forAnotherOrigin) return undefined;
  switch (sent.delivery) {
    case "header":
    case "header-and-same-cookie":
      return sent.token;
    case "header-and-other-cookie":
      return sent.token;
    case "bad-header-and-cookie":
      return "unreadable";
    case "two-cookie-fields":
      return sameToken(sent.token, sent.other) && safe ? sent.token : undefined;
    case "header-twice":
      // Two header fields are one value joined by ", ": not a token.
      return "unreadable";
    case "cookie":
      return safe ? sent.token : undefined;
    case "two-cookies":
      // The same token twice is that token.
      return sameToken(sent.token, sent.other) && safe ? sent.token : undefined;
    case "two-cookies-and-header":
      return sameToken(sent.token, sent.other) ? sent.token : undefined;
  }
}

/** Whether two generated tokens are one (a service token's claims name no one but its client id). */
const sameToken = (a: AccessSpec, b: AccessSpec): boolean =>
  a.state === b.state && JSON.stringify(accessClaims(a, AUD)) === JSON.stringify(accessClaims(b, AUD));

/** docs/policy.md, identity.access: a token that verifies, and whom it names; else none. */
function accessIdentity(p: GenPolicy, c: Case): AccessId | undefined {
  const token = accessTokenRead(c);
  if (token === undefined || token === "unreadable") return undefined;
  if (token.state !== "ok" && token.state !== "other-app") return undefined;
  // A service that lists accessAudiences takes only those applications' tokens; a host no service answers takes
  // only those of an application no service lists.
  const service = serviceOf(p, c);
  const audience = token.state === "other-app" ? OTHER_APP : AUD;
  if (service) {
    if (service.accessAudiences && !service.accessAudiences.includes(audience)) return undefined;
  } else {
    const claimed = new Set(p.services.flatMap((s) => s.accessAudiences ?? []));
    if (claimed.size > 0 && claimed.has(audience)) return undefined;
  }
  const claims = accessClaims(token, audience);
  const who = token.who;
  if (who.kind === "person") {
    const local = lower(who.email).split("@")[0]!;
    const group = DIRECTORY[local];
    return { email: who.email, groups: group ? [group] : [], claims };
  }
  if (who.kind === "service") return { clientId: who.clientId, claims };
  // A common_name that is no client id, an email that is no address: refused.
  return undefined;
}

/** The claims of a generated Access token (identity-requests.ts writes them), without its times. */
export function accessClaims(token: AccessSpec, audience: string): Record<string, unknown> {
  const who = token.who;
  return {
    type: "app",
    iss: TEAM,
    aud: [audience],
    sub: who.kind === "service" ? "" : token.sub,
    ...(who.kind === "person" || who.kind === "bad-email" ? { email: who.email } : {}),
    ...(who.kind === "service" ? { common_name: who.clientId } : {}),
    ...(who.kind === "cn" ? { common_name: who.cn } : {}),
    ...token.extra,
  };
}

/** The payload claims of a generated workload token (identity-requests.ts writes them), without its times. */
export function workloadClaims(c: Case, p: GenPolicy): Record<string, unknown> {
  const w = c.workload!;
  const service = serviceOf(p, c);
  const others = p.services.filter((s) => s !== service);
  const audience =
    w.state === "wrong-audience"
      ? others.length > 0
        ? tokenAudienceOf(others[0]!)
        : "https://elsewhere.example"
      : service
        ? tokenAudienceOf(service)
        : "https://nowhere.example";
  const scopes =
    w.state === "scope-and-scp"
      ? { scope: w.scopes.join(" ") || "orders:read", scp: w.scopes }
      : w.scopes.length === 0
        ? {}
        : w.scopesAs === "scope"
          ? { scope: w.scopes.join(" ") }
          : { scp: w.scopes };
  switch (w.issuer) {
    case "spire":
      return {
        iss: SPIRE_ISS,
        sub: w.state === "not-the-issuers" ? `spiffe://${PARTNER_TD}/ns/billing/sa/sync` : w.subject,
        aud: [audience],
        ...scopes,
        ...w.extra,
      };
    case "cluster": {
      const [namespace, name] = w.subject.split(":") as [string, string];
      return {
        iss: CLUSTER_ISS,
        sub: `system:serviceaccount:${namespace}:${name}`,
        aud: [audience],
        "kubernetes.io": { namespace, serviceaccount: { name, uid: "a709ef71-30e2-489a-bd19-ade97031b9db" } },
        ...scopes,
        ...w.extra,
      };
    }
    case "github":
    case "unknown": {
      const owner = w.state === "not-the-issuers" ? "someone-else" : "ward-demo";
      return {
        iss: w.issuer === "github" ? GITHUB_ISS : "https://tokens.unknown.example",
        sub: `repo:${owner}/orders:ref:refs/heads/${w.subject}`,
        aud: audience,
        repository: `${owner}/orders`,
        repository_owner: owner,
        ref: `refs/heads/${w.subject}`,
        ...scopes,
        ...w.extra,
      };
    }
  }
}

/**
 * docs/policy.md, identity.tokenIssuers: the token of an issuer the policy names, verified for the service's
 * audience, becomes the workload (a JWT-SVID's SPIFFE ID, a service account mapped into a trust domain) or a
 * subject; anything wrong makes it no credential. One of an unknown issuer is not Ward's.
 */
function tokenIdentity(p: GenPolicy, c: Case): TokenId | undefined {
  const w = c.workload;
  if (!w || w.issuer === "unknown" || w.state !== "ok") return undefined;
  // No service, no audience: no token counts.
  if (!serviceOf(p, c)) return undefined;
  const claims = workloadClaims(c, p);
  const sub = String(claims.sub);
  switch (w.issuer) {
    case "spire":
      return { issuerName: ISSUER_NAMES.spire, iss: SPIRE_ISS, sub, spiffeId: sub, scopes: w.scopes, claims };
    case "cluster": {
      const [namespace, name] = w.subject.split(":");
      return {
        issuerName: ISSUER_NAMES.cluster,
        iss: CLUSTER_ISS,
        sub,
        ...(p.clusterTrustDomain ? { spiffeId: `spiffe://${DEMO_TD}/ns/${namespace}/sa/${name}` } : {}),
        // Kubernetes writes no scopes, and a scope claim in its token is not read.
        scopes: [],
        claims,
      };
    }
    case "github":
      return { issuerName: ISSUER_NAMES.github, iss: GITHUB_ISS, sub, scopes: w.scopes, claims };
  }
}

/** The caller: each credential's identity, a certificate and a token naming two workloads counting as neither. */
export function callerOf(p: GenPolicy, c: Case): Caller {
  const caller: Caller = {};
  const cert = certificateIdentity(p, c);
  const access = accessIdentity(p, c);
  const token = tokenIdentity(p, c);
  if (access) caller.access = access;
  const disagree = cert && token?.spiffeId !== undefined && token.spiffeId !== cert.id;
  if (!disagree) {
    if (cert) caller.cert = cert;
    if (token) caller.token = token;
  }
  return caller;
}

/** The SPIFFE IDs the caller's credentials name (the certificate's, the token's; once when the same). */
const workloadIds = (who: Caller): string[] => [
  ...new Set([who.cert?.id, who.token?.spiffeId].filter((id): id is string => id !== undefined)),
];

/** docs/policy.md, the claims matcher: every listed claim, by type; a list means any; an array claim any member. */
function claimsHold(required: Record<string, unknown>, claims: Record<string, unknown> | undefined): boolean {
  if (!claims) return false;
  return Object.entries(required).every(([name, want]) => {
    const wanted = Array.isArray(want) ? want : [want];
    const have = claims[name];
    const haves = Array.isArray(have) ? have : [have];
    return haves.some((h) => wanted.some((w) => w === h));
  });
}

/** docs/policy.md, principal matchers: the caller matches when any of its credentials satisfies one matcher. */
function matches(p: GenPolicy, matchers: readonly Matcher[], who: Caller): boolean {
  const expanded = matchers.flatMap((m) => ("set" in m ? p.sets[String(m.set)]! : [m]));
  return expanded.some((m) => {
    if ("public" in m) return true;
    if ("authenticated" in m) return who.cert !== undefined || who.access !== undefined || who.token !== undefined;
    const ids = workloadIds(who);
    if ("spiffe" in m) return ids.includes(String(m.spiffe));
    if ("spiffePrefix" in m) return ids.some((id) => id.startsWith(String(m.spiffePrefix)));
    if ("trustDomain" in m) return ids.some((id) => id.split("/")[2] === m.trustDomain);
    const email = who.access?.email;
    if ("email" in m) return email !== undefined && lower(email) === lower(String(m.email));
    if ("emailDomain" in m) return email !== undefined && lower(email.split("@")[1]!) === m.emailDomain;
    if ("group" in m) return (who.access?.groups ?? []).includes(String(m.group));
    if ("serviceToken" in m) return who.access?.clientId === m.serviceToken;
    if ("claims" in m) {
      const required = m.claims as Record<string, unknown>;
      return claimsHold(required, who.access?.claims) || claimsHold(required, who.token?.claims);
    }
    throw new Error(`oracle: unknown matcher ${JSON.stringify(m)}`);
  });
}

/** One credential that carries grants, as conditions read it: its scopes and its claims. */
interface Grants {
  scopes: readonly string[];
  claims?: Record<string, unknown>;
}

/**
 * docs/policy.md, conditions: an allow rule reads scopes and claims from one credential its principals match by
 * itself (the workload token, with the certificate it names; the Access token); a bothFactors rule the Access
 * token's, and the workload token's only when it names the certificate's workload. A deny rule reads every
 * credential.
 */
function grantHolders(p: GenPolicy, rule: GenRule, who: Caller): Grants[] {
  if (rule.effect === "deny")
    return [
      { scopes: who.token?.scopes ?? [], claims: who.access?.claims },
      { scopes: who.token?.scopes ?? [], claims: who.token?.claims },
    ];
  const holders: Grants[] = [];
  if (who.token) {
    const bound = who.cert !== undefined && who.cert.id === who.token.spiffeId;
    const itself: Caller = bound ? { token: who.token, cert: who.cert } : { token: who.token };
    if (rule.principals ? matches(p, rule.principals, itself) : bound)
      holders.push({ scopes: who.token.scopes, claims: who.token.claims });
  }
  if (who.access && (!rule.principals || matches(p, rule.principals, { access: who.access })))
    holders.push({ scopes: [], claims: who.access.claims });
  return holders;
}

function conditionsHold(p: GenPolicy, rule: GenRule, who: Caller): boolean {
  const when = rule.when;
  if (!when) return true;
  return grantHolders(p, rule, who).some(
    (g) =>
      (when.scopes ?? []).every((s) => g.scopes.includes(s)) &&
      (when.claims === undefined || claimsHold(when.claims, g.claims)),
  );
}

/** docs/policy.md, bothFactors: the certificate's workload, the Access identity, and the pair in the binding. */
function bothFactorsHold(p: GenPolicy, both: NonNullable<GenRule["bothFactors"]>, who: Caller): boolean {
  if (!who.cert || !who.access) return false;
  if (!matches(p, both.workload, { cert: who.cert })) return false;
  if (!matches(p, both.access, { access: who.access })) return false;
  const name = who.access.email !== undefined ? lower(who.access.email) : who.access.clientId;
  return p.bindings[both.binding]!.some(
    (pair) => pair.workload === who.cert!.id && (pair.access.includes("@") ? lower(pair.access) : pair.access) === name,
  );
}

function applies(p: GenPolicy, rule: GenRule, who: Caller): boolean {
  const named = rule.principals ? matches(p, rule.principals, who) : bothFactorsHold(p, rule.bothFactors!, who);
  return named && conditionsHold(p, rule, who);
}

/** Each credential as a caller of its own, by its name in the principal (docs/policy.md, rateLimit, quarantine). */
function credentialParts(who: Caller): { part: string; who: Caller; person: boolean }[] {
  const parts: { part: string; who: Caller; person: boolean }[] = [];
  const bound = who.cert !== undefined && who.token?.spiffeId === who.cert.id;
  if (who.cert)
    parts.push({
      part: `workload:${who.cert.id}`,
      who: bound ? { cert: who.cert, token: who.token } : { cert: who.cert },
      person: false,
    });
  if (who.token?.spiffeId !== undefined && !bound)
    parts.push({ part: `workload:${who.token.spiffeId}`, who: { token: who.token }, person: false });
  if (who.access?.email !== undefined)
    parts.push({ part: `user:${lower(who.access.email)}`, who: { access: who.access }, person: true });
  if (who.access?.clientId !== undefined)
    parts.push({ part: `token:${who.access.clientId}`, who: { access: who.access }, person: true });
  if (who.token && who.token.spiffeId === undefined)
    parts.push({ part: `subject:${who.token.issuerName}/${who.token.sub}`, who: { token: who.token }, person: false });
  return parts;
}

/**
 * docs/policy.md, the decision's `principal`: `workload:<id>` (once when both name it), `user:<e-mail, lower
 * case>`, `token:<client id>`, `subject:<issuer>/<sub>`, joined with `+` in this order, or `anonymous`.
 */
function principalOf(who: Caller): string {
  const parts = credentialParts(who).map((x) => x.part);
  return parts.length === 0 ? "anonymous" : parts.join("+");
}

/**
 * docs/operations.md, the decision log's `credential`: the one behind the principal (a workload's certificate, else
 * its workload token), for several the one behind its first part.
 */
function credentialBehind(who: Caller): Expected["credential"] {
  const parts = credentialParts(who);
  if (parts.length === 0) return null;
  const first = parts[0]!;
  if (first.part.startsWith("workload:"))
    return who.cert && first.who.cert
      ? { kind: "client-certificate" }
      : { kind: "workload-token", issuer: who.token!.iss };
  if (first.part.startsWith("subject:")) return { kind: "workload-token", issuer: who.token!.iss };
  return { kind: "access-jwt", issuer: TEAM };
}

/**
 * docs/policy.md: a certificate that gives no identity is logged (`client-certificate-rejected`), a token read that
 * fails (`access-token-rejected`, `workload-token-rejected`: a token of an issuer Ward does not trust is not Ward's;
 * an Access token left unread is not logged), and a certificate and a token that name two workloads
 * (`workload-credentials-disagree`).
 */
function eventsOf(p: GenPolicy, c: Case, who: Caller): Expected["events"] {
  const certPresented = c.cert !== undefined && c.cert.state !== "not-presented";
  const cert = certificateIdentity(p, c);
  const token = tokenIdentity(p, c);
  const disagree = cert !== undefined && token?.spiffeId !== undefined && token.spiffeId !== cert.id;
  const read = accessTokenRead(c);
  return {
    "client-certificate-rejected": certPresented && cert === undefined,
    "access-token-rejected": read === "unreadable" || (read !== undefined && !who.access),
    "workload-token-rejected": c.workload !== undefined && c.workload.issuer !== "unknown" && token === undefined,
    "workload-credentials-disagree": disagree,
  };
}

/** docs/policy.md, how a request is decided: host, certificate, route, rules (deny first), default deny, audit. */
export function expectFor(p: GenPolicy, c: Case): Expected {
  const who = callerOf(p, c);
  const principal = principalOf(who);
  const identified = principal !== "anonymous";
  const service = serviceOf(p, c);
  const parts = credentialParts(who);
  const quarantineKeys = !identified
    ? []
    : parts.length === 1
      ? [principal]
      : (parts.some((x) => x.person) ? parts.filter((x) => x.person) : parts).map((x) => x.part).sort();
  const wardsToken = c.workload !== undefined && c.workload.issuer !== "unknown";
  const base = {
    principal,
    credential: credentialBehind(who),
    authorizationForwarded: false,
    quarantineKeys,
    events: eventsOf(p, c, who),
  };
  if (!service) return { ...base, status: 404, forwarded: false, reasons: ["host-not-found"] };

  const refusal = (reason: string, status: number, rule?: string): Expected => {
    if (service.mode === "audit") return allowed(["audit-would-deny", reason], rule, rule ?? reason);
    return { ...base, status, forwarded: false, reasons: [reason], ...(rule ? { rule } : {}) };
  };
  const allowed = (reasons: string[], rule?: string, wouldDeny?: string, limited?: GenRule): Expected => {
    const credentials = [
      ...(who.cert ? ["client-certificate"] : []),
      ...(who.access ? [`access-jwt ${TEAM}`] : []),
      ...(who.token ? [`workload-token ${who.token.iss} ${who.token.sub}`] : []),
    ].sort();
    const expected: Expected = {
      ...base,
      status: 200,
      forwarded: true,
      reasons,
      ...(rule ? { rule } : {}),
      authorizationForwarded: service.forwardAuthorization && c.workload !== undefined && !wardsToken,
      assertion: {
        sub: principal,
        ...(who.cert || who.token?.spiffeId ? { workload: who.cert?.id ?? who.token!.spiffeId } : {}),
        ...(who.access?.email !== undefined ? { email: who.access.email } : {}),
        ...(who.access?.clientId !== undefined ? { service_token: who.access.clientId } : {}),
        ...(who.token && who.token.scopes.length > 0 ? { scope: who.token.scopes.join(" ") } : {}),
        credentials,
        cnf: who.cert !== undefined,
        ...(wouldDeny ? { wouldDeny } : {}),
      },
    };
    if (limited?.rateLimit) {
      const route = `${service.name}/${c.path.slice(1)}`;
      const counted = !identified
        ? ["anonymous"]
        : limited.bothFactors
          ? [principalOf({ cert: who.cert, access: who.access })]
          : parts.length === 1
            ? [principal]
            : parts.filter((x) => matches(p, limited.principals!, x.who)).map((x) => x.part);
      expected.rateLimitKeys = counted
        .map((k) => (limited.rateLimit!.key === "principal" ? k : `${k} ${route}`))
        .sort();
    }
    return expected;
  };

  const hidden = service.hide ? 404 : 403;
  const certificateRequired = service.requireCertificate ?? p.mtlsRequired;
  if (certificateRequired && !who.cert) return refusal("certificate-required", 401);
  const route = service.routes.find((r) => r.path === c.path && r.methods.includes(c.method));
  if (!route) return identified ? refusal("route-not-found", 404) : refusal("unauthenticated", 401);
  const ruleId = (rule: GenRule) => `${service.name}/${route.id}/${rule.id}`;
  const deny = route.rules.find((rule) => rule.effect === "deny" && applies(p, rule, who));
  if (deny) return refusal("denied-by-rule", hidden, ruleId(deny));
  const allow = route.rules.find((rule) => rule.effect === "allow" && applies(p, rule, who));
  if (allow) return allowed(["allowed-by-rule"], ruleId(allow), undefined, allow);
  return identified ? refusal("no-matching-rule", hidden) : refusal("unauthenticated", 401);
}

/** What /.ward/me answers an API client (docs/operations.md, the portal: where do I stand). */
export interface ExpectedStanding {
  status: number;
  principal?: string;
  email?: string;
  serviceToken?: string;
  workload?: string;
  credentials?: string[];
}

/**
 * docs/operations.md: `/.ward/me` shows whom the caller is signed in as (e-mail, service token or workload SPIFFE
 * ID) and each credential, from what Ward verified, as JSON for an API client; without identity, 401.
 */
export function expectStanding(p: GenPolicy, c: Case): ExpectedStanding {
  const who = callerOf(p, { ...c, method: "GET" });
  const principal = principalOf(who);
  if (principal === "anonymous") return { status: 401 };
  const workload = who.cert?.id ?? who.token?.spiffeId;
  return {
    status: 200,
    principal,
    ...(who.access?.email !== undefined ? { email: who.access.email } : {}),
    ...(who.access?.clientId !== undefined ? { serviceToken: who.access.clientId } : {}),
    ...(workload !== undefined ? { workload } : {}),
    credentials: [
      ...(who.cert ? ["client-certificate"] : []),
      ...(who.access ? ["access-jwt"] : []),
      ...(who.token ? ["workload-token"] : []),
    ].sort(),
  };
}
