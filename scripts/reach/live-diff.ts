// Who gains and loses access if a gateway's active version is replaced: what `ward push` and `ward rollback`
// print before they move the pointer, and what their --dry-run exits with.
import { type CompiledPolicy, diffReach, diffWidens, loadPolicy, reach } from "../../policy/index.ts";
import { type AdminTarget, adminCall, short } from "../admin-client.ts";
import { EXIT } from "../cli-error.ts";
import { grantsInForce } from "../grants/read.ts";
import type { Io } from "../io.ts";
import { diffText } from "./text.ts";

/** A stored version as the gateway holds it, compiled; undefined when it is not stored or does not load. */
export async function storedVersion(target: AdminTarget, version: string): Promise<CompiledPolicy | undefined> {
  const reply = await adminCall(target, "GET", `/policy/versions/${version}`);
  if (reply.status !== 200) return undefined;
  // Read as the Ward that stored it read it: the checks added since are for text as written (policy/load.ts).
  const loaded = await loadPolicy(reply.text, { stored: true });
  return loaded.ok ? loaded.policy : undefined;
}

/**
 * Prints the reach diff from the active version to `next`, with the grants in force on both sides (an
 * exception for every route of a service covers the routes `next` adds to it, and a grant naming a route
 * covers what that route comes to match, which only shows with them). Returns `ward diff`'s exit status for
 * the change: 4 when access may widen (and for a first version, which grants everything it grants anew), 1 when
 * the active version or the grants cannot be read (a gate that cannot tell must not pass), else 0.
 */
export async function printLiveDiff(
  target: AdminTarget,
  active: string | null,
  next: CompiledPolicy,
  io: Io,
): Promise<number> {
  if (!active) {
    io.out("no active version: this activates the first one through the admin API");
    return EXIT.widened;
  }
  const current = await storedVersion(target, active);
  if (!current) {
    io.out(`(the active version ${short(active)} could not be read for a diff)`);
    return EXIT.failed;
  }
  const listed = await adminCall(target, "GET", "/grants");
  if (listed.status !== 200) {
    io.out(`(the grants in force could not be read for a diff: ${listed.status})`);
    return EXIT.failed;
  }
  const grants = grantsInForce((listed.body as { grants?: unknown }).grants, `${target.describe} GET /grants`);
  const diff = diffReach(reach(current, { grants }), reach(next, { grants }));
  for (const line of diffText(diff)) io.out(line);
  return diffWidens(diff) ? EXIT.widened : EXIT.ok;
}
