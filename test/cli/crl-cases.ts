// Generator for the CRL differential test (crl-differential.test.ts): real CRLs made by the `openssl` on this
// machine (a throwaway CA in a temporary directory, `openssl ca -gencrl` from an index of revoked serials chosen
// by a seeded PRNG), some then changed byte by byte (a wrong version, bytes after the CRL, a serial not in DER's
// shortest form) or put several to a file. Each case keeps openssl's own reading of it (`openssl crl -text`), from
// which crl-oracle.ts says what Ward must import.
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { prng } from "../support/prng.ts";

export type Rng = () => number;
export const int = (r: Rng, n: number) => Math.floor(r() * n);
export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)]!;
export const chance = (r: Rng, p: number) => r() < p;
export const rng: (seed: number) => Rng = prng;

const hexOf = (r: Rng, bytes: number) => {
  let s = "";
  for (let i = 0; i < bytes; i++) s += int(r, 256).toString(16).padStart(2, "0");
  return s;
};

/** A serial as `openssl ca`'s index spells it (hex, any case, a leading "-" for a negative one). */
export function serialOf(r: Rng): string {
  const kind = int(r, 12);
  let s: string;
  if (kind === 0)
    s = `00${hexOf(r, 1 + int(r, 19))}`; // leading zero bytes in the index
  else if (kind === 1)
    s = `7f${"ff".repeat(19)}`; // the largest 20-octet DER serial
  else if (kind === 2)
    s = `ff${"ff".repeat(19)}`; // 20 octets with the top bit set: 21 in DER
  else if (kind === 3)
    s = `8${hexOf(r, 1 + int(r, 19)).slice(1)}`; // top bit set: DER adds a zero byte
  else if (kind === 4)
    s = `-${hexOf(r, 1 + int(r, 8)).replace(/^0+/, "") || "1"}`; // negative as a DER INTEGER
  else if (kind === 5) s = "00";
  else if (kind === 6)
    s = hexOf(r, 32 + int(r, 2)); // 64 hex digits and past them
  else s = hexOf(r, 1 + int(r, 20));
  // openssl's index takes whole bytes
  s = s.replace(/^(-?)(.*)$/, (_m, sign: string, digits: string) => sign + (digits.length % 2 ? `0${digits}` : digits));
  return chance(r, 0.5) ? s.toUpperCase() : s;
}

const REASONS = [
  "",
  "unspecified",
  "keyCompromise",
  "CACompromise",
  "affiliationChanged",
  "superseded",
  "cessationOfOperation",
  "certificateHold,holdInstructionReject",
  "certificateHold,holdInstructionCallIssuer",
  "keyTime,20230101000000Z", // keyCompromise with an invalidity date
  "CAkeyTime,20230102030405Z",
  "removeFromCRL",
];

/** The CA's key identifiers: the usual 20 bytes, and either side of Ward's bounds (4 to 64 bytes). */
export const SKIS = ["hash", "0a0b0c", "0a0b0c0d", hex64(), `${hex64()}aa`] as const;
function hex64() {
  return Array.from({ length: 64 }, (_, i) => ((i * 37 + 11) % 256).toString(16).padStart(2, "0")).join("");
}

/** CRL extensions a case may carry (openssl config lines), beside or instead of the authorityKeyIdentifier. */
const EXTRAS: readonly (readonly [string, string])[] = [
  ["crl-number", ""], // crlnumber file: openssl adds it
  ["freshest", "freshestCRL = URI:http://ca.example/delta.crl"],
  ["idp-user", "issuingDistributionPoint = critical, @idp_user"],
  ["idp-ca", "issuingDistributionPoint = critical, @idp_ca"],
  ["idp-indirect", "issuingDistributionPoint = critical, @idp_indirect"],
  ["idp-reasons", "issuingDistributionPoint = critical, @idp_reasons"],
  ["idp-attr", "issuingDistributionPoint = critical, @idp_attr"],
  ["delta", "2.5.29.27 = critical, ASN1:INTEGER:7"],
  ["unknown-critical", "1.3.6.1.4.1.99999.1 = critical, ASN1:NULL"],
  ["unknown", "1.3.6.1.4.1.99999.2 = ASN1:UTF8String:hello"],
  ["aki-critical", ""],
  ["aki-issuer-only", ""],
];

const IDP_SECTIONS = `
[idp_user]
fullname = URI:http://ca.example/ca.crl
onlyuser = TRUE
[idp_ca]
fullname = URI:http://ca.example/ca.crl
onlyCA = TRUE
[idp_indirect]
fullname = URI:http://ca.example/ca.crl
indirectCRL = TRUE
[idp_reasons]
fullname = URI:http://ca.example/ca.crl
onlysomereasons = keyCompromise, CACompromise
[idp_attr]
fullname = URI:http://ca.example/ca.crl
onlyAA = TRUE
`;

