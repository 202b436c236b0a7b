// Bindings and vars are not inherited by [env.NAME]: each environment must repeat them. Whatever the top
// level (the local Worker) has, and whatever the Worker cannot run without, each environment must have too.
import { BINDING_KINDS, ORIGIN_KINDS, varNames } from "./config.ts";
import { policyOrigins } from "./origins.ts";
import { secretNames } from "./secrets.ts";
import { envWhere, type Check, type DoctorContext, type Finding } from "./types.ts";
import { workerNames } from "./worker-env.ts";

/** Bindings worker/env.ts declares as required, whatever the top level says (DECISIONS is optional). */
const WORKER_NEEDS: Readonly<Record<string, readonly string[]>> = {
  kv_namespaces: workerNames("kv_namespaces"),
  durable_objects: workerNames("durable_objects"),
};

const HOW: Readonly<Record<string, string>> = {
  kv_namespaces: "with this environment's own namespace id (wrangler kv namespace create ... --env ENV)",
  durable_objects: "with the same class_name",
  analytics_engine_datasets: "with this environment's own dataset",
};

/** Vars checked elsewhere, with their own finding. */
const OWN_CHECK_VARS = new Set(["WARD_ENV"]);

function list(names: readonly string[]): string {
  return names.join(", ");
}

export const checkBindings: Check = (ctx: DoctorContext) => {
  const findings: Finding[] = [];
  const reportedAsOrigins = new Set(ctx.policy ? policyOrigins(ctx.policy.document).keys() : []);
  const envOrigins = new Set(
    ORIGIN_KINDS.flatMap((kind) => BINDING_KINDS.find((k) => k.kind === kind)!.names(ctx.env)),
  );

  for (const { kind, table, names } of BINDING_KINDS) {
    const top = names(ctx.top);
    // With a policy, the origins an environment needs are the policy's (origin-unbound reports those), not
    // the local Worker's demo origins.
    const fromTop = ctx.policy && ORIGIN_KINDS.includes(kind) ? [] : top;
    const needed = [...new Set([...(WORKER_NEEDS[kind] ?? []), ...fromTop])];
    const present = ORIGIN_KINDS.includes(kind) ? envOrigins : new Set(names(ctx.env));
    const missing = needed.filter((name) => !present.has(name) && !reportedAsOrigins.has(name));
    if (missing.length === 0) continue;
    const why = missing.map((name) => (top.includes(name) ? name : `${name} (the Worker needs it)`));
    const example =
      kind === "vpc_services"
        ? `[[env.${ctx.envName}.vpc_services]] binding = "${missing[0]}", service_id = "<the VPC service>", remote = true`
        : kind === "services"
          ? `[[env.${ctx.envName}.services]] for ${list(missing)} (or [[env.${ctx.envName}.vpc_services]] for an origin reached through a tunnel)`
          : `[[env.${ctx.envName}.${table}]] for ${list(missing)}, ${HOW[kind] ?? "with this environment's own resources"}`;
    findings.push({
      severity: "error",
      code: "binding-missing",
      where: envWhere(ctx, table),
      message: `${kind}: ${list(why)} missing; the top level has ${top.length ? list(top) : "none"}, and ${kind} is not inherited, so ${ctx.envName} would run without ${missing.length === 1 ? "it" : "them"}`,
      fix: `add ${example}`,
    });
  }

  // A secret's name is not asked for as a var: here it would be the secret-as-var error.
  const secrets = new Set(secretNames(ctx.top, ctx.env));
  const topVars = varNames(ctx.top).filter((name) => !OWN_CHECK_VARS.has(name) && !secrets.has(name));
  const envVars = new Set(varNames(ctx.env));
  const missingVars = topVars.filter((name) => !envVars.has(name));
  if (missingVars.length > 0) {
    findings.push({
      severity: "warning",
      code: "var-missing",
      where: envWhere(ctx, "vars"),
      message: `${list(missingVars)} set at the top level but not here: vars are not inherited, so ${ctx.envName} gets the Worker's default${missingVars.length === 1 ? "" : "s"} instead`,
      fix: `set ${list(missingVars)} under [env.${ctx.envName}.vars] (to the default on purpose, if that is what you want)`,
    });
  }
  return findings;
};
