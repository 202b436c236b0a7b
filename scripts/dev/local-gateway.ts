// Runs the gateway in workerd through Miniflare with a policy loaded into local KV and local origins.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { exportJWK, generateKeyPair } from "jose";
import { Miniflare } from "miniflare";
import type { CompiledPolicy } from "../../policy/index.ts";
import { ACTIVE_KEY, versionKey } from "../../worker/policy-store.ts";
import { bundleWorker } from "./bundle.ts";

export const COMPATIBILITY_DATE = "2026-11-01";
const DEMO_ORIGIN = fileURLToPath(new URL("./demo-origin.js", import.meta.url));

async function ephemeralSigningKeys(): Promise<string> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  return JSON.stringify({ keys: [{ ...(await exportJWK(privateKey)), kid: `dev-${Date.now()}` }] });
}

export interface LocalGatewayOptions {
  policy: CompiledPolicy;
  policyText: string;
  port: number;
  /** Binding name -> http://127.0.0.1:PORT; bindings not listed get a demo echo origin. */
  origins: Record<string, string>;
}

function tunnelBindings(policy: CompiledPolicy): string[] {
  const names = new Set<string>();
  for (const service of Object.values(policy.document.services)) {
    if (typeof service.origin === "object" && "tunnel" in service.origin) names.add(service.origin.tunnel);
  }
  return [...names];
}

export async function startLocalGateway(options: LocalGatewayOptions): Promise<{ url: URL; origins: Record<string, string>; stop: () => Promise<void> }> {
  const gateway = await bundleWorker();
  const demoOrigin = await readFile(DEMO_ORIGIN, "utf8");
  const env: Record<string, unknown> = {
    POLICY: { type: "kv", id: "ward-local-policy" },
    POLICY_REFRESH_SECONDS: { type: "text", value: "2" },
    // A throwaway assertion key for this run only; deployed gateways get theirs from a secret.
    ASSERTION_SIGNING_KEYS: { type: "text", value: await ephemeralSigningKeys() },
  };
  const demoWorkers: object[] = [];
  const described: Record<string, string> = {};
  for (const binding of tunnelBindings(options.policy)) {
    const target = options.origins[binding];
    if (target) {
      const address = new URL(target);
      env[binding] = { type: "external", address: address.host, http: {} };
      described[binding] = target;
    } else {
      const name = `demo-${binding.toLowerCase().replace(/_/g, "-")}`;
      env[binding] = { type: "worker", worker: name };
      described[binding] = `built-in demo app "${name}" (echoes what it receives)`;
      demoWorkers.push({
        config: {
          name,
          compatibilityDate: COMPATIBILITY_DATE,
          manifest: { mainModule: "origin.mjs", modules: { "origin.mjs": { type: "esm", contents: demoOrigin } } },
          env: { APP_NAME: { type: "text", value: binding } },
          exports: {},
        },
      });
    }
  }
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: options.port,
    cf: false,
    logRequests: false,
    workers: [
      {
        config: {
          name: "ward",
          compatibilityDate: COMPATIBILITY_DATE,
          manifest: { mainModule: "gateway.mjs", modules: { "gateway.mjs": { type: "esm", contents: gateway } } },
          env,
          exports: {},
        },
      },
      ...demoWorkers,
    ],
  } as ConstructorParameters<typeof Miniflare>[0]);
  const url = await mf.ready;
  const kv = await mf.getKVNamespace("POLICY", "ward");
  await kv.put(versionKey(options.policy.version), options.policyText);
  await kv.put(ACTIVE_KEY, options.policy.version);
  return { url, origins: described, stop: () => mf.dispose() };
}
