// Bundles a Worker for a local workerd the way wrangler does (esbuild, ESM, workerd conditions): the
// gateway itself, and the dev-only workers that stand in for Cloudflare's edge and Access.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

export const WORKER_ENTRY = fileURLToPath(new URL("../../worker/index.ts", import.meta.url));

export async function bundleWorker(entry: string = WORKER_ENTRY): Promise<string> {
  const result = await build({
    entryPoints: [entry],
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
