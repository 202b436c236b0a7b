// The workload identity from Cloudflare's client-certificate facts (request.cf.tlsClientAuth). Every field
// is a string and is compared exactly: "NONE" and "0" are truthy, and a revoked certificate can still say
// SUCCESS. Client CAs are account-wide, so the issuer is pinned and the identity comes from the
// certificate's SPIFFE ID (SAN URI) or a fingerprint registry, never from its CN. A SPIFFE ID counts only if
// the certificate is an X509-SVID (exactly one URI SAN, a workload's ID rather than its trust domain's, on a
// leaf rather than a CA's certificate) and its trust domain is one its issuer is bound to (identity.mtls.issuers[].trustDomains).
import { AsnConvert } from "@peculiar/asn1-schema";
import {
  BasicConstraints,
  Certificate,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  KeyUsage,
  SubjectAlternativeName,
} from "@peculiar/asn1-x509";
import {
  isSpiffeId,
  isTrustDomainId,
  normaliseHex,
  trustDomainOf,
  type PolicyDocument,
  type WorkloadIdentity,
} from "../../policy/index.ts";
import { SizedCache } from "../shared/bounded-cache.ts";

export type MtlsConfig = NonNullable<PolicyDocument["identity"]["mtls"]>;

/** The verified certificate, as the denylist and the origin assertion name it. */
export interface CertificateFacts {
  sha256: string;
  /** Cloudflare's certIssuerSKI and certSerial as given: the denylist normalises them only when it has entries. */
  issuerSki: string;
  serial: string;
}

export type MtlsResult =
  | {
      ok: true;
      workload: WorkloadIdentity;
      certificate: CertificateFacts;
      lifetimeSeconds: number;
      /** Seconds until notAfter, at the request. */
      remainingSeconds: number;
    }
  | { ok: false; problem: MtlsProblem };

export type MtlsProblem =
  | "no-certificate"
  | "not-verified"
  | "revoked"
  | "issuer-not-pinned"
  | "outside-validity"
  | "certificate-too-large"
  | "fingerprint-mismatch"
  | "unparseable-certificate"
  | "no-spiffe-id"
  | "several-spiffe-ids"
  | "several-uri-sans"
  | "not-a-leaf"
  | "malformed-spiffe-id"
  | "trust-domain-id"
  | "issuer-trust-domain-mismatch"
  | "not-registered";

/** Judgements kept per configuration: as the verified-token caches, above the workloads one isolate serves in rotation. */
const JUDGED_CACHE_LIMIT = 5000;
/**
 * And at most this many characters of certificates (a judgement keeps the DER it was read from, up to the 10 KiB
 * Cloudflare forwards): a few thousand large certificates from a CA of the account must not fill the isolate.
 * Usual certificates (~1.5 KiB of base64) fit every entry of JUDGED_CACHE_LIMIT.
 */
const JUDGED_CACHE_CHARACTERS = 8_000_000;

/** Each compiled config's registry by normalised fingerprint, built once: a look-up costs the same for 5 entries or 5,000. */
const registries = new WeakMap<MtlsConfig, ReadonlyMap<string, string>>();

function registeredId(config: MtlsConfig, fingerprint: string): string | undefined {
  if (!config.registry) return undefined;
  let byFingerprint = registries.get(config);
  if (!byFingerprint) {
    const map = new Map<string, string>();
    // Validation refuses a fingerprint listed twice; should one get here, the first entry wins, as it did before.
    for (const entry of config.registry) {
      const key = normaliseHex(entry.fingerprintSha256);
      if (!map.has(key)) map.set(key, entry.id);
    }
    registries.set(config, (byFingerprint = map));
  }
  return byFingerprint.get(fingerprint);
}

function field(auth: Record<string, unknown>, name: string): string | undefined {
  const value = auth[name];
  return typeof value === "string" ? value : undefined;
}

/** Each compiled config's pins, by normalised SKI and by exact DN, each with the trust domains it is bound to. */
interface IssuerIndex {
  bySki: ReadonlyMap<string, ReadonlySet<string>>;
  byDn: ReadonlyMap<string, ReadonlySet<string>>;
  policyTrustDomains: readonly string[];
}
const NO_TRUST_DOMAINS: readonly string[] = [];
const issuerIndexes = new WeakMap<MtlsConfig, IssuerIndex>();

