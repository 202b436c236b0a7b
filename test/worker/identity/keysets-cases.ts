// Generated sequences for the key-set differential (keysets-differential.test.ts): what a key server (a
// workload-token issuer's JWKS or SPIFFE bundle, or Access's /cdn-cgi/access/certs) answers over simulated
// time, and the tokens presented meanwhile. Plain data from the PRNG; the keys are made once per run and the
// answers and tokens are materialised from them here.
import { base64url, exportJWK, type JWK } from "jose";

export type VerifierKind = "spire" | "cluster" | "discovery" | "access";

/** The key pool: P-256 keys (ES256), RSA 2048 (RS256), one RSA 1024, one P-384. */
export const POOL = ["e1", "e2", "e3", "e4", "r1", "r2", "r3", "weak", "p384"] as const;
export type PoolName = (typeof POOL)[number];
export interface PoolKey {
  publicJwk: JWK;
  privateJwk: JWK;
  privateKey: CryptoKey;
}
export type Pool = Record<PoolName, PoolKey>;

const EC256 = ["e1", "e2", "e3", "e4"] as const;
const RSA = ["r1", "r2", "r3"] as const;

export async function makePool(): Promise<Pool> {
  const pool = {} as Pool;
  for (const name of POOL) {
    const params =
      name === "p384"
        ? { name: "ECDSA", namedCurve: "P-384" }
        : name.startsWith("e")
          ? { name: "ECDSA", namedCurve: "P-256" }
          : {
              name: "RSASSA-PKCS1-v1_5",
              modulusLength: name === "weak" ? 1024 : 2048,
              publicExponent: new Uint8Array([1, 0, 1]),
              hash: "SHA-256",
            };
    const pair = (await crypto.subtle.generateKey(params, true, ["sign", "verify"])) as CryptoKeyPair;
    pool[name] = {
      publicJwk: stripWebCrypto(await exportJWK(pair.publicKey)),
      privateJwk: stripWebCrypto(await exportJWK(pair.privateKey)),
      privateKey: pair.privateKey,
    };
  }
  return pool;
}

/** WebCrypto's export adds ext and key_ops; a key server publishes the key members only. */
function stripWebCrypto(jwk: JWK): JWK {
  const { ext: _e, key_ops: _k, alg: _a, ...rest } = jwk as JWK & { ext?: boolean };
  return rest;
}

/** How one published key is written (the hostile ones a key server may serve). */
export const MUTATIONS = [
  "plain",
  "private", // the private members too (d, p, q, ...)
  "oct", // a symmetric key under that kid
  "no-kid",
  "use-enc",
  "use-other", // SPIFFE: use sig (not jwt-svid); elsewhere: use jwt-svid
  "ops-sign", // key_ops without verify
  "ops-verify", // key_ops [verify]
  "ops-both", // key_ops [sign, verify] (RFC 7517 4.3 allows the pair)
  "ops-twice", // key_ops [verify, verify] (RFC 7517 4.3: no value twice)
  "alg-other", // an alg member the token does not use
  "alg-same",
  "extra", // unknown members beside the key's
  "kty-case", // "ec" / "rsa"
  "crv-wrong", // an EC key labelled with another curve
  "damaged", // key material WebCrypto will not import: an EC point off its curve, an RSA modulus of 3 bytes
  "half", // a member of the key missing: an EC key without y, an RSA key without e
] as const;
export type Mutation = (typeof MUTATIONS)[number];

export interface Entry {
  pool: PoolName;
  kid: string;
  mutation: Mutation;
}

/** The key server's behaviour from a step on, until it changes. */
export type Answer =
  | {
      kind: "keys";
      entries: Entry[];
      /** Members of the set that are not keys (1, "x", null, ...): a JWK set's reader ignores them. */
      junk: unknown[];
      contentType: string | null;
      /** Extra top-level bytes: a SPIFFE bundle's members, or padding to about this many bytes. */
      pad: number;
      /** Keys of no one's tokens (kid `f-N`) after the others: a set of many keys. */
      filler: number;
      stream: boolean;
      delayMs: number;
    }
  | { kind: "status"; status: number; entries: Entry[] }
  | { kind: "redirect"; status: number; entries: Entry[] }
  | { kind: "text"; body: string }
  | { kind: "throw" };

