// The gateway refuses to activate a policy without `admin` (nobody could push the next one), and so does
// `ward push --bootstrap`: checked here so that the first push is not where it is found out.
import type { Check, DoctorContext } from "./types.ts";

export const checkAdmin: Check = (ctx: DoctorContext) => {
  if (!ctx.policy || ctx.policy.document.admin) return [];
  return [
    {
      severity: "error",
      code: "policy-no-admin",
      where: `${ctx.policy.label} admin`,
      message: `the policy names no admin.principals: the ${ctx.envName} gateway refuses to activate it (nobody could push, roll back or break glass after it)`,
      fix: "add admin: { principals: [{ group: <your platform team's group> }, { serviceToken: <the operators' token's client id> }] }",
    },
  ];
};
