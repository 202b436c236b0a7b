// One WorkloadTokenVerifier per isolate and issuer configuration: its key set and verified-token cache live as
// long as the isolate, never per request, and policy versions that configure an issuer alike share them.
import type { CompiledTokenIssuer } from "../../policy/index.ts";
import { WorkloadTokenVerifier } from "./workload-token.ts";
import { setBounded } from "../shared/bounded-cache.ts";

/**
 * Issuer configurations whose verifier is kept for versions to share (each holds a verified-token cache), so
 * pushes that change issuers do not pile them up; an active version's stays reachable through `byIssuer`.
 */
export const KEPT_ISSUER_CONFIGURATIONS = 32;

const verifiers = new Map<string, WorkloadTokenVerifier>();
/** The verifier of each (compiled, immutable) issuer object, so a request does not even build the key. */
const byIssuer = new WeakMap<CompiledTokenIssuer, WorkloadTokenVerifier>();

export function workloadTokenVerifier(issuer: CompiledTokenIssuer): WorkloadTokenVerifier {
  let verifier = byIssuer.get(issuer);
  if (verifier) return verifier;
  // The whole entry is the key: a token verified under a longer lifetime, another trust domain or other
  // required claims must not be served from the cache of a version that allows less.
  verifier = verifiers.get(issuer.fingerprint);
  if (!verifier)
    setBounded(
      verifiers,
      issuer.fingerprint,
      (verifier = new WorkloadTokenVerifier(issuer)),
      KEPT_ISSUER_CONFIGURATIONS,
    );
  byIssuer.set(issuer, verifier);
  return verifier;
}

/** Forgets every verifier: their key sets and caches (tests start from an empty isolate). */
export function resetWorkloadTokenVerifiers(): void {
  verifiers.clear();
}
