// The device posture `ward explain --posture` describes: the checks given pass, and every other check the policy
// names was reported failed ("without it none pass", docs/policy.md). Left out, a check would be unknown
// (policy/conditions.ts), which holds in a deny rule, so explain would refuse where the gateway, told by Access
// that the check failed, lets the person through.
import type { CompiledPolicy } from "../../policy/index.ts";

/** Every device-posture check id a rule of the policy names, in the order first named. */
function postureChecksOf(policy: CompiledPolicy): Set<string> {
  const checks = new Set<string>();
  for (const service of Object.values(policy.document.services))
    for (const route of service.routes)
      for (const rule of route.rules) for (const check of rule.when?.devicePosture ?? []) checks.add(check);
  return checks;
}

/** Passing: the checks given; failed: every other check the policy names. */
export function postureFromFlags(policy: CompiledPolicy, passing: readonly string[]): Record<string, boolean> {
  const posture: Record<string, boolean> = {};
  for (const check of postureChecksOf(policy)) posture[check] = false;
  for (const check of passing) posture[check] = true;
  return posture;
}
