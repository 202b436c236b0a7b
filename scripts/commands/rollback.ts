import { parseArgs } from "node:util";
import { adminCall, policyState, resolveTarget, short, TARGET_USAGE, targetOptions } from "../admin-client.ts";
import { CliError, EXIT } from "../cli-error.ts";
import type { Io } from "../io.ts";

export const usage = `ward rollback ${TARGET_USAGE} [--to VERSION] [--message TEXT]
    activate the version before the active one (or VERSION, a full hash from ward history)`;

export async function rollbackCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...targetOptions, to: { type: "string" }, message: { type: "string", default: "" } },
  });
  if (positionals.length > 0) throw new CliError(`unexpected ${positionals[0]}\n${usage}`);
  if (values.to !== undefined && !/^[0-9a-f]{64}$/.test(values.to))
    throw new CliError(`--to ${values.to}: expected a full version hash (ward history --json shows them)`);
  const target = await resolveTarget(values);
  const state = await policyState(target, values.env);
  if (!state.active) throw new CliError(`${target.describe} has no active version to roll back from`, EXIT.failed);
  const reply = await adminCall(target, "POST", "/policy/rollback", {
    expected: state.active,
    message: values.message,
    ...(values.to ? { to: values.to } : {}),
  });
  const body = reply.body as { entry?: { seq: number; version: string }; active?: string; error?: string };
  if (reply.status === 409 && body.active !== undefined) {
    throw new CliError(
      `the active version moved to ${short(body.active)} meanwhile: nothing changed; look at ward history and decide again`,
      EXIT.failed,
    );
  }
  if (reply.status !== 200)
    throw new CliError(
      `${target.describe} refused the rollback (${reply.status}): ${body?.error ?? reply.text.slice(0, 300)}`,
      EXIT.failed,
    );
  io.out(
    `rolled back: ${short(body.entry!.version)} is active again (was ${short(state.active)}, history #${body.entry!.seq})`,
  );
  return EXIT.ok;
}
