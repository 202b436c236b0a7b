// `--script NAME`, taken by every command that reads Ward's logs: read only the lines an export says that
// Worker wrote (unwrap.ts). An export of the whole account (a Logpush job not filtered on `ScriptName`, a Tail
// Worker shared by several producers) holds other Workers' lines, and one of them that logs a client's input as
// its one argument would otherwise count as Ward's.
import { CliError } from "../cli-error.ts";

export const SCRIPT_USAGE = "[--script NAME]";

/** What the help says of it, once for every reader: its own lines, indented as the help's. */
export const SCRIPT_HELP =
  "--script NAME: read only the lines an export (Logpush, Workers Logs, a Tail Worker, wrangler tail)\n    says the Worker NAME wrote";

/** The option, for parseArgs. */
export const scriptOption = { script: { type: "string" } } as const;

/**
 * The Worker's name as given, or undefined. Workers' names are letters, digits, `-` and `_` (with an
 * environment, wrangler's `ward-production`); anything else would match no line, so it is a usage error.
 */
export function scriptFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(value))
    throw new CliError(`--script ${JSON.stringify(value)}: expected a Worker's name (letters, digits, - and _)`);
  return value;
}
