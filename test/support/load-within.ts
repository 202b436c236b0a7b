// Loading policy text as the admin API loads a push, in a Node child whose V8 heap is capped (Miniflare does
// not enforce Workers' memory limit; the same V8): what it ends with, an issue code, "valid" or "out of memory".
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const POLICY = fileURLToPath(new URL("../../policy/index.ts", import.meta.url));

const CHILD = `
const { readFileSync } = await import("node:fs");
const { loadPolicy, MAX_POLICY_BYTES } = await import(process.argv[1]);
const loaded = await loadPolicy(readFileSync(process.argv[2], "utf8"), { yamlUpTo: MAX_POLICY_BYTES });
console.log(loaded.ok ? "valid" : loaded.issues[0].code);
`;

/** The first issue's code (or "valid") of loading `text` as a push with at most `capMib` of heap. */
export async function loadWithin(text: string, capMib = 64): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "ward-load-within-"));
  const file = join(dir, "policy.txt");
  writeFileSync(file, text);
  try {
    const { stdout } = await run(
      process.execPath,
      [`--max-old-space-size=${capMib}`, "--input-type=module", "-e", CHILD, POLICY, file],
      { maxBuffer: 1 << 20 },
    );
    return stdout.trim();
  } catch (error) {
    return /heap out of memory/.test(String((error as { stderr?: string }).stderr)) ? "out of memory" : String(error);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
