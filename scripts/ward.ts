#!/usr/bin/env node
// The operator's CLI. Every command calls the same policy core as the gateway, so what it says is what
// the gateway does.
import { CliError, EXIT } from "./cli-error.ts";
import { processIo, terminalText, type Io } from "./io.ts";
import * as dev from "./commands/dev.ts";
import * as breakglass from "./commands/breakglass.ts";
import * as diff from "./commands/diff.ts";
import * as doctor from "./commands/doctor.ts";
import * as exceptions from "./commands/exceptions.ts";
import * as explain from "./commands/explain.ts";
import * as reach from "./commands/reach.ts";
import * as history from "./commands/history.ts";
import * as init from "./commands/init.ts";
import * as keygen from "./commands/keygen.ts";
import * as metrics from "./commands/metrics.ts";
import * as push from "./commands/push.ts";
import * as quarantine from "./commands/quarantine.ts";
import * as revoke from "./commands/revoke.ts";
import * as rollback from "./commands/rollback.ts";
import * as schema from "./commands/schema.ts";
import * as shadow from "./commands/shadow.ts";
import * as ssf from "./commands/ssf.ts";
import * as validate from "./commands/validate.ts";
import * as why from "./commands/why.ts";

type Command = (args: string[], io: Io) => Promise<number>;

const COMMANDS: Record<string, { run: Command; usage: string }> = {
  validate: { run: validate.validateCommand, usage: validate.usage },
  explain: { run: explain.explainCommand, usage: explain.usage },
  why: { run: why.whyCommand, usage: why.usage },
  schema: { run: schema.schemaCommand, usage: schema.usage },
  dev: { run: dev.devCommand, usage: dev.usage },
  diff: { run: diff.diffCommand, usage: diff.usage },
  reach: { run: reach.reachCommand, usage: reach.usage },
  push: { run: push.pushCommand, usage: push.usage },
  rollback: { run: rollback.rollbackCommand, usage: rollback.usage },
  history: { run: history.historyCommand, usage: history.usage },
  shadow: { run: shadow.shadowCommand, usage: shadow.usage },
  metrics: { run: metrics.metricsCommand, usage: metrics.usage },
  init: { run: init.initCommand, usage: init.usage },
  doctor: { run: doctor.doctorCommand, usage: doctor.usage },
  keygen: { run: keygen.keygenCommand, usage: keygen.usage },
  exceptions: { run: exceptions.exceptionsCommand, usage: exceptions.usage },
  breakglass: { run: breakglass.breakglassCommand, usage: breakglass.usage },
  revoke: { run: revoke.revokeCommand, usage: revoke.usage },
  quarantine: { run: quarantine.quarantineCommand, usage: quarantine.usage },
  ssf: { run: (args, io) => ssf.ssfCommand(args, io), usage: ssf.usage },
};

export const COMMAND_NAMES = Object.keys(COMMANDS);

function help(): string {
  return [
    "usage: ward <command> [args]   (ward <command> --help: that command's usage)",
    "",
    ...Object.values(COMMANDS).map((c) => c.usage),
  ].join("\n");
}

/** Own names only: `ward constructor` is an unknown command, not Object's. */
function commandNamed(name: string): (typeof COMMANDS)[string] | undefined {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}

const isHelpFlag = (arg: string) => arg === "--help" || arg === "-h";

/**
 * `--help` or `-h` anywhere before a `--` asks for the usage, and then nothing else runs: a help flag caught
 * where a value was meant (`--reason -h`) prints the usage rather than acting on a half-read command line.
 */
function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).some(isHelpFlag);
}

export async function main(argv: string[], to: Io): Promise<number> {
  // Every line, whoever wrote what is in it, reaches the terminal without controls (io.ts).
  const io: Io = { out: (line) => to.out(terminalText(line)), err: (line) => to.err(terminalText(line)) };
  const [name, ...args] = argv;
  if (!name || name === "help" || isHelpFlag(name)) {
    // `ward help validate` is `ward validate --help`.
    const topic = name === "help" ? args[0] : undefined;
    const about = topic === undefined ? undefined : commandNamed(topic);
    if (topic !== undefined && !about) {
      io.err(`ward: unknown command "${topic}"\n\n${help()}`);
      return EXIT.usage;
    }
    io.out(about ? about.usage : help());
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = commandNamed(name);
  if (!command) {
    io.err(`ward: unknown command "${name}"\n\n${help()}`);
    return EXIT.usage;
  }
  if (asksForHelp(args)) {
    io.out(command.usage);
    return EXIT.ok;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.err(`ward ${name}: ${error.message}`);
      return error.exitCode;
    }
    if (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      io.err(`ward ${name}: ${error.message}\n\n${command.usage}`);
      return EXIT.usage;
    }
    throw error;
  }
}

if (import.meta.main) {
  // `ward metrics ... | head` closes the pipe early: that is the reader being done, not an error.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
  process.exitCode = await main(process.argv.slice(2), processIo);
}
