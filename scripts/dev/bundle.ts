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
  return (await bundle(entry, options)).outputFiles[0]!.text;
}

/**
 * The modules the Worker's bundle holds code of, as paths relative to the project, with the bytes each adds (for
 * tests of what it pulls in). A module read but tree-shaken away entirely is not listed.
 */
export async function bundledModules(entry: string = WORKER_ENTRY): Promise<Map<string, number>> {
  const { metafile } = await bundle(entry, { minify: true, metafile: true });
  const modules = new Map<string, number>();
  for (const output of Object.values(metafile!.outputs))
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs))
      if (bytesInOutput > 0) modules.set(path, (modules.get(path) ?? 0) + bytesInOutput);
  return modules;
}

function bundle(entry: string, options: { minify?: boolean; metafile?: boolean }) {
  return build({
    metafile: options.metafile ?? false,
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
}
