// ASSERTION_ISSUER is the `iss` of the identity assertion origins verify. Unset, every environment signs as
// "ward"; shared, too: an origin pinned to its environment's issuer could then be handed an assertion minted
// by another environment's gateway (staging's, say, which lets more people in) and take it.
import { stringVar } from "./config.ts";
import { envWhere, type Check, type DoctorContext, type Finding } from "./types.ts";

export const checkIssuer: Check = (ctx: DoctorContext) => {
  const issuer = stringVar(ctx.env, "ASSERTION_ISSUER");
  const set = `set \`ASSERTION_ISSUER = "ward-${ctx.envName}"\` under [env.${ctx.envName}.vars] (and pin it in the origins' verifiers)`;
  if (issuer === undefined) {
    return [
      {
        severity: "error",
        code: "assertion-issuer-unset",
        where: envWhere(ctx, "vars"),
        message: `ASSERTION_ISSUER is not set, or blank (vars are not inherited): ${ctx.envName} signs assertions as "ward", like every environment that does not set it, so an origin cannot tell whose gateway vouched for a caller`,
        fix: set,
      },
    ];
  }
  const findings: Finding[] = [];
  for (const [name, other] of Object.entries(ctx.environments)) {
    if (name === ctx.envName || stringVar(other, "ASSERTION_ISSUER") !== issuer) continue;
    findings.push({
      severity: "error",
      code: "assertion-issuer-shared",
      where: envWhere(ctx, "vars"),
      message: `ASSERTION_ISSUER "${issuer}" is also [env.${name}]'s: an origin of either would accept the other's assertions`,
      fix: set,
    });
  }
  return findings;
};
