// Generated client certificates and the Cloudflare facts about them, for the client-certificate differential test, and
// the oracle: who Ward should say the caller is, written from the X509-SVID and SPIFFE-ID standards, RFC 5280
// and docs/policy.md (identity.mtls), not from worker/identity/mtls.ts.
import * as d from "./cert-der.ts";

export const TD_A = "a.rev.test"; // CA A, pinned by certificate
export const TD_B = "b.rev.test"; // CA B, pinned by certificate
export const TD_S = "s.rev.test"; // CA S, pinned by SKI (a name: its signature is not checked)
export const TD_R = "r.rev.test"; // the registry's IDs
export const TD_X = "x.rev.test"; // no CA is bound to it
export const DENIED = `spiffe://${TD_A}/ns/deny/sa/me`;

export type CaName = "A" | "B" | "S" | "U" | "F";
export interface Cas {
  A: d.Ca;
  B: d.Ca;
  S: d.Ca;
  U: d.Ca; // not pinned at all
  F: d.Ca; // a look-alike: reported under A's SKI, its own key signs
}
export const BOUND: Record<CaName, string[] | undefined> = {
  A: [TD_A],
  B: [TD_B],
  S: [TD_S],
  U: undefined,
  F: undefined,
};

type R = () => number;
const pick = <T>(r: R, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const chance = (r: R, p: number) => r() < p;
const int = (r: R, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

const SEGMENT_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
function segment(r: R): string {
  let s = "";
  for (let i = int(r, 1, 8); i > 0; i--) s += pick(r, [...SEGMENT_CHARS]);
  return s === "." || s === ".." ? `${s}x` : s;
}

/** A URI SAN value: a SPIFFE ID, or one spelt against the standard in one of the ways it forbids. */
export function uriCandidate(r: R): { uri: string; mutation: string } {
  const td = pick(r, [TD_A, TD_A, TD_A, TD_B, TD_S, TD_X, TD_R]);
  const path = Array.from({ length: int(r, 1, 4) }, () => segment(r));
  const base = () => `spiffe://${td}/${path.join("/")}`;
  if (chance(r, 0.05)) return { uri: DENIED, mutation: "denied" };
  if (chance(r, 0.45)) return { uri: base(), mutation: "none" };
  const mutation = pick(r, [
    "upper-td",
    "upper-scheme",
    "port",
    "empty-port",
    "userinfo",
    "query",
    "fragment",
    "trailing-slash",
    "empty-segment",
    "dot",
    "dotdot",
    "percent",
    "no-path",
    "root-path",
    "long-2048",
    "long-2049",
    "long-td",
    "star",
    "colon",
    "at",
    "space",
    "tab",
    "nul",
    "non-ascii",
    "other-scheme",
    "no-slashes",
    "three-slashes",
    "dot-td",
    "trailing-dot-td",
    "underscore-td",
    "denied-upper",
    "denied-dot",
    "denied-trailing",
    "backslash",
    "tilde",
  ] as const);
  const t = td;
  const p = path.join("/");
  const uri = {
    "upper-td": `spiffe://${t.toUpperCase()}/${p}`,
    "upper-scheme": `SPIFFE://${t}/${p}`,
    port: `spiffe://${t}:8443/${p}`,
    "empty-port": `spiffe://${t}:/${p}`,
    userinfo: `spiffe://u@${t}/${p}`,
    query: `spiffe://${t}/${p}?x=1`,
    fragment: `spiffe://${t}/${p}#f`,
    "trailing-slash": `spiffe://${t}/${p}/`,
    "empty-segment": `spiffe://${t}/${path[0]}//${p}`,
    dot: `spiffe://${t}/${path[0]}/./${p}`,
    dotdot: `spiffe://${t}/${path[0]}/../${p}`,
    percent: `spiffe://${t}/${p}%41`,
    "no-path": `spiffe://${t}`,
    "root-path": `spiffe://${t}/`,
    "long-2048": `spiffe://${t}/${"a".repeat(2048 - `spiffe://${t}/`.length)}`,
    "long-2049": `spiffe://${t}/${"a".repeat(2049 - `spiffe://${t}/`.length)}`,
    "long-td": `spiffe://${"a".repeat(256)}/${p}`,
    star: `spiffe://${t}/${p}*`,
    colon: `spiffe://${t}/${p}:x`,
    at: `spiffe://${t}/${p}@x`,
    space: `spiffe://${t}/${p} x`,
    tab: `spiffe://${t}/${p}\tx`,
    nul: `spiffe://${t}/${p}\u0000x`,
    "non-ascii": `spiffe://${t}/${p}\u00e9`,
    "other-scheme": `https://${t}/${p}`,
    "no-slashes": `spiffe:${t}/${p}`,
    "three-slashes": `spiffe:///${t}/${p}`,
    "dot-td": `spiffe://./${p}`,
    "trailing-dot-td": `spiffe://${t}./${p}`,
    "underscore-td": `spiffe://_${t}/${p}`,
    "denied-upper": DENIED.replace("/deny/", "/Deny/"),
    "denied-dot": DENIED.replace("/deny/", "/deny/./"),
    "denied-trailing": `${DENIED}/`,
    backslash: `spiffe://${t}/${p}\\x`,
    tilde: `spiffe://${t}/${p}~`,
  }[mutation];
  return { uri, mutation };
}

/** The oracle's own reading of SPIFFE-ID 2 (as docs/policy.md narrows it): the ID and its trust domain, or none. */
export function spiffeIdOf(uri: string): { td: string; hasPath: boolean } | undefined {
  if (uri.length > 2048 || !uri.startsWith("spiffe://")) return undefined;
  const rest = uri.slice("spiffe://".length);
  const slash = rest.indexOf("/");
  const td = slash < 0 ? rest : rest.slice(0, slash);
  if (td.length < 1 || td.length > 255) return undefined;
  for (const ch of td) if (!"abcdefghijklmnopqrstuvwxyz0123456789._-".includes(ch)) return undefined;
  if (slash < 0) return { td, hasPath: false };
  const segments = rest.slice(slash + 1).split("/");
  for (const s of segments) {
    if (s === "" || s === "." || s === "..") return undefined;
    for (const ch of s) if (!SEGMENT_CHARS.includes(ch)) return undefined;
  }
  return { td, hasPath: true };
}

export interface GenCert {
  n: number;
  ca: CaName;
  /** The GeneralNames, per subjectAltName extension. */
  sans: { kind: "uri" | "dns" | "email" | "ip" | "other-spiffe"; value: string; mutation?: string }[][];
  basicConstraints: ("none" | "false" | "true")[];
  keyUsage: number[][];
  serialHex: string;
  serialNote: string;
  /** Seconds from the request's whole second. */
  notBeforeOffset: number;
  notAfterOffset: number;
  generalizedTimes: boolean;
  eku: boolean;
  facts: string; // "ok" or a perturbation
  registered: boolean;
  /** How the extensions' values are encoded: DER, or one of the ways DER forbids. */
  encoding: string;
  /** How the registry spells its fingerprint. */
  registrySpelling: "lower" | "upper-colons";
}

export function generateCert(r: R, n: number): GenCert {
  const ca = pick(r, ["A", "A", "A", "A", "B", "S", "S", "U", "F"] as const);
  const names: GenCert["sans"][number] = [];
  const uris = pick(r, [0, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3]);
  for (let i = 0; i < uris; i++) {
    const { uri, mutation } = uriCandidate(r);
    names.push({ kind: "uri", value: uri, mutation });
  }
  for (let i = pick(r, [0, 0, 0, 1, 2]); i > 0; i--) {
    const kind = pick(r, ["dns", "email", "ip", "other-spiffe"] as const);
    names.push({
      kind,
      value:
        kind === "dns"
          ? pick(r, ["svc.rev.test", `spiffe://${TD_A}/dns-lookalike`])
          : kind === "email"
            ? "svc@rev.test"
            : kind === "ip"
              ? "10.0.0.1"
              : `spiffe://${TD_A}/other-name`,
    });
  }
  // Shuffle, then split across one or two extensions.
  for (let i = names.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [names[i], names[j]] = [names[j]!, names[i]!];
  }
  let sans: GenCert["sans"] = names.length === 0 ? (chance(r, 0.2) ? [[]] : []) : [names];
  if (names.length > 1 && chance(r, 0.3)) {
    const cut = int(r, 1, names.length - 1);
    sans = [names.slice(0, cut), names.slice(cut)];
  }
  const basicConstraints = pick(r, [
    [],
    [],
    ["false"],
    ["false"],
    ["true"],
    ["false", "true"],
    ["false", "false"],
  ] as GenCert["basicConstraints"][]);
  const keyUsage = pick(r, [
    [],
    [[0]],
    [[0]],
    [[0]],
    [[0, 2]],
    [[0, 4]],
    [[0, 5]],
    [[0, 6]],
    [[0, 8]],
    [[5]],
    [[0], [0, 5]],
    [[2]],
  ]);
  const serialForm = pick(r, ["random", "random", "random", "leading-zero", "zero", "negative", "21-octets", "one"]);
  const rand = (k: number) => Array.from({ length: k }, () => int(r, 0, 255).toString(16).padStart(2, "0")).join("");
  let serialHex: string;
  switch (serialForm) {
    case "leading-zero":
      serialHex = `00${(0x80 | int(r, 0, 127)).toString(16)}${rand(int(r, 1, 15))}`;
      break;
    case "zero":
      serialHex = "00";
      break;
    case "negative":
      serialHex = `${(0x80 | int(r, 0, 127)).toString(16)}${rand(int(r, 1, 10))}`;
      break;
    case "21-octets":
      serialHex = `7f${rand(20)}`;
      break;
    case "one":
      serialHex = "01";
      break;
    default:
      serialHex = `${int(r, 1, 127).toString(16).padStart(2, "0")}${rand(int(r, 0, 19))}`;
  }
  const edge = pick(r, [
    "normal",
    "normal",
    "normal",
    "normal",
    "normal",
    "normal",
    "normal",
    "normal",
    "normal",
    "expired-1s",
    "future-1s",
    "ends-now",
    "starts-now",
    "2050",
  ]);
  const [notBeforeOffset, notAfterOffset] = {
    normal: [-86_400, 86_400 * int(r, 1, 400)],
    "expired-1s": [-86_400, -1],
    "future-1s": [30, 86_400],
    "ends-now": [-86_400, 0],
    "starts-now": [0, 86_400],
    "2050": [-86_400, Math.floor((Date.UTC(2050, 0, 1) - Date.now()) / 1000)],
  }[edge] as [number, number];
  const facts = chance(r, 0.8)
    ? "ok"
    : pick(r, [
        "other-fingerprint",
        "fingerprint-upper-colons",
        "no-der",
        "der-too-large",
        "der-of-another",
        "not-verified",
        "verified-none",
        "revoked",
        "revoked-missing",
        "not-presented",
        "issuer-ski-upper-colons",
        "issuer-ski-empty",
        "issuer-ski-of-b",
        "der-unpadded",
      ]);
  return {
    n,
    ca,
    sans,
    basicConstraints,
    keyUsage,
    serialHex,
    serialNote: serialForm,
    notBeforeOffset,
    notAfterOffset,
    generalizedTimes: chance(r, 0.3),
    eku: chance(r, 0.5),
    facts,
    registered: chance(r, 0.15),
    encoding: chance(r, 0.8)
      ? "der"
      : pick(r, [
          "san-trailing-uri",
          "san-trailing-zeros",
          "san-indefinite",
          "san-long-length",
          "san-oid-nonminimal",
          "bc-trailing-ca",
          "ku-trailing-certsign",
          "uri-constructed",
        ]),
    registrySpelling: chance(r, 0.5) ? "lower" : "upper-colons",
  };
}

export interface Built {
  cert: GenCert;
  der: d.Bytes;
  sha256: string;
  cf: Record<string, unknown>;
  nowSecond: number;
  /** The certificate's extensions are not all DER (X.690; RFC 5280 4.1, 4.2: each extnValue is the DER of its type). */
  encodingApplied: boolean;
}

function generalName(g: GenCert["sans"][number][number]): d.Bytes {
  switch (g.kind) {
    case "uri":
      return d.gn.uri(d.utf8(g.value));
    case "dns":
      return d.gn.dns(g.value);
    case "email":
      return d.gn.email(g.value);
    case "ip":
      return d.gn.ip([10, 0, 0, 1]);
    case "other-spiffe":
      return d.gn.other("1.3.6.1.4.1.311.20.2.3", g.value);
  }
}

export async function buildCert(c: GenCert, cas: Cas, leafKey: d.KeyPair, nowSecond: number): Promise<Built> {
  const signer = cas[c.ca];
  const extensions: d.Bytes[] = [];
  for (const bc of c.basicConstraints)
    extensions.push(d.extension(d.OID.basicConstraints, d.basicConstraintsValue(bc === "true"), true));
  for (const ku of c.keyUsage) extensions.push(d.extension(d.OID.keyUsage, d.keyUsageValue(ku), true));
  let applied = false;
  for (const [k, names] of c.sans.entries()) {
    const first = k === 0;
    let value = d.sanValue(...names.map(generalName));
    let id = d.oid(d.OID.san);
    const body = d.cat(...names.map(generalName));
    if (first)
      switch (c.encoding) {
        case "san-trailing-uri":
          value = d.cat(value, d.sanValue(d.gn.uri(`spiffe://${TD_A}/hidden`)));
          applied = true;
          break;
        case "san-trailing-zeros":
          value = d.cat(value, new Uint8Array([0, 0]));
          applied = true;
          break;
        case "san-indefinite":
          value = d.cat(new Uint8Array([0x30, 0x80]), body, new Uint8Array([0, 0]));
          applied = true;
          break;
        case "san-long-length":
          value = d.cat(
            new Uint8Array(
              body.length < 128 ? [0x30, 0x81, body.length] : [0x30, 0x83, 0, body.length >> 8, body.length & 0xff],
            ),
            body,
          );
          applied = true;
          break;
        case "san-oid-nonminimal":
          id = d.tlv(0x06, new Uint8Array([0x55, 0x1d, 0x80, 0x11]));
          applied = true;
          break;
        case "uri-constructed": {
          const uri = names.findIndex((g) => g.kind === "uri");
          if (uri >= 0) {
            const v = names[uri]!.value;
            const parts = names.map((g, j) =>
              j === uri ? d.gn.uriConstructed([v.slice(0, 9), v.slice(9)]) : generalName(g),
            );
            value = d.sanValue(...parts);
            applied = true;
          }
          break;
        }
      }
    extensions.push(d.seq(id, d.octets(value)));
  }
  if (c.encoding === "bc-trailing-ca") {
    extensions.push(
      d.extension(d.OID.basicConstraints, d.cat(d.basicConstraintsValue(false), d.basicConstraintsValue(true)), true),
    );
    applied = true;
  }
  if (c.encoding === "ku-trailing-certsign") {
    extensions.push(d.extension(d.OID.keyUsage, d.cat(d.keyUsageValue([0]), d.keyUsageValue([5])), true));
    applied = true;
  }
  if (c.eku) extensions.push(d.extension(d.OID.eku, d.seq(d.oid("1.3.6.1.5.5.7.3.1"), d.oid("1.3.6.1.5.5.7.3.2"))));
  extensions.push(d.extension(d.OID.aki, d.seq(d.tlv(0x80, signer.key.ski))));
  const notBefore = new Date((nowSecond + c.notBeforeOffset) * 1000);
  const notAfter = new Date((nowSecond + c.notAfterOffset) * 1000);
  const time = (t: Date) => (c.generalizedTimes ? d.generalizedTime(t) : d.x509Time(t));
  const der = await d.sign(
    d.tbs({
      serial: d.hexBytes(c.serialHex),
      issuer: signer.subject,
      subject: d.name([d.OID.o, "Ward Review"], [d.OID.cn, `leaf ${c.n}`]),
      notBefore: time(notBefore),
      notAfter: time(notAfter),
      spki: leafKey.spki,
      extensions,
    }),
    signer.key.privateKey,
  );
  const sha256 = await d.sha256Hex(der);
  // What Cloudflare reports: the issuer a look-alike claims (A's), the serial as openssl prints it (upper-case
  // hex, BN_bn2hex: no leading zero octet, a minus for a negative one).
  const reportedCa = c.ca === "F" ? cas.A : signer;
  const serialBig = BigInt(`0x${c.serialHex}`);
  const negative = (d.hexBytes(c.serialHex)[0]! & 0x80) !== 0;
  const value = negative ? serialBig - (1n << BigInt(c.serialHex.length * 4)) : serialBig;
  let serial = (value < 0n ? -value : value).toString(16).toUpperCase();
  if (serial.length % 2) serial = `0${serial}`;
  if (value < 0n) serial = `-${serial}`;
  const cf: Record<string, unknown> = {
    certPresented: "1",
    certVerified: "SUCCESS",
    certRevoked: "0",
    certIssuerSKI: reportedCa.skiHex.toUpperCase(),
    certIssuerDNRFC2253: `CN=${reportedCa === cas.A ? "Rev CA A" : "Rev CA"},O=Ward Review`,
    certSerial: serial,
    certNotBefore: d.openSslTime(notBefore),
    certNotAfter: d.openSslTime(notAfter),
    certFingerprintSHA256: sha256,
    certRFC9440: `:${d.b64(der)}:`,
    certRFC9440TooLarge: false,
    certChainRFC9440: "",
    certChainRFC9440TooLarge: false,
  };
  switch (c.facts) {
    case "other-fingerprint":
      cf.certFingerprintSHA256 = "ab".repeat(32);
      break;
    case "fingerprint-upper-colons":
      cf.certFingerprintSHA256 = sha256.toUpperCase().match(/../g)!.join(":");
      break;
    case "no-der":
      cf.certRFC9440 = "";
      break;
    case "der-too-large":
      cf.certRFC9440 = "";
      cf.certRFC9440TooLarge = true;
      break;
    case "der-of-another":
      cf.certRFC9440 = `:${d.b64(cas.B.der)}:`;
      break;
    case "not-verified":
      cf.certVerified = "FAILED:unable to get local issuer certificate";
      break;
    case "verified-none":
      cf.certVerified = "NONE";
      break;
    case "revoked":
      cf.certRevoked = "1";
      break;
    case "revoked-missing":
      delete cf.certRevoked;
      break;
    case "not-presented":
      cf.certPresented = "0";
      break;
    case "issuer-ski-upper-colons":
      cf.certIssuerSKI = reportedCa.skiHex.toUpperCase().match(/../g)!.join(":");
      break;
    case "issuer-ski-empty":
      cf.certIssuerSKI = "";
      break;
    case "issuer-ski-of-b":
      cf.certIssuerSKI = cas.B.skiHex;
      break;
    case "der-unpadded":
      cf.certRFC9440 = `:${d.b64(der).replace(/=+$/, "")}:`;
      break;
  }
  return { cert: c, der, sha256, cf, nowSecond, encodingApplied: applied };
}

export interface Expected {
  id?: string;
  why: string;
}

/** Who the caller is, from the standards and docs/policy.md identity.mtls (the policy: cert-differential.test.ts). */
export function expectFor(b: Built, cas: Cas, now: number, registryIds: ReadonlyMap<string, string>): Expected {
  const { cert: c, cf } = b;
  if (cf.certPresented !== "1") return { why: "not presented" };
  if (cf.certVerified !== "SUCCESS") return { why: "not verified" };
  if (cf.certRevoked !== "0") return { why: "revoked" };
  const reported = String(cf.certIssuerSKI).replace(/:/g, "").toLowerCase();
  const pinned = (["A", "B", "S"] as const).find((k) => cas[k].skiHex === reported);
  if (!pinned) return { why: "issuer not pinned" };
  const notBefore = (b.nowSecond + c.notBeforeOffset) * 1000;
  const notAfter = (b.nowSecond + c.notAfterOffset) * 1000;
  if (now < notBefore || now > notAfter) return { why: "outside validity" };
  const fingerprint = String(cf.certFingerprintSHA256).replace(/:/g, "").toLowerCase();
  // The DER Ward may read: only bytes that hash to the verified fingerprint.
  const derOk =
    cf.certRFC9440TooLarge !== true &&
    typeof cf.certRFC9440 === "string" &&
    cf.certRFC9440 !== "" &&
    fingerprint === b.sha256 &&
    cf.certRFC9440 !== `:${d.b64(cas.B.der)}:`;
  // A certificate pin: the pinned CA's key must have signed it (A and B; F is A's look-alike).
  const signedByPin = c.ca === pinned;
  if (pinned !== "S" && (!derOk || !signedByPin)) return { why: "certificate pin: not signed by it, or no DER" };
  const registered = registryIds.get(fingerprint);
  if (registered) return { id: registered, why: "registry" };
  if (!derOk) return { why: "no DER to read the SPIFFE ID from" };
  // RFC 5280 4.1.2.2: a positive serial (docs/policy.md: a negative one is unparseable-certificate).
  if ((d.hexBytes(c.serialHex)[0]! & 0x80) !== 0) return { why: "negative serial" };
  if (b.encodingApplied) return { why: `extension not DER (${c.encoding})` };
  const uris = c.sans.flat().filter((g) => g.kind === "uri");
  if (uris.length !== 1) return { why: `${uris.length} URI SANs` };
  const uri = uris[0]!.value;
  const read = spiffeIdOf(uri);
  if (!read) return { why: `not a SPIFFE ID (${uris[0]!.mutation})` };
  if (!read.hasPath) return { why: "trust domain ID" };
  if (c.basicConstraints.includes("true")) return { why: "CA:TRUE" };
  if (c.keyUsage.some((ku) => ku.includes(5) || ku.includes(6))) return { why: "keyCertSign/cRLSign" };
  // docs/policy.md: a key usage without digitalSignature (its key was not issued to sign: X509-SVID 4.3).
  if (c.keyUsage.some((ku) => !ku.includes(0))) return { why: "no digitalSignature" };
  // The issuer's trust domains: the pin that matched (a look-alike F never gets here).
  const bound = BOUND[c.ca === "F" ? "A" : pinned]!;
  if (!bound.includes(read.td)) return { why: `trust domain ${read.td} not bound to ${pinned}` };
  return { id: uri, why: "svid" };
}
