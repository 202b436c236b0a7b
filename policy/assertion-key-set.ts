// The shape of ASSERTION_SIGNING_KEYS, the secret whose keys sign Ward's origin assertions: a JWK set whose
// first key is a private P-256 key (it signs) and whose every key has its own kid (all are published, so a new
// key can be published before it signs and an old one kept until its assertions have expired). One reading for
// the Worker (worker/origin/assertion.ts) and for `ward keygen --add-to`, so a set one accepts the other does.

/** A JSON Web Key as the secret holds it: the members read here, and whatever else it carries. */
export interface JWK {
  kty?: string;
  crv?: string;
  x?: string;
  y?: string;
  d?: string;
  kid?: string;
  [member: string]: unknown;
}

/** A key as origins get it: the public members only, named one by one. */
export interface PublishedKey {
  kty: string;
  crv: string;
  x: string;
  y: string;
  kid: string;
  alg: "ES256";
  use: "sig";
}

export type AssertionKeySetRead =
  | { ok: true; keys: JWK[]; signer: JWK & { kid: string }; published: PublishedKey[] }
  | { ok: false; problem: string };

export const ASSERTION_KEY_SET_SHAPE = '{"keys":[private P-256 JWKs with kid, ...]}';

export function readAssertionKeySet(text: string): AssertionKeySetRead {
  let keys: unknown;
  try {
    keys = (JSON.parse(text) as { keys?: unknown } | null)?.keys;
  } catch {
    keys = undefined;
  }
  const shape = `ASSERTION_SIGNING_KEYS must be ${ASSERTION_KEY_SET_SHAPE}`;
  if (!Array.isArray(keys) || !keys.every((k) => k !== null && typeof k === "object" && !Array.isArray(k)))
    return { ok: false, problem: shape };
  const set = keys as JWK[];
  const first = set[0];
  if (
    typeof first?.kid !== "string" ||
    !first.kid ||
    first.kty !== "EC" ||
    first.crv !== "P-256" ||
    typeof first.d !== "string" ||
    !first.d
  )
    return { ok: false, problem: shape };
  // The public members only: a key exported by WebCrypto (or most JWK tools) also carries `key_ops: ["sign"]`
  // and `ext`, and an origin's verifier (jose) takes no key whose key_ops lack "verify".
  const published = set.map(({ kty, crv, x, y, kid }) => ({
    kty,
    crv,
    x,
    y,
    kid,
    alg: "ES256" as const,
    use: "sig" as const,
  }));
  if (
    published.some(
      (k) =>
        typeof k.kid !== "string" ||
        !k.kid ||
        k.kty !== "EC" ||
        k.crv !== "P-256" ||
        typeof k.x !== "string" ||
        typeof k.y !== "string",
    )
  )
    return { ok: false, problem: "every assertion key needs a kid and must be EC P-256" };
  // Two keys under one kid: origins could not tell which verifies (jose refuses such a set outright).
  if (new Set(published.map((k) => k.kid)).size !== published.length)
    return { ok: false, problem: "every assertion key needs its own kid" };
  return { ok: true, keys: set, signer: first as JWK & { kid: string }, published: published as PublishedKey[] };
}
