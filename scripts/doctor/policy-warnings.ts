// What `ward validate` warns about the policy, reported by doctor too: a valid policy's warnings were read and
// then dropped, so doctor said "ok, 0 warnings" about a production policy with a service in audit mode
// (`audit-in-production`, which validation gives any policy whose metadata.environment is production).
import { isProduction } from "./audit.ts";
import type { Issue } from "../../policy/index.ts";
import type { Check, DoctorContext, Finding } from "./types.ts";

/** Validation's warnings doctor reports itself, as errors: when its own check covers them, they are not repeated. */
const OWN_CHECKS: Readonly<Record<string, (ctx: DoctorContext, issue: Issue) => boolean>> = {
  // audit-in-production of a service, where the environment is marked production (by its flag, not the policy's
  // word). A deny rule on trial stays a warning: trying a deny on live traffic is a step of a rollout.
  "audit-in-production": (ctx, issue) => isProduction(ctx) && !issue.path.includes(".rules["),
  // origin-public, for every origin with a URL.
  "public-origin": () => true,
};

export const checkPolicyWarnings: Check = (ctx: DoctorContext) => {
  if (!ctx.policy) return [];
  const { label, warnings } = ctx.policy;
  return warnings
    .filter((issue) => !OWN_CHECKS[issue.code]?.(ctx, issue))
    .map(
      (issue): Finding => ({
        severity: "warning",
        code: "policy-warning",
        where: `${label} ${issue.path}`,
        message: `${issue.code}: ${issue.message}`,
        fix: issue.hint ?? `see \`npm run ward -- validate ${label}\``,
      }),
    );
};
