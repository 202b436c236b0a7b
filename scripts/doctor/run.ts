// All checks, in the order doctor reports them, and the text form of a finding.
import { checkAccess } from "./access.ts";
import { checkAudit } from "./audit.ts";
import { checkBindings } from "./bindings.ts";
import { checkExposure } from "./exposure.ts";
import { checkForwarding } from "./forwarding.ts";
import { checkOrigins } from "./origins.ts";
import { checkSecrets } from "./secrets.ts";
import type { Check, DoctorContext, Finding } from "./types.ts";
import { checkWardEnv } from "./ward-env.ts";

export const CHECKS: readonly Check[] = [
  checkExposure,
  checkBindings,
  checkOrigins,
  checkSecrets,
  checkWardEnv,
  checkAccess,
  checkAudit,
  checkForwarding,
];

export function runChecks(ctx: DoctorContext): Finding[] {
  return CHECKS.flatMap((check) => check(ctx));
}

/** `error[code] where: message` and, indented under it, `fix: ...`. */
export function formatFinding(finding: Finding): string[] {
  return [`${finding.severity}[${finding.code}] ${finding.where}: ${finding.message}`, `  fix: ${finding.fix}`];
}
