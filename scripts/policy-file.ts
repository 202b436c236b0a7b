// Reads a policy file for a CLI command and reports every issue the way `ward validate` does.
import { readFile } from "node:fs/promises";
import { formatIssue, loadPolicy, type CompiledPolicy, type Issue } from "../policy/index.ts";
import { CliError, EXIT } from "./cli-error.ts";

export async function readPolicyText(file: string | undefined): Promise<string> {
  if (!file) throw new CliError("missing policy file");
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, EXIT.failed);
  }
}

export function printIssues(file: string, issues: readonly Issue[], write: (line: string) => void): void {
  for (const issue of issues) write(`${file}: ${formatIssue(issue)}`);
}

/** Loads and compiles, or fails with every issue printed. */
export async function loadPolicyFile(file: string | undefined, warn: (line: string) => void): Promise<CompiledPolicy> {
  const text = await readPolicyText(file);
  const result = await loadPolicy(text);
  if (!result.ok) {
    printIssues(file!, result.issues, warn);
    throw new CliError(`${file} is not a valid policy`, EXIT.failed);
  }
  return result.policy;
}
