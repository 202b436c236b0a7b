// A service in audit mode forwards what it would deny: fine while trying a policy, not in production.
import { stringVar } from "./config.ts";
import type { Check, DoctorContext, Finding } from "./types.ts";

export function isProduction(ctx: DoctorContext): boolean {
  return ctx.envName === "production" || stringVar(ctx.env, "WARD_ENV") === "production";
}

export const checkAudit: Check = (ctx: DoctorContext) => {
  if (!ctx.policy || !isProduction(ctx)) return [];
  const findings: Finding[] = [];
  for (const [name, service] of Object.entries(ctx.policy.document.services)) {
    if (service.mode !== "audit") continue;
    findings.push({
      severity: "warning",
      code: "audit-in-production",
      where: `${ctx.policy.label} services.${name}.mode`,
      message: `service ${name} is in audit mode in ${ctx.envName}: requests the policy denies are forwarded to the origin and only logged`,
      fix: `set \`mode: enforce\` (or remove mode) once the decision log shows no would-be denials you did not expect`,
    });
  }
  return findings;
};
