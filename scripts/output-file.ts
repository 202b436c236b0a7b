// Files a command writes where the operator said (--out, --log): a path it cannot write is the operator's to
// fix, told in one line (exit 1), never a stack trace, and found before the command does anything else.
import { appendFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { CliError, EXIT } from "./cli-error.ts";

const why = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? String(error);

export async function writeOutput(flag: string, file: string, text: string): Promise<void> {
  await writeFile(file, text).catch((error: unknown) => {
    throw new CliError(`${flag} ${file}: cannot write it: ${why(error)}`, EXIT.failed);
  });
}

/** That `file` can be appended to (created if absent), before a long-running command starts writing it. */
export function checkAppendable(flag: string, file: string): void {
  try {
    appendFileSync(file, "");
  } catch (error) {
    throw new CliError(`${flag} ${file}: cannot write it: ${why(error)}`, EXIT.failed);
  }
}
