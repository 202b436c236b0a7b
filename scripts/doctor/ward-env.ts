// WARD_ENV is the environment the gateway says it serves: the admin API refuses a policy whose
// metadata.environment differs, and the gateway never serves one. Unset, that guard is off and a policy for any
// environment is accepted.
import { stringVar } from "./config.ts";
import { envWhere, type Check, type DoctorContext } from "./types.ts";

export const checkWardEnv: Check = (ctx: DoctorContext) => {
  const value = stringVar(ctx.env, "WARD_ENV");
  const set = `set \`WARD_ENV = "${ctx.envName}"\` under [env.${ctx.envName}.vars]`;
  if (value === undefined) {
    return [
      {
        severity: "error",
        code: "ward-env-unset",
        where: envWhere(ctx, "vars"),
        message: `WARD_ENV is not set, or blank (vars are not inherited): the ${ctx.envName} gateway would accept a policy pushed for any environment`,
        fix: set,
      },
    ];
  }
  // An error, no longer a warning (from a review): the gateway serves only versions for its WARD_ENV, while the
  // bootstrap takes only a policy for --env, so with the two apart no first version could ever be served.
  if (value !== ctx.envName) {
    return [
      {
        severity: "error",
        code: "ward-env-mismatch",
        where: envWhere(ctx, "vars"),
        message: `WARD_ENV is "${value}" in [env.${ctx.envName}]: the gateway serves only policies whose metadata.environment is "${value}", and ward push --bootstrap --env ${ctx.envName} only one for "${ctx.envName}": no first version could be served`,
        fix: set,
      },
    ];
  }
  return [];
};
