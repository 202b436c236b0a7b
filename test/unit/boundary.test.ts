// policy/ is the pure core: the same code runs in the Worker, the CLI and the tests, so it must not
// reach for the network, a clock, a console or a runtime-specific module.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../../policy");
const files = readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));

/** A relative import that resolves outside policy/ (a sibling folder such as worker/ or scripts/). */
function leavesPolicy(file: string, spec: string): boolean {
  if (!spec.startsWith(".")) return false;
  const target = relative(root, join(root, dirname(file), spec));
  return target === ".." || target.startsWith("../");
}

/** Comments may mention the forbidden names (to say why); only code counts. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1");
}

function code(file: string): string {
  return withoutComments(readFileSync(join(root, file), "utf8"));
}

/** The modules `text` imports, statically or with import(). */
function importsOf(text: string): string[] {
  return [...text.matchAll(/from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']/g)].map((m) => m[1] ?? m[2]!);
}

/** Runtime-specific modules and the Worker: what the core must never import. */
const RUNTIME_MODULE = /^(hono|jose|cloudflare:|node:|fs$|path$)|\/worker\//;

/** The imports of `file` (in policy/) that break the boundary, each with why. */
function forbiddenImports(file: string, text: string): string[] {
  return importsOf(text).flatMap((spec) => [
    ...(RUNTIME_MODULE.test(spec) ? [`${file} imports ${spec}`] : []),
    ...(leavesPolicy(file, spec) ? [`${file} imports ${spec}, outside policy/`] : []),
  ]);
}

/** Network, clocks, console, timers and randomness: what the core must never call. */
const FORBIDDEN_CALLS = [
  /\bfetch\s*\(/,
  /\bDate\.now\b|new Date\(\s*\)|performance\.now/,
  /\bconsole\./,
  /\b(setTimeout|setInterval|Math\.random)\s*\(/,
];

/** The forbidden calls in `text` (comments already removed), as matched. */
function forbiddenCalls(text: string): string[] {
  return FORBIDDEN_CALLS.flatMap((pattern) => pattern.exec(text)?.[0] ?? []);
}

describe("policy/ boundary", () => {
  it("has source files to check", () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files)("%s imports nothing outside policy/, nor hono, jose, cloudflare:* or node:*", (file) => {
    expect(forbiddenImports(file, code(file))).toEqual([]);
  });

  it.each(files)("%s calls no fetch, Date.now, console or timers", (file) => {
    expect(forbiddenCalls(code(file))).toEqual([]);
  });

  it("the check itself catches a forbidden import or call, and not one a comment mentions", () => {
    const imports = [
      'import { Hono } from "hono";',
      'import { jwtVerify } from "jose";',
      'const kv = await import("cloudflare:workers");',
      'import { readFileSync } from "node:fs";',
      'import { env } from "../../worker/env.ts";',
      'import { io } from "../../scripts/io.ts";',
      'import { hash } from "../hash.ts";',
      'import { compile } from "./compile.ts";',
    ].join("\n");
    expect(forbiddenImports("reach/diff.ts", withoutComments(imports))).toEqual([
      "reach/diff.ts imports hono",
      "reach/diff.ts imports jose",
      "reach/diff.ts imports cloudflare:workers",
      "reach/diff.ts imports node:fs",
      "reach/diff.ts imports ../../worker/env.ts",
      "reach/diff.ts imports ../../worker/env.ts, outside policy/",
      "reach/diff.ts imports ../../scripts/io.ts, outside policy/",
    ]);
    const calls = [
      'await fetch("https://example.com");',
      "const t = Date.now();",
      'console.log("x");',
      "setTimeout(() => {}, 1);",
    ].join("\n");
    expect(forbiddenCalls(withoutComments(calls))).toEqual(["fetch(", "Date.now", "console.", "setTimeout("]);
    expect(forbiddenCalls(withoutComments("const at = new Date();\nconst r = Math.random();"))).toEqual([
      "new Date()",
      "Math.random(",
    ]);
    // Saying why in a comment is not calling or importing it; a URL's // starts no comment.
    expect(
      forbiddenCalls(withoutComments("// never Date.now(): the caller passes the time\n/* console.log */")),
    ).toEqual([]);
    expect(forbiddenImports("hash.ts", withoutComments('import { a } from "./a.ts"; // not from "hono"'))).toEqual([]);
    expect(forbiddenCalls(withoutComments('const u = "https://example.com"; fetch(u);'))).toEqual(["fetch("]);
    // Files in a folder of policy/ reach their siblings through ../, never beyond policy/.
    expect(leavesPolicy("reach/diff.ts", "../hash.ts")).toBe(false);
    expect(leavesPolicy("reach/diff.ts", "../../worker/env.ts")).toBe(true);
    expect(leavesPolicy("hash.ts", "../scripts/io.ts")).toBe(true);
  });
});

// The CLI shares records and pure functions with the gateway through the core, never by reaching into the
// Worker: worker/ may change its files at will, and the CLI must not pull Worker-only code (cloudflare:*
// modules, isolate caches) into Node. Bundling the Worker (scripts/dev/bundle.ts names its entry) is no import.
describe("CLI boundary", () => {
  const scriptsRoot = join(import.meta.dirname, "../../scripts");
  const scriptFiles = readdirSync(scriptsRoot, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
  const intoWorker = (file: string, spec: string) =>
    spec.startsWith(".") &&
    relative(join(scriptsRoot, ".."), join(scriptsRoot, dirname(file), spec)).startsWith("worker/");

  it.each(scriptFiles)("scripts/%s imports nothing from worker/", (file) => {
    const text = readFileSync(join(scriptsRoot, file), "utf8");
    const imports = importsOf(text);
    for (const spec of imports) expect(intoWorker(file, spec), `${file} imports ${spec}`).toBe(false);
  });

  it("the check itself sees an import of the Worker", () => {
    expect(intoWorker("dev/local-gateway.ts", "../../worker/policy-store/store.ts")).toBe(true);
    expect(intoWorker("dev/local-gateway.ts", "../../policy/index.ts")).toBe(false);
  });
});

// The local dev machinery (sign-in stand-in, its key, the edge that rewrites login redirects) must never
// reach a deployed gateway: a gateway that trusted a dev issuer would accept tokens anyone can mint.
describe("gateway bundle boundary", () => {
  const workerRoot = join(import.meta.dirname, "../../worker");
  const workerFiles = readdirSync(workerRoot, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));

  it.each(workerFiles)("worker/%s imports nothing from scripts/ or test/", (file) => {
    const text = readFileSync(join(workerRoot, file), "utf8");
    const imports = importsOf(text);
    for (const spec of imports) expect(spec, `${file} imports ${spec}`).not.toMatch(/\/(scripts|test)\//);
  });

  it("the bundled gateway has no trace of the dev issuer or edge", async () => {
    const { bundleWorker } = await import("../../scripts/dev/bundle.ts");
    const gateway = await bundleWorker();
    expect(gateway).toContain("/.well-known/ward/jwks.json"); // it is the gateway
    for (const devOnly of [
      "ward_dev_groups",
      "ward_dev_session",
      "access.localhost",
      "dev-token",
      "ISSUER_PRIVATE_JWK",
      "ACCESS_JWKS_URL",
      "ward dev",
    ]) {
      expect(gateway, devOnly).not.toContain(devOnly);
    }
    const edge = await bundleWorker(join(import.meta.dirname, "../../scripts/dev/local-edge.ts"));
    expect(edge).toContain("ward_dev_groups"); // the check can see the dev code where it is
  });
});
