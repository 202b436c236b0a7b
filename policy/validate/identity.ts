// Where identities come from: the certificate registry and the pinned issuers with their trust domains.
import { normaliseHex } from "../identity.ts";
import { type IssuerCertificate, readIssuerCertificate } from "../issuer-certificate.ts";
import type { PolicyDocument } from "../schema.ts";
import { didYouMean } from "../suggest.ts";
import type { Collector } from "./collector.ts";

/** One certificate, one workload: a fingerprint listed twice would name two (colons and case do not count). */
export function checkRegistry(doc: PolicyDocument, out: Collector): void {
  const seen = new Map<string, number>();
  doc.identity.mtls?.registry?.forEach((entry, i) => {
    const fingerprint = normaliseHex(entry.fingerprintSha256);
    const first = seen.get(fingerprint);
    if (first === undefined) seen.set(fingerprint, i);
    else
      out.add(
        "error",
        "duplicate-fingerprint",
        `identity.mtls.registry[${i}].fingerprintSha256`,
        `the fingerprint of registry[${first}] again`,
        "list each certificate once, with the one id it stands for",
      );
  });
}

/**
 * While SPIFFE IDs are read from certificates, each pinned CA names the trust domains it may issue for: else
 * any pinned CA (another team's, a partner's) could mint any trust domain's identities. A pin without the list
 * (a policy written for a Ward before the binding) may issue for metadata.trustDomains, or for none: a warning,
 * not an error, so that upgrading Ward does not make the stored policy unusable (every request 503) while the
 * pin still cannot mint outside the policy's own trust domains.
 */
export function checkIssuers(doc: PolicyDocument, out: Collector): void {
  const mtls = doc.identity.mtls;
  if (!mtls) return;
  const domains = doc.metadata.trustDomains;
  // The SKIs of the CAs pinned by their certificate: an SKI pin beside one names the same CA by name only.
  const certified = new Set(
    mtls.issuers.flatMap((pin) => {
      if (!("certificate" in pin)) return [];
      const read = readIssuerCertificate(pin.certificate);
      return read.ok ? [read.certificate.ski] : [];
    }),
  );
  mtls.issuers.forEach((pin, i) => {
    const at = `identity.mtls.issuers[${i}]`;
    if ("ski" in pin && certified.has(normaliseHex(pin.ski)))
      out.add(
        "warning",
        "issuer-pinned-by-name-too",
        `${at}.ski`,
        "this CA is pinned by its certificate too, and this pin by its SKI alone: a look-alike CA that carries the SKI gets this pin's trust domains, whatever the certificate pin checks",
        "remove this pin (give its trust domains to the certificate pin)",
      );
    if ("certificate" in pin) {
      // The Worker would pin nothing with it (worker/identity/mtls.ts): every certificate of that CA refused.
      const read = readIssuerCertificate(pin.certificate);
      if (!read.ok)
        out.add(
          "error",
          "invalid-issuer-certificate",
          `${at}.certificate`,
          `the pinned certificate ${read.problem}`,
          "paste the issuing CA's certificate as PEM (the file uploaded to Cloudflare for mTLS), under certificate: |",
        );
      else if (pin.intermediates) checkChainPin(read.certificate, pin.intermediates, at, out);
    }
    if (!pin.trustDomains) {
      if (mtls.spiffe) {
        const example = domains.length > 0 ? domains.join(", ") : "prod.example.com";
        const fallback =
          domains.length > 0
            ? `so it may issue SPIFFE IDs for every trust domain in metadata.trustDomains (${domains.join(", ")})`
            : "and metadata.trustDomains is empty, so its certificates give no SPIFFE identity";
        out.add(
          "warning",
          "issuer-trust-domains-missing",
          at,
          `the issuer does not name the trust domains it may issue for, ${fallback}`,
          `add trustDomains: [${example}] (only that CA's trust domains)`,
        );
      }
      return;
    }
    pin.trustDomains.forEach((domain, j) => {
      if (domains.length > 0 && !domains.includes(domain)) {
        out.add(
          "warning",
          "spiffe-outside-trust-domain",
          `${at}.trustDomains[${j}]`,
          `trust domain "${domain}" is not in metadata.trustDomains`,
          didYouMean(domain, domains),
        );
      }
    });
  });
}

/**
 * A CA that Ward reaches through intermediates the client sends (worker/identity/certificate-chain.ts) is a trust
 * anchor whose constraints Ward must apply itself: it may allow that many, be for client authentication (as
 * openssl checks the anchor's extendedKeyUsage too), and carry no constraint Ward would ignore (name
 * constraints, policies).
 */
function checkChainPin(certificate: IssuerCertificate, intermediates: number, at: string, out: Collector): void {
  if (certificate.pathLength !== undefined && intermediates > certificate.pathLength)
    out.add(
      "error",
      "invalid-issuer-certificate",
      `${at}.intermediates`,
      `the pinned certificate lets at most ${certificate.pathLength} intermediate CA(s) follow it (its pathLenConstraint), not ${intermediates}`,
      `set intermediates: ${certificate.pathLength}, or pin the intermediate CA that signs the client certificates`,
    );
  if (!certificate.clientAuth)
    out.add(
      "error",
      "invalid-issuer-certificate",
      `${at}.certificate`,
      "the pinned certificate's extendedKeyUsage leaves out clientAuth (it is for other purposes), so it cannot be reached through intermediates",
      "pin the intermediate CA that signs the client certificates, without intermediates",
    );
  if (certificate.unapplied.length > 0)
    out.add(
      "error",
      "invalid-issuer-certificate",
      `${at}.certificate`,
      `the pinned certificate has constraints Ward does not apply to a chain (extensions ${certificate.unapplied.join(", ")}), so it cannot be reached through intermediates`,
      "pin the intermediate CA that signs the client certificates, without intermediates",
    );
}