function issuerIndex(config: MtlsConfig, policyTrustDomains: readonly string[]): IssuerIndex {
  let index = issuerIndexes.get(config);
  // Built once per config and the trust domains it was built with (the same compiled document gives both; a
  // caller passing other domains gets a fresh index rather than a stale one).
  if (!index || index.policyTrustDomains !== policyTrustDomains) {
    const bySki = new Map<string, Set<string>>();
    const byDn = new Map<string, Set<string>>();
    for (const pin of config.issuers) {
      const [map, key] = "ski" in pin ? [bySki, normaliseHex(pin.ski)] : [byDn, pin.dn];
      const domains = map.get(key) ?? new Set<string>();
      // A pin that names no trust domains (written for a Ward before the binding) may issue for the policy's
      // metadata.trustDomains, with a validation warning; with none there either, it is pinned but mints none.
      for (const domain of pin.trustDomains ?? policyTrustDomains) domains.add(domain);
      map.set(key, domains);
    }
    issuerIndexes.set(config, (index = { bySki, byDn, policyTrustDomains }));
  }
  return index;
}

/**
 * The trust domains the certificate's issuer may issue SPIFFE IDs for, or undefined when no pin matches. When
 * both its SKI pin and its DN pin match, the union: each pin names a CA the operator trusts for those.
 */
function pinnedTrustDomains(
  auth: Record<string, unknown>,
  config: MtlsConfig,
  policyTrustDomains: readonly string[],
): ReadonlySet<string> | undefined {
  const index = issuerIndex(config, policyTrustDomains);
  const ski = field(auth, "certIssuerSKI");
  const dn = field(auth, "certIssuerDNRFC2253");
  const bySki = ski !== undefined && ski !== "" ? index.bySki.get(normaliseHex(ski)) : undefined;
  const byDn = dn !== undefined ? index.byDn.get(dn) : undefined;
  if (bySki && byDn) return new Set([...bySki, ...byDn]);
  return bySki ?? byDn;
}

/** What the X509-SVID standard has a validator read from the certificate's extensions. */
interface SvidFields {
  /** Every URI SAN, across all its subjectAltName extensions (one is allowed; two would hide one). */
  uris: string[];
  /**
   * A CA's certificate (basic constraints' cA), or a key for signing certificates or CRLs (key usage's
   * keyCertSign, cRLSign), in any instance of either extension: no leaf, so no workload's SVID (section 5.2).
   */
  signsCertificates: boolean;
}

/**
 * Key usage bits no leaf SVID sets (the standard's section 4.3), in the BIT STRING's first octet: keyCertSign (bit
 * 5) and cRLSign (bit 6). Read there as openssl and BoringSSL read them: the schema's number of the whole string
 * is a double, which loses both bits from a string padded past two octets.
 */
const SIGNING_KEY_USAGE_BITS = 0x04 | 0x02;

async function svidFieldsOf(rfc9440: string, fingerprint: string): Promise<SvidFields | MtlsProblem> {
  const match = /^:([A-Za-z0-9+/]+={0,2}):$/.exec(rfc9440);
  if (!match) return "unparseable-certificate";
  let der: Uint8Array;
  try {
    der = Uint8Array.from(atob(match[1]!), (c) => c.charCodeAt(0));
  } catch {
    return "unparseable-certificate"; // base64 of a length no encoder writes
  }
  // Only a certificate whose bytes hash to the fingerprint Cloudflare verified may name the workload.
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  const hex = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
  if (hex !== fingerprint) return "fingerprint-mismatch";
  try {
    const certificate = AsnConvert.parse(der, Certificate);
    const extensions = certificate.tbsCertificate.extensions ?? [];
    const of = (id: string) => extensions.filter((e) => e.extnID === id);
    const names = of(id_ce_subjectAltName).flatMap((e) => AsnConvert.parse(e.extnValue, SubjectAlternativeName));
    const signsCertificates =
      of(id_ce_basicConstraints).some((e) => AsnConvert.parse(e.extnValue, BasicConstraints).cA) ||
      of(id_ce_keyUsage).some(
        (e) => ((new Uint8Array(AsnConvert.parse(e.extnValue, KeyUsage).value)[0] ?? 0) & SIGNING_KEY_USAGE_BITS) !== 0,
      );
    return {
      uris: names.map((n) => n.uniformResourceIdentifier).filter((uri): uri is string => uri !== undefined),
      signsCertificates,
    };
  } catch {
    return "unparseable-certificate";
  }
}

