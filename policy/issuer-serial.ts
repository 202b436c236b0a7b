// A certificate as a CRL names it: its issuer's key identifier and its serial number, written
// "<issuer SKI>/<serial>" in hex, lower case, without colons, the serial without leading zeros. Cloudflare's
// certIssuerSKI and certSerial, openssl's output and a CRL's entries then compare equal as strings.
import { normaliseHex } from "./identity.ts";

// A key identifier is whole bytes: a digit dropped in copying one is refused, not stored to match nothing.
export const ISSUER_SERIAL = /^(?:[0-9a-f]{2}){4,64}\/[0-9a-f]{1,64}$/;
/** A CA's key identifier as the denylist names it (`ca` entries): 1 to 64 bytes, hex, lower case, without colons. */
export const CA_KEY = /^(?:[0-9a-f]{2}){1,64}$/;

/** A key identifier (Cloudflare's certIssuerSKI, or as an operator writes it) in that form; undefined when not one. */
export function caKey(text: string): string | undefined {
  const key = normaliseHex(text.trim());
  return CA_KEY.test(key) ? key : undefined;
}

/** The normal form, or undefined when either part is empty or not hex. */
export function issuerSerial(issuerSki: string, serial: string): string | undefined {
  const ski = normaliseHex(issuerSki.trim());
  const number = normaliseHex(serial.trim()).replace(/^0+(?=.)/, "");
  const value = `${ski}/${number}`;
  return ISSUER_SERIAL.test(value) ? value : undefined;
}

/** "ISSUER_SKI/SERIAL" as an operator writes it, in the normal form; undefined when it is not that. */
export function parseIssuerSerial(text: string): string | undefined {
  const parts = text.split("/");
  return parts.length === 2 ? issuerSerial(parts[0]!, parts[1]!) : undefined;
}
