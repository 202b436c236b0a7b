// All checks, in the order doctor reports them, and the text form of a finding.
import { checkAccess } from "./access.ts";
import { checkAdmin } from "./admin.ts";
import { checkAudit } from "./audit.ts";
import { checkBindings } from "./bindings.ts";
import { checkBreakGlass } from "./breakglass.ts";
import { checkDuplicateNames } from "./duplicate-names.ts";
import { checkExposure } from "./exposure.ts";
import { checkForwarding } from "./forwarding.ts";
import { checkIssuer } from "./issuer.ts";
import { checkLegacyEnv } from "./legacy-env.ts";
import { checkOrigins } from "./origins.ts";
import { checkPlaceholders } from "./placeholders.ts";
import { checkPolicyWarnings } from "./policy-warnings.ts";
import { checkRoutes } from "./routes.ts";
import { checkSecrets } from "./secrets.ts";
import { checkSecretVars } from "./secret-vars.ts";
import { checkSharedState } from "./shared-state.ts";
import { checkTokenIssuers } from "./token-issuers.ts";
import type { Check, DoctorContext, Finding } from "./types.ts";
import { checkVpcServices } from "./vpc-services.ts";
import { checkWardEnv } from "./ward-env.ts";
import { checkWebSocket } from "./websocket.ts";
import { checkWorkerName } from "./worker-name.ts";
import { refusalFindings } from "./wrangler-refusals.ts";
import { checkSettings } from "./settings.ts";

export const CHECKS: readonly Check[] = [
  checkLegacyEnv,
  checkWorkerName,
  checkExposure,
  checkRoutes,
  checkBindings,
  checkDuplicateNames,
  checkPlaceholders,
  checkSharedState,
  checkOrigins,
  checkVpcServices,
  checkSecrets,
  checkSecretVars,
  checkWardEnv,
  checkSettings,
  checkIssuer,
  checkAccess,
  checkTokenIssuers,
  checkAdmin,
  checkAudit,
  checkPolicyWarnings,
  checkBreakGlass,
  checkForwarding,
  checkWebSocket,
];

/**
 * Every check's findings, in CHECKS order (the checks that fetch run side by side), after what wrangler refuses
 * that none of them reports: doctor passes nothing wrangler would not deploy.
 */
export async function runChecks(ctx: DoctorContext): Promise<Finding[]> {
  const findings = (await Promise.all(CHECKS.map((check) => check(ctx)))).flat();
  return [...refusalFindings(ctx, findings), ...findings];
}

/** `error[code] where: message` and, indented under it, `fix: ...`. */
export function formatFinding(finding: Finding): string[] {
  return [`${finding.severity}[${finding.code}] ${finding.where}: ${finding.message}`, `  fix: ${finding.fix}`];
}