/**
 * The certificate's SPIFFE ID as the X509-SVID standard allows it (section 2): exactly one URI SAN, and it is a
 * workload's SPIFFE ID. Other SAN types (DNS names) do not count. The scheme is compared case-insensitively (as
 * URIs compare it) so that `SPIFFE://...` is a malformed SPIFFE ID, not some other URI.
 */
function svidIdOf(uris: readonly string[]): { id: string } | { problem: MtlsProblem } {
  const spiffe = uris.filter((uri) => /^spiffe:/i.test(uri));
  if (spiffe.length === 0) return { problem: "no-spiffe-id" };
  if (spiffe.length > 1) return { problem: "several-spiffe-ids" };
  // Another URI beside it is no X509-SVID: software that reads the other one would see another caller.
  if (uris.length > 1) return { problem: "several-uri-sans" };
  const id = spiffe[0]!;
  // Another spelling of an ID (upper case, a port, a dot segment) would slip past a deny rule naming it.
  if (!isSpiffeId(id)) return { problem: "malformed-spiffe-id" };
  // `spiffe://td` names the trust domain (its bundle, its servers), never a workload.
  if (isTrustDomainId(id)) return { problem: "trust-domain-id" };
  return { id };
}

/** The fields of tlsClientAuth a judgement is read from (certPresented, certVerified and certRevoked are read on every request). */
const JUDGED_FIELDS = [
  "certIssuerSKI",
  "certIssuerDNRFC2253",
  "certNotBefore",
  "certNotAfter",
  "certFingerprintSHA256",
  "certSerial",
  "certRFC9440",
  "certRFC9440TooLarge",
] as const;

/**
 * What a certificate's facts say under one configuration, all but the time: the same for each of its requests
 * (one judged out of date, never kept, says no more than that).
 */
interface Judgement {
  /** The fields it was read from, as they were: it holds for a request only if each is the same. */
  fields: readonly unknown[];
  policyTrustDomains: readonly string[];
  pinned: boolean;
  notBefore: number;
  notAfter: number;
  /** After the time: a problem, or the workload. Shared by the requests that present the certificate (frozen). */
  verdict: { problem: MtlsProblem } | { workload: WorkloadIdentity; certificate: CertificateFacts };
}

/**
 * Judgements per configuration (a new policy judges afresh) and certificate, keyed by Cloudflare's fingerprint
 * as given. A workload presents the same certificate on every request until it rotates it: its DER is decoded
 * and hashed, its dates parsed and its SPIFFE ID checked once, not on each request. Only certificates of a
 * pinned issuer, judged while in date, are kept: others are refused by those two cheap checks, as before.
 */
const judgements = new WeakMap<MtlsConfig, SizedCache<Judgement>>();

const inDate = (now: number, notBefore: number, notAfter: number): boolean => now >= notBefore && now <= notAfter;

function sameFields(judgement: Judgement, auth: Record<string, unknown>): boolean {
  for (let i = 0; i < JUDGED_FIELDS.length; i++) if (auth[JUDGED_FIELDS[i]!] !== judgement.fields[i]) return false;
  return true;
}

/**
 * The judgement of a certificate's facts. One of an unpinned issuer, or out of date at `now`, goes no further
 * than that (as the checks always did: no DER is hashed for it) and is never kept (workloadIdentity).
 */
