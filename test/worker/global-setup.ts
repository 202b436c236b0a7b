import { exportJWK, generateKeyPair, type JWK } from "jose";
import type { TestProject } from "vitest/node";
import { startRecordingOrigin } from "../support/recording-origin.ts";

declare module "vitest" {
  export interface ProvidedContext {
    originPort: number;
    /** The signing key of the stand-in Access team domain (tests sign real RS256 tokens with it). */
    accessPrivateJwk: JWK;
    accessJwks: { keys: JWK[] };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { port, server } = await startRecordingOrigin();
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const kid = "a".repeat(64);
  project.provide("originPort", port);
  project.provide("accessPrivateJwk", { ...(await exportJWK(privateKey)), kid, alg: "RS256" });
  project.provide("accessJwks", { keys: [{ ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" }] });
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
