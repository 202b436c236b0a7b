// Routes decide which requests reach the gateway at all. Without one (and with workers_dev and preview_urls
// off, as they must be) the deployed gateway answers nothing; a service host no route covers is served by
// whatever else answers for it in the zone, which is a way around Ward, not through it.
import { isTable } from "./config.ts";
import { envWhere, topWhere, type Check, type DoctorContext, type Finding, type RawTable } from "./types.ts";

interface RoutePattern {
  host: string;
  path: string;
}

/** routes (or route), as written in the environment, else inherited from the top level. */
function routePatterns(table: RawTable): RoutePattern[] | undefined {
  const routes = Array.isArray(table.routes)
    ? table.routes
    : typeof table.route === "string"
      ? [table.route]
      : undefined;
  if (!routes) return undefined;
  return routes.flatMap((route) => {
    const pattern =
      typeof route === "string"
        ? route
        : isTable(route) && typeof route.pattern === "string"
          ? route.pattern
          : undefined;
    if (pattern === undefined) return [];
    if (isTable(route) && route.custom_domain === true) return [{ host: pattern, path: "/*" }];
    const slash = pattern.indexOf("/");
    return [slash === -1 ? { host: pattern, path: "" } : { host: pattern.slice(0, slash), path: pattern.slice(slash) }];
  });
}

/** Route host patterns: `*` matches any run of characters, dots included (Cloudflare's rule). */
function covers(pattern: RoutePattern, host: string): boolean {
  const glob = new RegExp(
    `^${pattern.host
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return pattern.path === "/*" && glob.test(host.replace(/^\*\./, "x."));
}

/** The routes an environment deploys with: its own, else the top level's (wrangler's inheritance). */
function deployedRoutes(top: RawTable, env: RawTable | undefined): RoutePattern[] {
  return (env && routePatterns(env)) ?? routePatterns(top) ?? [];
}

/** The hosts no route of the environment covers (pattern HOST/*): their requests never reach the gateway. */
export function hostsNotRouted(top: RawTable, env: RawTable | undefined, hosts: readonly string[]): string[] {
  const routes = deployedRoutes(top, env);
  return hosts.filter((host) => !routes.some((route) => covers(route, host)));
}

/** The custom domains the environment's own routes name, when every route is one (else undefined). */
export function customDomainsOnly(env: RawTable | undefined): string[] | undefined {
  const routes = env && Array.isArray(env.routes) ? env.routes : undefined;
  if (!routes || routes.length === 0) return undefined;
  const domains = routes.map((route) =>
    isTable(route) && route.custom_domain === true && typeof route.pattern === "string" ? route.pattern : undefined,
  );
  return domains.every((d): d is string => d !== undefined) ? domains : undefined;
}

export const checkRoutes: Check = (ctx: DoctorContext) => {
  // wrangler refuses an environment (or top level) with both: "Expected exactly one of ["routes","route"]".
  for (const table of [ctx.top, ctx.env]) {
    if (table.route !== undefined && table.routes !== undefined)
      return [
        {
          severity: "error",
          code: "routes-conflict",
          where: table === ctx.env ? envWhere(ctx) : topWhere(ctx),
          message: "both `route` and `routes` are set: wrangler refuses to deploy the config",
          fix: "keep `routes` and remove `route`",
        },
      ];
  }
  const routes = deployedRoutes(ctx.top, ctx.env);
  if (routes.length === 0) {
    return [
      {
        severity: "error",
        code: "routes-missing",
        where: envWhere(ctx),
        message: `${ctx.envName} has no routes: with workers_dev and preview_urls off, the deployed gateway would answer on no address`,
        fix: `npm run ward -- init --env ${ctx.envName} --route "*.<domain>/*" --zone <zone> (or --custom-domain HOST)`,
      },
    ];
  }
  if (!ctx.policy) return [];
  const findings: Finding[] = [];
  for (const [name, service] of Object.entries(ctx.policy.document.services)) {
    for (const host of hostsNotRouted(ctx.top, ctx.env, service.hosts)) {
      // An error: the host's users never reach the gateway, and whatever else answers for it is not Ward (an old
      // public record of the origin would be reached around it).
      findings.push({
        severity: "error",
        code: "host-not-routed",
        where: `${ctx.policy.label} services.${name}.hosts`,
        message: `${host} is covered by no route of ${ctx.envName} (pattern HOST/*): its requests never reach the gateway, and go to whatever else answers for that host`,
        fix: `add a route for it to [env.${ctx.envName}] routes (or remove the host from the policy)`,
      });
    }
  }
  return findings;
};
