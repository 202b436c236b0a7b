// Each environment is its own gateway only if it owns its state. Two environments on one KV namespace read and
// write the same `policy:active` (a push to staging switches production's policy); on one VPC service, one
// environment's requests, with its assertion, reach the other's origin; under one Worker name, a deploy of one
// replaces the other; on one dataset, their decisions are counted together. A copy-paste slip does any of these
// and nothing else notices: wrangler deploys it, and each gateway answers. So does a Durable Object binding
// with `script_name`: it binds another Worker's objects (its grants, its denylist, its policy pointer's writer).
import { vpcServiceCreate } from "../init/next-steps.ts";
import { datasetName } from "../init/environment-plan.ts";
import { isPlaceholderId, KV_ID, UUID } from "../init/placeholders.ts";
import { isTable, tables } from "./config.ts";
import { deployedRouteValues } from "./deployed-routes.ts";
import { envWhere, type Check, type DoctorContext, type Finding, type RawTable } from "./types.ts";
import { workerNames } from "./worker-env.ts";

/** Another deployment whose state must differ: an [env.*], or the top level when it is deployed. */
export interface Other {
  /** `[env.production]`, or `the top level` */
  label: string;
  table: RawTable;
  workerName: string | undefined;
}

/** The top level is the local Worker; with routes of its own it is a deployed gateway too. */
function deployed(top: RawTable): boolean {
  return deployedRouteValues(top, undefined).length > 0;
}

/** The Worker an environment deploys as: its own `name`, or wrangler's `<top name>-<env>` (none from a blank one). */
export function workerName(top: RawTable, env: RawTable, envName: string): string | undefined {
  if (env.name !== undefined) return typeof env.name === "string" ? env.name : undefined;
  return typeof top.name === "string" && top.name !== "" ? `${top.name}-${envName}` : undefined;
}

/** Every other deployment of this config: the other environments, and the top level when it is deployed. */
export function others(ctx: DoctorContext): Other[] {
  const list: Other[] = Object.entries(ctx.environments)
    .filter(([name]) => name !== ctx.envName)
    .map(([name, table]) => ({ label: `[env.${name}]`, table, workerName: workerName(ctx.top, table, name) }));
  if (deployed(ctx.top))
    list.push({
      label: "the top level (deployed: it has routes)",
      table: ctx.top,
      workerName: typeof ctx.top.name === "string" ? ctx.top.name : undefined,
    });
  return list;
}

/** A real id (placeholders and malformed ids are reported as such, and init writes the same one everywhere). */
function realId(id: unknown, shape: RegExp): id is string {
  return typeof id === "string" && shape.test(id) && !isPlaceholderId(id);
}

/** The binding names of an array of tables' entries that hold `value`. */
function holders(array: unknown, value: string, held: (entry: RawTable) => unknown): string[] {
  return tables(array)
    .filter((entry) => held(entry) === value)
    .map((entry) => String(entry.binding));
}

/** wrangler's dataset for an Analytics Engine binding that names none is the binding's name. */
function datasetOf(entry: RawTable): unknown {
  return entry.dataset ?? entry.binding;
}

