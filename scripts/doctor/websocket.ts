// A route with `websocket` relays upgrades through its service's origin binding. Cloudflare documents a Workers
// VPC service binding's fetch() for HTTP requests and says nothing about WebSocket upgrades (checked December
// 2026), so whether one carries them is not known: try the route before relying on it. Service bindings do.
import { bindingNames } from "./config.ts";
import { envWhere, type Check, type DoctorContext, type Finding } from "./types.ts";

export const checkWebSocket: Check = (ctx: DoctorContext) => {
  if (!ctx.policy) return [];
  const vpc = new Set(bindingNames(ctx.env, "vpc_services"));
  const findings: Finding[] = [];
  for (const [name, service] of Object.entries(ctx.policy.document.services)) {
    const origin = service.origin;
    if (typeof origin !== "object" || !("tunnel" in origin) || !vpc.has(origin.tunnel)) continue;
    const routes = service.routes.filter((r) => r.websocket !== undefined && r.websocket !== false).map((r) => r.id);
    if (routes.length === 0) continue;
    findings.push({
      severity: "warning",
      code: "websocket-over-vpc",
      where: `${ctx.policy.label} services.${name}.routes (${routes.join(", ")}) websocket`,
      message: `service ${name} lets ${routes.length === 1 ? "a route" : "routes"} upgrade to WebSocket, and its origin ${origin.tunnel} is a Workers VPC service (${envWhere(ctx, "vpc_services")}): Cloudflare does not document that VPC services carry upgrades; if one does not, each upgrade is answered by the origin's refusal or 502`,
      fix: `open a WebSocket on ${name} in ${ctx.envName} before relying on it; if it fails, reach this origin through a service binding (a Worker in front of it) or leave websocket off`,
    });
  }
  return findings;
};
