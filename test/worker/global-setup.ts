import { exportJWK, generateKeyPair, type JWK } from "jose";
import type { ProvidedContext } from "vitest";
import type { TestProject } from "vitest/node";
import { startRecordingOrigin } from "../support/recording-origin.ts";
import { dropBrokenOriginLines } from "./quiet-runtime.ts";

declare module "vitest" {
  export interface ProvidedContext {
    originPort: number;
    /** The signing key of the stand-in Access team domain (tests sign real RS256 tokens with it). */
    accessPrivateJwk: JWK;
    accessJwks: { keys: JWK[] };
    /** ASSERTION_SIGNING_KEYS for the gateway under test: two private P-256 keys, the first signs. */
    assertionSigningKeys: string;
    /**
     * The stand-in workload-token issuers of the demo policy (identity.tokenIssuers): each one's signing key
     * (tests sign real tokens with it) and the key document the outbound mock serves for it.
     */
    workloadIssuers: Record<
      WorkloadIssuerName,
      { privateJwk: JWK; published: { keys: JWK[] } & Record<string, unknown> }
    >;
    /** A security-event transmitter's signing key (ES256) and the key set https://transmitter.ward-demo.test serves. */
    transmitterPrivateJwk: JWK;
    transmitterJwks: { keys: JWK[] };
    /**
     * The runner's WARD_* environment variables (a generated test's seed, say). Not import.meta.env: the module
     * cache keeps a transformed file with the values it was first run with, so a changed seed would not take.
     */
    wardEnv: Record<string, string>;
  }
}

export type WorkloadIssuerName = "spire" | "cluster" | "github";

/** A key pair as a private JWK with its kid and alg, and the public JWK with `use`. */
async function keyPair(alg: "ES256" | "RS256", kid: string, use: string): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg },
    publicJwk: { ...(await exportJWK(publicKey)), kid, use },
  };
}

/**
 * Keys shaped as each issuer publishes them: SPIRE's bundle endpoint serves a SPIFFE bundle (its JWT key with
 * `use: jwt-svid` beside an X.509 authority with `use: x509-svid`, a sequence and a refresh hint); a cluster's
 * and GitHub's OIDC key sets are RS256 keys with `use: sig`.
 */
async function workloadIssuers(): Promise<ProvidedContext["workloadIssuers"]> {
  const spire = await keyPair("ES256", "Nmo3aGFXeldnT0NtS3ZvN1BFWXpVWUxhOTZjdjFoM1Q", "jwt-svid");
  const x509Authority = await keyPair("ES256", "x509-authority-1", "x509-svid");
  const cluster = await keyPair("RS256", "OAjVVaejWFc0Yt9ykr0_8lMMuRNs67OXTWHsN02Pkyw", "sig");
  const github = await keyPair("RS256", "cc413527-173f-5a05-976e-9c52b1d7b431", "sig");
  return {
    spire: {
      privateJwk: spire.privateJwk,
      published: { keys: [x509Authority.publicJwk, spire.publicJwk], spiffe_sequence: 7, spiffe_refresh_hint: 300 },
    },
    cluster: { privateJwk: cluster.privateJwk, published: { keys: [{ ...cluster.publicJwk, alg: "RS256" }] } },
    github: { privateJwk: github.privateJwk, published: { keys: [{ ...github.publicJwk, alg: "RS256" }] } },
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  dropBrokenOriginLines();
  const { port, server } = await startRecordingOrigin();
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const kid = "a".repeat(64);
  project.provide("originPort", port);
  project.provide(
    "wardEnv",
    Object.fromEntries(
      Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith("WARD_") && e[1] !== undefined),
    ),
  );
  project.provide("accessPrivateJwk", { ...(await exportJWK(privateKey)), kid, alg: "RS256" });
  project.provide("accessJwks", { keys: [{ ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" }] });
  const signingKeys: JWK[] = [];
  for (const kid of ["assert-1", "assert-0"]) {
    const pair = await generateKeyPair("ES256", { extractable: true });
    signingKeys.push({ ...(await exportJWK(pair.privateKey)), kid });
  }
  project.provide("assertionSigningKeys", JSON.stringify({ keys: signingKeys }));
  project.provide("workloadIssuers", await workloadIssuers());
  const transmitter = await generateKeyPair("ES256", { extractable: true });
  project.provide("transmitterPrivateJwk", { ...(await exportJWK(transmitter.privateKey)), kid: "tx-1", alg: "ES256" });
  project.provide("transmitterJwks", {
    keys: [{ ...(await exportJWK(transmitter.publicKey)), kid: "tx-1", alg: "ES256", use: "sig" }],
  });
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
