import { parseArgs } from "node:util";
import { policyState, resolveTarget, short, TARGET_USAGE, targetOptions } from "../admin-client.ts";
import { CliError, EXIT } from "../cli-error.ts";
import { type Io, oneLine } from "../io.ts";

export const usage = `ward history ${TARGET_USAGE} [--json]
    the active version and the latest pushes and rollbacks: when, who, what, the version before`;

export async function historyCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...targetOptions, json: { type: "boolean", default: false } },
  });
  if (positionals.length > 0) throw new CliError(`unexpected ${positionals[0]}\n${usage}`);
  const target = await resolveTarget(values);
  const state = await policyState(target, values.env);
  if (values.json) {
    io.out(JSON.stringify(state, null, 2));
    return EXIT.ok;
  }
  io.out(
    `${target.describe}: environment ${state.environment ?? "(unset)"}, active ${short(state.active)}${state.shadow ? `, shadow ${short(state.shadow)}` : ""}`,
  );
  if (state.history.length === 0) io.out("no pushes through the admin API yet (the active version was bootstrapped)");
  // One line an entry: a message stored before the admin API refused line breaks must not write lines of its own.
  for (const e of state.history) {
    io.out(
      oneLine(
        `#${e.seq}  ${e.at}  ${e.action.padEnd(8)} ${short(e.version)} <- ${short(e.previous)}  ${e.who}${e.message ? `  "${e.message}"` : ""}`,
      ),
    );
  }
  return EXIT.ok;
}
