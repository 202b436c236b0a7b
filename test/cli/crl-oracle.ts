// Oracle for the CRL differential test: what `ward revoke --crl` must import from a file, written from
// docs/operations.md ("Revocation and quarantine": `--crl`, and the bounds of a serial entry) and RFC 5280 §5,
// reading the CRL as openssl prints it (`openssl crl -text -noout`), not as Ward's code does.

/** What openssl says of one CRL. */
export interface OpensslReading {
  version: string;
  extensions: Ext[];
  entries: { serial: string; extensions: Ext[] }[];
}
interface Ext {
  name: string;
  critical: boolean;
  lines: string[];
}

/** Extension headers and their value lines, from lines indented 12 (a header) and 16 or more (its value). */
function extensionsOf(lines: readonly string[]): Ext[] {
  const out: Ext[] = [];
  for (const line of lines) {
    const header = /^ {12}(\S.*?):\s*(critical)?\s*$/.exec(line);
    if (header && !line.startsWith(" ".repeat(13))) {
      out.push({ name: header[1]!, critical: header[2] === "critical", lines: [] });
    } else if (out.length > 0 && /^ {16}/.test(line)) out.at(-1)!.lines.push(line.trim());
  }
  return out;
}

export function readOpensslText(text: string): OpensslReading {
  const lines = text.split("\n");
  const version = /Version (\d+ \(0x\d+\))/.exec(text)?.[1] ?? "?";
  const start = lines.findIndex((l) => /^ {8}CRL extensions:/.test(l));
  const revokedAt = lines.findIndex((l) => /^(Revoked Certificates:|No Revoked Certificates\.)/.test(l));
  const extensions = start < 0 ? [] : extensionsOf(lines.slice(start + 1, revokedAt));
  const entries: OpensslReading["entries"] = [];
  let current: string[] | undefined;
  let serial = "";
  const flush = () => {
    if (current) entries.push({ serial, extensions: extensionsOf(current) });
  };
  for (const line of lines.slice(revokedAt + 1)) {
    const s = /^ {4}Serial Number: (\S+)/.exec(line);
    if (s) {
      flush();
      serial = s[1]!;
      current = [];
    } else if (/^ {4}Signature Algorithm/.test(line)) break;
    else current?.push(line);
  }
  flush();
  return { version, extensions, entries };
}

/** What the file holds beside openssl's reading of its (first) CRL. */
export interface FileFacts {
  /** How many CRLs the file holds. */
  crls: number;
  /** Bytes after the (one) DER CRL. */
  trailing: boolean;
}

export type Expected = { refused: string[] } | { issuerSki: string; revoked: string[] };

/**
 * Docs: Ward processes these; any other critical extension refuses the list (RFC 5280 5.2, 5.3). A delta CRL's
 * indicator (critical, RFC 5280 5.2.4) is refused by name, below.
 */
const PROCESSED = [
  "X509v3 Authority Key Identifier",
  "X509v3 CRL Number",
  "X509v3 Issuing Distribution Point",
  "X509v3 Delta CRL Indicator",
];
const PROCESSED_ENTRY = ["X509v3 CRL Reason Code"];

/** The serial's normal form (docs: hex, lower case, without colons or leading zeros), as openssl prints it. */
export const normalSerial = (serial: string) =>
  serial
    .toLowerCase()
    .replace(/:/g, "")
    .replace(/^0+(?=.)/, "");

export function expected(reading: OpensslReading | undefined, facts: FileFacts): Expected {
  const why: string[] = [];
  if (facts.crls > 1) why.push("several CRLs in one file");
  if (facts.trailing) why.push("bytes after the CRL");
  if (!reading) return { refused: [...why, "openssl does not read it as a CRL"] };
  // RFC 5280 5.1.2.1: with extensions (an authorityKeyIdentifier is required here) the version MUST be v2.
  if (reading.version !== "2 (0x1)") why.push(`version ${reading.version}`);
  const names = reading.extensions.map((e) => e.name);
  for (const e of reading.extensions) {
    if (names.filter((n) => n === e.name).length > 1) why.push(`${e.name} twice`);
    if (e.critical && !PROCESSED.includes(e.name)) why.push(`critical ${e.name}`);
  }
  if (names.includes("X509v3 Delta CRL Indicator")) why.push("a delta CRL");
  const idp = reading.extensions.find((e) => e.name === "X509v3 Issuing Distribution Point");
  // openssl 3.0 prints a flag after the full name on one line ("URI:...                Indirect CRL").
  for (const flag of ["Indirect CRL", "Only Some Reasons", "Only Attribute Certificates"])
    if (idp?.lines.some((l) => l.includes(flag))) why.push(`issuingDistributionPoint: ${flag}`);
  const aki = reading.extensions.find((e) => e.name === "X509v3 Authority Key Identifier");
  const keyId = aki?.lines.map((l) => l.replace(/^keyid:/, "")).find((l) => /^[0-9A-F]{2}(:[0-9A-F]{2})*$/.test(l));
  const ski = keyId?.replace(/:/g, "").toLowerCase();
  if (!ski) why.push("no authorityKeyIdentifier key id");
  // Docs: an issuer key identifier of 4 to 64 bytes; a certificate with a shorter one cannot be revoked by CRL.
  // (The docs promise nothing of a list that names no certificate: it revokes nothing either way.)
  else if ((ski.length < 8 || ski.length > 128) && reading.entries.length > 0)
    why.push(`a key identifier of ${ski.length / 2} bytes`);
  const revoked: string[] = [];
  for (const entry of reading.entries) {
    const ext = entry.extensions;
    for (const e of ext) {
      if (ext.filter((x) => x.name === e.name).length > 1) why.push(`entry ${entry.serial}: ${e.name} twice`);
      if (e.critical && !PROCESSED_ENTRY.includes(e.name)) why.push(`entry ${entry.serial}: critical ${e.name}`);
    }
    if (ext.some((e) => e.name === "X509v3 Certificate Issuer")) why.push(`entry ${entry.serial}: certificateIssuer`);
    if (ext.some((e) => e.name === "X509v3 CRL Reason Code" && e.lines.includes("Remove From CRL")))
      why.push(`entry ${entry.serial}: removeFromCRL`);
    // A serial Ward cannot store in its one spelling must not be dropped without a word, nor stored in a spelling
    // no certificate is reported by (docs: a serial of at most 64 hex digits, hex; RFC 5280 4.1.2.2: positive).
    const serial = normalSerial(entry.serial);
    if (serial.startsWith("-")) why.push(`entry ${entry.serial}: a negative serial`);
    else if (serial.length > 64) why.push(`entry ${entry.serial}: a serial of ${serial.length} hex digits`);
    revoked.push(`${ski}/${serial}`);
  }
  return why.length > 0 ? { refused: why } : { issuerSki: ski!, revoked };
}

/** The serial as Cloudflare reports it (`certSerial`: upper-case hex, no colons), with and without DER's zero byte. */
export function cloudflareSerials(opensslSerial: string): string[] {
  const plain = opensslSerial.replace(/:/g, "").toUpperCase();
  // A negative serial (RFC 5280 forbids it, and asks users to handle it gracefully): with its sign or without.
  if (plain.startsWith("-")) return [plain, plain.slice(1)];
  return /^[89A-F]/.test(plain) ? [plain, `00${plain}`] : [plain];
}