export const checkSharedState: Check = (ctx: DoctorContext) => {
  const findings: Finding[] = [];
  const list = others(ctx);
  const reinit = `npm run ward -- init --env ${ctx.envName}`;

  for (const kv of tables(ctx.env.kv_namespaces)) {
    if (!realId(kv.id, KV_ID)) continue;
    const binding = String(kv.binding);
    const what =
      binding === "POLICY"
        ? "the same policy versions and `policy:active`: a push (or rollback) to either switches the other's policy"
        : "the same keys";
    for (const other of list) {
      const theirs = holders(other.table.kv_namespaces, kv.id, (t) => t.id);
      if (theirs.length === 0) continue;
      findings.push({
        severity: "error",
        code: "binding-shared",
        where: envWhere(ctx, "kv_namespaces"),
        message: `${binding}: KV namespace ${kv.id} is also ${other.label}'s (${theirs.join(", ")}): both gateways would read and write ${what}`,
        fix: `give each environment its own namespace: npx wrangler kv namespace create ward-policy --env ${ctx.envName}, then ${reinit} --kv-id <the id it prints> (or fix ${other.label}'s, if that is the copy)`,
      });
    }
  }

  for (const vpc of tables(ctx.env.vpc_services)) {
    if (!realId(vpc.service_id, UUID)) continue;
    const binding = String(vpc.binding);
    for (const other of list) {
      const theirs = holders(other.table.vpc_services, vpc.service_id, (t) => t.service_id);
      if (theirs.length === 0) continue;
      findings.push({
        severity: "error",
        code: "binding-shared",
        where: envWhere(ctx, "vpc_services"),
        message: `${binding}: VPC service ${vpc.service_id} is also ${other.label}'s (${theirs.join(", ")}): ${ctx.envName}'s requests, with ${ctx.envName}'s assertion, would reach the origin the other gateway forwards to`,
        fix: `give each environment its own VPC service for its own origin: ${vpcServiceCreate(ctx.envName, { binding }, undefined)}, then ${reinit} --vpc-service ${binding}=<the id it prints>`,
      });
    }
  }

  for (const entry of tables(ctx.env.analytics_engine_datasets)) {
    const dataset = datasetOf(entry);
    if (typeof dataset !== "string") continue;
    const binding = String(entry.binding);
    for (const other of list) {
      const theirs = holders(other.table.analytics_engine_datasets, dataset, datasetOf);
      if (theirs.length === 0) continue;
      findings.push({
        severity: "error",
        code: "binding-shared",
        where: envWhere(ctx, "analytics_engine_datasets"),
        message: `${binding}: Analytics Engine dataset "${dataset}"${entry.dataset === undefined ? " (unnamed: wrangler takes the binding's name)" : ""} is also ${other.label}'s (${theirs.join(", ")}): the two environments' decisions would be counted as one (ward metrics would mix them)`,
        fix: `set \`dataset = "${datasetName(ctx.envName)}"\` in [[env.${ctx.envName}.analytics_engine_datasets]] binding = "${binding}"`,
      });
    }
  }

  // Ward's own objects, which its [[migrations]] create in each environment's Worker: a script_name binds them
  // in another Worker instead (another environment's grants, denylist and policy pointer).
  const wardObjects = new Set(workerNames("durable_objects"));
  const objects = isTable(ctx.env.durable_objects) ? tables(ctx.env.durable_objects.bindings) : [];
  for (const object of objects) {
    if (!wardObjects.has(String(object.name)) || object.script_name === undefined) continue;
    findings.push({
      severity: "error",
      code: "binding-shared",
      where: envWhere(ctx, "durable_objects.bindings"),
      message: `${String(object.name)}: script_name = ${JSON.stringify(object.script_name)} binds another Worker's ${String(object.class_name)} objects: ${ctx.envName} would read and change that Worker's state, not its own`,
      fix: `remove script_name from [[env.${ctx.envName}.durable_objects.bindings]] name = "${String(object.name)}" (Ward's objects are its own, created by the [[migrations]])`,
    });
  }

  const name = workerName(ctx.top, ctx.env, ctx.envName);
  if (name !== undefined) {
    for (const other of list) {
      if (other.workerName !== name) continue;
      const own = typeof ctx.top.name === "string" ? `${ctx.top.name}-${ctx.envName}` : `ward-${ctx.envName}`;
      findings.push({
        severity: "error",
        code: "worker-name-shared",
        where: envWhere(ctx),
        message: `${ctx.envName} deploys as Worker "${name}"${typeof ctx.env.name === "string" ? "" : " (no name: wrangler's default)"}, as ${other.label} does: they would be one Worker, a deploy of either replacing the other's code, bindings and vars, with one set of secrets (one signing key) for both`,
        fix: `set \`name = "${own === name ? `<a name of ${ctx.envName}'s own>` : own}"\` under [env.${ctx.envName}] (or fix ${other.label}'s, if that is the copy)`,
      });
    }
  }
  return findings;
};
