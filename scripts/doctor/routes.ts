// Routes decide which requests reach the gateway at all. Without one (and with workers_dev and preview_urls
// off, as they must be) the deployed gateway answers nothing; a service host no route covers is served by
// whatever else answers for it in the zone, which is a way around Ward, not through it.
import { isTable } from "./config.ts";
import { deployedRouteValues, routeIgnored, setsRoute } from "./deployed-routes.ts";
import { envWhere, topWhere, type Check, type DoctorContext, type Finding, type RawTable } from "./types.ts";

interface RoutePattern {
  host: string;
  path: string;
  /** A Custom Domain: the whole host, no wildcard (Cloudflare takes none in one). */
  customDomain: boolean;
}

/** The patterns of route values (a string, or a table with `pattern`); anything else routes nothing. */
function routePatterns(routes: readonly unknown[]): RoutePattern[] {
  return routes.flatMap((route): RoutePattern[] => {
    const pattern =
      typeof route === "string"
        ? route
        : isTable(route) && typeof route.pattern === "string"
          ? route.pattern
          : undefined;
    if (!pattern) return [];
    if (isTable(route) && route.custom_domain === true) {
      // `enabled = false`: the domain is kept but serves no production request (wrangler's routeMatchesPath).
      if (route.enabled === false) return [];
      return [{ host: pattern, path: "/*", customDomain: true }];
    }
    // A route may be written with its scheme, which wrangler and Cloudflare drop.
    const bare = pattern.replace(/^https?:\/\//, "");
    const slash = bare.indexOf("/");
    return [
      slash === -1
        ? { host: bare, path: "", customDomain: false }
        : { host: bare.slice(0, slash), path: bare.slice(slash), customDomain: false },
    ];
  });
}

/**
 * Whether the route sends every request for the policy host to the Worker. Route host patterns: `*` matches any
 * run of characters, dots included (Cloudflare's rule). A policy host `*.rest` stands for every `L.rest`: a route
 * covers them all only if its pattern is `*S` (one `*`, leading) with `.rest` ending in S; any other pattern that
 * matches one of them (`x.rest`) leaves the others to whatever else answers for them.
 */
function covers(pattern: RoutePattern, host: string): boolean {
  if (pattern.customDomain) return !pattern.host.includes("*") && pattern.host === host;
  if (pattern.path !== "/*") return false;
  if (host.startsWith("*.")) {
    const suffix = pattern.host.slice(1);
    return pattern.host.startsWith("*") && !suffix.includes("*") && host.slice(1).endsWith(suffix);
  }
  const glob = new RegExp(
    `^${pattern.host
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return glob.test(host);
}

/** The routes an environment deploys with, as wrangler computes them (deployed-routes.ts). */
function deployedRoutes(top: RawTable, env: RawTable | undefined): RoutePattern[] {
  return routePatterns(deployedRouteValues(top, env));
}

/** The hosts no route of the environment covers (pattern HOST/*): their requests never reach the gateway. */
export function hostsNotRouted(top: RawTable, env: RawTable | undefined, hosts: readonly string[]): string[] {
  const routes = deployedRoutes(top, env);
  return hosts.filter((host) => !routes.some((route) => covers(route, host)));
}

/** The custom domains the environment deploys with, when every route is one (else undefined). */
export function customDomainsOnly(top: RawTable, env: RawTable | undefined): string[] | undefined {
  const routes = deployedRouteValues(top, env);
  if (routes.length === 0) return undefined;
  const domains = routes.map((route) =>
    isTable(route) && route.custom_domain === true && typeof route.pattern === "string" ? route.pattern : undefined,
  );
  return domains.every((d): d is string => d !== undefined) ? domains : undefined;
}

export const checkRoutes: Check = (ctx: DoctorContext) => {
  // wrangler refuses an environment (or top level) with both: "Expected exactly one of ["routes","route"]"
  // (a `route = ""` it drops first, so that one is no conflict).
  for (const table of [ctx.top, ctx.env]) {
    if (setsRoute(table) && table.routes !== undefined)
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
  const findings: Finding[] = [];
  if (routeIgnored(ctx.top, ctx.env))
    findings.push({
      severity: "error",
      code: "route-ignored",
      where: envWhere(ctx),
      message: `${ctx.envName} sets \`route\` but not \`routes\`, so wrangler inherits the top level's \`routes\` and deploys those in its place: ${ctx.envName}'s own route is never used`,
      fix: `write it as \`routes = [...]\` under [env.${ctx.envName}] (and remove \`route\`)`,
    });
  const routes = deployedRoutes(ctx.top, ctx.env);
  if (routes.length === 0) {
    findings.push({
      severity: "error",
      code: "routes-missing",
      where: envWhere(ctx),
      message: `${ctx.envName} has no routes: with workers_dev and preview_urls off, the deployed gateway would answer on no address`,
      fix: `npm run ward -- init --env ${ctx.envName} --route "*.<domain>/*" --zone <zone> (or --custom-domain HOST)`,
    });
    return findings;
  }
  if (!ctx.policy) return findings;
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
