// A tiny DER writer and certificate maker for the client-certificate differential test: every byte is chosen here (so a
// certificate can be hostile in ways a schema-based builder refuses to write), and each one is really signed
// (ECDSA P-256 / SHA-256 with WebCrypto) by a CA made here, whose PEM the policy pins.

export type Bytes = Uint8Array;

export const cat = (...parts: Bytes[]): Bytes => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

export function len(n: number): Bytes {
  if (n < 0x80) return new Uint8Array([n]);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n >>>= 8;
  }
  return new Uint8Array([0x80 | bytes.length, ...bytes]);
}

export const tlv = (tag: number, ...content: Bytes[]): Bytes => {
  const body = cat(...content);
  return cat(new Uint8Array([tag]), len(body.length), body);
};
export const seq = (...c: Bytes[]) => tlv(0x30, ...c);
export const set = (...c: Bytes[]) => tlv(0x31, ...c);
export const octets = (...c: Bytes[]) => tlv(0x04, ...c);
export const ascii = (s: string): Bytes => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
export const utf8 = (s: string): Bytes => new TextEncoder().encode(s);
export const hexBytes = (hex: string): Bytes => Uint8Array.from(hex.match(/../g) ?? [], (b) => Number.parseInt(b, 16));
export const toHex = (b: Bytes): string => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
export const TRUE = new Uint8Array([0x01, 0x01, 0xff]);

export function oid(text: string): Bytes {
  const arcs = text.split(".").map(Number);
  const out: number[] = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    let v = Math.floor(arc / 128);
    while (v > 0) {
      chunk.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(...chunk);
  }
  return tlv(0x06, new Uint8Array(out));
}

export const OID = {
  ecPublicKey: "1.2.840.10045.2.1",
  p256: "1.2.840.10045.3.1.7",
  ecdsaSha256: "1.2.840.10045.4.3.2",
  cn: "2.5.4.3",
  o: "2.5.4.10",
  san: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  eku: "2.5.29.37",
  ski: "2.5.29.14",
  aki: "2.5.29.35",
} as const;

/** A Name of one RDN per attribute: [type OID, value, string tag (0x0c UTF8String by default)]. */
export function name(...attrs: [string, string, number?][]): Bytes {
  return seq(...attrs.map(([type, value, tag]) => set(seq(oid(type), tlv(tag ?? 0x0c, utf8(value))))));
}

export function extension(id: string, value: Bytes, critical = false): Bytes {
  return seq(oid(id), ...(critical ? [TRUE] : []), octets(value));
}

/** GeneralName choices, as their [n] IMPLICIT encoding. */
export const gn = {
  uri: (s: string | Bytes) => tlv(0x86, typeof s === "string" ? ascii(s) : s),
  dns: (s: string) => tlv(0x82, ascii(s)),
  email: (s: string) => tlv(0x81, ascii(s)),
  ip: (b: number[]) => tlv(0x87, new Uint8Array(b)),
  /** otherName: type-id and [0] EXPLICIT value (a UTF8String). */
  other: (type: string, value: string) => tlv(0xa0, oid(type), tlv(0xa0, tlv(0x0c, utf8(value)))),
  /** A constructed [6] (BER's constructed IA5String), in pieces: DER forbids it. */
  uriConstructed: (pieces: string[]) => tlv(0xa6, ...pieces.map((p) => tlv(0x16, ascii(p)))),
};

export const sanValue = (...names: Bytes[]) => seq(...names);

/** basicConstraints' value: cA (omitted when false, as DER writes it), optionally pathLen. */
export const basicConstraintsValue = (cA: boolean, pathLen?: number) =>
  seq(...(cA ? [TRUE] : []), ...(pathLen !== undefined ? [tlv(0x02, new Uint8Array([pathLen]))] : []));

/** keyUsage's BIT STRING from the flags' first two octets (bit 0 = 0x80 of the first). */
export function keyUsageValue(bits: number[]): Bytes {
  // bits: digitalSignature 0, nonRepudiation 1, keyEncipherment 2, dataEncipherment 3, keyAgreement 4,
  // keyCertSign 5, cRLSign 6, encipherOnly 7, decipherOnly 8
  const bytes = [0, 0];
  for (const b of bits) bytes[b >> 3]! |= 0x80 >> (b & 7);
  const used = bytes[1] ? 2 : 1;
  const content = bytes.slice(0, used);
  const last = content[used - 1]!;
  let unused = 0;
  if (last !== 0) while (((last >> unused) & 1) === 0) unused++;
  return tlv(0x03, new Uint8Array([unused, ...content]));
}

