import { parseArgs } from "node:util";
import { adminCall, policyState, resolveTarget, TARGET_USAGE, targetOptions } from "../admin-client.ts";
import { CliError, EXIT } from "../cli-error.ts";
import { denyLine } from "../grants/deny-format.ts";
import type { Io } from "../io.ts";
import { entryFrom, listEntries } from "./revoke.ts";

export const usage = `ward quarantine list ${TARGET_USAGE} [--all]
ward quarantine release ${TARGET_USAGE} ID
    identities refused after too many denied requests (the policy's quarantine), and releasing one`;

export async function quarantineCommand(args: string[], io: Io): Promise<number> {
  const [action, ...rest] = args;
  if (action !== "list" && action !== "release") throw new CliError(`expected list or release\n${usage}`);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { ...targetOptions, all: { type: "boolean", default: false } },
  });
  const target = await resolveTarget(values);
  await policyState(target, values.env);
  if (action === "list") return listEntries(target, "quarantine", values.all, io);
  if (positionals.length !== 1)
    throw new CliError(`expected the ID to release (ward quarantine list shows it)\n${usage}`);
  io.out(
    `released: ${denyLine(entryFrom(target, await adminCall(target, "DELETE", `/denylist/${encodeURIComponent(positionals[0]!)}?kind=quarantine`)), Date.now())}`,
  );
  return EXIT.ok;
}
