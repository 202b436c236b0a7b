// SPIFFE IDs and trust domains as the SPIFFE standard defines them (SPIFFE-ID, section 2): the scheme `spiffe`,
// a trust domain of lower-case letters, digits, dots, dashes and underscores, then path segments of letters,
// digits, dots, dashes and underscores. No port, user info, query, fragment, percent-encoding, empty, "." or
// ".." segment, and no trailing "/". Each identity then has exactly one spelling, so IDs are compared as
// strings: `spiffe://Prod.example.com/x` or `spiffe://prod.example.com/ns/./x` is not some other spelling of
// an ID a rule names, it is no SPIFFE ID at all.
//
// The trust domain is defined once, here, and used by the policy schema (the `trustDomain` matcher,
// metadata.trustDomains, an issuer's trustDomains), by isSpiffeId and by trustDomainOf: a policy can name
// every trust domain Ward authenticates (`_dmarc.example.org`, `trust_domain_1.example.org`), and nothing else.

/** A trust domain name (SPIFFE-ID 2.1, 2.3): [a-z0-9._-], 1 to 255 characters. */
const TRUST_DOMAIN = "[a-z0-9._-]{1,255}";
export const TRUST_DOMAIN_PATTERN = new RegExp(`^${TRUST_DOMAIN}$`);

// A segment may not be "." or ".." (the lookahead).
const SEGMENT = String.raw`\/(?!\.\.?(?:\/|$))[A-Za-z0-9._-]+`;
export const SPIFFE_ID_PATTERN = new RegExp(`^spiffe:\\/\\/${TRUST_DOMAIN}(?:${SEGMENT})*$`);
/** A `spiffePrefix`: the same, and it may end in "/" (which keeps it inside one trust domain and path). */
export const SPIFFE_PREFIX_PATTERN = new RegExp(`^spiffe:\\/\\/${TRUST_DOMAIN}(?:${SEGMENT})*\\/?$`);
export const MAX_SPIFFE_ID_LENGTH = 2048;

export function isTrustDomain(text: string): boolean {
  return TRUST_DOMAIN_PATTERN.test(text);
}

export function isSpiffeId(text: string): boolean {
  return text.length <= MAX_SPIFFE_ID_LENGTH && SPIFFE_ID_PATTERN.test(text);
}

/**
 * The trust domain of a SPIFFE ID, or of a `spiffePrefix` (whatever stands between `spiffe://` and the next
 * "/" or the end), when it is a trust domain; else undefined, so a malformed ID belongs to no trust domain.
 */
export function trustDomainOf(spiffeId: string): string | undefined {
  const match = /^spiffe:\/\/([^/]*)(?:\/|$)/.exec(spiffeId);
  return match && isTrustDomain(match[1]!) ? match[1] : undefined;
}

/** A trust-domain ID (`spiffe://td`, no path) names the trust domain itself, never a workload (X509-SVID 2). */
export function isTrustDomainId(spiffeId: string): boolean {
  return isSpiffeId(spiffeId) && spiffeId.indexOf("/", "spiffe://".length) === -1;
}
