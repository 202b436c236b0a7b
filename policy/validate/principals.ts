// Principal matchers wherever a policy names them (rules, principal sets, the admin API): a set that exists,
// an identity source that is configured, a SPIFFE prefix that cannot end inside a segment.
import { describeMatcher } from "../principals.ts";
import type { PolicyDocument, PrincipalMatcher } from "../schema.ts";
import { didYouMean } from "../suggest.ts";
import { isMailDomain } from "../email-address.ts";
import { trustDomainOf } from "../identity.ts";
import { isTrustDomainId } from "../spiffe-id.ts";
import { isServiceTokenId, SERVICE_TOKEN_ID_HINT } from "../service-token-id.ts";
import { escapedBeyondAscii } from "../escaped.ts";
import { mixedScriptWord } from "../mixed-script.ts";
import type { Collector } from "./collector.ts";

export function checkMatchers(
  doc: PolicyDocument,
  matchers: readonly PrincipalMatcher[],
  path: string,
  out: Collector,
): void {
  matchers.forEach((m, i) => {
    const at = `${path}[${i}]`;
    if ("set" in m) {
      if (!Object.hasOwn(doc.principalSets, m.set)) {
        out.add(
          "error",
          "unknown-principal-set",
          at,
          `unknown principal set "${m.set}"`,
          didYouMean(m.set, Object.keys(doc.principalSets)),
        );
      }
      return;
    }
    checkMatcherSource(doc, m, at, out);
  });
}

function checkMatcherSource(doc: PolicyDocument, m: PrincipalMatcher, at: string, out: Collector): void {
  const workload = "spiffe" in m || "spiffePrefix" in m || "trustDomain" in m;
  const access = "email" in m || "emailDomain" in m || "group" in m || "serviceToken" in m;
  // SPIFFE IDs come from certificates, JWT-SVIDs and mapped Kubernetes service accounts; claims from any token.
  const tokens = doc.identity.tokenIssuers ?? [];
  const tokenSpiffe = tokens.some((t) => t.kind === "spiffe-jwt-svid" || t.trustDomain !== undefined);
  if (workload && !doc.identity.mtls && !tokenSpiffe) {
    out.add(
      "error",
      "mtls-not-configured",
      at,
      `${describeMatcher(m)} needs identity.mtls${tokens.length > 0 ? " (or a token issuer that names SPIFFE IDs)" : ""}`,
      "pin the client certificate issuers under identity.mtls",
    );
  }
  if ((access || ("claims" in m && tokens.length === 0)) && !doc.identity.access) {
    out.add(
      "error",
      "access-not-configured",
      at,
      `${describeMatcher(m)} needs identity.access${"claims" in m ? " (or identity.tokenIssuers)" : ""}`,
      "set identity.access.teamDomain and audiences",
    );
  }
  // Only a client id's shape is read from a token as a service token (worker/identity/access-claims.ts): any other
  // name matches no caller. A version stored before this check loads as it did.
  if ("serviceToken" in m && !out.stored && !isServiceTokenId(m.serviceToken)) {
    out.add(
      "error",
      "invalid-service-token-id",
      at,
      `"${m.serviceToken}" is not a service token's client id: no Access token would match it`,
      `use ${SERVICE_TOKEN_ID_HINT}`,
    );
  }
  // `spiffe://td` is the trust domain's own ID: no SVID, certificate or token, carries it (mtls.ts,
  // token-claims.ts), so the matcher matched nobody and a deny rule naming it refused nobody (a docs review). Only the
  // registry can give it, to a certificate it lists (a legacy workload: revoke-registered-id.test.ts).
  if ("spiffe" in m && !out.stored && unregisteredTrustDomainId(doc, m.spiffe))
    out.add(...trustDomainIdIssue(`${at}.spiffe`, m.spiffe));
  // The schema's form took labels that start or end with '-' (`-x.com`), which no address's domain has, so the
  // matcher matched nobody. A version stored before this check loads as it did.
  if ("emailDomain" in m && !out.stored && !isMailDomain(m.emailDomain)) {
    out.add(
      "error",
      "invalid-format",
      `${at}.emailDomain`,
      `"${m.emailDomain}" is not a domain an e-mail address can have: labels of letters, digits and inner '-', 1 to 63 each, at most 253 in all`,
      "write the domain as it follows the '@', in lower case, e.g. example.com",
    );
  }
  // Groups are compared exactly: `" sre"` is not `sre`, and reads as it on a page. A grant refuses such a name
  // (worker/admin/grants.ts); a warning here, since an IdP might really spell a group so.
  if ("group" in m && m.group !== m.group.trim()) {
    out.add(
      "warning",
      "group-white-space",
      at,
      `the group ${JSON.stringify(m.group)} has white space around it: it matches only a group spelt with it`,
      `write the group as the IdP spells it: "${m.group.trim()}"`,
    );
  }
  // A look-alike letter of another script (`sre` with a Cyrillic `е`) reads as the name and matches no group so
  // spelt: a deny rule naming it refuses nobody (from a black-box review).
  const mixed = "group" in m ? mixedScriptWord(m.group) : undefined;
  if (mixed && "group" in m) {
    out.add(
      "warning",
      "group-mixed-scripts",
      at,
      `the group ${JSON.stringify(m.group)} has a word mixing ${mixed.scripts.join(" and ")} letters (${escapedBeyondAscii(JSON.stringify(mixed.word))}): it reads as another name, and matches only a group spelt with those very letters`,
      "write the group as the IdP spells it, in one script per word",
    );
  }
  if ("spiffePrefix" in m && !m.spiffePrefix.endsWith("/")) {
    // Without the '/', the prefix can end inside a segment, or inside the trust domain itself.
    const open = m.spiffePrefix;
    const lookalike = open.slice("spiffe://".length).includes("/") ? `${open}-other` : `${open}.evil.example`;
    out.add(
      "warning",
      "open-spiffe-prefix",
      at,
      `"${open}" does not end in '/': it also matches "${lookalike}/..."`,
      `end it with '/': "${open}/"`,
    );
  }
  const id =
    "spiffe" in m
      ? m.spiffe
      : "spiffePrefix" in m
        ? m.spiffePrefix
        : "trustDomain" in m
          ? `spiffe://${m.trustDomain}`
          : undefined;
  const domains = doc.metadata.trustDomains;
  if (id !== undefined && domains.length > 0) {
    const domain = trustDomainOf(id);
    if (domain !== undefined && !domains.includes(domain)) {
      out.add(
        "warning",
        "spiffe-outside-trust-domain",
        at,
        `trust domain "${domain}" is not in metadata.trustDomains`,
        didYouMean(domain, domains),
      );
    }
  }
}

