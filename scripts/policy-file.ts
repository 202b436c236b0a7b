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

/**
 * Compiles policy text, with validation's warnings for the caller to report (they are not printed here: a valid
 * policy's warnings are the caller's to show, as `ward validate` and `ward doctor` do), or fails with every
 * issue printed under `label`.
 */
export async function compilePolicyWithWarnings(
  label: string,
  text: string,
  warn: (line: string) => void,
): Promise<{ policy: CompiledPolicy; warnings: Issue[] }> {
  const result = await loadPolicy(text);
  if (!result.ok) {
    printIssues(label, result.issues, warn);
    throw new CliError(`${label} is not a valid policy`, EXIT.failed);
  }
  return { policy: result.policy, warnings: result.issues.filter((issue) => issue.severity === "warning") };
}

/** Compiles policy text, or fails with every issue printed under `label`. */
export async function compilePolicyText(
  label: string,
  text: string,
  warn: (line: string) => void,
): Promise<CompiledPolicy> {
  return (await compilePolicyWithWarnings(label, text, warn)).policy;
}

/** Loads and compiles, or fails with every issue printed. */
export async function loadPolicyFile(file: string | undefined, warn: (line: string) => void): Promise<CompiledPolicy> {
  return compilePolicyText(file!, await readPolicyText(file), warn);
}
