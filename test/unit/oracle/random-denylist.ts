// Random denylist entries and callers for the denylist oracle (denylist.ts), with values that collide where a
// mistake would hide: one serial number under two issuers, a serial and a key identifier spelt with colons, upper
// case and leading zeros, e-mail addresses that differ in case (the same person) or by a look-alike letter (no
// address at all), SPIFFE IDs that are prefixes of each other or differ in a path's case, a workload token whose
// `sub` is a person's e-mail or Access `sub`, quarantines of one part of a principal or of all of it, and entries
// that end at the request's instant, just before or just after it, or were lifted.
import type { MatchKind, OracleCaller, OracleEntry } from "./denylist.ts";

export type Random = () => number;
export const int = (r: Random, n: number): number => Math.floor(r() * n);
export const pick = <T>(r: Random, items: readonly T[]): T => items[int(r, items.length)]!;
export const chance = (r: Random, p: number): boolean => r() < p;

// ---------------------------------------------------------------------------------------------------------------
// Values

export const TRUST_DOMAIN = "demo.ward.internal";
const td = (path: string) => `spiffe://${TRUST_DOMAIN}${path}`;

/** Workloads: prefixes of each other, one differing only in a path's case (another ID: paths are case-sensitive). */
export const SPIFFE_IDS = [
  td("/ns/shop"),
  td("/ns/shop/sa/checkout"),
  td("/ns/shop/sa/checkout2"),
  td("/ns/shop/sa/Checkout"),
  td("/ns/shop/sa/checkout/v2"),
  td("/ns/shop/sa/frontend"),
] as const;

/** A trust domain's own ID: only a registry entry gives it to a certificate, and only then can it be revoked. */
export const TRUST_DOMAIN_ID = td("");

/** Spellings the gateway never verifies: refused by the admin API (422). */
export const SPIFFE_MISSPELT = [
  `spiffe://Demo.Ward.Internal/ns/shop/sa/checkout`,
  td("/ns/shop/sa/checkout/"),
  td("/ns/./shop/sa/checkout"),
  td("/ns/shop/sa/../sa/checkout"),
  `spiffe://${TRUST_DOMAIN}:443/ns/shop/sa/checkout`,
  td("/ns/shop/sa/checkout?x=1"),
  td("/ns/shop/sa/check%6Fut"),
  `SPIFFE://${TRUST_DOMAIN}/ns/shop/sa/checkout`,
  `spiffe://${TRUST_DOMAIN}//ns/shop`,
];

/** People's addresses as Access gives them (plain addresses; two of them one person, in another case). */
export const EMAILS = [
  "ann@example.com",
  "Ann@Example.COM",
  "ann+ops@example.com",
  "kate@example.com",
  "bob@example.org",
  "bob@example.org.uk",
] as const;

/** Look-alikes of those that are no address the gateway verifies (non-ASCII, a trailing dot, brackets, a hidden space). */
export const EMAILS_MISSPELT = [
  "\u212aate@example.com", // KELVIN SIGN: lower-cased by JavaScript to "k"
  "\uff41nn@example.com", // FULLWIDTH a
  "ann@ex\u0430mple.com", // CYRILLIC a
  "ann\u200b@example.com", // ZERO WIDTH SPACE
  "ann@example.com.",
  "<ann@example.com>",
  "ann@example.com@evil.io",
  '"ann"@example.com',
];

/** Access `sub`s: a UUID and the same in upper case (another sub), one equal to an e-mail, one to a CI token's sub. */
export const ACCESS_SUBS = [
  "7c8e6f0a-1b2c-4d3e-9f80-a1b2c3d4e5f6",
  "7C8E6F0A-1B2C-4D3E-9F80-A1B2C3D4E5F6",
  "ann@example.com",
  "repo:ward-demo/orders:ref:refs/heads/main",
  "auth0|64f0c2",
  "okta user 00u1",
  `long-${"s".repeat(220)}`,
] as const;

