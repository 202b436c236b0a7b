// The workload identity from Cloudflare's client-certificate facts (request.cf.tlsClientAuth). Every field
// is a string and is compared exactly: "NONE" and "0" are truthy, and a revoked certificate can still say
// SUCCESS. Client CAs are account-wide, so the issuer is pinned and the identity comes from the
// certificate's SPIFFE ID (SAN URI) or a fingerprint registry, never from its CN. A SPIFFE ID counts only if
// the certificate is an X509-SVID (exactly one URI SAN, a workload's ID rather than its trust domain's, on a
// leaf rather than a CA's certificate) and its trust domain is one its issuer is bound to (identity.mtls.issuers[].trustDomains).
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
  type IssuerCertificate,
  normaliseHex,
  readIssuerCertificate,
  trustDomainOf,
  type PolicyDocument,
  type WorkloadIdentity,
  caKey,
} from "../../policy/index.ts";
import { SizedCache } from "../shared/bounded-cache.ts";
import { type ChainedTrust, type ChainPin, chainedTrust } from "./certificate-chain.ts";
import { signedBy } from "./certificate-signature.ts";
import { byteSequence, extensionsWellFormed, generalNamesWellFormed, parseDer, singleDerSequence } from "./der.ts";
import { type ChainProblem, chainCertificates, type SentCertificate, sentKeyIdentifiers } from "./sent-certificates.ts";

export type MtlsConfig = NonNullable<PolicyDocument["identity"]["mtls"]>;

/** The verified certificate, as the denylist and the origin assertion name it. */
export interface CertificateFacts {
  sha256: string;
  /** Cloudflare's certIssuerSKI and certSerial as given: the denylist normalises them only when it has entries. */
  issuerSki: string;
  serial: string;
  /**
   * The key identifiers (lower-case hex) a `ca` revocation names: the issuer's (certIssuerSKI); when the path to a
   * pin went through intermediates, theirs and the pin's; and every certificate's the client sent beside its own.
   */
  caKeys: readonly string[];
  /**
   * The certificates sent beside it could not be read (too large, not DER, one past what is parsed of one): a `ca`
   * revocation refuses it.
   */
  chainUnread?: true;
}

export type MtlsResult =
  | {
      ok: true;
      workload: WorkloadIdentity;
      certificate: CertificateFacts;
      lifetimeSeconds: number;
      /** Seconds until notAfter, at the request (or until an intermediate's on its path, if earlier). */
      remainingSeconds: number;
      /** Seconds until the certificate's own notAfter: the credential as the decision log describes it. */
      ownRemainingSeconds: number;
    }
  | { ok: false; problem: MtlsProblem };

export type MtlsProblem =
  | "no-certificate"
  | "not-verified"
  | "revoked"
  | "issuer-not-pinned"
  | "issuer-signature-invalid"
  | "outside-validity"
  | "certificate-too-large"
  | "fingerprint-mismatch"
  | "unparseable-certificate"
  | "no-spiffe-id"
  | "several-spiffe-ids"
  | "several-uri-sans"
  | "not-a-leaf"
  | "no-digital-signature"
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

/** A pin by the CA's own certificate: its trust domains once its key is shown to have signed the certificate. */
interface KeyPin {
  certificate: IssuerCertificate;
  trustDomains: ReadonlySet<string>;
}

/**
 * Each compiled config's pins: by normalised SKI and by exact DN (names only, which any CA can carry), each with
 * the trust domains it is bound to; and by certificate, found by its SKI and proven by its key's signature.
 */
