import { exportJWK, generateKeyPair, type JWK } from "jose";
import type { TestProject } from "vitest/node";
import { startRecordingOrigin } from "../support/recording-origin.ts";

declare module "vitest" {
  export interface ProvidedContext {
    originPort: number;
    /** The signing key of the stand-in Access team domain (tests sign real RS256 tokens with it). */
    accessPrivateJwk: JWK;
    accessJwks: { keys: JWK[] };
    /** ASSERTION_SIGNING_KEYS for the gateway under test: two private P-256 keys, the first signs. */
    assertionSigningKeys: string;
    /** A security-event transmitter's signing key (ES256) and the key set https://transmitter.ward-demo.test serves. */
    transmitterPrivateJwk: JWK;
    transmitterJwks: { keys: JWK[] };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { port, server } = await startRecordingOrigin();
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const kid = "a".repeat(64);
  project.provide("originPort", port);
  project.provide("accessPrivateJwk", { ...(await exportJWK(privateKey)), kid, alg: "RS256" });
  project.provide("accessJwks", { keys: [{ ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" }] });
  const signingKeys: JWK[] = [];
  for (const kid of ["assert-1", "assert-0"]) {
    const pair = await generateKeyPair("ES256", { extractable: true });
    signingKeys.push({ ...(await exportJWK(pair.privateKey)), kid });
  }
  project.provide("assertionSigningKeys", JSON.stringify({ keys: signingKeys }));
  const transmitter = await generateKeyPair("ES256", { extractable: true });
  project.provide("transmitterPrivateJwk", { ...(await exportJWK(transmitter.privateKey)), kid: "tx-1", alg: "ES256" });
  project.provide("transmitterJwks", {
    keys: [{ ...(await exportJWK(transmitter.publicKey)), kid: "tx-1", alg: "ES256", use: "sig" }],
  });
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
