// Ward's CLI as the tests run it: in this process through scripts/ward.ts's main with an Io that collects what
// it writes (fast, and the same dispatch and exit statuses), or as operators run it, `node scripts/ward.ts ...`
// in a child process (the real entry point: argv, stdout, stderr, the process's exit status).
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { main } from "../../scripts/ward.ts";

const ROOT = resolve(import.meta.dirname, "../..");

/** What one in-process run wrote: each stream's lines, and both streams in the order written. */
export interface WardLines {
  status: number;
  out: string[];
  err: string[];
  /** stdout and stderr interleaved as a terminal shows them, one text. */
  output: string;
}

/** `ward ARGS` in this process, keeping each line as written. */
export async function wardLines(...args: string[]): Promise<WardLines> {
  const out: string[] = [];
  const err: string[] = [];
  const both: string[] = [];
  const status = await main(args, {
    out: (line) => {
      out.push(line);
      both.push(line);
    },
    err: (line) => {
      err.push(line);
      both.push(line);
    },
  });
  return { status, out, err, output: both.join("\n") };
}

/** `ward ARGS` in this process, each stream joined into one text. */
export async function wardText(...args: string[]): Promise<{ status: number; out: string; err: string }> {
  const run = await wardLines(...args);
  return { status: run.status, out: run.out.join("\n"), err: run.err.join("\n") };
}

export interface WardProcess {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `node scripts/ward.ts ARGS` in a child process from the repository root, as an operator runs it. */
export function wardProcess(...args: string[]): WardProcess {
  const result = spawnSync(process.execPath, ["scripts/ward.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 30_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
