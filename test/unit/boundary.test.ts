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

function code(file: string): string {
  // Comments may mention the forbidden names (to say why); only code counts.
  return readFileSync(join(root, file), "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^:])\/\/.*$/gm, "$1");
}

describe("policy/ boundary", () => {
  it("has source files to check", () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files)("%s imports nothing outside policy/, nor hono, jose, cloudflare:* or node:*", (file) => {
    const imports = [...code(file).matchAll(/from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']/g)].map(
      (m) => m[1] ?? m[2]!,
    );
    for (const spec of imports) {
      expect(spec, `${file} imports ${spec}`).not.toMatch(/^(hono|jose|cloudflare:|node:|fs$|path$)|\/worker\//);
      expect(leavesPolicy(file, spec), `${file} imports ${spec}`).toBe(false);
    }
  });

  it.each(files)("%s calls no fetch, Date.now, console or timers", (file) => {
    const text = code(file);
    expect(text).not.toMatch(/\bfetch\s*\(/);
    expect(text).not.toMatch(/\bDate\.now\b|new Date\(\s*\)|performance\.now/);
    expect(text).not.toMatch(/\bconsole\./);
    expect(text).not.toMatch(/\b(setTimeout|setInterval|Math\.random)\s*\(/);
  });

  it("the check itself catches a forbidden call", () => {
    expect("const t = Date.now();").toMatch(/\bDate\.now\b/);
    expect('import { Hono } from "hono";').toMatch(/from\s+["']hono["']/);
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
    const imports = [...text.matchAll(/from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']/g)].map(
      (m) => m[1] ?? m[2]!,
    );
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
    const imports = [...text.matchAll(/from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']/g)].map(
      (m) => m[1] ?? m[2]!,
    );
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
