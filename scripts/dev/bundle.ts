// Bundles a Worker for a local workerd the way wrangler does (esbuild, ESM, workerd conditions): the
// gateway itself, and the dev-only workers that stand in for Cloudflare's edge and Access.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

export const WORKER_ENTRY = fileURLToPath(new URL("../../worker/index.ts", import.meta.url));

/**
 * `minify`: whitespace and syntax, as wrangler.toml's `minify` does, but identifiers kept, so profiles of the
 * bench still name Ward's functions (V8's profiler reads the source's names, not keep_names' `name`).
 */
export async function bundleWorker(entry: string = WORKER_ENTRY, options: { minify?: boolean } = {}): Promise<string> {
  const result = await build({
    ...(options.minify ? { minifyWhitespace: true, minifySyntax: true } : {}),
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
