import { parseArgs } from "node:util";
import { activatedSince, versionBefore } from "../../policy/index.ts";
import {
  type AdminTarget,
  adminCall,
  policyState,
  resolveTarget,
  short,
  TARGET_USAGE,
  targetOptions,
  policyChangeFailed,
} from "../admin-client.ts";
import { CliError, EXIT } from "../cli-error.ts";
import type { Io } from "../io.ts";
import { printLiveDiff, sayRefusedToday, storedVersion } from "../reach/live-diff.ts";

export const usage = `ward rollback ${TARGET_USAGE} [--to VERSION] [--message TEXT] [--dry-run]
    activate the version before the active one (or VERSION, as ward history shows it, or its first 8 or more
    hex digits), after showing
    who gains and loses access; --dry-run stops after the diff and exits as ward diff does (4 when access
    may widen)`;

async function rollBack(
  target: AdminTarget,
  active: string,
  to: string,
  message: string,
  direction: string,
  io: Io,
): Promise<number> {
  const reply = await adminCall(target, "POST", "/policy/rollback", { expected: active, to, message });
  const body = reply.body as { entry?: { seq: number; version: string }; active?: string; error?: string };
  if (reply.status === 409 && body.active !== undefined) {
    throw new CliError(
      `the active version moved to ${short(body.active)} meanwhile: nothing changed; look at ward history and decide again`,
      EXIT.failed,
    );
  }
  if (reply.status !== 200) throw policyChangeFailed(target, reply, "rollback");
  io.out(
    `rolled ${direction}: ${short(body.entry!.version)} is active again (was ${short(active)}, history #${body.entry!.seq})`,
  );
  return EXIT.ok;
}

/**
 * A version named by its first hex digits (ward history shows 12), among those the recent history names: one
 * only, or the operator is asked for more. A full hash is taken as it is (an older version may be stored).
 */
function fullVersion(named: string, history: readonly { version: string; previous: string | null }[]): string {
  if (named.length === 64) return named;
  const known = new Set(history.flatMap((e) => [e.version, ...(e.previous ? [e.previous] : [])]));
  const matching = [...known].filter((v) => v.startsWith(named));
  if (matching.length === 1) return matching[0]!;
  throw new CliError(
    matching.length === 0
      ? `--to ${named}: no version of the recent history starts so; give the full hash (ward history --json)`
      : `--to ${named}: ${matching.length} versions of the recent history start so; give more digits`,
    EXIT.failed,
  );
}

export async function rollbackCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...targetOptions,
      to: { type: "string" },
      message: { type: "string", default: "" },
      "dry-run": { type: "boolean", default: false },
    },
  });
  if (positionals.length > 0) throw new CliError(`unexpected ${positionals[0]}\n${usage}`);
  const named = values.to?.toLowerCase();
  if (named !== undefined && !/^[0-9a-f]{8,64}$/.test(named))
    throw new CliError(
      `--to ${values.to}: expected a version, or its first 8 or more hex digits (as ward history shows)`,
    );
  const target = await resolveTarget(values);
  const state = await policyState(target, values.env);
  const active = state.active;
  if (!active) throw new CliError(`${target.describe} has no active version to roll back from`, EXIT.failed);
  // Picked here and sent by name, so that what is activated is the version whose diff the operator saw.
  const to = named === undefined ? versionBefore(state.history, active) : fullVersion(named, state.history);
  if (!to)
    throw new CliError(
      `no earlier version is recorded in ${target.describe}'s recent history for the active one ${short(active)}; name one with --to (ward history --json)`,
      EXIT.failed,
    );
  if (to === active) throw new CliError(`version ${short(to)} is already active: nothing to roll back`, EXIT.failed);
  // --to a version pushed since the active one (after a rollback, say) goes forward: said so, not "back".
  const direction = activatedSince(state.history, to, active) ? "forward" : "back";
  io.out(`${target.describe}: active ${short(active)}, rolling ${direction} to ${short(to)}`);
  // Rolling back re-opens whatever the versions since closed: shown before, as a push shows its diff.
  const next = await storedVersion(target, to, true);
  if (!next) throw new CliError(`version ${short(to)} is not stored or does not load: nothing changed`, EXIT.failed);
  sayRefusedToday(next, io);
  const diffStatus = await printLiveDiff(target, active, next.policy, io);
  if (values["dry-run"]) {
    io.out("dry run: nothing rolled back");
    return diffStatus;
  }
  return rollBack(target, active, to, values.message, direction, io);
}