async function judge(
  auth: Record<string, unknown>,
  config: MtlsConfig,
  policyTrustDomains: readonly string[],
  now: number,
): Promise<Judgement> {
  const fields = JUDGED_FIELDS.map((name) => auth[name]);
  const issuerTrustDomains = pinnedTrustDomains(auth, config, policyTrustDomains);
  const notBefore = Date.parse(field(auth, "certNotBefore") ?? "");
  const notAfter = Date.parse(field(auth, "certNotAfter") ?? "");
  const judged = (verdict: Judgement["verdict"]): Judgement => ({
    fields,
    policyTrustDomains,
    pinned: issuerTrustDomains !== undefined,
    notBefore,
    notAfter,
    verdict: Object.freeze(verdict),
  });
  const refused = (problem: MtlsProblem) => judged({ problem });
  if (!issuerTrustDomains) return refused("issuer-not-pinned");
  if (!inDate(now, notBefore, notAfter)) return refused("outside-validity");
  const fingerprint = normaliseHex(field(auth, "certFingerprintSHA256") ?? "");
  if (!/^[0-9a-f]{64}$/.test(fingerprint)) return refused("no-certificate");
  const certificate = Object.freeze({
    sha256: fingerprint,
    issuerSki: field(auth, "certIssuerSKI") ?? "",
    serial: field(auth, "certSerial") ?? "",
  });
  const registered = registeredId(config, fingerprint);
  if (registered) return judged({ workload: Object.freeze({ id: registered }), certificate });
  if (!config.spiffe) return refused("not-registered");

  if (auth.certRFC9440TooLarge === true || field(auth, "certRFC9440TooLarge") === "true") {
    return refused("certificate-too-large");
  }
  const read = await svidFieldsOf(field(auth, "certRFC9440") ?? "", fingerprint);
  if (typeof read === "string") return refused(read);
  const svid = svidIdOf(read.uris);
  if ("problem" in svid) return refused(svid.problem);
  // A certificate of an intermediate CA the pinned one signed names no workload, whatever its URI SAN says
  // (the X509-SVID standard's leaf validation, section 5.2).
  if (read.signsCertificates) return refused("not-a-leaf");
  const id = svid.id;
  // A CA mints only its own trust domains' identities (as Envoy keeps one bundle per trust domain): another
  // team's or a partner's pinned CA cannot issue `spiffe://prod.example.com/...`.
  if (!issuerTrustDomains.has(trustDomainOf(id)!)) return refused("issuer-trust-domain-mismatch");
  return judged({ workload: Object.freeze({ id }), certificate });
}

/**
 * `policyTrustDomains`: the policy's metadata.trustDomains, what a pin that names no trust domains may issue
 * for (the config and the metadata come from one compiled document, so the index built once per config holds).
 */
export async function workloadIdentity(
  tlsClientAuth: unknown,
  config: MtlsConfig,
  now: number,
  policyTrustDomains: readonly string[] = NO_TRUST_DOMAINS,
): Promise<MtlsResult> {
  if (tlsClientAuth === null || typeof tlsClientAuth !== "object") return { ok: false, problem: "no-certificate" };
  const auth = tlsClientAuth as Record<string, unknown>;
  if (field(auth, "certPresented") !== "1") return { ok: false, problem: "no-certificate" };
  if (field(auth, "certVerified") !== "SUCCESS") return { ok: false, problem: "not-verified" };
  if (field(auth, "certRevoked") !== "0") return { ok: false, problem: "revoked" };

  let judged = judgements.get(config);
  if (!judged) judgements.set(config, (judged = new SizedCache(JUDGED_CACHE_LIMIT, JUDGED_CACHE_CHARACTERS)));
  const key = field(auth, "certFingerprintSHA256") ?? "";
  let judgement = judged.get(key);
  if (!judgement || judgement.policyTrustDomains !== policyTrustDomains || !sameFields(judgement, auth)) {
    judgement = await judge(auth, config, policyTrustDomains, now);
    // Not kept: an unpinned issuer's, or one out of date, judged no further than that (refused as cheaply).
    if (judgement.pinned && inDate(now, judgement.notBefore, judgement.notAfter))
      judged.set(key, judgement, (field(auth, "certRFC9440") ?? "").length);
  }

  // In the order they were always checked: the issuer, the time, then what the certificate names.
  if (!judgement.pinned) return { ok: false, problem: "issuer-not-pinned" };
  const { notBefore, notAfter, verdict } = judgement;
  if (!inDate(now, notBefore, notAfter)) return { ok: false, problem: "outside-validity" };
  if ("problem" in verdict) return { ok: false, problem: verdict.problem };
  return {
    ok: true,
    workload: verdict.workload,
    certificate: verdict.certificate,
    lifetimeSeconds: Math.round((notAfter - notBefore) / 1000),
    // From the request's whole second to notAfter's, as a token's exp - now: never more than it has.
    remainingSeconds: Math.floor(notAfter / 1000) - Math.floor(now / 1000),
  };
}

/** Judgements kept for a configuration, and the characters they hold (tests check the bounds). */
export function judgementsHeld(config: MtlsConfig): { entries: number; characters: number } {
  return judgements.get(config)?.held ?? { entries: 0, characters: 0 };
}
