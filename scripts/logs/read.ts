// The files behind `ward metrics`: read in order ("-" is standard input) and parsed with parse.ts.
import { readFile } from "node:fs/promises";
import { CliError, EXIT } from "../cli-error.ts";
import { parseDecisionLog, type ParsedLog } from "./parse.ts";

/** Reads standard input to the end; replaceable in tests. */
export type ReadStdin = () => Promise<string>;

export async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** An unreadable file is an error (exit 1) that names it and says why. */
export async function readDecisionLogs(files: readonly string[], readStdin: ReadStdin = readProcessStdin): Promise<ParsedLog> {
  const records: ParsedLog["records"] = [];
  let skipped = 0;
  for (const file of files) {
    let text: string;
    try {
      text = file === "-" ? await readStdin() : await readFile(file, "utf8");
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      const why = e.code === "ENOENT" ? "no such file (ENOENT)" : e.code === "EISDIR" ? "is a directory (EISDIR)" : (e.code ?? e.message);
      throw new CliError(`cannot read ${file === "-" ? "standard input" : file}: ${why}`, EXIT.failed);
    }
    const parsed = parseDecisionLog(text);
    for (const r of parsed.records) records.push(r);
    skipped += parsed.skipped;
  }
  return { records, skipped };
}
