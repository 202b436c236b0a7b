// Hostile workload tokens for the adversarial corpus, from a description: a valid token of a demo issuer
// (test/fixtures/workload-tokens) with claims or header changed, signed as the attack needs (by the issuer's
// real key on a token wrong in another way, by an attacker's key, with the public key as an HMAC secret, or
// not at all).
import { base64url, exportJWK, generateKeyPair, type JWK } from "jose";
import { inject } from "vitest";
import { issuerKey, signParts, tokenParts, type WorkloadTokenSpec } from "../support/workload-tokens.ts";

export interface WorkloadTokenCase extends WorkloadTokenSpec {
  /** How the signature is made (default: by the issuer's key, or `signedBy`'s). */
  sign?: "issuer" | "attacker" | "none" | "hs256-public-key" | "corrupt" | "strip";
  /** Put the attacker's public key in the header as `jwk` (with `sign: attacker`). */
  embedAttackerKey?: boolean;
  /** The header text exactly (duplicate members); `"$KID"` is the issuer key's kid, as a string. */
  rawHeader?: string;
}

const encode = (text: string) => base64url.encode(new TextEncoder().encode(text));

let attacker: Promise<{ privateJwk: JWK; publicJwk: JWK }> | undefined;
/** An ES256 key of the attacker's own, with the kid of the SPIRE key it impersonates. */
function attackerKey(): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  attacker ??= generateKeyPair("ES256", { extractable: true }).then(async ({ privateKey, publicKey }) => ({
    privateJwk: { ...(await exportJWK(privateKey)), alg: "ES256" },
    publicJwk: await exportJWK(publicKey),
  }));
  return attacker;
}

export async function forgeWorkloadToken(spec: WorkloadTokenCase): Promise<string> {
  const now = Date.now();
  const { header, payload } = tokenParts(spec, now);
  const key = issuerKey(spec.signedBy ?? spec.issuer);
  if (spec.signedBy && !(spec.header && "kid" in spec.header)) header.kid = key.kid;
  if (spec.signedBy && !(spec.header && "alg" in spec.header)) header.alg = key.alg;
  // "$random": a fresh made-up kid on every call (the unknown-kid storm).
  if (header.kid === "$random") header.kid = crypto.randomUUID();
  const own = await attackerKey();
  if (spec.embedAttackerKey) header.jwk = own.publicJwk;
  const nowSeconds = Math.floor(now / 1000);
  const payloadText =
    spec.rawPayload !== undefined
      ? spec.rawPayload.replaceAll('"$NOW"', String(nowSeconds)).replaceAll('"$EXP"', String(nowSeconds + 300))
      : JSON.stringify(payload);
  const headerText =
    spec.rawHeader !== undefined
      ? spec.rawHeader.replaceAll('"$KID"', JSON.stringify(key.kid))
      : JSON.stringify(header);
  const input = `${encode(headerText)}.${encode(payloadText)}`;
  switch (spec.sign ?? "issuer") {
    case "issuer":
      return signParts(key, headerText, payloadText);
    case "attacker":
      return signParts(own.privateJwk, headerText, payloadText);
    case "corrupt": {
      const token = await signParts(key, headerText, payloadText);
      return `${token.slice(0, -6)}${token.endsWith("AAAAAA") ? "BBBBBB" : "AAAAAA"}`;
    }
    case "none":
      // An empty signature is no Bearer credential at all; a stray byte keeps it JWS-shaped.
      return `${input}.A`;
    case "strip":
      return input;
    case "hs256-public-key": {
      // The classic confusion: the issuer's published public key used as an HMAC secret.
      const published = inject("workloadIssuers")[spec.signedBy ?? spec.issuer].published.keys;
      const jwk = published.find((k) => k.kid === key.kid) ?? published[0];
      const secret = new TextEncoder().encode(JSON.stringify(jwk));
      const hmac = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      const mac = await crypto.subtle.sign("HMAC", hmac, new TextEncoder().encode(input));
      return `${input}.${base64url.encode(new Uint8Array(mac))}`;
    }
  }
}
