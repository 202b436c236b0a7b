// A service in audit mode forwards what it would deny: fine while trying a policy, not in production. What
// makes an environment production is a flag in wrangler.toml (`[env.X.vars] WARD_PRODUCTION = "true"`, which
// `ward init --production` writes), never its name: "prod", "live" and "eu" are production too when marked.
import { stringVar } from "./config.ts";
import type { Check, DoctorContext, Finding } from "./types.ts";

export const PRODUCTION_VAR = "WARD_PRODUCTION";

export function isProduction(ctx: DoctorContext): boolean {
  return stringVar(ctx.env, PRODUCTION_VAR) === "true";
}

export const checkAudit: Check = (ctx: DoctorContext) => {
  if (!ctx.policy || !isProduction(ctx)) return [];
  const findings: Finding[] = [];
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
