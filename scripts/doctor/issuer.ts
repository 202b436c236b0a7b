// ASSERTION_ISSUER is the `iss` of the identity assertion origins verify. Unset, every environment signs as
// "ward"; shared, too: an origin pinned to its environment's issuer could then be handed an assertion minted
// by another environment's gateway (staging's, say, which lets more people in) and take it.
import { stringVar } from "./config.ts";
import { others } from "./shared-state.ts";
import { envWhere, type Check, type DoctorContext, type Finding, type RawTable } from "./types.ts";

/**
 * The issuer an environment's assertions carry: the Worker signs with ASSERTION_ISSUER, or "ward" when it is
 * unset or blank (worker/origin/assertion.ts, assertionIssuer). Compared as signed, not as written: one
 * environment that names "ward" and one that names none sign alike.
 */
function effectiveIssuer(table: RawTable): string {
  return stringVar(table, "ASSERTION_ISSUER") ?? "ward";
}

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
  // Every other deployment, the top level too when it has routes of its own (shared-state.ts).
  for (const other of others(ctx)) {
    if (effectiveIssuer(other.table) !== issuer) continue;
    findings.push({
      severity: "error",
      code: "assertion-issuer-shared",
      where: envWhere(ctx, "vars"),
      message: `ASSERTION_ISSUER "${issuer}" is also ${other.label}'s${stringVar(other.table, "ASSERTION_ISSUER") === undefined ? ' (it sets none, or a blank one, and signs as "ward")' : ""}: an origin of either would accept the other's assertions`,
      fix: set,
    });
  }
  return findings;
};