export function checkPrincipalSets(doc: PolicyDocument, out: Collector): void {
  for (const [name, matchers] of Object.entries(doc.principalSets)) {
    matchers.forEach((m, i) => {
      const at = `principalSets.${name}[${i}]`;
      if ("set" in m)
        out.add("error", "invalid-value", at, "principal sets cannot include other sets", "list the members directly");
      else checkMatcherSource(doc, m, at, out);
    });
  }
}

/** A trust domain's own ID that no registry entry gives a certificate: no caller can have it. */
function unregisteredTrustDomainId(doc: PolicyDocument, id: string): boolean {
  return isTrustDomainId(id) && !(doc.identity.mtls?.registry ?? []).some((entry) => entry.id === id);
}

/** The issue of a SPIFFE ID that names a trust domain where a workload's is needed, and no certificate has it. */
function trustDomainIdIssue(path: string, id: string): Parameters<Collector["add"]> {
  return [
    "error",
    "invalid-value",
    path,
    `"${id}" is the trust domain's own ID, which no workload's SVID or token carries (X509-SVID section 2) and no registry entry here gives: it names no caller`,
    `name a workload (${id}/ns/...), or the whole trust domain with { trustDomain: ${id.slice("spiffe://".length)} }`,
  ];
}

/**
 * A binding's Access side without `@` is a service token's client id: held to its shape as a matcher is. Its
 * workload side names a workload, not a trust domain.
 */
export function checkBindings(doc: PolicyDocument, out: Collector): void {
  if (out.stored) return;
  for (const [name, pairs] of Object.entries(doc.identityBindings))
    pairs.forEach((pair, i) => {
      if (unregisteredTrustDomainId(doc, pair.workload))
        out.add(...trustDomainIdIssue(`identityBindings.${name}[${i}].workload`, pair.workload));
      if (pair.access.includes("@") || isServiceTokenId(pair.access)) return;
      out.add(
        "error",
        "invalid-service-token-id",
        `identityBindings.${name}[${i}].access`,
        `"${pair.access}" is neither an e-mail nor a service token's client id: no Access token would match it`,
        `use an e-mail, or ${SERVICE_TOKEN_ID_HINT}`,
      );
    });
}

export function checkAdmin(doc: PolicyDocument, out: Collector): void {
  if (!doc.admin) return;
  checkMatchers(doc, doc.admin.principals, "admin.principals", out);
  const everyone = (m: PrincipalMatcher) => "public" in m || "authenticated" in m;
  doc.admin.principals.forEach((m, i) => {
    // Through a set as well: `{ set: all }` with `authenticated` in it is everyone just the same.
    const members = "set" in m ? (Object.hasOwn(doc.principalSets, m.set) ? doc.principalSets[m.set]! : []) : [m];
    if (members.some(everyone)) {
      out.add(
        "error",
        "invalid-value",
        `admin.principals[${i}]`,
        "the admin API needs named principals, not everyone",
        "name an Access group, a service token or a workload",
      );
    }
  });
}
