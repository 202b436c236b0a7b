// Workload-token issuers and the audiences services expect: each issuer named and keyed once, SPIFFE issuers
// bound to their trust domain, pushed key sets of usable public keys, open-ended OIDC issuers pointed out, one
// audience per service, and rules that ask for scopes no configured credential can carry.
import { claimedAudiences, unclaimedAudiences } from "../access-audiences.ts";
import type { PolicyDocument } from "../schema.ts";
import { didYouMean } from "../suggest.ts";
import { keyUseFor, kindCarriesScopes, tokenAudienceOf, type TokenIssuerSource } from "../token-issuers.ts";
import type { Collector } from "./collector.ts";
import { keyTheVerifierRefuses } from "../issuer-key-set.ts";

/** Key types that verify the asymmetric algorithms Ward accepts: an `oct` key is a shared secret. */
const PUBLIC_KEY_TYPES = new Set(["RSA", "EC", "OKP"]);
/** The private parts of RSA, EC and OKP keys (RFC 7518 6.2.2, 6.3.2; RFC 8037 2), and `k` of a secret key. */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

export function checkTokenIssuers(doc: PolicyDocument, out: Collector): void {
  const issuers = doc.identity.tokenIssuers ?? [];
  const byName = new Map<string, number>();
  const byIss = new Map<string, number>();
  const clusterByDomain = new Map<string, number>();
  const domains = doc.metadata.trustDomains;
  issuers.forEach((issuer, i) => {
    const at = `identity.tokenIssuers[${i}]`;
    const sameName = byName.get(issuer.name);
    if (sameName !== undefined)
      out.add("error", "duplicate-token-issuer", `${at}.name`, `the name of tokenIssuers[${sameName}] again`);
    else byName.set(issuer.name, i);
    // One `iss`, one set of keys and rules: with two, which one verified a token would depend on their order.
    const sameIss = byIss.get(issuer.issuer);
    if (sameIss !== undefined)
      out.add(
        "error",
        "duplicate-token-issuer",
        `${at}.issuer`,
        `the issuer of tokenIssuers[${sameIss}] again`,
        "list each issuer once; put rotated keys in its one key set",
      );
    else byIss.set(issuer.issuer, i);
    // Access's own tokens (people, service tokens) would count as workload tokens, with the limits and the
    // subjects of a workload issuer instead of Access's.
    const team = doc.identity.access?.teamDomain;
    if (team !== undefined && issuer.issuer.replace(/\/+$/, "") === team)
      out.add(
        "error",
        "duplicate-token-issuer",
        `${at}.issuer`,
        `the Access team domain (identity.access.teamDomain): its tokens are people's and service tokens', verified as Access tokens`,
        "name a workload token issuer here, not Cloudflare Access",
      );
    checkTrustDomain(issuer, at, domains, out);
    // Two clusters' service accounts in one trust domain are one identity per namespace and name: whoever may
    // make `ns/payments/sa/api` in either cluster is the other's payments API. (A cluster beside a SPIRE server
    // or CA of the same trust domain is usual: SPIRE names a cluster's pods so too, for the same cluster.)
    if (issuer.kind === "kubernetes" && issuer.trustDomain !== undefined) {
      const other = clusterByDomain.get(issuer.trustDomain);
      if (other === undefined) clusterByDomain.set(issuer.trustDomain, i);
      else
        out.add(
          "warning",
          "kubernetes-trust-domain-shared",
          `${at}.trustDomain`,
          `tokenIssuers[${other}] maps its cluster's service accounts into "${issuer.trustDomain}" too: a service account of one cluster is the same SPIFFE ID as the one of that namespace and name in the other`,
          "give each cluster its own trust domain (e.g. cluster-b.prod.example.com), unless both issuers are one cluster",
        );
    }
    if ("jwks" in issuer.keys) checkInlineKeys(issuer, `${at}.keys.jwks`, out);
    if (issuer.kind === "oidc" && issuer.requireClaims === undefined) {
      out.add(
        "warning",
        "token-issuer-unconstrained",
        at,
        "every token this issuer signs for a service's audience counts, whoever it was minted for",
        "add requireClaims naming your own tenant (GitHub Actions: repository_owner or repository_owner_id), as the audience alone may be chosen by anyone the issuer serves",
      );
    }
  });
}

/** SPIFFE issuers mint one trust domain's IDs (as a pinned CA does); an OIDC issuer maps to none. */
function checkTrustDomain(issuer: TokenIssuerSource, at: string, domains: readonly string[], out: Collector): void {
  if (issuer.kind === "spiffe-jwt-svid" && issuer.trustDomain === undefined) {
    out.add(
      "error",
      "token-issuer-trust-domain",
      at,
      "a spiffe-jwt-svid issuer needs the trust domain its SPIFFE IDs belong to: else it could mint any trust domain's identities",
      "add trustDomain: <the trust domain of its bundle>",
    );
  }
  if (issuer.kind === "oidc" && issuer.trustDomain !== undefined) {
    out.add(
      "error",
      "token-issuer-trust-domain",
      `${at}.trustDomain`,
      "an oidc issuer's tokens name no SPIFFE ID: the trust domain would not be used",
      "match its tokens with claims matchers, or use kind spiffe-jwt-svid",
    );
  }
  if (issuer.trustDomain !== undefined && domains.length > 0 && !domains.includes(issuer.trustDomain)) {
    out.add(
      "warning",
      "spiffe-outside-trust-domain",
      `${at}.trustDomain`,
      `trust domain "${issuer.trustDomain}" is not in metadata.trustDomains`,
      didYouMean(issuer.trustDomain, domains),
    );
  }
}

