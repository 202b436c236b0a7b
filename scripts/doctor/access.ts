// A policy is for one environment: the gateway refuses to activate one written for another (when WARD_ENV is
// set), and even where nothing refuses it, it carries that environment's Access team domain and application
// audiences, so this one's tokens would not verify. (Their shape is checked by validation.)
import { stringVar } from "./config.ts";
import type { Check, DoctorContext } from "./types.ts";

export const checkAccess: Check = (ctx: DoctorContext) => {
  if (!ctx.policy) return [];
  const { document, label } = ctx.policy;
  const written = document.metadata.environment;
  if (written === ctx.envName) return [];
  const served = stringVar(ctx.env, "WARD_ENV");
  const access = document.identity.access;
  const refused =
    served !== undefined && served !== written
      ? `the ${ctx.envName} gateway (WARD_ENV "${served}") refuses to activate it`
      : `nothing in ${ctx.envName} would refuse it`;
  const accessNote = access
    ? `; its Access settings (team domain ${access.teamDomain}, ${access.audiences.length} AUD tag${access.audiences.length === 1 ? "" : "s"}) are probably ${written}'s, and ${ctx.envName}'s Access tokens would not verify against them`
    : "";
  return [
    {
      severity: "error",
      code: "policy-environment-mismatch",
      where: `${label} metadata.environment`,
      message: `the policy is for environment "${written}", not "${ctx.envName}": ${refused}${accessNote}`,
      fix: `check ${ctx.envName}'s own policy (metadata.environment: ${ctx.envName}, with the team domain and AUD tags of ${ctx.envName}'s Access application)`,
    },
  ];
};
