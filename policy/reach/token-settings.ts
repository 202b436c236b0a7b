// The identity sources workload tokens and per-service audiences add (settings.ts): each trusted issuer, what
// it may mint and for how long, and which audiences each service takes. `diffReach` lists an entry NEW adds
// as a possible widening, so each is written such that a change that lets more tokens count adds one: a new
// issuer, key source, algorithm, longer lifetime or skew, another trust domain, fewer required claims, or a
// service taking another audience (and one that names fewer Access applications only removes entries).
import { unclaimedAudiences } from "../access-audiences.ts";
import { canonicalJson } from "../hash.ts";
import type { PolicyDocument } from "../schema.ts";
import { tokenAudienceOf } from "../token-issuers.ts";

function keysOf(keys: NonNullable<PolicyDocument["identity"]["tokenIssuers"]>[number]["keys"]): string[] {
  if ("jwksUrl" in keys) return [`key set ${keys.jwksUrl}`];
  if ("discovery" in keys) return [`keys by discovery ${keys.discovery}`];
  return keys.jwks.keys.map((k) => `pushed key ${typeof k.kid === "string" ? k.kid : "(no kid)"} ${canonicalJson(k)}`);
}

export function tokenSources(doc: PolicyDocument): string[] {
  const issuers = doc.identity.tokenIssuers ?? [];
  const out: string[] = [];
  for (const issuer of issuers) {
    const at = `Token issuer ${issuer.name} (${issuer.kind}, iss ${issuer.issuer})`;
    out.push(
      at,
      ...keysOf(issuer.keys).map((k) => `${at} ${k}`),
      ...issuer.algorithms.map((a) => `${at} algorithm ${a}`),
      `${at} lifetime up to ${issuer.maxLifetime}, clock skew ${issuer.clockSkew}`,
      `${at} requires claims ${issuer.requireClaims ? canonicalJson(issuer.requireClaims) : "none"}`,
    );
    if (issuer.trustDomain) out.push(`${at} names SPIFFE IDs in trust domain ${issuer.trustDomain}`);
  }
  const access = doc.identity.access;
  for (const [name, service] of Object.entries(doc.services)) {
    if (issuers.length > 0) out.push(`Service ${name} takes workload tokens for audience ${tokenAudienceOf(service)}`);
    // Unset, a service takes every audience identity.access lists, so it is written as that list: naming a
    // subset of it (or fewer of them) then only removes entries, a narrowing, and dropping accessAudiences, or
    // adding an audience to identity.access that such a service takes, adds some, a widening.
    for (const aud of access ? (service.accessAudiences ?? access.audiences) : [])
      out.push(`Service ${name} takes Access tokens of audience ${aud}`);
  }
  // A host no service answers (the admin API's, Ward's own pages there) takes the applications no service claims
  // (policy/access-audiences.ts): a service that stops claiming one lets its sessions in there.
  if (access)
    for (const aud of unclaimedAudiences(doc))
      out.push(`Hosts no service answers (the admin API's) take Access tokens of audience ${aud}`);
  return out;
}
