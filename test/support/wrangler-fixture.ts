// The doctor and init tests' wrangler configuration: test/fixtures/wrangler/good.toml (a deployable one) with
// edits, written to a file of its own so each test reads the config it means.
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect } from "vitest";

export const GOOD_TOML = resolve(import.meta.dirname, "../fixtures/wrangler/good.toml");

/** good.toml with each edit applied (an edit that finds nothing fails the test), in `dir`, as `name`.toml. */
export function goodTomlWith(
  dir: string,
  edits: [string, string][],
  name = Math.random().toString(36).slice(2),
): string {
  let text = readFileSync(GOOD_TOML, "utf8");
  for (const [from, to] of edits) {
    expect(text, from).toContain(from);
    text = text.replace(from, to);
  }
  const file = join(dir, `${name}.toml`);
  writeFileSync(file, text);
  return file;
}