/** The throwaway CAs, one per key identifier, made once per run. */
export function makeCas(dir: string): string[] {
  return SKIS.map((ski, i) => {
    const d = join(dir, `ca${i}`);
    execFileSync("mkdir", ["-p", d]);
    writeFileSync(
      join(d, "req.cnf"),
      `[req]\ndistinguished_name = dn\nx509_extensions = v3\nprompt = no\n[dn]\nCN = Ward CRL test CA ${i}\n[v3]\nsubjectKeyIdentifier = ${ski}\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n`,
    );
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"].concat([
        "-keyout",
        join(d, "ca.key"),
        "-out",
        join(d, "ca.pem"),
        "-days",
        "30",
        "-config",
        join(d, "req.cnf"),
      ]),
      { stdio: ["ignore", "ignore", "ignore"] },
    );
    return d;
  });
}

export interface Made {
  /** What was asked of openssl, for a failure's message. */
  recipe: string;
  der: Buffer;
}

/** What a case must have beside what the PRNG gives it: a CRL extension (EXTRAS), an entry (serial, reason). */
export interface Force {
  extra?: string;
  entry?: readonly [string, string];
  /** Which of SKIS the CA has (default: the first). */
  ca?: number;
  /** No entries but `entry`. */
  only?: boolean;
  mutation?: Mutation;
}

/** One case of each rarer thing the docs refuse, each alone in a list the docs would otherwise take. */
export const FORCED: readonly Force[] = [
  { extra: "idp-indirect" },
  { extra: "idp-reasons" },
  { extra: "idp-attr" },
  { extra: "delta" },
  { extra: "unknown-critical" },
  { extra: "aki-issuer-only" },
  { entry: ["-01", "keyCompromise"] },
  { entry: ["-00FF", ""] },
  { entry: [`01${"00".repeat(32)}`, "superseded"] },
  { entry: ["1234", "removeFromCRL"] },
  { entry: ["1234", ""], ca: 1 },
  { entry: ["1234", ""], ca: 4 },
  { only: true, mutation: "empty-revoked" },
];

/**
 * One CRL from `openssl ca -gencrl`, with serials and reasons from the PRNG; `plain`: one the docs take (positive
 * serials of at most 32 bytes, no removeFromCRL, only the authorityKeyIdentifier and a CRL number), to be changed.
 */
export function makeCrl(r: Rng, caDir: string, work: string, plain = false, force?: Force): Made {
  const entries = force?.only || chance(r, 0.1) ? 0 : 1 + int(r, 6);
  const lines: string[] = [];
  if (force?.entry)
    lines.push(
      `R\t300101000000Z\t240101000000Z${force.entry[1] ? `,${force.entry[1]}` : ""}\t${force.entry[0]}\tunknown\t/CN=forced`,
    );
  const seen = new Set<string>();
  const recipe: string[] = force?.entry ? [`${force.entry[0]}(${force.entry[1] || "-"})`] : [];
  for (let i = 0; i < entries; i++) {
    let serial = serialOf(r);
    while (plain && /^-|^.{65}/.test(serial.replace(/^0+/, ""))) serial = serialOf(r);
    const key = serial.toLowerCase().replace(/^(-?)0+(?=.)/, "$1");
    if (seen.has(key)) continue; // openssl's index holds a serial once
    seen.add(key);
    const reason = chance(r, 0.94) || plain ? pick(r, REASONS.slice(0, -1)) : "removeFromCRL";
    const revoked = reason ? `240101000000Z,${reason}` : "240101000000Z";
    lines.push(`R\t300101000000Z\t${revoked}\t${serial}\tunknown\t/CN=leaf${i}`);
    recipe.push(`${serial}(${reason || "-"})`);
  }
  const v1 = !plain && chance(r, 0.06); // no crl_extensions, no CRL number: openssl writes a v1 CRL
  const extras = plain ? [EXTRAS[0]!] : v1 ? [] : EXTRAS.filter(() => chance(r, 0.08));
  if (force?.extra) extras.push(EXTRAS.find(([name]) => name === force.extra)!);
  const names = new Set(extras.map(([n]) => n));
  const aki = names.has("aki-issuer-only")
    ? "authorityKeyIdentifier = issuer:always"
    : `authorityKeyIdentifier = ${names.has("aki-critical") ? "critical, " : ""}keyid:always`;
  const crlExt = v1 ? "" : [aki, ...extras.map(([, line]) => line).filter(Boolean)].join("\n");
  writeFileSync(join(work, "index.txt"), lines.length ? `${lines.join("\n")}\n` : "");
  writeFileSync(join(work, "index.txt.attr"), "unique_subject = no\n");
  writeFileSync(
    join(work, "ca.cnf"),
    `[ca]\ndefault_ca = d\n[d]\ndatabase = ${join(work, "index.txt")}\n${names.has("crl-number") ? `crlnumber = ${join(work, "crlnumber")}\n` : ""}default_md = sha256\ndefault_crl_days = 7\n${v1 ? "" : "crl_extensions = crl_ext\n"}certificate = ${join(caDir, "ca.pem")}\nprivate_key = ${join(caDir, "ca.key")}\n[crl_ext]\n${crlExt}\n${IDP_SECTIONS}`,
  );
  writeFileSync(join(work, "crlnumber"), "1000\n");
  const pem = spawnSync("openssl", ["ca", "-config", join(work, "ca.cnf"), "-gencrl"], { encoding: "latin1" });
  if (pem.status !== 0) throw new Error(`openssl ca -gencrl failed (${recipe.join(" ")}): ${pem.stderr}`);
  const der = Buffer.from(pem.stdout.replace(/-----[A-Z0-9 ]+-----/g, "").replace(/\s+/g, ""), "base64");
  return {
    recipe: `${caDir.slice(-3)} ${v1 ? "v1" : [...names].join(",") || "aki"} [${recipe.join(" ")}]`,
    der,
  };
}

