// Hostile Access tokens for the adversarial corpus, built from a description: forged headers, algorithm
// confusion, broken signatures, bad claims. Signatures are real where the attack needs them to be (an
// RS256 signature by the test team's key on a token that is wrong in another way).
import { exportJWK, exportSPKI, generateKeyPair, importJWK, type JWK } from "jose";
import { AUD, TEAM } from "../support/access-tokens.ts";

export interface TokenSpec {
  /** Claims merged over a valid person's claims; `null` removes one. */
  claims?: Record<string, unknown>;
  /** Header fields merged over { alg: RS256, kid, typ: JWT }; `null` removes one. */
  header?: Record<string, unknown>;
  /** How the signature is made. */
  sign?:
    | "rs256"
    | "none"
    | "hs256-public-key"
    | "hs256-public-pem"
    | "strip"
    | "empty"
    | "psychic-es256"
    | "other-team"
    | "corrupt";
  /**
   * The payload text exactly (duplicate claims, `1e309`, escapes JSON.stringify would not write), instead of
   * JSON of the claims. `"$NOW"` becomes now and `"$NOW_EXP"` now + 1 h, as numbers.
   */
  rawPayload?: string;
  /** The header text exactly (duplicate members); `"$KID"` becomes the signing key's kid, as a string. */
  rawHeader?: string;
  /** A literal token (malformed ones). */
  literal?: string;
  /** Pad the payload to about this many bytes. */
  size?: number;
  /** Several valid tokens, joined by this separator. */
  joined?: string;
  /** A JWE-shaped (5 part) token. */
  jwe?: boolean;
}

const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
const text = (s: string) => b64url(new TextEncoder().encode(s));

let otherTeamKey: Promise<JWK> | undefined;

async function rsSign(jwk: JWK, signingInput: string): Promise<string> {
  const key = (await importJWK(jwk, "RS256")) as CryptoKey;
  const sig = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, new TextEncoder().encode(signingInput));
  return b64url(new Uint8Array(sig));
}

function merge(base: Record<string, unknown>, over: Record<string, unknown> | undefined): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over ?? {})) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** Relative instants in claims: { "$now": 60 } is now + 60 s. */
function instants(claims: Record<string, unknown>, now: number): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(claims).map(([k, v]) => [
      k,
      v && typeof v === "object" && "$now" in v ? now + Number((v as { $now: number }).$now) : v,
    ]),
  );
}

export async function forgeToken(spec: TokenSpec, signing: JWK, publicJwks: { keys: JWK[] }): Promise<string> {
  if (spec.literal !== undefined) return spec.literal;
  if (spec.joined !== undefined) {
    const one = await forgeToken({}, signing, publicJwks);
    return [one, one].join(spec.joined);
  }
  if (spec.jwe) return [text('{"alg":"RSA-OAEP","enc":"A256GCM"}'), "AAAA", "BBBB", "CCCC", "DDDD"].join(".");
  const now = Math.floor(Date.now() / 1000);
  const baseClaims = {
    type: "app",
    iat: now,
    nbf: now,
    exp: now + 3600,
    iss: TEAM,
    aud: [AUD],
    email: "ann@example.com",
    sub: "u-ann",
    identity_nonce: "n-adv",
  };
  const claims = instants(merge(baseClaims, spec.claims), now);
  if (spec.size) claims.padding = "x".repeat(spec.size);
  const header = merge({ alg: "RS256", kid: signing.kid, typ: "JWT" }, spec.header);
  // "$random": a fresh made-up kid on every call (the unknown-kid flood).
  if (header.kid === "$random") header.kid = crypto.randomUUID().replaceAll("-", "");
  const payload =
    spec.rawPayload !== undefined
      ? text(spec.rawPayload.replaceAll('"$NOW_EXP"', String(now + 3600)).replaceAll('"$NOW"', String(now)))
      : text(JSON.stringify(claims));
  const headerText =
    spec.rawHeader !== undefined
      ? spec.rawHeader.replaceAll('"$KID"', JSON.stringify(signing.kid))
      : JSON.stringify(header);
  const input = `${text(headerText)}.${payload}`;
  switch (spec.sign ?? "rs256") {
    case "rs256":
      return `${input}.${await rsSign(signing, input)}`;
    case "corrupt": {
      const sig = await rsSign(signing, input);
      return `${input}.${sig.slice(0, -4)}${sig.endsWith("AAAA") ? "BBBB" : "AAAA"}`;
    }
    case "none":
      return `${input}.`;
    case "strip":
      return input;
    case "empty":
      return `${input}.`;
    case "psychic-es256":
      return `${input}.${b64url(new Uint8Array(64))}`;
    case "hs256-public-key": {
      // The classic confusion: the RSA public key (as published) used as an HMAC secret.
      const secret = new TextEncoder().encode(JSON.stringify(publicJwks.keys[0]));
      const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      return `${input}.${b64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(input))))}`;
    }
    case "hs256-public-pem": {
      // The same confusion with the public key as a PEM (SPKI) text, the form most libraries were fooled by.
      const pem = await exportSPKI((await importJWK(publicJwks.keys[0]!, "RS256", { extractable: true })) as CryptoKey);
      const key = await crypto.subtle.importKey(
        "raw",
        new TextEncoder().encode(pem),
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      );
      return `${input}.${b64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(input))))}`;
    }
    case "other-team": {
      otherTeamKey ??= generateKeyPair("RS256", { extractable: true }).then(async ({ privateKey }) => ({
        ...(await exportJWK(privateKey)),
        kid: "e".repeat(64),
      }));
      const other = await otherTeamKey;
      // The attacker's own kid, unless the case injects one.
      const otherHeader = text(
        JSON.stringify(spec.header && "kid" in spec.header ? header : { ...header, kid: other.kid }),
      );
      const otherInput = `${otherHeader}.${payload}`;
      return `${otherInput}.${await rsSign(other, otherInput)}`;
    }
  }
}
