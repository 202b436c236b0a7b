// A service that forwards the client's Authorization header hands the origin whatever credential the client
// sent: right for an app with its own login behind Ward, a leak for any other.
import type { Check, DoctorContext, Finding } from "./types.ts";

const forwardsAuthorization = (names: readonly string[] | undefined): boolean =>
  names?.some((n) => n.toLowerCase() === "authorization") ?? false;

export const checkForwarding: Check = (ctx: DoctorContext) => {
  if (!ctx.policy) return [];
  const findings: Finding[] = [];
  for (const [name, service] of Object.entries(ctx.policy.document.services)) {
    const routes = service.routes
      .filter((route) => forwardsAuthorization(route.forwardHeaders))
      .map((route) => route.id);
    if (!forwardsAuthorization(service.forwardHeaders) && routes.length === 0) continue;
    const where = forwardsAuthorization(service.forwardHeaders)
      ? "forwardHeaders"
      : `routes (${routes.join(", ")}) forwardHeaders`;
    findings.push({
      severity: "warning",
      code: "forwards-authorization",
      where: `${ctx.policy.label} services.${name}.${where}`,
      message: `service ${name} forwards the client's Authorization header to its origin: whatever credential a caller sends reaches the app`,
      fix: "keep it only for an app with its own login behind Ward, and only on the routes that need it; the origin learns who called from ward-assertion",
    });
  }
  return findings;
};
