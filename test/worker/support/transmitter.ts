// A local Security Event Token transmitter for the workerd tests: it signs SETs with jose as the
// specifications show (a JWS with `typ: secevent+jwt`, RFC 8417 §2.3) and pushes them to Ward (RFC 8935:
// POST, Content-Type application/secevent+jwt). The examples are the specifications' (test/fixtures/ssf/).
import { exports } from "cloudflare:workers";
import { base64url, CompactSign, importJWK, type JWK } from "jose";
import examples from "../../fixtures/ssf/spec-examples.json";

export const AUDIENCE = "https://ward.example.com/dev";
export const ISSUER = "https://idp.example.com/";

type Payload = Record<string, any>;

/** A specification's example SET with this transmitter's transport claims (iss, aud, iat, a fresh jti). */
export function example(name: string, over: Payload = {}): Payload {
  const found = (examples as Record<string, { payload: Payload } | undefined>)[name];
  if (!found) throw new Error(`no example ${name}`);
  return {
    ...structuredClone(found.payload),
    iss: ISSUER,
    aud: AUDIENCE,
    iat: Math.floor(Date.now() / 1000),
    jti: crypto.randomUUID(),
    ...over,
  };
}

/** A SET of one event about one subject, from this transmitter. */
export function eventSet(uri: string, event: Payload, subject: Payload, over: Payload = {}): Payload {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    iat: Math.floor(Date.now() / 1000),
    jti: crypto.randomUUID(),
    sub_id: subject,
    events: { [uri]: event },
    ...over,
  };
}

export interface SignOptions {
  /** The protected header beyond alg and kid; `typ` defaults to secevent+jwt (null: none). */
  header?: Record<string, unknown>;
  typ?: string | null;
}

export async function signSet(payload: Payload, jwk: JWK, options: SignOptions = {}): Promise<string> {
  const alg = jwk.alg ?? "ES256";
  const key = await importJWK(jwk, alg);
  const typ = options.typ === undefined ? "secevent+jwt" : options.typ;
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg, kid: jwk.kid, ...(typ === null ? {} : { typ }), ...options.header })
    .sign(key);
}

/** A compact JWS whose payload is exactly this text (duplicate members, ...), validly signed. */
export async function signRaw(payloadText: string, jwk: JWK): Promise<string> {
  const header = base64url.encode(JSON.stringify({ alg: jwk.alg ?? "ES256", kid: jwk.kid, typ: "secevent+jwt" }));
  const input = `${header}.${base64url.encode(payloadText)}`;
  const key = (await importJWK(jwk, jwk.alg ?? "ES256")) as CryptoKey;
  const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, new TextEncoder().encode(input));
  return `${input}.${base64url.encode(new Uint8Array(signature))}`;
}

/** Pushes a SET as RFC 8935 says, to the endpoint of `transmitter` on a Ward host; the query carries a marker. */
export function push(
  token: string,
  options: { transmitter?: string; headers?: Record<string, string>; marker?: string; method?: string } = {},
): Promise<Response> {
  const query = options.marker ? `?${options.marker}` : "";
  return exports.default.fetch(`https://wiki.localhost/.ward/ssf/events/${options.transmitter ?? "idp"}${query}`, {
    method: options.method ?? "POST",
    headers: { "content-type": "application/secevent+jwt", accept: "application/json", ...options.headers },
    ...(options.method === "GET" ? {} : { body: token }),
  });
}
