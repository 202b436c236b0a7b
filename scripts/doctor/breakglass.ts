// Break-glass lets any admin grant themselves access for minutes, approved by nobody: what keeps it honest is
// that it is announced (NOTIFY_WEBHOOK). A policy with admins allows break-glass; without the webhook it
// happens in silence.
import { requiredSecrets, stringVar } from "./config.ts";
import { envWhere, type Check, type DoctorContext } from "./types.ts";

export const WEBHOOK = "NOTIFY_WEBHOOK";

export const checkBreakGlass: Check = (ctx: DoctorContext) => {
  if (!ctx.policy?.document.admin) return [];
  if (stringVar(ctx.env, WEBHOOK) !== undefined || (requiredSecrets(ctx.env) ?? []).includes(WEBHOOK)) return [];
  if (ctx.secrets?.includes(WEBHOOK)) return [];
  return [
    {
      severity: "error",
      code: "breakglass-webhook-unset",
      where: envWhere(ctx),
      message: `NOTIFY_WEBHOOK is neither a var (not blank) nor a declared secret of ${ctx.envName}, and ${ctx.policy.label} names admins, who may break glass: their emergency grants (and quarantines) would be announced to nobody`,
      fix: `add "${WEBHOOK}" to [env.${ctx.envName}.secrets] required and run: npx wrangler secret put ${WEBHOOK} --env ${ctx.envName} (a chat webhook URL is a credential: a secret, not a var)`,
    },
  ];
};