interface IssuerIndex {
  bySki: ReadonlyMap<string, ReadonlySet<string>>;
  byDn: ReadonlyMap<string, ReadonlySet<string>>;
  byKey: ReadonlyMap<string, readonly KeyPin[]>;
  /** Certificate pins that may be reached through intermediates the client sends (certificate-chain.ts). */
  chained: readonly ChainPin[];
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
    const byKey = new Map<string, KeyPin[]>();
    const chained: ChainPin[] = [];
    for (const pin of config.issuers) {
      // A pin that names no trust domains (written for a Ward before the binding) may issue for the policy's
      // metadata.trustDomains, with a validation warning; with none there either, it is pinned but mints none.
      const bound = pin.trustDomains ?? policyTrustDomains;
      if ("certificate" in pin) {
        // Validation refuses one that does not read; should one get here, it pins nothing (fails closed).
        const read = readIssuerCertificate(pin.certificate);
        if (!read.ok) continue;
        const pins = byKey.get(read.certificate.ski) ?? [];
        const trustDomains = new Set(bound);
        pins.push({ certificate: read.certificate, trustDomains });
        byKey.set(read.certificate.ski, pins);
        // Validation refuses a chain pin whose certificate has constraints Ward would ignore, or is not for client
        // authentication; should one get here, it is reached directly only.
        if (pin.intermediates && read.certificate.unapplied.length === 0 && read.certificate.clientAuth)
          chained.push({ certificate: read.certificate, trustDomains, intermediates: pin.intermediates });
        continue;
      }
      const [map, key] = "ski" in pin ? [bySki, normaliseHex(pin.ski)] : [byDn, pin.dn];
      const domains = map.get(key) ?? new Set<string>();
      for (const domain of bound) domains.add(domain);
      map.set(key, domains);
    }
    issuerIndexes.set(config, (index = { bySki, byDn, byKey, chained, policyTrustDomains }));
  }
  return index;
}

/** The pins a certificate's issuer fields match: those that name it, and those whose key is still to be checked. */
interface MatchedPins {
  /** From SKI and DN pins: the union of their trust domains (each names a CA the operator trusts for those). */
  named?: ReadonlySet<string>;
  /** Certificate pins with the issuer's SKI: theirs count once the key's signature is checked. */
  keyed?: readonly KeyPin[];
}

/** The pins the certificate's issuer matches, or undefined when none does. */
function matchedPins(auth: Record<string, unknown>, index: IssuerIndex): MatchedPins | undefined {
  const ski = field(auth, "certIssuerSKI");
  const dn = field(auth, "certIssuerDNRFC2253");
  const skiKey = ski !== undefined && ski !== "" ? normaliseHex(ski) : undefined;
  const bySki = skiKey !== undefined ? index.bySki.get(skiKey) : undefined;
  const byDn = dn !== undefined ? index.byDn.get(dn) : undefined;
  const keyed = skiKey !== undefined ? index.byKey.get(skiKey) : undefined;
  const named = bySki && byDn ? new Set([...bySki, ...byDn]) : (bySki ?? byDn);
  if (!named && !keyed) return undefined;
  return { ...(named ? { named } : {}), ...(keyed ? { keyed } : {}) };
}

/**
 * The trust domains the certificate's issuer may issue SPIFFE IDs for: the named pins', and each certificate
 * pin's whose key signed it. A certificate only certificate pins match, none of whose keys signed it, has a
 * look-alike issuer: undefined.
 */
async function provenTrustDomains(
  pins: MatchedPins,
  der: Uint8Array | undefined,
): Promise<ReadonlySet<string> | undefined> {
  if (!pins.keyed) return pins.named;
  const domains = new Set(pins.named ?? []);
  let proven = false;
  for (const pin of pins.keyed)
    if (der && (await signedBy(der, pin.certificate))) {
      proven = true;
      for (const domain of pin.trustDomains) domains.add(domain);
    }
  return proven || pins.named ? domains : undefined;
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
  /**
   * A key usage without digitalSignature, in any instance: the key was not issued to sign, which is how a TLS
   * client proves itself (section 4.3: leaf SVIDs set it; go-spiffe refuses a leaf without it). A certificate
   * without the extension is taken, as many workload CAs' and older certificates have none.
   */
  cannotSign: boolean;
}

/**
 * Key usage bits no leaf SVID sets (the standard's section 4.3), in the BIT STRING's first octet: keyCertSign (bit
 * 5) and cRLSign (bit 6). Read there as openssl and BoringSSL read them: the schema's number of the whole string
 * is a double, which loses both bits from a string padded past two octets.
 */
const SIGNING_KEY_USAGE_BITS = 0x04 | 0x02;
/** digitalSignature: bit 0, the first octet's highest bit. */
const DIGITAL_SIGNATURE_BIT = 0x80;