/** `openssl crl -text -noout` of DER bytes, or undefined when openssl does not read them as a CRL. */
export function opensslText(der: Buffer): string | undefined {
  const run = spawnSync("openssl", ["crl", "-inform", "DER", "-text", "-noout"], { input: der, encoding: "latin1" });
  return run.status === 0 ? run.stdout : undefined;
}

// A little DER, to change a CRL the way openssl would never write one (its signature then no longer holds,
// which Ward does not check: docs/operations.md).
interface Node {
  tag: number;
  content: Buffer;
  children?: Node[];
}

function readNodes(bytes: Buffer): Node[] {
  const out: Node[] = [];
  let at = 0;
  while (at < bytes.length) {
    const tag = bytes[at]!;
    let len = bytes[at + 1]!;
    let head = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + bytes[at + 2 + i]!;
      head = 2 + n;
    }
    const content = bytes.subarray(at + head, at + head + len);
    const constructed = tag === 0x30 || tag === 0xa0;
    out.push(constructed ? { tag, content, children: readNodes(content) } : { tag, content });
    at += head + len;
  }
  return out;
}

function encode(node: Node): Buffer {
  const content = node.children ? Buffer.concat(node.children.map(encode)) : node.content;
  const n = content.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([node.tag]), len, content]);
}

/** The ways a case's DER is changed, each a thing RFC 5280 or DER forbids and openssl may or may not notice. */
export const MUTATIONS = [
  "version-3", // version INTEGER 2: a "v3" CRL, no such thing (RFC 5280 5.1.2.1)
  "version-dropped", // extensions without a version: v1 (RFC 5280 5.1.2.1: MUST be v2 when extensions are used)
  "padded-serial", // an entry's serial with a zero byte more than DER allows (openssl 3.0 reads it)
  "trailing-in-tbs", // a NULL after the extensions, inside tbsCertList
  "trailing-after", // bytes after the CRL
  "truncated", // the last bytes cut off
  "empty-revoked", // revokedCertificates present and empty (RFC 5280 5.1.2.6: MUST be absent)
] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** The DER changed by `mutation`, or undefined when this CRL has nothing it applies to. */
export function mutate(der: Buffer, mutation: Mutation): Buffer | undefined {
  const [top] = readNodes(der);
  const tbs = top!.children![0]!;
  const kids = tbs.children!;
  const hasVersion = kids[0]!.tag === 0x02;
  const revoked = kids.find((k, i) => i > 2 && k.tag === 0x30);
  switch (mutation) {
    case "version-3":
      if (!hasVersion) return undefined;
      kids[0] = { tag: 0x02, content: Buffer.from([2]) };
      return encode(top!);
    case "version-dropped":
      if (!hasVersion) return undefined;
      kids.shift();
      return encode(top!);
    case "padded-serial": {
      const entry = revoked?.children?.[0];
      if (!entry) return undefined;
      entry.children![0] = { tag: 0x02, content: Buffer.concat([Buffer.from([0]), entry.children![0]!.content]) };
      return encode(top!);
    }
    case "trailing-in-tbs":
      kids.push({ tag: 0x05, content: Buffer.alloc(0) });
      return encode(top!);
    case "trailing-after":
      return Buffer.concat([der, Buffer.from([0x05, 0x00])]);
    case "truncated":
      return der.subarray(0, der.length - 3);
    case "empty-revoked": {
      if (revoked) return undefined;
      const at = kids.findIndex((k) => k.tag === 0xa0);
      kids.splice(at < 0 ? kids.length : at, 0, { tag: 0x30, content: Buffer.alloc(0), children: [] });
      return encode(top!);
    }
  }
}

/** A PEM file of one or more DER CRLs, with text around it as `openssl crl -text` leaves. */
export function pemOf(ders: readonly Buffer[], r: Rng): Buffer {
  const blocks = ders.map((der) => {
    const b64 = der.toString("base64").replace(/.{64}/g, "$&\n").replace(/\n$/, "");
    return `-----BEGIN X509 CRL-----\n${b64}\n-----END X509 CRL-----\n`;
  });
  const before = chance(r, 0.2) ? "Certificate Revocation List (CRL):\n        Version 2 (0x1)\n" : "";
  const eol = chance(r, 0.2) ? "\r\n" : "\n";
  return Buffer.from(`${before}${blocks.join("")}`.replace(/\n/g, eol), "latin1");
}