/** What an OIDC discovery document says (or how its fetch fails). */
export type DiscoveryAnswer =
  | {
      kind: "doc";
      issuer: "same" | "slash" | "other" | "none";
      jwksUri: "same-host" | "other-host" | "http" | "relative" | "none";
    }
  | { kind: "status"; status: number }
  | { kind: "text"; body: string }
  | { kind: "throw" };

export type Request =
  | { kind: "token"; signer: PoolName; kid: string; alg: string }
  | { kind: "again"; back: number }
  | { kind: "flood"; signer: PoolName; kids: string[]; alg: string };

export interface Step {
  /** Simulated milliseconds since the previous step (whole seconds + 7 ms: never exactly on a 30 s or 10 min mark). */
  dt: number;
  answer?: Answer;
  discovery?: DiscoveryAnswer;
  request: Request;
}

export interface Sequence {
  verifier: VerifierKind;
  steps: Step[];
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const chance = (r: Rand, p: number) => r() < p;

export function naturalAlg(name: PoolName): string {
  return name.startsWith("e") ? "ES256" : name === "p384" ? "ES384" : "RS256";
}

function signersFor(verifier: VerifierKind): readonly PoolName[] {
  return verifier === "access" ? [...RSA, "weak"] : [...EC256, ...RSA, "weak", "p384"];
}

function generateEntries(r: Rand, verifier: VerifierKind, previous: Entry[]): Entry[] {
  const signers = signersFor(verifier);
  // Rotation: keep most of the previous keys, add one, sometimes drop one.
  let entries = previous.filter(() => !chance(r, 0.25));
  const count = chance(r, 0.1) ? 0 : 1 + Math.floor(r() * 3);
  for (let i = 0; i < count; i++) {
    const name = pick(r, signers);
    if (entries.some((e) => e.kid === name)) continue;
    const mutation: Mutation = chance(r, 0.55) ? "plain" : pick(r, MUTATIONS);
    entries.push({ pool: name, kid: name, mutation });
  }
  // A key republished under another key's kid (that kid is then only this one's).
  if (chance(r, 0.08) && entries.length > 0) {
    const victim = entries[0]!;
    const other = pick(
      r,
      signers.filter((s) => s !== victim.pool && naturalAlg(s) === naturalAlg(victim.pool)),
    );
    if (other && !entries.some((e) => e.pool === other)) entries[0] = { ...victim, pool: other };
  }
  // A repeated kid: the same key twice, or another key of the same type under the same kid.
  if (chance(r, 0.1) && entries.length > 0) {
    const first = entries.find((e) => e.mutation === "plain");
    if (first) {
      const twin = chance(r, 0.5)
        ? first.pool
        : pick(
            r,
            signers.filter((s) => naturalAlg(s) === naturalAlg(first.pool)),
          );
      entries.push({ pool: twin, kid: first.kid, mutation: "plain" });
    }
  }
  entries = entries.map((e) => ({ ...e }));
  return entries;
}

const CONTENT_TYPES = ["application/json", "application/jwk-set+json", "text/plain", null, "text/html"];
const JUNK: unknown[] = [1, "x", null, [], true, { kid: "junk" }];
const NOT_KEY_SETS = [
  "<html>502 Bad Gateway</html>",
  "",
  "{",
  "[]",
  '"keys"',
  "null",
  "42",
  '{"keys":{}}',
  '{"keys":"[]"}',
  '{"keys":null}',
  "{}",
  '[{"keys":[]}]',
];

export function generateAnswer(r: Rand, verifier: VerifierKind, current: Entry[]): Answer {
  const x = r();
  if (x < 0.55)
    return {
      kind: "keys",
      entries: generateEntries(r, verifier, current),
      junk: chance(r, 0.1) ? [pick(r, JUNK)] : [],
      contentType: chance(r, 0.7) ? "application/json" : pick(r, CONTENT_TYPES),
      pad: chance(r, 0.08) ? pick(r, [60_000, 70_000, 200_000]) : 0,
      filler: chance(r, 0.08) ? pick(r, [20, 99, 101, 150]) : 0,
      stream: chance(r, 0.15),
      delayMs: chance(r, 0.1) ? 5 : 0,
    };
  if (x < 0.68) return { kind: "status", status: pick(r, [404, 500, 429, 503, 204, 201, 203]), entries: current };
  if (x < 0.76) return { kind: "redirect", status: pick(r, [301, 302, 303, 307, 308]), entries: current };
  if (x < 0.92) return { kind: "text", body: pick(r, NOT_KEY_SETS) };
  return { kind: "throw" };
}

function generateRequest(r: Rand, verifier: VerifierKind, served: Entry[], stepIndex: number): Request {
  const signers = signersFor(verifier);
  const x = r();
  if (x < 0.06) {
    const signer = pick(r, signers);
    const kids = Array.from({ length: 8 }, (_, i) => `made-up-${stepIndex}-${i}`);
    return { kind: "flood", signer, kids, alg: naturalAlg(signer) };
  }
  if (x < 0.16 && stepIndex > 0) return { kind: "again", back: 1 + Math.floor(r() * 3) };
  const entry = served.length > 0 && chance(r, 0.75) ? pick(r, served) : undefined;
  let signer = entry?.pool ?? pick(r, signers);
  let kid = entry?.kid ?? signer;
  if (chance(r, 0.1)) kid = `made-up-${stepIndex}`;
  else if (chance(r, 0.08)) signer = pick(r, signers); // a kid in the set, signed by another key
  let alg = naturalAlg(signer);
  if (signer === "p384" && chance(r, 0.5)) alg = "ES256"; // a P-384 key signing as ES256
  if (chance(r, 0.04)) alg = signer.startsWith("r") || signer === "weak" ? "PS256" : "ES384";
  return { kind: "token", signer, kid, alg };
}

function generateDiscovery(r: Rand): DiscoveryAnswer {
  const x = r();
  if (x < 0.7)
    return {
      kind: "doc",
      issuer: chance(r, 0.75) ? "same" : pick(r, ["slash", "other", "none"] as const),
      jwksUri: chance(r, 0.6) ? "same-host" : pick(r, ["other-host", "http", "relative", "none"] as const),
    };
  if (x < 0.82) return { kind: "status", status: pick(r, [302, 404, 500]) };
  if (x < 0.94) return { kind: "text", body: pick(r, NOT_KEY_SETS) };
  return { kind: "throw" };
}

export function generateSequence(r: Rand, length: number): Sequence {
  const verifier = pick(r, ["spire", "cluster", "discovery", "access"] as const);
  const steps: Step[] = [];
  let served: Entry[] = [];
  for (let i = 0; i < length; i++) {
    const y = r();
    const seconds =
      y < 0.55 ? Math.floor(r() * 20) : y < 0.85 ? 20 + Math.floor(r() * 40) : 300 + Math.floor(r() * 400);
    const answer = i === 0 || chance(r, 0.3) ? generateAnswer(r, verifier, served) : undefined;
    if (answer && answer.kind === "keys") served = answer.entries;
    const discovery = verifier === "discovery" && (i === 0 || chance(r, 0.2)) ? generateDiscovery(r) : undefined;
    steps.push({ dt: seconds * 1000 + 7, answer, discovery, request: generateRequest(r, verifier, served, i) });
  }
  return { verifier, steps };
}

// ---- materialising ----

const OTHER_ALG: Record<string, string> = { EC: "ES384", RSA: "RS384" };

/** The JSON object the server publishes for an entry. */
export function publishedKey(pool: Pool, e: Entry, verifier: VerifierKind): unknown {
  const k = pool[e.pool];
  const base: Record<string, unknown> = { ...k.publicJwk };
  const use = verifier === "spire" ? "jwt-svid" : "sig";
  const kidAndUse = { kid: e.kid, use };
  switch (e.mutation) {
    case "plain":
      return { ...base, ...kidAndUse };
    case "private":
      return { ...k.privateJwk, ...kidAndUse };
    case "oct":
      return { kty: "oct", k: base64url.encode(crypto.getRandomValues(new Uint8Array(32))), ...kidAndUse };
    case "no-kid":
      return { ...base, use };
    case "use-enc":
      return { ...base, kid: e.kid, use: "enc" };
    case "use-other":
      return { ...base, kid: e.kid, use: verifier === "spire" ? "sig" : "jwt-svid" };
    case "ops-sign":
      return { ...base, ...kidAndUse, key_ops: ["sign"] };
    case "ops-verify":
      return { ...base, ...kidAndUse, key_ops: ["verify"] };
    case "ops-both":
      return { ...base, ...kidAndUse, key_ops: ["sign", "verify"] };
    case "ops-twice":
      return { ...base, ...kidAndUse, key_ops: ["verify", "verify"] };
    case "alg-other":
      return { ...base, ...kidAndUse, alg: OTHER_ALG[String(base.kty)] };
    case "alg-same":
      return { ...base, ...kidAndUse, alg: naturalAlg(e.pool) };
    case "extra":
      return { ...base, ...kidAndUse, x5t: "bm90LWEtdGh1bWJwcmludA", note: { nested: [1, 2] } };
    case "kty-case":
      return { ...base, ...kidAndUse, kty: String(base.kty).toLowerCase() };
    case "damaged":
      return base.kty === "EC"
        ? { ...base, ...kidAndUse, x: pool[e.pool === "e1" ? "e2" : "e1"].publicJwk.x }
        : { ...base, ...kidAndUse, n: "AQAB" };
    case "half": {
      const { y: _y, e: _e, ...rest } = base;
      return { ...rest, ...kidAndUse };
    }
    case "crv-wrong":
      return base.kty === "EC"
        ? { ...base, ...kidAndUse, crv: base.crv === "P-256" ? "P-384" : "P-256" }
        : { ...base, ...kidAndUse, crv: "P-256" };
  }
}

export function documentOf(
  pool: Pool,
  entries: Entry[],
  junk: unknown[],
  verifier: VerifierKind,
  filler = 0,
): unknown[] {
  const use = verifier === "spire" ? "jwt-svid" : "sig";
  const fill = Array.from({ length: filler }, (_, i) => ({ ...pool.e3.publicJwk, kid: `f-${i}`, use }));
  return [...entries.map((e) => publishedKey(pool, e, verifier)), ...junk, ...fill];
}

/** The body text of a key set: `pad` grows it to about that many bytes with a member no reader uses. */
export function keySetText(keys: unknown[], verifier: VerifierKind, pad: number): string {
  const extra: Record<string, unknown> = verifier === "spire" ? { spiffe_sequence: 7, spiffe_refresh_hint: 300 } : {};
  const text = JSON.stringify({ keys, ...extra });
  if (pad <= text.length) return text;
  return JSON.stringify({ keys, ...extra, comment: "x".repeat(pad - text.length - 14) });
}

const HASH: Record<string, string> = {
  RS256: "SHA-256",
  PS256: "SHA-256",
  ES256: "SHA-256",
  ES384: "SHA-384",
};

/** Signs `header.payload` with a pool key, as its type signs (the header's alg may lie about it). */
export async function signToken(
  pool: Pool,
  signer: PoolName,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
): Promise<string> {
  const enc = (o: unknown) => base64url.encode(new TextEncoder().encode(JSON.stringify(o)));
  const input = `${enc(header)}.${enc(payload)}`;
  const hash = HASH[String(header.alg)] ?? "SHA-256";
  const key = pool[signer].privateKey;
  const params =
    key.algorithm.name === "ECDSA"
      ? { name: "ECDSA", hash }
      : header.alg === "PS256"
        ? { name: "RSA-PSS", saltLength: 32 }
        : { name: "RSASSA-PKCS1-v1_5" };
  // RSASSA keys sign PKCS #1 v1.5 only: a PS256 header over a v1.5 signature is a forgery of the alg.
  const signature = await crypto.subtle.sign(
    params.name === "RSA-PSS" ? { name: "RSASSA-PKCS1-v1_5" } : params,
    key,
    new TextEncoder().encode(input),
  );
  return `${input}.${base64url.encode(new Uint8Array(signature))}`;
}
