// The transmitters of security events (sharedSignals): where each one's keys come from, that they are public
// keys of an asymmetric algorithm, and that each issuer is trusted once. A transmitter's key can revoke anyone
// (and account-enabled lifts refusals), so what signs for it is held to more than a schema can say.
import { durationSeconds } from "../duration.ts";
import { ASYMMETRIC_ALGORITHMS } from "../ssf/events.ts";
import type { PolicyDocument } from "../schema.ts";
import type { Collector } from "./collector.ts";

/** JWK members that only a private or secret key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;
const PUBLIC_KEY_TYPES = new Set(["RSA", "EC", "OKP"]);
const ASYMMETRIC: ReadonlySet<string> = new Set(ASYMMETRIC_ALGORITHMS);

export function checkSharedSignals(doc: PolicyDocument, out: Collector): void {
  const signals = doc.sharedSignals;
  if (!signals) return;
  if (!doc.identity.access) {
    out.add(
      "warning",
      "ssf-without-access",
      "sharedSignals",
      "events name people by e-mail or sub, which only Access tokens carry: without identity.access they refuse nobody",
      "configure identity.access, or remove sharedSignals",
    );
  }
  checkHoldCoversTokens(doc, out);
  const issuers = new Map<string, string>();
  for (const [name, transmitter] of Object.entries(signals.transmitters)) {
    const at = `sharedSignals.transmitters.${name}`;
    const first = issuers.get(transmitter.issuer);
    if (first === undefined) issuers.set(transmitter.issuer, name);
    else
      out.add(
        "error",
        "ssf-duplicate-issuer",
        `${at}.issuer`,
        `issuer ${transmitter.issuer} is already trusted as transmitter "${first}"`,
        "trust each issuer once, with the one key set and event list it is held to",
      );
    if ((transmitter.jwksUri === undefined) === (transmitter.jwks === undefined))
      out.add(
        "error",
        "ssf-key-source",
        at,
        transmitter.jwksUri === undefined
          ? "no signing keys: name jwksUri or give jwks"
          : "both jwksUri and jwks: name one source of signing keys",
        "jwksUri is the jwks_uri of the transmitter's /.well-known/ssf-configuration (ward ssf configuration)",
      );
    transmitter.jwks?.keys.forEach((key, i) => {
      const problem = keyProblem(key);
      if (problem) out.add("error", "ssf-key-unusable", `${at}.jwks.keys[${i}]`, problem);
    });
    transmitter.algorithms.forEach((alg, i) => {
      if (ASYMMETRIC.has(alg)) return;
      const secret = /^HS(256|384|512)$/i.test(alg) || alg.toLowerCase() === "none";
      out.add(
        "error",
        "ssf-algorithm",
        `${at}.algorithms[${i}]`,
        secret
          ? `${alg} is ${alg.toLowerCase() === "none" ? "no signature at all" : "a shared secret: whoever can check a SET could forge one"}`
          : `unknown algorithm "${alg}"`,
        `use asymmetric algorithms only: ${ASYMMETRIC_ALGORITHMS.join(", ")}`,
      );
    });
  }
}

/** Why an inline key cannot verify SETs, if it cannot: a policy is no place for a private or secret key. */
function keyProblem(key: Record<string, unknown>): string | undefined {
  const held = PRIVATE_MEMBERS.filter((m) => Object.hasOwn(key, m));
  if (key.kty === "oct" || held.length > 0)
    return `a private or secret key (${key.kty === "oct" ? "kty oct" : held.join(", ")}): give only the public key`;
  if (typeof key.kty !== "string" || !PUBLIC_KEY_TYPES.has(key.kty))
    return `kty must be RSA, EC or OKP (a public signing key), not ${JSON.stringify(key.kty ?? null)}`;
  if (key.use !== undefined && key.use !== "sig") return `use is ${JSON.stringify(key.use)}: a SET key signs ("sig")`;
  return undefined;
}

/**
 * A revoked session's refusal ends after holdFor, but nothing else refuses the tokens issued before the event: a
 * person's token may count as long as maxTokenLifetime (or maxTokenAge, when shorter) allows, so a shorter hold
 * lets a token of the revoked session count again once the hold ends.
 */
function checkHoldCoversTokens(doc: PolicyDocument, out: Collector): void {
  const access = doc.identity.access;
  const signals = doc.sharedSignals;
  if (!access || !signals) return;
  const lifetime = durationSeconds(access.maxTokenLifetime);
  const tokens = access.maxTokenAge === undefined ? lifetime : Math.min(lifetime, durationSeconds(access.maxTokenAge));
  if (durationSeconds(signals.holdFor) >= tokens) return;
  const longest = access.maxTokenAge === undefined ? "maxTokenLifetime" : "maxTokenLifetime and maxTokenAge";
  out.add(
    "warning",
    "ssf-hold-shorter-than-tokens",
    "sharedSignals.holdFor",
    `holdFor ${signals.holdFor} is shorter than the ${tokens / 3600}h a person's Access token may count (identity.access ${longest}): a token of a session revoked by an event counts again once the hold ends`,
    "set holdFor to at least identity.access.maxTokenLifetime (your Access session duration), or lower maxTokenAge",
  );
}
