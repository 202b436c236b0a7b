// Bundles worker/index.ts for a local workerd, the way wrangler does (esbuild, ESM, workerd conditions).
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

export const WORKER_ENTRY = fileURLToPath(new URL("../../worker/index.ts", import.meta.url));

export async function bundleWorker(): Promise<string> {
  const result = await build({
    entryPoints: [WORKER_ENTRY],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2023",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: ["cloudflare:*", "node:*"],
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}
