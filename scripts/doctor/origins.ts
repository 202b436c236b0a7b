// Every origin the policy names (`origin: { tunnel: NAME }`) must be a binding of the environment, and in a
// deployed environment a Workers VPC service: the origin is then reached through Cloudflare Tunnel only.
import type { PolicyDocument } from "../../policy/index.ts";
import { bindingNames } from "./config.ts";
import { envWhere, type Check, type DoctorContext, type Finding } from "./types.ts";

/** Tunnel origin binding name -> the services that use it. */
export function policyOrigins(document: PolicyDocument): Map<string, string[]> {
  const origins = new Map<string, string[]>();
  for (const [name, service] of Object.entries(document.services)) {
    const origin = service.origin;
    if (typeof origin === "object" && "tunnel" in origin)
      origins.set(origin.tunnel, [...(origins.get(origin.tunnel) ?? []), name]);
  }
  return origins;
}

export const checkOrigins: Check = (ctx: DoctorContext) => {
  if (!ctx.policy) return [];
  const findings: Finding[] = [];
  const vpc = new Set(bindingNames(ctx.env, "vpc_services"));
  const services = new Set(bindingNames(ctx.env, "services"));
  // An origin with a routable address: callers can go around Ward, and Ward itself does not forward to it.
  for (const [name, service] of Object.entries(ctx.policy.document.services)) {
    const origin = service.origin;
    if (typeof origin !== "object" || !("url" in origin)) continue;
    findings.push({
      severity: "error",
      code: "origin-public",
      where: `${ctx.policy.label}: services.${name}.origin`,
      message: `services.${name} names a public origin (${origin.url}): callers can reach it without Ward, and Ward answers its requests 503`,
      fix: `put it behind Cloudflare Tunnel and write origin: { tunnel: BINDING }, with [[env.${ctx.envName}.vpc_services]] binding = "BINDING"`,
    });
  }
  for (const [binding, users] of policyOrigins(ctx.policy.document)) {
    const used = `the origin of ${users.map((s) => `services.${s}`).join(", ")} in ${ctx.policy.label}`;
    const add = `add [[env.${ctx.envName}.vpc_services]] binding = "${binding}", service_id = "<the Workers VPC service of its tunnel>", remote = true`;
    if (vpc.has(binding)) continue;
    if (services.has(binding)) {
      findings.push({
        severity: "warning",
        code: "origin-service-binding",
        where: envWhere(ctx, "services"),
        message: `${binding}, ${used}, is a service binding (another Worker), not a Workers VPC service: the origin is not reached through Cloudflare Tunnel`,
        fix: `replace the [[env.${ctx.envName}.services]] entry: ${add}`,
      });
      continue;
    }
    findings.push({
      severity: "error",
      code: "origin-unbound",
      where: envWhere(ctx, "vpc_services"),
      message: `no binding ${binding}, ${used}: ${ctx.envName} cannot reach that origin`,
      fix: add,
    });
  }
  return findings;
};