/** The certificate's DER from Cloudflare's certRFC9440, once its bytes are shown to hash to the verified fingerprint. */
async function certificateDer(rfc9440: string, fingerprint: string): Promise<Uint8Array | MtlsProblem> {
  const der = byteSequence(rfc9440);
  if (!der) return "unparseable-certificate";
  // Only a certificate whose bytes hash to the fingerprint Cloudflare verified may name the workload.
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  const hex = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
  if (hex !== fingerprint) return "fingerprint-mismatch";
  // One DER structure, nothing after it: a BER form (an indefinite length) or trailing bytes may be split by
  // the parser here otherwise than by the one that verified the chain.
  if (!singleDerSequence(der)) return "unparseable-certificate";
  return der;
}

function svidFieldsOf(der: Uint8Array): SvidFields | MtlsProblem {
  try {
    // Strictly DER, the certificate and each extension value read here (der.ts parseDer): bytes the schema's
    // lenient reader would take past their end (a second SAN list, `cA TRUE` after an empty basicConstraints) are
    // refused, not read one way here and another by the verifier.
    const certificate = parseDer(der, Certificate);
    if (!extensionsWellFormed(der)) return "unparseable-certificate";
    // RFC 5280 4.1.2.2: a positive serial. A negative one cannot be revoked by serial (a CRL naming it is refused
    // whole, scripts/crl.ts), and strict readers (Go's) refuse such a certificate.
    if ((new Uint8Array(certificate.tbsCertificate.serialNumber)[0] ?? 0x80) >= 0x80) return "unparseable-certificate";
    const extensions = certificate.tbsCertificate.extensions ?? [];
    const of = (id: string) => extensions.filter((e) => e.extnID === id);
    const names = of(id_ce_subjectAltName).flatMap((e) => {
      const value = new Uint8Array(e.extnValue.buffer);
      if (!generalNamesWellFormed(value)) throw new Error("not a SubjectAlternativeName");
      return parseDer(value, SubjectAlternativeName);
    });
    // These two hold no OID: encoded again, they give their bytes back, or something was skipped or defaulted.
    const usages = of(id_ce_keyUsage).map(
      (e) => new Uint8Array(parseDer(e.extnValue.buffer, KeyUsage, true).value)[0] ?? 0,
    );
    const signsCertificates =
      of(id_ce_basicConstraints).some((e) => parseDer(e.extnValue.buffer, BasicConstraints, true).cA) ||
      usages.some((bits) => (bits & SIGNING_KEY_USAGE_BITS) !== 0);
    return {
      uris: names.map((n) => n.uniformResourceIdentifier).filter((uri): uri is string => uri !== undefined),
      signsCertificates,
      cannotSign: usages.some((bits) => (bits & DIGITAL_SIGNATURE_BIT) === 0),
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
  "certChainRFC9440",
  "certChainRFC9440TooLarge",
] as const;

/**
 * What a certificate's facts say under one configuration, all but the time: the same for each of its requests
 * (one judged out of date, never kept, says no more than that).
 */
interface Judgement {
  /** The fields it was read from, as they were: it holds for a request only if each is the same. */
  fields: readonly unknown[];
  policyTrustDomains: readonly string[];
  /** Its issuer pinned, or pins that may be reached through a chain: judged beyond the issuer. */
  pinned: boolean;
  notBefore: number;
  notAfter: number;
  /** When the path to a pin went through intermediates: the dates within which each of them is valid. */
  chainNotBefore: number;
  chainNotAfter: number;
  /** After the time: a problem, or the workload. Shared by the requests that present the certificate (frozen). */
  verdict: { problem: MtlsProblem } | { workload: WorkloadIdentity; certificate: CertificateFacts };
  /** When it was made: the path through the chain is the one in date then. */
  judgedAt: number;
}

/**
 * A kept judgement whose path through the chain is out of date is made again at most this often: another path (a
 * renewed intermediate, sent beside the old one) may be in date now. Not on every request: such a certificate is
 * refused as cheaply as before in between.
 */
const CHAIN_REJUDGE_MS = 60_000;

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
  const index = issuerIndex(config, policyTrustDomains);
  const pins = matchedPins(auth, index);
  // A certificate no pin names may still reach one through the intermediates it was sent with.
  const reachableByChain = index.chained.length > 0;
  const notBefore = Date.parse(field(auth, "certNotBefore") ?? "");
  const notAfter = Date.parse(field(auth, "certNotAfter") ?? "");
  let chainNotBefore = -Infinity;
  let chainNotAfter = Infinity;
  const judged = (verdict: Judgement["verdict"]): Judgement => ({
    fields,
    policyTrustDomains,
    pinned: pins !== undefined || reachableByChain,
    notBefore,
    notAfter,
    chainNotBefore,
    chainNotAfter,
    verdict: Object.freeze(verdict),
    judgedAt: now,
  });
  const refused = (problem: MtlsProblem) => judged({ problem });
  if (!pins && !reachableByChain) return refused("issuer-not-pinned");
  if (!inDate(now, notBefore, notAfter)) return refused("outside-validity");
  const fingerprint = normaliseHex(field(auth, "certFingerprintSHA256") ?? "");
  if (!/^[0-9a-f]{64}$/.test(fingerprint)) return refused("no-certificate");
  const issuerSki = field(auth, "certIssuerSKI") ?? "";
  let caKeys: readonly string[] = issuerKey(issuerSki);
  /** The certificates sent beside it, read once for the path and for a `ca` revocation (each parsed once). */
  let chainRead: SentCertificate[] | ChainProblem | undefined;
  const sentChain = () =>
    (chainRead ??= chainTooLarge(auth)
      ? "certificate-too-large"
      : chainCertificates(field(auth, "certChainRFC9440") ?? ""));
  /** Built once the path the identity relies on is known. */
  const certificate = (): CertificateFacts => {
    const sent = sentKeyIdentifiers(sentChain());
    return Object.freeze({
      sha256: fingerprint,
      issuerSki,
      serial: field(auth, "certSerial") ?? "",
      caKeys: [...new Set([...caKeys, ...sent.keys])],
      ...(sent.complete ? {} : { chainUnread: true as const }),
    });
  };
  const tooLarge = auth.certRFC9440TooLarge === true || field(auth, "certRFC9440TooLarge") === "true";
  const readDer = () => certificateDer(field(auth, "certRFC9440") ?? "", fingerprint);
  let der: Uint8Array | undefined;
  let issuerTrustDomains = pins?.named;
  /** What a path through the chain the client sent gives: tried once, only when the direct pins do not do. */
  let chained: ChainedTrust | MtlsProblem | undefined;
  let chainTried = false;
  const pathThroughChain = async (bytes: Uint8Array) => {
    if (!chainTried) chained = await trustThroughChain(sentChain(), bytes, index.chained, now);
    chainTried = true;
    return chained;
  };
  /** The path's dates bind the identity once it relies on the path. */
  const relyOn = (path: ChainedTrust) => {
    chainNotBefore = path.notBefore;
    chainNotAfter = path.notAfter;
    caKeys = [...new Set([...issuerKey(issuerSki), ...path.caKeys])];
  };
  if (pins?.keyed || !pins) {
    // A certificate pin's key must have signed it, or the chain's, registered or not: the bytes are needed to tell.
    if (tooLarge) return refused("certificate-too-large");
    const read = await readDer();
    if (typeof read === "string") return refused(read);
    der = read;
    if (pins) issuerTrustDomains = await provenTrustDomains(pins, der);
    if (!issuerTrustDomains && reachableByChain) {
      const path = await pathThroughChain(der);
      if (typeof path === "string") return refused(path);
      if (path) {
        issuerTrustDomains = path.trustDomains;
        relyOn(path);
      }
    }
    if (!issuerTrustDomains) return refused(pins ? "issuer-signature-invalid" : "issuer-not-pinned");
  }
  const registered = registeredId(config, fingerprint);
  if (registered) return judged({ workload: Object.freeze({ id: registered }), certificate: certificate() });
  if (!config.spiffe) return refused("not-registered");

  if (tooLarge) return refused("certificate-too-large");
  if (!der) {
    const read = await readDer();
    if (typeof read === "string") return refused(read);
    der = read;
  }
  const fieldsRead = svidFieldsOf(der);
  if (typeof fieldsRead === "string") return refused(fieldsRead);
  const svid = svidIdOf(fieldsRead.uris);
  if ("problem" in svid) return refused(svid.problem);
  // A certificate of an intermediate CA the pinned one signed names no workload, whatever its URI SAN says
  // (the X509-SVID standard's leaf validation, section 5.2).
  if (fieldsRead.signsCertificates) return refused("not-a-leaf");
  if (fieldsRead.cannotSign) return refused("no-digital-signature");
  const id = svid.id;
  // A CA mints only its own trust domains' identities (as Envoy keeps one bundle per trust domain): another
  // team's or a partner's CA cannot issue `spiffe://prod.example.com/...`. Only a certificate pin shows that
  // the CA is the pinned one (an SKI or DN is a name a look-alike can carry).
  const domain = trustDomainOf(id)!;
  if (!issuerTrustDomains?.has(domain)) {
    // A pin that names the issuer directly does not take away what a pin above it, reached through the chain,
    // gives: their trust domains together, as for several direct pins.
    const path = reachableByChain ? await pathThroughChain(der) : undefined;
    if (typeof path !== "object" || !path.trustDomains.has(domain)) return refused("issuer-trust-domain-mismatch");
    relyOn(path);
  }
  return judged({ workload: Object.freeze({ id }), certificate: certificate() });
}

/** Cloudflare left the chain out: it was over its bound. */
function chainTooLarge(auth: Record<string, unknown>): boolean {
  return auth.certChainRFC9440TooLarge === true || field(auth, "certChainRFC9440TooLarge") === "true";
}

/** Cloudflare's certIssuerSKI as a `ca` revocation names it; none when it is not one. */
function issuerKey(issuerSki: string): string[] {
  const key = caKey(issuerSki);
  return key === undefined ? [] : [key];
}

/** The trust a path through the certificates the client sent gives, or why they cannot be read. */
async function trustThroughChain(
  chain: readonly SentCertificate[] | ChainProblem,
  der: Uint8Array,
  pins: readonly ChainPin[],
  now: number,
): Promise<ChainedTrust | MtlsProblem | undefined> {
  if (typeof chain === "string") return chain;
  return chainedTrust(der, chain, pins, now);
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
  const pathOutOfDate =
    judgement !== undefined &&
    !inDate(now, judgement.chainNotBefore, judgement.chainNotAfter) &&
    Math.abs(now - judgement.judgedAt) >= CHAIN_REJUDGE_MS;
  if (
    !judgement ||
    pathOutOfDate ||
    judgement.policyTrustDomains !== policyTrustDomains ||
    !sameFields(judgement, auth)
  ) {
    judgement = await judge(auth, config, policyTrustDomains, now);
    // Not kept: an unpinned issuer's, or one out of date, judged no further than that (refused as cheaply).
    if (judgement.pinned && inDate(now, judgement.notBefore, judgement.notAfter))
      judged.set(
        key,
        judgement,
        (field(auth, "certRFC9440") ?? "").length + (field(auth, "certChainRFC9440") ?? "").length,
      );
  }

  // In the order they were always checked: the issuer, the time, then what the certificate names.
  if (!judgement.pinned) return { ok: false, problem: "issuer-not-pinned" };
  const { notBefore, notAfter, verdict } = judgement;
  if (!inDate(now, notBefore, notAfter) || !inDate(now, judgement.chainNotBefore, judgement.chainNotAfter))
    return { ok: false, problem: "outside-validity" };
  if ("problem" in verdict) return { ok: false, problem: verdict.problem };
  return {
    ok: true,
    workload: verdict.workload,
    certificate: verdict.certificate,
    lifetimeSeconds: Math.round((notAfter - notBefore) / 1000),
    // From the request's whole second to notAfter's, as a token's exp - now: never more than it has (nor than
    // the intermediates it was reached through: an open WebSocket ends with the first of them, identify.ts).
    remainingSeconds: Math.floor(Math.min(notAfter, judgement.chainNotAfter) / 1000) - Math.floor(now / 1000),
    ownRemainingSeconds: Math.floor(notAfter / 1000) - Math.floor(now / 1000),
  };
}

/** Judgements kept for a configuration, and the characters they hold (tests check the bounds). */
export function judgementsHeld(config: MtlsConfig): { entries: number; characters: number } {
  return judgements.get(config)?.held ?? { entries: 0, characters: 0 };
}
