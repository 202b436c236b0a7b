// One name, one binding: wrangler refuses a config that binds a name twice, in one kind or across kinds, vars and
// secrets.required included ("DENYLIST assigned to Durable Object and VPC Service bindings"). `ward init --origin
// DENYLIST=...` used to write such a config, and doctor did not notice: it named the origin in order and the
// Durable Object in order, each on its own. A var beside a secret of its name is secret-as-var's, not repeated.
import { BINDING_KINDS, requiredSecrets, varNames } from "./config.ts";
import { envWhere, type Check, type DoctorContext, type Finding } from "./types.ts";
import { workerNameUse } from "./worker-env.ts";

export const checkDuplicateNames: Check = (ctx: DoctorContext) => {
  const uses = new Map<string, string[]>();
  const add = (name: string, what: string) => uses.set(name, [...(uses.get(name) ?? []), what]);
  for (const { what, names } of BINDING_KINDS) for (const name of names(ctx.env)) add(name, what);
  const vars = new Set(varNames(ctx.env));
  for (const name of vars) add(name, "a var");
  for (const name of requiredSecrets(ctx.env) ?? []) if (!vars.has(name)) add(name, "a secret (secrets.required)");

  const findings: Finding[] = [];
  for (const [name, what] of uses) {
    if (what.length < 2) continue;
    const worker = workerNameUse(name);
    findings.push({
      severity: "error",
      code: "binding-duplicate",
      where: envWhere(ctx),
      message: `${name} is bound ${what.length} times: as ${what.join(", ")}: wrangler refuses the config (each binding needs a name of its own)${worker ? `, and ${name} is ${worker}` : ""}`,
      fix: worker
        ? `keep ${name} for ${worker} only; give the other binding its own name (an origin: in its [[env.${ctx.envName}.vpc_services]] entry and in the policy's origin: { tunnel: NAME })`
        : `give each binding its own name under [env.${ctx.envName}]`,
    });
  }
  return findings;
};