/** Access service tokens' client ids (one with the team's domain after it: another client id). */
export const CLIENT_IDS = [
  "d60f578cd343bd10763fc2292a6cbc83.access",
  "d60f578cd343bd10763fc2292a6cbc83.access.ward-demo.cloudflareaccess.com",
  "4e21e9b2c4eca176e6665d37384985b6.access",
] as const;

export const CLIENT_IDS_MISSPELT = ["D60F578CD343BD10763FC2292A6CBC83.access", "d60f578cd343bd10763fc2292a6cbc83"];

/** Workload-token issuers as a policy names them, and the subs each can carry. */
export const TOKEN_ISSUERS = {
  "github-actions": {
    kind: "oidc",
    subs: [
      "repo:ward-demo/orders:ref:refs/heads/main",
      "repo:ward-demo/orders:ref:refs/heads/main ",
      "repo:ward-demo/orders:ref:refs/heads/mainline",
      "repo:ward-demo/orders:environment:prod eu",
      "ann@example.com",
      "7c8e6f0a-1b2c-4d3e-9f80-a1b2c3d4e5f6",
    ],
  },
  "demo-spire": { kind: "spiffe-jwt-svid", subs: SPIFFE_IDS.filter((id) => id !== td("/ns/shop")) },
  "demo-cluster": {
    kind: "kubernetes",
    subs: ["system:serviceaccount:shop:checkout", "system:serviceaccount:shop:frontend"],
  },
} as const;
export type TokenIssuerName = keyof typeof TOKEN_ISSUERS;
export const TOKEN_ISSUER_NAMES = Object.keys(TOKEN_ISSUERS) as TokenIssuerName[];

/** The SPIFFE ID a workload token names: a JWT-SVID's `sub`, a Kubernetes service account mapped into the trust domain. */
export function tokenSpiffeId(issuer: TokenIssuerName, sub: string): string | undefined {
  const kind = TOKEN_ISSUERS[issuer].kind;
  if (kind === "spiffe-jwt-svid") return sub;
  if (kind === "kubernetes") {
    const [, , namespace, account] = sub.split(":");
    return td(`/ns/${namespace}/sa/${account}`);
  }
  return undefined;
}

/** Random hex of `bytes` bytes, lower case. */
export const randomHex = (r: Random, bytes: number): string =>
  Array.from({ length: bytes }, () => int(r, 256).toString(16).padStart(2, "0")).join("");

/** Certificates' material: key identifiers (20 bytes as usual, 8, and a CA's 2), serials (one shared by two issuers). */
export interface CertificateMaterial {
  fingerprints: string[];
  issuerSkis: string[];
  /** Intermediates' and pins' key identifiers, beside the issuers'. */
  caKeys: string[];
  serials: string[];
}

