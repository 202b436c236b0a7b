// The workload identity from Cloudflare's client-certificate facts (request.cf.tlsClientAuth). Every field
// is a string and is compared exactly: "NONE" and "0" are truthy, and a revoked certificate can still say
// SUCCESS. Client CAs are account-wide, so the issuer is pinned and the identity comes from the
// certificate's SPIFFE ID (SAN URI) or a fingerprint registry, never from its CN.
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate, id_ce_subjectAltName, SubjectAlternativeName } from "@peculiar/asn1-x509";
import { isSpiffeId, normaliseHex, type PolicyDocument, type WorkloadIdentity } from "../../policy/index.ts";
import { setBounded } from "../bounded-cache.ts";

export type MtlsConfig = NonNullable<PolicyDocument["identity"]["mtls"]>;

/** The verified certificate, as the denylist and the origin assertion name it. */
export interface CertificateFacts {
  sha256: string;
  /** Cloudflare's certIssuerSKI and certSerial as given: the denylist normalises them only when it has entries. */
  issuerSki: string;
  serial: string;
}

export type MtlsResult =
  | { ok: true; workload: WorkloadIdentity; certificate: CertificateFacts; lifetimeSeconds: number }
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
  | "malformed-spiffe-id"
  | "not-registered";

/** Parsed SPIFFE IDs per certificate, so a workload's certificate is decoded and hashed once per isolate. */
const parsed = new Map<string, { der: string; spiffeIds: string[] }>();
const PARSED_CACHE_LIMIT = 1000;


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

function issuerPinned(auth: Record<string, unknown>, config: MtlsConfig): boolean {
  const ski = field(auth, "certIssuerSKI");
  const dn = field(auth, "certIssuerDNRFC2253");
  return config.issuers.some((pin) =>
    "ski" in pin ? ski !== undefined && ski !== "" && normaliseHex(ski) === normaliseHex(pin.ski) : dn !== undefined && dn === pin.dn,
  );
}

async function spiffeIdsOf(rfc9440: string, fingerprint: string): Promise<string[] | MtlsProblem> {
  const cached = parsed.get(fingerprint);
  if (cached && cached.der === rfc9440) return cached.spiffeIds;
  const match = /^:([A-Za-z0-9+/]+={0,2}):$/.exec(rfc9440);
  if (!match) return "unparseable-certificate";
  const der = Uint8Array.from(atob(match[1]!), (c) => c.charCodeAt(0));
  // Only a certificate whose bytes hash to the fingerprint Cloudflare verified may name the workload.
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  const hex = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
  if (hex !== fingerprint) return "fingerprint-mismatch";
  let spiffeIds: string[];
  try {
    const certificate = AsnConvert.parse(der, Certificate);
    const extension = certificate.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_subjectAltName);
    const names = extension ? AsnConvert.parse(extension.extnValue, SubjectAlternativeName) : [];
    spiffeIds = names.map((n) => n.uniformResourceIdentifier).filter((uri): uri is string => uri?.startsWith("spiffe://") === true);
  } catch {
    return "unparseable-certificate";
  }
  setBounded(parsed, fingerprint, { der: rfc9440, spiffeIds }, PARSED_CACHE_LIMIT);
  return spiffeIds;
}

export async function workloadIdentity(tlsClientAuth: unknown, config: MtlsConfig, now: number): Promise<MtlsResult> {
  if (tlsClientAuth === null || typeof tlsClientAuth !== "object") return { ok: false, problem: "no-certificate" };
  const auth = tlsClientAuth as Record<string, unknown>;
  if (field(auth, "certPresented") !== "1") return { ok: false, problem: "no-certificate" };
  if (field(auth, "certVerified") !== "SUCCESS") return { ok: false, problem: "not-verified" };
  if (field(auth, "certRevoked") !== "0") return { ok: false, problem: "revoked" };
  if (!issuerPinned(auth, config)) return { ok: false, problem: "issuer-not-pinned" };
  const notBefore = Date.parse(field(auth, "certNotBefore") ?? "");
  const notAfter = Date.parse(field(auth, "certNotAfter") ?? "");
  if (!(now >= notBefore && now <= notAfter)) return { ok: false, problem: "outside-validity" };
  const fingerprint = normaliseHex(field(auth, "certFingerprintSHA256") ?? "");
  if (!/^[0-9a-f]{64}$/.test(fingerprint)) return { ok: false, problem: "no-certificate" };

  const registered = registeredId(config, fingerprint);
  const lifetimeSeconds = Math.round((notAfter - notBefore) / 1000);
  const certificate = { sha256: fingerprint, issuerSki: field(auth, "certIssuerSKI") ?? "", serial: field(auth, "certSerial") ?? "" };
  if (registered) return { ok: true, workload: { id: registered }, certificate, lifetimeSeconds };
  if (!config.spiffe) return { ok: false, problem: "not-registered" };

  if (auth.certRFC9440TooLarge === true || field(auth, "certRFC9440TooLarge") === "true") {
    return { ok: false, problem: "certificate-too-large" };
  }
  const ids = await spiffeIdsOf(field(auth, "certRFC9440") ?? "", fingerprint);
  if (typeof ids === "string") return { ok: false, problem: ids };
  // The SPIFFE X.509-SVID spec allows exactly one SPIFFE ID per certificate.
  if (ids.length === 0) return { ok: false, problem: "no-spiffe-id" };
  if (ids.length > 1) return { ok: false, problem: "several-spiffe-ids" };
  // Another spelling of an ID (upper case, a port, a dot segment) would slip past a deny rule naming it.
  if (!isSpiffeId(ids[0]!)) return { ok: false, problem: "malformed-spiffe-id" };
  return { ok: true, workload: { id: ids[0]! }, certificate, lifetimeSeconds };
}