export function utcTime(d: Date): Bytes {
  const p = (n: number) => String(n).padStart(2, "0");
  const s = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return tlv(0x17, ascii(s));
}
export function generalizedTime(d: Date): Bytes {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const s = `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return tlv(0x18, ascii(s));
}
/** As RFC 5280 wants it: UTCTime through 2049, GeneralizedTime from 2050. */
export const x509Time = (d: Date) => (d.getUTCFullYear() < 2050 ? utcTime(d) : generalizedTime(d));

/** OpenSSL's ASN1_TIME_print, as Cloudflare reports certNotBefore/After ("Mar 21 13:35:00 2022 GMT"). */
export function openSslTime(d: Date): string {
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const p = (n: number) => String(n).padStart(2, "0");
  return `${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, " ")} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()} GMT`;
}

const ALG = seq(oid(OID.ecdsaSha256));

/** An ECDSA signature as X.509 writes it, from WebCrypto's r || s. */
function derSignature(raw: Bytes): Bytes {
  const int = (b: Bytes) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = b.subarray(i);
    if (v[0]! & 0x80) v = cat(new Uint8Array([0]), v);
    return tlv(0x02, v);
  };
  return seq(int(raw.subarray(0, 32)), int(raw.subarray(32)));
}

export interface KeyPair {
  privateKey: CryptoKey;
  spki: Bytes;
  ski: Bytes;
}

export async function newKey(): Promise<KeyPair> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const spki = new Uint8Array((await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer);
  const ski = new Uint8Array(await crypto.subtle.digest("SHA-1", spki));
  return { privateKey: pair.privateKey, spki, ski };
}

export interface TbsSpec {
  serial: Bytes; // INTEGER content
  issuer: Bytes; // Name DER
  subject: Bytes; // Name DER
  notBefore: Bytes; // a time element
  notAfter: Bytes;
  spki: Bytes;
  extensions: Bytes[]; // each an Extension's DER
  /** Raw bytes appended inside the [3] after the Extensions SEQUENCE (hostile), or none. */
  v1?: boolean;
}

export function tbs(spec: TbsSpec): Bytes {
  return seq(
    ...(spec.v1 ? [] : [tlv(0xa0, tlv(0x02, new Uint8Array([2])))]),
    tlv(0x02, spec.serial),
    ALG,
    spec.issuer,
    seq(spec.notBefore, spec.notAfter),
    spec.subject,
    spec.spki,
    ...(spec.extensions.length > 0 && !spec.v1 ? [tlv(0xa3, seq(...spec.extensions))] : []),
  );
}

export async function sign(tbsDer: Bytes, key: CryptoKey): Promise<Bytes> {
  const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, tbsDer));
  return seq(tbsDer, ALG, tlv(0x03, new Uint8Array([0]), derSignature(raw)));
}

export const b64 = (der: Bytes): string => {
  let s = "";
  for (const b of der) s += String.fromCharCode(b);
  return btoa(s);
};
export const pem = (der: Bytes): string =>
  `-----BEGIN CERTIFICATE-----\n${b64(der).replace(/.{64}/g, "$&\n").replace(/\n?$/, "\n")}-----END CERTIFICATE-----\n`;

export interface Ca {
  key: KeyPair;
  subject: Bytes;
  der: Bytes;
  pem: string;
  skiHex: string;
}

/** A self-signed CA that readIssuerCertificate takes: CA:TRUE, keyCertSign, one SKI, P-256. */
export async function makeCa(cn: string, o = "Ward Review"): Promise<Ca> {
  const key = await newKey();
  const subject = name([OID.o, o], [OID.cn, cn]);
  const der = await sign(
    tbs({
      serial: new Uint8Array([0x01]),
      issuer: subject,
      subject,
      notBefore: utcTime(new Date(Date.UTC(2020, 0, 1))),
      notAfter: generalizedTime(new Date(Date.UTC(2120, 0, 1))),
      spki: key.spki,
      extensions: [
        extension(OID.basicConstraints, basicConstraintsValue(true), true),
        extension(OID.keyUsage, keyUsageValue([5, 6]), true),
        extension(OID.ski, octets(key.ski)),
      ],
    }),
    key.privateKey,
  );
  return { key, subject, der, pem: pem(der), skiHex: toHex(key.ski) };
}

export async function sha256Hex(der: Bytes): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", der)));
}