export function certificateMaterial(r: Random): CertificateMaterial {
  return {
    fingerprints: [randomHex(r, 32), randomHex(r, 32), randomHex(r, 32), randomHex(r, 32)],
    issuerSkis: [randomHex(r, 20), randomHex(r, 20), randomHex(r, 8), randomHex(r, 2)],
    caKeys: [randomHex(r, 20), randomHex(r, 20), randomHex(r, 1)],
    // Upper-case hex as Cloudflare reports it; "00A1B2" and "A1B2" are one number.
    serials: [randomHex(r, 20).toUpperCase(), "00A1B2", "A1B2", "1F", "0"],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Spellings

/** Hex as an operator or Cloudflare may write it: lower, upper, mixed case, with colons between bytes or anywhere. */
export function hexSpelling(r: Random, hex: string): string {
  switch (int(r, 5)) {
    case 1:
      return hex.toUpperCase();
    case 2:
      return [...hex].map((c) => (chance(r, 0.5) ? c.toUpperCase() : c)).join("");
    case 3:
      return (hex.match(/.{1,2}/g) ?? [hex]).join(":").toUpperCase();
    case 4:
      // A colon anywhere (openssl puts them between bytes; the docs ignore them wherever they are).
      return hex.length < 2 ? hex : `${hex.slice(0, 1)}:${hex.slice(1)}`;
    default:
      return hex;
  }
}

/** A serial number as a CRL, openssl or Cloudflare writes it: hex spelling, with or without leading zeros. */
export function serialSpelling(r: Random, serial: string): string {
  const zeros = pick(r, ["", "", "0", "00", "0000"]);
  return hexSpelling(r, `${zeros}${serial}`);
}

/** An address in another case, letter by letter. */
export const caseSpelling = (r: Random, text: string): string =>
  [...text].map((c) => (chance(r, 0.3) ? (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) : c)).join("");

/** White space around a value: kept for a workload token's subject, refused for every other kind. */
export const padding = (r: Random, value: string): string =>
  pick(r, [` ${value}`, `${value} `, `\t${value}`, `${value}\n`]);

// ---------------------------------------------------------------------------------------------------------------
// Callers

/** A certificate a caller presents, with the facts the oracle reads (Cloudflare's fields as reported). */
export type GenCertificate = NonNullable<OracleCaller["certificate"]>;

/** A caller: any combination of a certificate, a person or a service token, and a workload token. */
export function randomCaller(r: Random, certificates: readonly GenCertificate[]): OracleCaller {
  const caller: OracleCaller = {};
  if (chance(r, 0.45)) caller.certificate = pick(r, certificates);
  const access = r();
  if (access < 0.4) {
    caller.person = { email: pick(r, EMAILS), ...(chance(r, 0.7) ? { sub: pick(r, ACCESS_SUBS) } : {}) };
  } else if (access < 0.55) caller.serviceToken = pick(r, CLIENT_IDS);
  if (chance(r, 0.4) || (!caller.certificate && !caller.person && !caller.serviceToken && chance(r, 0.9))) {
    const issuer = pick(r, TOKEN_ISSUER_NAMES);
    // A token naming the certificate's own workload, mostly, when both name one (another is neither counted).
    const subs: readonly string[] = TOKEN_ISSUERS[issuer].subs;
    let sub = pick(r, subs);
    const own = caller.certificate?.spiffeId;
    if (own && issuer === "demo-spire" && subs.includes(own) && chance(r, 0.7)) sub = own;
    const spiffeId = tokenSpiffeId(issuer, sub);
    caller.workloadToken = { issuer, sub, ...(spiffeId !== undefined ? { spiffeId } : {}) };
  }
  return caller;
}

// ---------------------------------------------------------------------------------------------------------------
// Entries

/** A revocation as an operator asks for it: a kind, a value as written (sometimes misspelt or padded). */
export interface RevocationAsked {
  match: Exclude<MatchKind, "principal">;
  value: string;
}

/** The facts of a caller an operator would name, as written on a certificate or in a log. */
function namedFacts(caller: OracleCaller): RevocationAsked[] {
  const facts: RevocationAsked[] = [];
  const { certificate: cert, person, serviceToken, workloadToken: token } = caller;
  if (cert) {
    facts.push({ match: "spiffe", value: cert.spiffeId }, { match: "fingerprint", value: cert.fingerprint });
    if (cert.issuerSki && cert.serial) facts.push({ match: "serial", value: `${cert.issuerSki}/${cert.serial}` });
    for (const key of cert.caKeys) facts.push({ match: "ca", value: key });
  }
  if (person) {
    facts.push({ match: "email", value: person.email });
    if (person.sub) facts.push({ match: "sub", value: person.sub });
  }
  if (serviceToken) facts.push({ match: "token", value: serviceToken });
  if (token) {
    facts.push({ match: "subject", value: `${token.issuer}/${token.sub}` });
    if (token.spiffeId) facts.push({ match: "spiffe", value: token.spiffeId });
  }
  return facts;
}

/** Another spelling of a fact, as the docs say it may be written (or, now and then, as they say it may not). */
function respell(r: Random, asked: RevocationAsked, material: CertificateMaterial): RevocationAsked {
  const { match, value } = asked;
  switch (match) {
    case "fingerprint":
    case "ca":
      return { match, value: hexSpelling(r, value) };
    case "serial": {
      const [ski, serial] = value.split("/") as [string, string];
      // The same serial under the other issuer now and then: another certificate.
      const issuer = chance(r, 0.15) ? pick(r, material.issuerSkis) : ski;
      return { match, value: `${hexSpelling(r, issuer)}/${serialSpelling(r, serial)}` };
    }
    case "email":
      return { match, value: chance(r, 0.15) ? pick(r, EMAILS_MISSPELT) : caseSpelling(r, value) };
    case "spiffe":
      return { match, value: chance(r, 0.1) ? pick(r, SPIFFE_MISSPELT) : value };
    case "token":
      return { match, value: chance(r, 0.1) ? pick(r, CLIENT_IDS_MISSPELT) : value };
    case "subject":
      // Another issuer's name for the same sub now and then (someone else), or one the policy does not have.
      if (chance(r, 0.15))
        return { match, value: `${pick(r, [...TOKEN_ISSUER_NAMES, "gitlab"])}/${value.slice(value.indexOf("/") + 1)}` };
      return asked;
    default:
      return asked;
  }
}

/** A value of any kind, not taken from a caller: decoys and near misses. */
function decoy(r: Random, material: CertificateMaterial): RevocationAsked {
  const match = pick(r, ["spiffe", "fingerprint", "serial", "ca", "email", "sub", "token", "subject"] as const);
  switch (match) {
    case "spiffe":
      return { match, value: pick(r, [...SPIFFE_IDS, TRUST_DOMAIN_ID, ...SPIFFE_MISSPELT]) };
    case "fingerprint":
      return { match, value: hexSpelling(r, pick(r, material.fingerprints)) };
    case "serial":
      return {
        match,
        value: `${hexSpelling(r, pick(r, material.issuerSkis))}/${serialSpelling(r, pick(r, material.serials))}`,
      };
    case "ca":
      return { match, value: hexSpelling(r, pick(r, [...material.caKeys, ...material.issuerSkis])) };
    case "email":
      return { match, value: pick(r, [...EMAILS, ...EMAILS_MISSPELT]) };
    case "sub":
      return { match, value: pick(r, [...ACCESS_SUBS, ...TOKEN_ISSUERS["github-actions"].subs]) };
    case "token":
      return { match, value: pick(r, [...CLIENT_IDS, ...CLIENT_IDS_MISSPELT]) };
    case "subject": {
      const issuer = pick(r, TOKEN_ISSUER_NAMES);
      return { match, value: `${issuer}/${pick(r, TOKEN_ISSUERS[issuer].subs as readonly string[])}` };
    }
  }
}

/** A revocation to ask for: mostly a fact of one of the callers, respelt; sometimes padded with white space. */
export function randomRevocation(
  r: Random,
  callers: readonly OracleCaller[],
  material: CertificateMaterial,
): RevocationAsked {
  const facts = callers.flatMap(namedFacts);
  const asked = facts.length > 0 && chance(r, 0.75) ? respell(r, pick(r, facts), material) : decoy(r, material);
  return chance(r, 0.05) ? { ...asked, value: padding(r, asked.value) } : asked;
}

/** A quarantine's principal, as Ward's quarantine writes it: one credential of a caller, or (an older one) all. */
export function randomQuarantine(
  r: Random,
  callers: readonly OracleCaller[],
  parts: (c: OracleCaller) => string[],
): string {
  const caller = pick(r, callers);
  const names = parts(caller);
  if (names.length === 0) return `user:${pick(r, EMAILS).toLowerCase()}`;
  return chance(r, 0.2) ? names.join("+") : pick(r, names);
}

/** An entry's end around `now`: at it, a millisecond either side, long before or after, or none. */
export function randomExpiry(r: Random, now: number): number | null {
  return pick(r, [null, null, now, now - 1, now + 1, now + 3_600_000, now - 3_600_000, now + 60_000]);
}

export type { OracleEntry };
