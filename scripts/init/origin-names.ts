// An origin's binding name must be free: a name the Worker or the config already binds (DENYLIST, a var, a
// secret) written again as a VPC service gives a config wrangler refuses ("DENYLIST assigned to Durable Object
// and VPC Service bindings"), and a policy whose origin is `{ tunnel: DENYLIST }` would be forwarding to it.
import { BINDING_KINDS, ORIGIN_KINDS, varNames } from "../doctor/config.ts";
import { secretNames } from "../doctor/secrets.ts";
import type { RawTable } from "../doctor/types.ts";
import { workerNameUse } from "../doctor/worker-env.ts";

/** What already has `binding` as its name, if anything: the Worker's own names (worker/env.ts) first. */
export function originNameTaken(binding: string, top?: RawTable, env?: RawTable, envName?: string): string | undefined {
  const worker = workerNameUse(binding);
  if (worker) return worker;
  if (!top) return undefined;
  const tables: [RawTable | undefined, string][] = [
    [env, `[env.${envName ?? "ENV"}]`],
    [top, "the top level"],
  ];
  for (const [table, label] of tables) {
    if (!table) continue;
    for (const { kind, what, names } of BINDING_KINDS)
      if (!ORIGIN_KINDS.includes(kind) && names(table).includes(binding)) return `${what} of ${label}`;
    if (varNames(table).includes(binding)) return `a var of ${label}`;
  }
  if (secretNames(top, env).includes(binding)) return "a secret (secrets.required)";
  return undefined;
}