/** A pushed key set: public keys of an asymmetric type, each with its own kid, at least one the issuer can use. */
function checkInlineKeys(issuer: TokenIssuerSource, at: string, out: Collector): void {
  const keys = "jwks" in issuer.keys ? issuer.keys.jwks.keys : [];
  const use = keyUseFor(issuer.kind, "inline");
  const kids = new Map<string, number>();
  let usable = 0;
  const before = out.issues.length;
  keys.forEach((key, i) => {
    const kat = `${at}.keys[${i}]`;
    if (typeof key.kty !== "string" || !PUBLIC_KEY_TYPES.has(key.kty)) {
      out.add("error", "invalid-jwks", `${kat}.kty`, "must be RSA, EC or OKP: a public key, never a shared secret");
      return;
    }
    const secret = PRIVATE_MEMBERS.find((m) => Object.hasOwn(key, m));
    if (secret !== undefined) {
      // A private key in a policy is a leaked private key: anyone who reads the policy can mint tokens.
      out.add(
        "error",
        "invalid-jwks",
        `${kat}.${secret}`,
        "a private key member: push only the public key",
        "rotate this key, it has leaked",
      );
      return;
    }
    if (typeof key.kid !== "string" || key.kid.length === 0) {
      out.add("error", "invalid-jwks", kat, "every key needs a kid, so a token names the one key that verifies it");
      return;
    }
    const same = kids.get(key.kid);
    if (same !== undefined) out.add("error", "invalid-jwks", `${kat}.kid`, `the kid of keys[${same}] again`);
    else kids.set(key.kid, i);
    if (!((key.use === undefined && use === "sig") || key.use === use)) return;
    // What the gateway's verifier (jose) takes: a key it refuses verifies nothing, whatever the set says.
    const unusable = keyTheVerifierRefuses(key, out.stored);
    if (unusable === undefined) usable++;
    else out.add("warning", "jwks-key-unusable", kat, `${unusable}: the gateway verifies no token with it`);
  });
  // Warnings of unusable keys (jwks-key-unusable) do not stand in for the error: a set with no usable key is one.
  if (usable === 0 && !out.issues.slice(before).some((issue) => issue.severity === "error")) {
    out.add(
      "error",
      "invalid-jwks",
      at,
      use === "jwt-svid"
        ? 'no key with use "jwt-svid": a SPIFFE trust bundle marks the keys that verify JWT-SVIDs so'
        : 'no key for signatures (use "sig" or no use)',
    );
  }
}

/** Each service's workload tokens name it alone; Access audiences a service names must be configured ones. */
export function checkServiceAudiences(doc: PolicyDocument, out: Collector): void {
  const byAudience = new Map<string, string>();
  const access = doc.identity.access;
  for (const [name, service] of Object.entries(doc.services)) {
    const at = `services.${name}`;
    const audience = tokenAudienceOf(service);
    const other = byAudience.get(audience);
    // Two services with the same first host are overlapping-hosts already: reported here only when named.
    if (other !== undefined && (service.tokenAudience !== undefined || doc.services[other]!.tokenAudience)) {
      out.add(
        "error",
        "duplicate-token-audience",
        service.tokenAudience !== undefined ? `${at}.tokenAudience` : `${at}.hosts[0]`,
        `workload tokens for "${audience}" would count at services "${other}" and "${name}" alike`,
        "give each service its own tokenAudience",
      );
    } else if (other === undefined) byAudience.set(audience, name);
    service.accessAudiences?.forEach((aud, i) => {
      if (!access) {
        out.add(
          "error",
          "access-not-configured",
          `${at}.accessAudiences[${i}]`,
          "accessAudiences needs identity.access",
          "set identity.access.teamDomain and audiences",
        );
      } else if (!access.audiences.includes(aud)) {
        out.add(
          "error",
          "unknown-access-audience",
          `${at}.accessAudiences[${i}]`,
          "not one of identity.access.audiences: no token with it is ever verified",
          "add it to identity.access.audiences, or fix the AUD tag",
        );
      }
    });
  }
  // On a host no service answers (the admin API's) only an application no service claims counts.
  if (access && claimedAudiences(doc).size > 0 && doc.admin?.principals.length && unclaimedAudiences(doc).length === 0)
    out.add(
      "warning",
      "admin-audience-claimed",
      "identity.access.audiences",
      "every Access application here is some service's own (accessAudiences): no Access token counts on a host no service answers, where the admin API is",
      "add the AUD tag of the operators' own Access application (on the admin API's host) to identity.access.audiences, and name it in no service",
    );
}

/**
 * Scopes come from workload tokens only (Access tokens carry none): a rule asking for one while no configured
 * issuer can carry scopes describes a caller that cannot exist. An allow rule then admits nobody; a deny rule
 * never applies.
 */
export function checkScopesCarried(doc: PolicyDocument, out: Collector): void {
  if ((doc.identity.tokenIssuers ?? []).some((i) => kindCarriesScopes(i.kind))) return;
  for (const [name, service] of Object.entries(doc.services)) {
    service.routes.forEach((route, r) => {
      route.rules.forEach((rule, i) => {
        if (!rule.when?.scopes) return;
        out.add(
          "warning",
          "scopes-not-carried",
          `services.${name}.routes[${r}].rules[${i}].when.scopes`,
          "no configured credential carries scopes: Access tokens and Kubernetes service-account tokens have none",
          "add a spiffe-jwt-svid or oidc issuer under identity.tokenIssuers whose tokens carry scope or scp",
        );
      });
    });
  }
}
