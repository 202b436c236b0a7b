// The files behind `ward metrics`: read in order ("-" is standard input) and parsed with parse.ts, each request
// once across them all. A file ending in .gz (Logpush writes them so) is decompressed first.
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { CliError, EXIT } from "../cli-error.ts";
import { parseDecisionLogs, type ParsedLog } from "./parse.ts";

/** Reads standard input to the end; replaceable in tests. */
export type ReadStdin = () => Promise<string>;

export async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** An unreadable file is an error (exit 1) that names it and says why. */
export async function readDecisionLogs(
  files: readonly string[],
  readStdin: ReadStdin = readProcessStdin,
  script?: string,
): Promise<ParsedLog> {
  return parseDecisionLogs(await readLogTexts(files, readStdin), script);
}

/** The text of each log file in order, decompressed; for the readers of other lines than decisions too. */
export async function readLogTexts(
  files: readonly string[],
  readStdin: ReadStdin = readProcessStdin,
): Promise<string[]> {
  const texts: string[] = [];
  for (const file of files) {
    try {
      texts.push(
        file === "-"
          ? await readStdin()
          : file.endsWith(".gz")
            ? (await promisify(gunzip)(await readFile(file))).toString("utf8")
            : await readFile(file, "utf8"),
      );
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      if (e.code === "Z_DATA_ERROR" || e.code === "Z_BUF_ERROR")
        throw new CliError(`cannot read ${file}: not gzip data, or cut short`, EXIT.failed);
      const why =
        e.code === "ENOENT"
          ? "no such file (ENOENT)"
          : e.code === "EISDIR"
            ? "is a directory (EISDIR)"
            : (e.code ?? e.message);
      throw new CliError(`cannot read ${file === "-" ? "standard input" : file}: ${why}`, EXIT.failed);
    }
  }
  return texts;
}
