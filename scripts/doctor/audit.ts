// A service in audit mode forwards what it would deny: fine while trying a policy, not in production. What
// makes an environment production is a flag in wrangler.toml (`[env.X.vars] WARD_PRODUCTION = "true"`, which
// `ward init --production` writes), never its name: "prod", "live" and "eu" are production too when marked.
// The Worker does not read the flag; doctor alone does, so doctor alone says what it means: "true" (or the TOML
// boolean true, which wrangler also accepts) marks production; "false", false or no such var do not. Anything
// else ("yes", "TRUE", "1", "") was written to mean something: an error, and held to production's rules.
import { isTable } from "./config.ts";
import { envWhere, type Check, type DoctorContext, type Finding } from "./types.ts";

export const PRODUCTION_VAR = "WARD_PRODUCTION";

export type ProductionFlag = "production" | "not-production" | "unclear";

/** How doctor reads WARD_PRODUCTION as written in `[env.X.vars]`. */
export function productionFlag(env: Readonly<Record<string, unknown>>): ProductionFlag {
  const value = isTable(env.vars) ? env.vars[PRODUCTION_VAR] : undefined;
  if (value === true || value === "true") return "production";
  if (value === undefined || value === false || value === "false") return "not-production";
  return "unclear";
}

/** Marked production, or marked so that it cannot be told (fail closed: held to production's rules). */
export function isProduction(ctx: DoctorContext): boolean {
  return productionFlag(ctx.env) !== "not-production";
}

export const checkAudit: Check = (ctx: DoctorContext) => {
  const findings: Finding[] = [];
  if (productionFlag(ctx.env) === "unclear") {
    const value = (ctx.env.vars as Record<string, unknown>)[PRODUCTION_VAR];
    findings.push({
      severity: "error",
      code: "ward-production-invalid",
      where: envWhere(ctx, "vars"),
      message: `${PRODUCTION_VAR} is ${JSON.stringify(value)}: only "true" (or true) marks an environment production, and only "false" (or false, or no ${PRODUCTION_VAR}) leaves it unmarked, so whether ${ctx.envName} is meant to be held to production's rules is unclear (doctor holds it to them)`,
      fix: `write \`${PRODUCTION_VAR} = "true"\` under [env.${ctx.envName}.vars] for production, or remove it`,
    });
  }
  if (!ctx.policy || !isProduction(ctx)) return findings;
  for (const [name, service] of Object.entries(ctx.policy.document.services)) {
    if (service.mode !== "audit") continue;
    findings.push({
      severity: "error",
      code: "audit-in-production",
      where: `${ctx.policy.label} services.${name}.mode`,
      message: `service ${name} is in audit mode in ${ctx.envName}, which is marked production (${PRODUCTION_VAR}): requests the policy denies are forwarded to the origin and only logged`,
      fix: `set \`mode: enforce\` (or remove mode) once the decision log shows no would-be denials you did not expect`,
    });
  }
  return findings;
};
